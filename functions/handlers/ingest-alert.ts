import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { ulid } from 'ulid';
import { AlertGroupsRepository, DeliveriesRepository } from '../adapters/alert-groups-repository.ts';
import { CommsRepository } from '../adapters/comms-repository.ts';
import { organisation } from '../adapters/config.ts';
import { HeartbeatsRepository } from '../adapters/heartbeats-repository.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { logger } from '../adapters/logger.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { alertSourceSecretsPort } from '../adapters/secrets.ts';
import { StatusPageRepository } from '../adapters/status-page-repository.ts';
import { workflowCallbackPort, workflowStarterPort } from '../adapters/workflow.ts';
import { NotFoundError, RetryableError, UnauthorizedError } from '../core/errors.ts';
import { parseDelivery, sourceNamed } from '../sources/index.ts';
import type { AlertSource, SourceContext, Verification } from '../sources/source.ts';
import { ingestDelivery, RecentGroups } from '../use-cases/ingest-alerts.ts';
import { linkedTo } from './capabilities.ts';
import {
  type HttpEvent,
  type HttpResult,
  httpErrors,
  type JsonHttpEvent,
  json,
  jsonBody,
  rawBody,
} from './http.ts';

/** Alert payloads are small; anything bigger is refused before signature or parsing work. */
export const MAX_ALERT_BODY_BYTES = 1_048_576;

const use = linkedTo('IngestAlert');
const stores = use(
  repositoriesPort({
    incidents: IncidentsRepository,
    groups: AlertGroupsRepository,
    deliveries: DeliveriesRepository,
    comms: CommsRepository,
    statusPage: StatusPageRepository,
    heartbeats: HeartbeatsRepository,
  }),
);
const workflow = use(workflowStarterPort);
const callback = use(workflowCallbackPort);
const sourceSecrets = use(alertSourceSecretsPort);
/** Kept for the life of the execution environment: repeats of a group read in the last 2 s cost no read. */
const recentGroups = new RecentGroups();

/** What authentication learnt about a request, for the handler. */
type AuthenticatedEvent = JsonHttpEvent & {
  alertSource: AlertSource;
  sourceContext: SourceContext;
  verification: Extract<Verification, { ok: true }>;
};

/**
 * Who is sending comes first: an unknown source is a 404 and an unauthenticated request a 401, before the body
 * is parsed (signatures cover its raw bytes). The body's size was checked before any of this.
 */
function authenticateSource(): middy.MiddlewareObj<HttpEvent, HttpResult> {
  return {
    before: async (request) => {
      const event = request.event as AuthenticatedEvent;
      const body = rawBody(event, MAX_ALERT_BODY_BYTES);
      const name = event.pathParameters?.source ?? '';
      const source = await sourceNamed(name);
      if (!source) throw new NotFoundError(`unknown alert source "${name.slice(0, 40)}"`);
      const context: SourceContext = {
        now: new Date(),
        organisation: organisation(),
        secrets: () => sourceSecrets()(name),
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
      Object.assign(event, { alertSource: source, sourceContext: context, verification });
    },
  };
}

async function ingest(event: AuthenticatedEvent): Promise<HttpResult> {
  const { alertSource: source, sourceContext: context, verification } = event;
  const result = parseDelivery(source, event.jsonBody, context);
  const subscription = result.confirmSubscription;
  const { incidents, heartbeats } = await ingestDelivery(
    {
      ...stores(),
      workflow: workflow(),
      callback: callback(),
      recentGroups,
      organisation: context.organisation,
      now: () => new Date(),
      newId: ulid,
    },
    {
      source: source.name,
      alerts: result.alerts,
      ...(verification.deliveryId ? { deliveryId: verification.deliveryId } : {}),
      ...(subscription ? { confirm: () => confirmSubscription(subscription) } : {}),
    },
  );
  logger.info('alerts ingested', {
    source: source.name,
    alerts: result.alerts.length,
    incidents,
    ...(heartbeats.length > 0 ? { heartbeats } : {}),
  });
  return json(202, {
    ...result.reply,
    incidents: incidents.map(({ key, outcome }) => ({ key, outcome })),
    ...(heartbeats.length > 0 ? { heartbeats } : {}),
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
  .use(authenticateSource())
  .use(
    jsonBody({
      maxBytes: MAX_ALERT_BODY_BYTES,
      alsoAccepts: (mediaType, event) =>
        mediaType === 'text/plain' && (event as AuthenticatedEvent).alertSource.acceptsTextPlain === true,
    }),
  )
  .handler((event) => ingest(event as AuthenticatedEvent));
