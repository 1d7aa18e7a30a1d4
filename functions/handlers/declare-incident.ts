import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { ulid } from 'ulid';
import * as z from 'zod/mini';
import { organisation } from '../adapters/config.ts';
import { documentClient, tableName } from '../adapters/dynamodb.ts';
import { logger } from '../adapters/logger.ts';
import { IncidentRepository } from '../adapters/repository.ts';
import { stepFunctionsStarter } from '../adapters/workflow.ts';
import { UnsupportedMediaTypeError, ValidationError } from '../core/errors.ts';
import { describeIssues } from '../core/validation.ts';
import { declareIncident } from '../use-cases/declare-incident.ts';
import { type HttpEvent, type HttpResult, httpErrors, json, operatorOf, rawBody } from './http.ts';

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
      z.string().check(z.refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 time')),
      z.transform((v: string) => new Date(v).toISOString()),
    ),
  ),
});

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,128}$/;

let repo: IncidentRepository | undefined;
const workflow = stepFunctionsStarter();

async function declare(event: HttpEvent): Promise<HttpResult> {
  const body = rawBody(event, 64 * 1024);
  const contentType = (event.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (contentType !== 'application/json')
    throw new UnsupportedMediaTypeError('send the declaration as application/json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new ValidationError(`the body is not valid JSON: ${(error as Error).message}`);
  }
  const result = declarationSchema.safeParse(parsed);
  if (!result.success) throw new ValidationError(`invalid declaration: ${describeIssues(result.error)}`);

  const idempotencyKey = event.headers['idempotency-key'] ?? ulid();
  if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ValidationError('Idempotency-Key must be 8-128 letters, digits or _ . : -');
  }
  const org = organisation();
  repo ??= new IncidentRepository(documentClient, tableName());
  const touched = await declareIncident(
    {
      repo,
      workflow,
      organisation: org,
      now: () => new Date(),
      newId: ulid,
    },
    result.data,
    operatorOf(event),
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
  .handler(declare);
