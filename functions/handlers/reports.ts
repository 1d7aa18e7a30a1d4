import { randomBytes } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import * as z from 'zod/mini';
import { attachmentMailerPort } from '../adapters/attachment-mailer.ts';
import { organisation } from '../adapters/config.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { ReportsRepository } from '../adapters/reports-repository.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { DomainError, NotFoundError, ValidationError } from '../core/errors.ts';
import { describeIssues } from '../core/validation.ts';
import {
  answeredNow,
  buildSloReport,
  mailSloReport,
  reportJobStatus,
  type SendReportsDeps,
  startReportJob,
} from '../use-cases/reports.ts';
import { linkedTo } from './capabilities.ts';
import {
  type HttpEvent,
  type HttpResult,
  httpErrors,
  idempotencyKeyOf,
  type JsonHttpEvent,
  json,
  jsonBody,
} from './http.ts';

const use = linkedTo('Reports');
const stores = use(repositoriesPort({ reports: ReportsRepository, incidents: IncidentsRepository }));
const mailer = use(attachmentMailerPort);
const links = use(linksPort);

/**
 * The operators' on-demand SLO report: POST /reports/slo answers the report of up to 31 days, and mails it when
 * asked; a longer period answers 202 with the Location of its run, GET /reports/slo/{runId}, which answers 202
 * while the report runs and 200 with it when done.
 */

const requestBody = z.strictObject({
  from: z.string(),
  to: z.string(),
  service: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  department: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  mail: z.optional(z.boolean()),
});

let deps: SendReportsDeps | undefined;
function dependencies(): SendReportsDeps {
  if (!deps) {
    const org = organisation();
    const { reports, incidents } = stores();
    deps = {
      reports,
      incidents,
      organisation: org,
      mailer: mailer(),
      ...links(),
      now: () => new Date(),
    };
  }
  return deps;
}

async function route(event: JsonHttpEvent): Promise<HttpResult> {
  if (event.routeKey === 'GET /reports/slo/{runId}') return runStatus(event.pathParameters?.runId);
  if (event.routeKey !== 'POST /reports/slo') throw new NotFoundError(`no route ${event.routeKey}`);
  const parsed = requestBody.safeParse(event.jsonBody ?? {});
  if (!parsed.success) throw new ValidationError(`invalid request: ${describeIssues(parsed.error)}`);
  const { mail, ...request } = parsed.data;
  const d = dependencies();
  if (!answeredNow(request)) {
    // A long period: recorded as a run, which the table's stream hands to RunSloReport; the operator polls its
    // Location.
    const { runId, started } = await startReportJob(
      { ...d, newRunId: () => randomBytes(18).toString('base64url') },
      request,
      mail === true,
      idempotencyKeyOf(event),
    );
    logger.info(started ? 'SLO report run started' : 'SLO report run already started', {
      runId,
      from: request.from,
      to: request.to,
    });
    const location = `/reports/slo/${runId}`;
    return withLocation(json(202, { runId, status: 'running', location }), location);
  }
  const report = await buildSloReport(d, request);
  const mailing = mail === true ? await mailSloReport(d, request, report) : undefined;
  if (mailing) logger.info('SLO report mailed', { ...mailing });
  return json(200, { report, ...(mailing ? { mail: mailing } : {}) });
}

/** GET /reports/slo/{runId}: reads the run and changes nothing. */
async function runStatus(runId: string | undefined): Promise<HttpResult> {
  if (!runId || !RUN_ID.test(runId)) throw new NotFoundError('no such report run');
  const view = await reportJobStatus(dependencies(), runId);
  const location = `/reports/slo/${runId}`;
  if (view.state === 'running') {
    return withLocation(
      json(202, { runId, status: 'running', requestedAt: view.requestedAt, location }),
      location,
    );
  }
  if (view.state === 'failed') throw new ReportRunFailedError(view.message);
  return json(200, {
    runId,
    status: 'done',
    report: view.report,
    ...(view.mailing ? { mail: view.mailing } : {}),
  });
}

/** Run ids are 24 base64url characters (144 random bits). */
const RUN_ID = /^[A-Za-z0-9_-]{24}$/;

function withLocation(result: HttpResult, location: string): HttpResult {
  return { ...result, headers: { ...result.headers, location, 'retry-after': '5' } };
}

/** The run ended without a report: it failed, or stopped (timeout, out of memory). Asking again starts a new one. */
class ReportRunFailedError extends DomainError {
  override name = 'ReportRunFailedError';
  readonly status = 500;
  readonly code = 'ReportRunFailed';
}

/** The POST's JSON body; the GET has none. */
const jsonPost = jsonBody({ maxBytes: 4 * 1024 });
const postBody: middy.MiddlewareObj<HttpEvent, HttpResult> = {
  before: async (request) => {
    if (request.event.requestContext.http.method !== 'GET') await jsonPost.before?.(request);
  },
};

export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpHeaderNormalizer())
  .use(httpErrors())
  .use(postBody)
  .handler((event) => route(event as JsonHttpEvent));
