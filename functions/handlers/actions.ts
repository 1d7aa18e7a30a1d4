import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import * as z from 'zod/mini';
import { ActionsRepository } from '../adapters/actions-repository.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { logger } from '../adapters/logger.ts';
import { PostmortemsRepository } from '../adapters/postmortems-repository.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { actionStatuses, parseCompletion } from '../core/actions.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { actionKinds } from '../core/postmortem.ts';
import { describeIssues } from '../core/validation.ts';
import { type ActionDeps, completeAction, listActions } from '../use-cases/actions.ts';
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

/** The operators' action routes: GET /actions and POST /actions/{id}/complete. */

const listQuery = z.strictObject({
  status: z._default(z.enum(actionStatuses), 'open'),
  kind: z.optional(z.enum(actionKinds)),
  ownerTeam: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  service: serviceFilter,
  overdue: z.optional(z.enum(['true', 'false'])),
  dueBefore: z.optional(z.iso.datetime({ error: 'must be an ISO-8601 UTC time' })),
  limit: pageLimit(200, 100),
});

let deps: ActionDeps | undefined;
const stores = linkedTo('Actions')(
  repositoriesPort({
    actions: ActionsRepository,
    postmortems: PostmortemsRepository,
    incidents: IncidentsRepository,
  }),
);
function dependencies(): ActionDeps {
  const { actions, postmortems, incidents } = stores();
  deps ??= {
    actions,
    postmortems,
    incidents,
    now: () => new Date(),
  };
  return deps;
}

function actionIdOf(event: HttpEvent): string {
  const id = decodeURIComponent(event.pathParameters?.id ?? '').toUpperCase();
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id))
    throw new ValidationError(`"${id.slice(0, 40)}" is not an action id`);
  return id;
}

async function route(event: JsonHttpEvent): Promise<HttpResult> {
  const d = dependencies();
  switch (event.routeKey) {
    case 'GET /actions': {
      const parsed = listQuery.safeParse(event.queryStringParameters ?? {});
      if (!parsed.success) throw new ValidationError(`invalid query: ${describeIssues(parsed.error)}`);
      const query = parsed.data;
      if (query.status === 'done' && (query.overdue === 'true' || query.dueBefore))
        throw new ValidationError('overdue and dueBefore apply to open actions only');
      return json(200, {
        actions: await listActions(d, {
          status: query.status,
          ...(query.kind ? { kind: query.kind } : {}),
          ...(query.ownerTeam ? { ownerTeam: query.ownerTeam } : {}),
          ...(query.service ? { service: query.service } : {}),
          overdue: query.overdue === 'true',
          ...(query.dueBefore ? { dueBefore: new Date(query.dueBefore).toISOString() } : {}),
          now: d.now(),
          limit: query.limit,
        }),
      });
    }
    case 'POST /actions/{id}/complete': {
      const actionId = actionIdOf(event);
      const by = actorOf(event);
      let completion: ReturnType<typeof parseCompletion>;
      try {
        completion = parseCompletion(event.jsonBody);
      } catch (error) {
        throw new ValidationError(`invalid request: ${(error as Error).message}`);
      }
      const action = await completeAction(d, { actionId, by, via: 'api', ...completion });
      logger.info('action completed', { actionId, key: action.incidentKey });
      return json(200, { action });
    }
    default:
      throw new NotFoundError(`no route ${event.routeKey}`);
  }
}

export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpHeaderNormalizer())
  .use(httpErrors())
  .use(jsonBody({ maxBytes: 16 * 1024, optional: true }))
  .handler((event) => route(event as JsonHttpEvent));
