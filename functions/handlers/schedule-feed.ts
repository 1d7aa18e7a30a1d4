import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { ulid } from 'ulid';
import * as z from 'zod/mini';
import { organisation } from '../adapters/config.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { OverridesRepository } from '../adapters/overrides-repository.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { linkKeyId } from '../core/links.ts';
import { schedulesOf } from '../core/oncall.ts';
import { describeIssues } from '../core/validation.ts';
import { FEED_LINK_DAYS, issueFeedLink, scheduleFeed } from '../use-cases/schedule-feed.ts';
import { linkedTo } from './capabilities.ts';
import {
  errorBody,
  type HttpEvent,
  type HttpResult,
  httpErrors,
  type JsonHttpEvent,
  json,
  jsonBody,
  operatorOf,
} from './http.ts';

/**
 * A schedule's calendar feed: `POST /schedules/{id}/feed` (operators) signs a feed link for N days;
 * `GET` and `HEAD /links/{token}/calendar.ics` (the token is the credential) answer the iCalendar. A function
 * of its own: the link pages' function carries no iCalendar code, and this one can read overrides and the link
 * keys, nothing else. The token is never logged.
 */

const use = linkedTo('ScheduleFeed');
const stores = use(repositoriesPort({ overrides: OverridesRepository }));
const links = use(linksPort);

const feedRequest = z.strictObject({
  days: z.optional(
    z
      .number({ error: `must be a whole number of days from 1 to ${FEED_LINK_DAYS.max}` })
      .check(z.int(), z.minimum(1), z.maximum(FEED_LINK_DAYS.max)),
  ),
});

function base() {
  const org = organisation();
  return { schedules: schedulesOf(org), people: org.people ?? {}, now: () => new Date() };
}

async function issue(event: JsonHttpEvent): Promise<HttpResult> {
  const scheduleId = decodeURIComponent(event.pathParameters?.id ?? '');
  if (!/^[a-z][a-z0-9._-]{0,62}$/.test(scheduleId))
    throw new ValidationError(`"${scheduleId.slice(0, 40)}" is not a schedule id`);
  const parsed = feedRequest.safeParse(event.jsonBody ?? {});
  if (!parsed.success) throw new ValidationError(`invalid request: ${describeIssues(parsed.error)}`);
  const { baseUrl, signingKeys } = links();
  const feed = issueFeedLink(
    { ...base(), keys: await signingKeys(), baseUrl, newId: ulid },
    scheduleId,
    parsed.data.days ?? FEED_LINK_DAYS.default,
    `schedule:${scheduleId}`,
  );
  logger.info('calendar feed link issued', {
    scheduleId,
    expiresAt: feed.expiresAt,
    operator: operatorOf(event),
  });
  return json(201, { feed });
}

async function calendar(event: HttpEvent): Promise<HttpResult> {
  const token = event.pathParameters?.token ?? '';
  const { baseUrl, signingKeys } = links();
  const answer = await scheduleFeed(
    {
      ...base(),
      overrides: stores().overrides,
      // A link signed with a key rotated in since the keys were cached reads them again.
      keys: await signingKeys({ keyId: linkKeyId(token) }),
      baseUrl,
      newId: ulid,
    },
    token,
  );
  if (!answer.ok) return json(answer.status, errorBody(answer.code, answer.message));
  const head = event.requestContext.http.method.toUpperCase() === 'HEAD';
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/calendar; charset=utf-8',
      'content-disposition': `inline; filename="oncall-${answer.scheduleId}.ics"`,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    },
    body: head ? '' : answer.calendar,
  };
}

export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpHeaderNormalizer())
  .use(httpErrors())
  .use(jsonBody({ maxBytes: 1024, optional: true }))
  .handler((event) => {
    switch (event.routeKey) {
      case 'POST /schedules/{id}/feed':
        return issue(event as JsonHttpEvent);
      case 'GET /links/{token}/calendar.ics':
      case 'HEAD /links/{token}/calendar.ics':
        return calendar(event);
      default:
        throw new NotFoundError(`no route ${event.routeKey}`);
    }
  });
