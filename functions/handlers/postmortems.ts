import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { ulid } from 'ulid';
import * as z from 'zod/mini';
import { ActionsRepository } from '../adapters/actions-repository.ts';
import { AlertGroupsRepository } from '../adapters/alert-groups-repository.ts';
import { CommsRepository } from '../adapters/comms-repository.ts';
import { publishedPage, renderDocumentSections } from '../adapters/document-renderer.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { mailerPort } from '../adapters/mailer.ts';
import { PostmortemsRepository } from '../adapters/postmortems-repository.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { StatusPageRepository } from '../adapters/status-page-repository.ts';
import { workflowCallbackPort, workflowStarterPort } from '../adapters/workflow.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { isIncidentKey } from '../core/incident.ts';
import { pageHeaders } from '../core/pages.ts';
import { postmortemStatuses } from '../core/postmortem.ts';
import { correctionsSincePublication, documentTitle } from '../core/postmortem-document.ts';
import { parsePostmortemEdit } from '../core/postmortem-edit.ts';
import { describeIssues } from '../core/validation.ts';
import { approvalsOf, changeApprovers, requestApproval, saveEdit } from '../use-cases/approvals.ts';
import {
  getPostmortem,
  listPostmortems,
  mailEditorLink,
  openPostmortem,
  type PostmortemDeps,
  postmortemHistory,
} from '../use-cases/postmortems.ts';
import { linkedTo } from './capabilities.ts';
import {
  actorOf,
  type HttpEvent,
  type HttpResult,
  httpErrors,
  type JsonHttpEvent,
  json,
  jsonBody,
} from './http.ts';
import { pageLimit, serviceFilter } from './list-query.ts';
import { responseDeps } from './response-deps.ts';

const use = linkedTo('Postmortems');
const stores = use(
  repositoriesPort({
    incidents: IncidentsRepository,
    groups: AlertGroupsRepository,
    comms: CommsRepository,
    statusPage: StatusPageRepository,
    postmortems: PostmortemsRepository,
    actions: ActionsRepository,
  }),
);
const shared = responseDeps({
  stores,
  mailer: use(mailerPort),
  workflow: use(workflowCallbackPort),
  links: use(linksPort),
});
const starter = use(workflowStarterPort);

/**
 * The operators' postmortem routes: POST (open), GET and PUT /incidents/{key}/postmortem, and GET /postmortems.
 * One function: they share their dependencies and stay warm together.
 */

/** The query's and bodies' schemas: built on the first request, not when the module loads. */
const requestSchemas = () => {
  const address = z.email({ error: 'must be an email address' });
  return {
    listQuery: z.strictObject({
      status: z.optional(z.enum(postmortemStatuses)),
      service: serviceFilter,
      overdue: z.optional(z.enum(['true', 'false'])),
      limit: pageLimit(100, 50),
    }),
    openBody: z.strictObject({}),
    approversBody: z.union([
      z.strictObject({ add: z.strictObject({ address, mandatory: z._default(z.boolean(), false) }) }),
      z.strictObject({ replace: z.strictObject({ from: address, to: address }) }),
    ]),
  };
};
let schemas: ReturnType<typeof requestSchemas> | undefined;
const requests = () => {
  schemas ??= requestSchemas();
  return schemas;
};

let deps: PostmortemDeps | undefined;
function dependencies(): PostmortemDeps {
  deps ??= {
    ...shared(),
    postmortems: stores().postmortems,
    actions: stores().actions,
    newId: ulid,
    starter: starter(),
    renderDocument: renderDocumentSections,
  };
  return deps;
}

function incidentKeyOf(event: HttpEvent): string {
  const key = decodeURIComponent(event.pathParameters?.key ?? '').toUpperCase();
  if (!isIncidentKey(key))
    throw new ValidationError(`"${key.slice(0, 40)}" is not an incident key (like HOT-42)`);
  return key;
}

function parse<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(`invalid ${what}: ${describeIssues(result.error)}`);
  return result.data;
}

/** The postmortem as the API answers it: the record, what blocks approval, and its history of versions. */
async function answer(d: PostmortemDeps, key: string, status = 200): Promise<HttpResult> {
  const { postmortem, checks } = await getPostmortem(d, key);
  const history = await postmortemHistory(d, key);
  return json(status, {
    postmortem: { ...postmortem, checks, approvals: await approvalsOf(d, postmortem), history },
  });
}

/** The published document, as Markdown or HTML by the request's Accept header (HTML by default). */
async function documentOf(d: PostmortemDeps, event: HttpEvent, key: string): Promise<HttpResult> {
  const incident = await d.incidents.byKey(key);
  const document = incident ? await d.postmortems.getDocument(incident.id) : undefined;
  if (!incident || !document) throw new NotFoundError(`the postmortem of ${key} is not published`);
  const wantsMarkdown = preferred(event.headers.accept ?? '') === 'text/markdown';
  // Measures corrected after publication are shown beside the approved text, never in it.
  const corrections = correctionsSincePublication(incident, document.publishedAt);
  return {
    statusCode: 200,
    headers: wantsMarkdown
      ? {
          'content-type': 'text/markdown; charset=utf-8',
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
          vary: 'Accept',
        }
      : { ...pageHeaders(), vary: 'Accept' },
    body: wantsMarkdown
      ? corrections.length > 0
        ? `${document.markdown}\n\n---\n\nCorrected since publication (not part of the approved text):\n\n${corrections.map((c) => `- ${c}`).join('\n')}\n`
        : document.markdown
      : await publishedPage(document.markdown, documentTitle(incident), corrections),
  };
}

/** Markdown only when the client asks for it before (or instead of) HTML. */
function preferred(accept: string): 'text/markdown' | 'text/html' {
  const ranked = accept
    .split(',')
    .map((part, index) => {
      const [type = '', ...params] = part.trim().toLowerCase().split(';');
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.split('=')[1] ?? 1);
      return { type: type.trim(), q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((r) => r.type === 'text/markdown' || r.type === 'text/html')
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked[0]?.type === 'text/markdown' ? 'text/markdown' : 'text/html';
}

async function route(event: JsonHttpEvent): Promise<HttpResult> {
  const d = dependencies();
  switch (event.routeKey) {
    case 'GET /postmortems': {
      const query = parse(requests().listQuery, event.queryStringParameters ?? {}, 'query');
      return json(200, {
        postmortems: await listPostmortems(d, {
          ...(query.status ? { status: query.status } : {}),
          ...(query.service ? { service: query.service } : {}),
          overdue: query.overdue === 'true',
          now: d.now(),
          limit: query.limit,
        }),
      });
    }
    case 'POST /incidents/{key}/postmortem': {
      const key = incidentKeyOf(event);
      const by = actorOf(event);
      parse(requests().openBody, event.jsonBody, 'request');
      const { created } = await openPostmortem(d, { key, by, requested: true });
      return answer(d, key, created ? 201 : 200);
    }
    case 'GET /incidents/{key}/postmortem':
      return answer(d, incidentKeyOf(event));
    case 'POST /incidents/{key}/postmortem/request-approval': {
      const key = incidentKeyOf(event);
      const by = actorOf(event);
      parse(requests().openBody, event.jsonBody, 'request');
      await requestApproval(d, { key, by });
      return answer(d, key);
    }
    case 'POST /incidents/{key}/postmortem/editor-link': {
      const key = incidentKeyOf(event);
      const by = actorOf(event);
      parse(requests().openBody, event.jsonBody, 'request');
      const sent = await mailEditorLink(d, { key, by });
      return json(202, { key, mailedTo: sent.owner, expiresAt: sent.expiresAt });
    }
    case 'POST /incidents/{key}/postmortem/approvers': {
      const key = incidentKeyOf(event);
      const by = actorOf(event);
      const change = parse(requests().approversBody, event.jsonBody, 'approver change');
      await changeApprovers(d, { key, by, ...change });
      return answer(d, key);
    }
    case 'GET /incidents/{key}/postmortem/document':
      return documentOf(d, event, incidentKeyOf(event));
    case 'PUT /incidents/{key}/postmortem': {
      const key = incidentKeyOf(event);
      const by = actorOf(event);
      const edit = parsePostmortemEdit(event.jsonBody);
      const saved = await saveEdit(d, { key, by, edit });
      logger.info('postmortem saved', { key, version: saved.postmortem.version, changed: saved.changed });
      return answer(d, key);
    }
    default:
      throw new NotFoundError(`no route ${event.routeKey}`);
  }
}

export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpHeaderNormalizer())
  .use(httpErrors())
  .use(jsonBody({ maxBytes: 512 * 1024, optional: true }))
  .handler((event) => route(event as JsonHttpEvent));
