import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { ulid } from 'ulid';
import * as z from 'zod/mini';
import { AlertGroupsRepository } from '../adapters/alert-groups-repository.ts';
import { organisation } from '../adapters/config.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { logger } from '../adapters/logger.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { workflowStarterPort } from '../adapters/workflow.ts';
import { ValidationError } from '../core/errors.ts';
import { wellFormedDeep } from '../core/text.ts';
import { isoTimeMs } from '../core/times.ts';
import { describeIssues, isoTimeString } from '../core/validation.ts';
import { declareIncident } from '../use-cases/declare-incident.ts';
import { linkedTo } from './capabilities.ts';
import {
  actorOf,
  type HttpEvent,
  type HttpResult,
  httpErrors,
  idempotencyKeyOf,
  type JsonHttpEvent,
  json,
  jsonBody,
} from './http.ts';

const text = (max: number) =>
  z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(max));

const declarationSchema = z.strictObject({
  summary: text(200),
  description: text(4000),
  severity: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  service: text(64),
  products: z.optional(z.array(text(100)).check(z.maxLength(20))),
  impactStartedAt: z.optional(
    z.pipe(
      isoTimeString('must be an ISO-8601 time').check(
        // A minute of leeway for the caller's clock; within it the impact starts when it is declared.
        z.refine((v) => !((isoTimeMs(v) ?? 0) > Date.now() + 60_000), 'is in the future'),
      ),
      z.transform((v: string) => new Date(v).toISOString()),
    ),
  ),
});

const use = linkedTo('DeclareIncident');
const stores = use(repositoriesPort({ incidents: IncidentsRepository, groups: AlertGroupsRepository }));
const workflow = use(workflowStarterPort);

async function declare(event: JsonHttpEvent): Promise<HttpResult> {
  const by = actorOf(event);
  // A lone surrogate in the text becomes U+FFFD before it reaches the incident, its answers and its mails.
  const result = declarationSchema.safeParse(wellFormedDeep(event.jsonBody));
  if (!result.success) throw new ValidationError(`invalid declaration: ${describeIssues(result.error)}`);

  const idempotencyKey = idempotencyKeyOf(event) ?? ulid();
  const org = organisation();
  const { incidents, groups } = stores();
  const touched = await declareIncident(
    {
      incidents,
      groups,
      workflow: workflow(),
      organisation: org,
      now: () => new Date(),
      newId: ulid,
    },
    result.data,
    by,
    idempotencyKey,
  );
  logger.info('incident declared', { key: touched.key, outcome: touched.outcome });
  return json(touched.outcome === 'opened' ? 201 : 200, {
    key: touched.key,
    outcome: touched.outcome === 'opened' ? 'declared' : 'existing',
  });
}

export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpHeaderNormalizer())
  .use(httpErrors())
  .use(jsonBody({ maxBytes: 64 * 1024 }))
  .handler((event) => declare(event as JsonHttpEvent));
