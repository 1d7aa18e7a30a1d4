import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { ulid } from 'ulid';
import { ActionsRepository } from '../adapters/actions-repository.ts';
import { AlertGroupsRepository } from '../adapters/alert-groups-repository.ts';
import { CommsRepository } from '../adapters/comms-repository.ts';
import { renderDocumentSections } from '../adapters/document-renderer.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { LinksRepository } from '../adapters/links-repository.ts';
import { logger } from '../adapters/logger.ts';
import { mailerPort } from '../adapters/mailer.ts';
import { PostmortemsRepository } from '../adapters/postmortems-repository.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { StatusPageRepository } from '../adapters/status-page-repository.ts';
import { workflowCallbackPort } from '../adapters/workflow.ts';
import { linkKeyId } from '../core/links.ts';
import { editorResponse, isEditorResult } from '../core/postmortem-page.ts';
import { decideEditorLink, viewEditorLink } from '../use-cases/links/editor-route.ts';
import type { LinkDeps } from '../use-cases/links/kind.ts';
import { linkedTo } from './capabilities.ts';
import { type HttpEvent, type HttpResult, html, htmlErrors } from './http.ts';
import { linkRequest } from './link-request.ts';
import { responseDeps } from './response-deps.ts';

const use = linkedTo('PostmortemEditor');
const stores = use(
  repositoriesPort({
    incidents: IncidentsRepository,
    groups: AlertGroupsRepository,
    comms: CommsRepository,
    statusPage: StatusPageRepository,
    links: LinksRepository,
    postmortems: PostmortemsRepository,
    actions: ActionsRepository,
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
 * GET and POST /links/{token}/edit: the postmortem owner's editor (use-cases/links/editor.ts), a function of its
 * own so that the link pages' function (handle-link.ts) carries neither the editor nor the Markdown renderer. The
 * token is the credential, verified as at `/links/{token}`, and never logged. GET shows the form (or, expired, the
 * offer of a fresh link) and writes nothing; POST saves, corrects the incident's times, asks for approval, or
 * (expired) mails a fresh link to the owner. Always HTML.
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
      postmortems: stores().postmortems,
      // What the link deps name for the other kinds (link uses, actions): the editor's use cases do not call them.
      links: stores().links,
      actions: stores().actions,
      // A link signed with a key rotated in since the keys were cached reads them again.
      keys: await links().signingKeys({ keyId: linkKeyId(token) }),
      newId: ulid,
      // "Ask for approval": each content is rendered once here and kept (the chunk is loaded on first use).
      renderDocument: renderDocumentSections,
    };
    const page =
      request.kind === 'post'
        ? await decideEditorLink(deps, token, request.form, request.meta)
        : await viewEditorLink(deps, token, request.query);
    if (request.kind === 'post') logger.info('editor link posted', { page: page.kind });
    if (isEditorResult(page)) return editorResponse(page);
    // Only the editor's kind is served here: a responder page cannot be answered.
    if (page.kind === 'responder' || page.kind === 'responder-saved') return html({ kind: 'error' });
    return html(page);
  });
