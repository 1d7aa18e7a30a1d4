import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { ulid } from 'ulid';
import { ActionsRepository } from '../adapters/actions-repository.ts';
import { AlertGroupsRepository } from '../adapters/alert-groups-repository.ts';
import { CommsRepository } from '../adapters/comms-repository.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { LinksRepository } from '../adapters/links-repository.ts';
import { logger } from '../adapters/logger.ts';
import { mailerPort } from '../adapters/mailer.ts';
import { OverridesRepository } from '../adapters/overrides-repository.ts';
import { PostmortemsRepository } from '../adapters/postmortems-repository.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { StatusPageRepository } from '../adapters/status-page-repository.ts';
import { workflowCallbackPort } from '../adapters/workflow.ts';
import { responderResponse } from '../core/html/responder-page.ts';
import { linkKeyId } from '../core/links.ts';
import { isResponderResult } from '../core/responder.ts';
import { decideLink, type LinkDeps, viewLink } from '../use-cases/links/index.ts';
import { linkedTo } from './capabilities.ts';
import { type HttpEvent, type HttpResult, html, htmlErrors } from './http.ts';
import { linkRequest } from './link-request.ts';
import { responseDeps } from './response-deps.ts';

const use = linkedTo('LinkDecision');
const stores = use(
  repositoriesPort({
    incidents: IncidentsRepository,
    groups: AlertGroupsRepository,
    comms: CommsRepository,
    statusPage: StatusPageRepository,
    links: LinksRepository,
    postmortems: PostmortemsRepository,
    actions: ActionsRepository,
    overrides: OverridesRepository,
  }),
);
const links = use(linksPort);
const shared = responseDeps({
  stores,
  mailer: use(mailerPort),
  workflow: use(workflowCallbackPort),
  links,
});

/**
 * GET and POST /links/{token}: the token is the credential, so it is never logged (the access log records the
 * route key only, and nothing here logs the event or the path). GET shows a confirm page (or the incident, or the
 * responder page) and writes nothing; POST decides. Always HTML. The postmortem editor is a function of its own
 * (`/links/{token}/edit`, postmortem-editor.ts): an editor link mailed before it moved is redirected there.
 */
export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(htmlErrors())
  .handler(async (event) => {
    const request = linkRequest(event);
    if (request.kind === 'too-large') return request.response;
    const { token } = request;
    const deps: LinkDeps = {
      ...shared(),
      links: stores().links,
      postmortems: stores().postmortems,
      actions: stores().actions,
      // The incident pages' "On call" section reads the schedules' overrides (gsi3).
      overrides: stores().overrides,
      // A link signed with a key rotated in since the keys were cached reads them again.
      keys: await links().signingKeys({ keyId: linkKeyId(token) }),
      newId: ulid,
      // No renderDocument, so no Markdown renderer in this bundle: an approver's page shows the rendering kept
      // when approval was asked (PostmortemEditor and Postmortems render it); a content asked about before
      // renderings were kept shows its plain sections (use-cases/document-rendering.ts).
    };
    // The link's kind (use-cases/links/registry.ts) reads what it needs of the form or the query.
    const page =
      request.kind === 'post'
        ? await decideLink(deps, token, request.form, request.meta)
        : await viewLink(deps, token, request.query);
    if (request.kind === 'post') logger.info('link decided', { page: page.kind });
    if (isResponderResult(page)) return responderResponse(page);
    // The registry's editor kind only redirects (use-cases/links/editor-link.ts): no editor page is made here.
    if (page.kind === 'postmortem-editor' || page.kind === 'postmortem-saved') return html({ kind: 'error' });
    return html(page);
  });
