import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { ulid } from 'ulid';
import { organisation } from '../adapters/config.ts';
import { documentClient, tableName } from '../adapters/dynamodb.ts';
import { logger } from '../adapters/logger.ts';
import { IncidentRepository } from '../adapters/repository.ts';
import { liveSecrets } from '../adapters/secrets.ts';
import { stepFunctionsCallback, stepFunctionsStarter } from '../adapters/workflow.ts';
import {
  ConflictError,
  NotFoundError,
  RetryableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../core/errors.ts';
import { sourceNamed } from '../sources/index.ts';
import type { SourceContext } from '../sources/source.ts';
import { ingestAlerts } from '../use-cases/ingest-alerts.ts';
import { type HttpEvent, type HttpResult, httpErrors, json, rawBody } from './http.ts';

/** Alert payloads are small; anything bigger is refused before signature or parsing work. */
export const MAX_ALERT_BODY_BYTES = 1_048_576;

let repo: IncidentRepository | undefined;
const workflow = stepFunctionsStarter();
const callback = stepFunctionsCallback();

async function ingest(event: HttpEvent): Promise<HttpResult> {
  const body = rawBody(event, MAX_ALERT_BODY_BYTES);
  const name = event.pathParameters?.source ?? '';
  const source = await sourceNamed(name);
  if (!source) throw new NotFoundError(`unknown alert source "${name.slice(0, 40)}"`);

  const now = new Date();
  const context: SourceContext = {
    now,
    organisation: organisation(),
    secrets: () => liveSecrets(`${name.toUpperCase()}_SECRET_ARN`),
    fetch: boundedFetch,
  };
  const verification = await source.verify({ headers: event.headers, rawBody: body }, context);
  if (!verification.ok) {
    logger.warn('alert rejected: not authenticated', {
      source: name,
      reason: verification.reason,
      sourceIp: event.requestContext.http.sourceIp,
    });
    throw new UnauthorizedError();
  }

  const contentType = (event.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (contentType !== 'application/json' && !(source.acceptsTextPlain && contentType === 'text/plain')) {
    throw new UnsupportedMediaTypeError('send the alert as application/json');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new ValidationError(`the body is not valid JSON: ${(error as Error).message}`);
  }
  const result = source.parse(parsed, context);

  repo ??= new IncidentRepository(documentClient, tableName());
  if (verification.deliveryId && (await repo.deliveryProcessed(name, verification.deliveryId, now))) {
    throw new ConflictError(
      `delivery ${verification.deliveryId.slice(0, 64)} was already processed (replay)`,
    );
  }
  if (result.confirmSubscription) {
    await confirmSubscription(result.confirmSubscription);
  }
  const incidents = await ingestAlerts(
    {
      repo,
      workflow,
      callback,
      organisation: context.organisation,
      now: () => new Date(),
      newId: ulid,
    },
    result.alerts,
  );
  if (verification.deliveryId) await repo.recordDelivery(name, verification.deliveryId, now);
  logger.info('alerts ingested', { source: name, alerts: result.alerts.length, incidents });
  return json(202, {
    ...result.reply,
    incidents: incidents.map(({ key, outcome }) => ({ key, outcome })),
  });
}

/** SNS confirms a subscription when its SubscribeURL is fetched; a failure is transient for the sender. */
async function confirmSubscription({ url, topicArn }: { url: string; topicArn: string }): Promise<void> {
  const response = await boundedFetch(url);
  if (response.status !== 200)
    throw new RetryableError(`SNS subscription confirmation answered ${response.status}`);
  logger.info('SNS subscription confirmed', { topicArn });
}

/** Outbound calls from the request path are few (SNS certificates) and must not hang a Lambda. */
const boundedFetch: SourceContext['fetch'] = async (url) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000), redirect: 'error' });
  return { status: response.status, text: () => response.text() };
};

export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpHeaderNormalizer())
  .use(httpErrors())
  .handler(ingest);
