import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import * as z from 'zod/mini';
import { ChannelHealthRepository } from '../adapters/channel-health-repository.ts';
import { organisation } from '../adapters/config.ts';
import { logger } from '../adapters/logger.ts';
import { OverridesRepository } from '../adapters/overrides-repository.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import type { Organisation } from '../core/config.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { schedulesOf } from '../core/oncall.ts';
import { OVERRIDE_ID } from '../core/oncall-overrides.ts';
import { describeIssues } from '../core/validation.ts';
import { withQuietChannels } from '../use-cases/channel-health.ts';
import type { ChannelHealthStore } from '../use-cases/ports.ts';
import {
  addOverride,
  listOverrides,
  listSchedules,
  type OverrideRequest,
  onCall,
  removeOverride,
  type ScheduleDeps,
} from '../use-cases/schedules.ts';
import { linkedTo } from './capabilities.ts';
import {
  actorOf,
  type HttpEvent,
  type HttpResult,
  httpErrors,
  type JsonHttpEvent,
  json,
  jsonBody,
  operatorOf,
} from './http.ts';

/**
 * The operators' schedule routes: GET /schedules, GET /schedules/{id}/oncall, GET and POST
 * /schedules/{id}/overrides, DELETE /schedules/{id}/overrides/{overrideId}.
 */

const instant = z.iso.datetime({
  offset: true,
  error: 'must be an ISO-8601 time with seconds and an offset, e.g. 2026-12-08T18:00:00Z',
});
const wallTime = z.strictObject({
  date: z.iso.date({ error: 'must be a date, YYYY-MM-DD' }),
  time: z
    .string({ error: 'must be a time, HH:MM' })
    .check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM')),
});
const overrideBody = z.strictObject({
  id: z.optional(
    z
      .string()
      .check(z.regex(OVERRIDE_ID, 'letters, digits, _ and - (at most 64), starting with a letter or digit')),
  ),
  personId: z
    .string({ error: 'must be the id of a person in the configuration' })
    .check(
      z.maxLength(63, 'at most 63 characters'),
      z.regex(/^[a-z][a-z0-9._-]*$/, 'must be the id of a person in the configuration'),
    ),
  start: z.optional(instant),
  end: z.optional(instant),
  from: z.optional(wallTime),
  to: z.optional(wallTime),
});
const onCallQuery = z.strictObject({ at: z.optional(instant) });
const listQuery = z.strictObject({ from: z.optional(instant), to: z.optional(instant) });

let deps:
  | (ScheduleDeps & { channelHealth: ChannelHealthStore; persons: NonNullable<Organisation['people']> })
  | undefined;
const stores = linkedTo('OnCall')(
  repositoriesPort({ overrides: OverridesRepository, channelHealth: ChannelHealthRepository }),
);
function dependencies() {
  if (deps) return deps;
  const org = organisation();
  deps = {
    overrides: stores().overrides,
    channelHealth: stores().channelHealth,
    persons: org.people ?? {},
    schedules: schedulesOf(org),
    people: org.people ?? {},
    now: () => new Date(),
  };
  return deps;
}

function pathId(event: HttpEvent, name: 'id' | 'overrideId', pattern: RegExp, what: string): string {
  const id = decodeURIComponent(event.pathParameters?.[name] ?? '');
  if (!pattern.test(id)) throw new ValidationError(`"${id.slice(0, 40)}" is not ${what}`);
  return id;
}
const scheduleIdOf = (event: HttpEvent) => pathId(event, 'id', /^[a-z][a-z0-9._-]{0,62}$/, 'a schedule id');

function parsed<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(`invalid ${what}: ${describeIssues(result.error)}`);
  return result.data;
}

/** Instants (`start`, `end`) or wall times in the schedule's zone (`from`, `to`): one pair, not a mix. */
function overrideRequestOf(body: z.output<typeof overrideBody>): OverrideRequest {
  const { id, personId, start, end, from, to } = body;
  const base = { personId, ...(id ? { id } : {}) };
  const instants = start !== undefined || end !== undefined;
  const walls = from !== undefined || to !== undefined;
  if (instants && walls)
    throw new ValidationError('invalid request: give start and end, or from and to, not both');
  if (start !== undefined && end !== undefined) return { ...base, start, end };
  if (from !== undefined && to !== undefined) return { ...base, from, to };
  const missing = instants
    ? start === undefined
      ? 'start'
      : 'end'
    : walls
      ? from
        ? 'to'
        : 'from'
      : 'start';
  throw new ValidationError(
    `invalid request: ${missing}: required (start and end as ISO instants, or from and to as {date, time} in the schedule's zone)`,
  );
}

async function route(event: JsonHttpEvent): Promise<HttpResult> {
  const d = dependencies();
  switch (event.routeKey) {
    case 'GET /schedules':
      parsed(z.strictObject({}), event.queryStringParameters ?? {}, 'query');
      return json(200, { schedules: listSchedules(d) });
    case 'GET /schedules/{id}/oncall': {
      const query = parsed(onCallQuery, event.queryStringParameters ?? {}, 'query');
      const answer = await onCall(d, scheduleIdOf(event), query.at ? new Date(query.at) : undefined);
      // The quiet channels of the people on call now and next, from the last hourly check (one read).
      return json(200, withQuietChannels(answer, await d.channelHealth.get(), d.persons));
    }
    case 'GET /schedules/{id}/overrides': {
      const query = parsed(listQuery, event.queryStringParameters ?? {}, 'query');
      const overrides = await listOverrides(d, scheduleIdOf(event), {
        ...(query.from ? { from: new Date(query.from) } : {}),
        ...(query.to ? { to: new Date(query.to) } : {}),
      });
      return json(200, { overrides });
    }
    case 'POST /schedules/{id}/overrides': {
      const scheduleId = scheduleIdOf(event);
      const by = actorOf(event);
      const request = overrideRequestOf(parsed(overrideBody, event.jsonBody, 'request'));
      const { created, override } = await addOverride(d, scheduleId, request, by);
      if (created)
        logger.info('override added', { scheduleId, overrideId: override.id, operator: operatorOf(event) });
      return json(created ? 201 : 200, { override, created });
    }
    case 'DELETE /schedules/{id}/overrides/{overrideId}': {
      const scheduleId = scheduleIdOf(event);
      const overrideId = pathId(event, 'overrideId', OVERRIDE_ID, 'an override id');
      const override = await removeOverride(d, scheduleId, overrideId, actorOf(event));
      logger.info('override removed', { scheduleId, overrideId, operator: operatorOf(event) });
      return json(200, { override });
    }
    default:
      throw new NotFoundError(`no route ${event.routeKey}`);
  }
}

export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpHeaderNormalizer())
  .use(httpErrors())
  .use(jsonBody({ maxBytes: 4 * 1024, optional: true }))
  .handler((event) => route(event as JsonHttpEvent));
