import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import * as z from 'zod/mini';
import { attachmentMailerPort } from '../adapters/attachment-mailer.ts';
import { organisation } from '../adapters/config.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { storesPort } from '../adapters/stores.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { describeIssues } from '../core/validation.ts';
import { buildSloReport, mailSloReport, type SendReportsDeps } from '../use-cases/reports.ts';
import { linkedTo } from './capabilities.ts';
import { type HttpEvent, type HttpResult, httpErrors, type JsonHttpEvent, json, jsonBody } from './http.ts';

const use = linkedTo('Reports');
const stores = use(storesPort);
const mailer = use(attachmentMailerPort);
const links = use(linksPort);

/** The operators' on-demand SLO report: POST /reports/slo answers the report, and mails it when asked. */

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
  if (event.routeKey !== 'POST /reports/slo') throw new NotFoundError(`no route ${event.routeKey}`);
  const parsed = requestBody.safeParse(event.jsonBody ?? {});
  if (!parsed.success) throw new ValidationError(`invalid request: ${describeIssues(parsed.error)}`);
  const { mail, ...request } = parsed.data;
  const d = dependencies();
  const report = await buildSloReport(d, request);
  const mailing = mail === true ? await mailSloReport(d, request, report) : undefined;
  if (mailing) logger.info('SLO report mailed', { ...mailing });
  return json(200, { report, ...(mailing ? { mail: mailing } : {}) });
}

export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpHeaderNormalizer())
  .use(httpErrors())
  .use(jsonBody({ maxBytes: 4 * 1024 }))
  .handler((event) => route(event as JsonHttpEvent));
