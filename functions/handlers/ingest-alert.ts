import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { ulid } from 'ulid';
import { organisation } from '../adapters/config.ts';
import { documentClient, tableName } from '../adapters/dynamodb.ts';
import { logger } from '../adapters/logger.ts';
import { IncidentRepository } from '../adapters/repository.ts';
import { liveSecrets } from '../adapters/secrets.ts';
import { stepFunctionsStarter } from '../adapters/workflow.ts';
import {
  NotFoundError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../core/errors.ts';
import { sourceNamed } from '../sources/index.ts';
import { ingestAlerts } from '../use-cases/ingest-alerts.ts';
import { type HttpEvent, type HttpResult, httpErrors, json, rawBody } from './http.ts';

/** Alert payloads are small; anything bigger is refused before signature or parsing work. */
export const MAX_ALERT_BODY_BYTES = 1_048_576;

let repo: IncidentRepository | undefined;
const workflow = stepFunctionsStarter();

async function ingest(event: HttpEvent): Promise<HttpResult> {
  const body = rawBody(event, MAX_ALERT_BODY_BYTES);
  const name = event.pathParameters?.source ?? '';
  const source = sourceNamed(name);
  if (!source) throw new NotFoundError(`unknown alert source "${name.slice(0, 40)}"`);

  const secrets = await liveSecrets(`${name.toUpperCase()}_SECRET_ARN`);
  if (!source.verify({ headers: event.headers, rawBody: body }, secrets)) {
    logger.warn('alert rejected: credentials missing or not live', {
      source: name,
      sourceIp: event.requestContext.http.sourceIp,
      authorizationScheme: event.headers.authorization?.split(' ', 1)[0] ?? 'none',
    });
    throw new UnauthorizedError();
  }

  const contentType = (event.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    throw new UnsupportedMediaTypeError('send the alert as application/json');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new ValidationError(`the body is not valid JSON: ${(error as Error).message}`);
  }
  const receivedAt = new Date().toISOString();
  const alerts = source.parse(parsed, receivedAt);

  repo ??= new IncidentRepository(documentClient, tableName());
  const incidents = await ingestAlerts(
    { repo, workflow, organisation: organisation(), now: () => new Date(), newId: ulid },
    alerts,
  );
  logger.info('alerts ingested', { source: name, alerts: alerts.length, incidents });
  return json(202, { incidents: incidents.map(({ key, outcome }) => ({ key, outcome })) });
}

export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpHeaderNormalizer())
  .use(httpErrors())
  .handler(ingest);
