import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import * as z from 'zod/mini';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { logger } from '../adapters/logger.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { ValidationError } from '../core/errors.ts';
import { incidentStatuses } from '../core/incident.ts';
import { describeIssues, isoTimeString } from '../core/validation.ts';
import { incidentList } from '../use-cases/read-incidents.ts';
import { linkedTo } from './capabilities.ts';
import { type HttpEvent, type HttpResult, httpErrors, json } from './http.ts';
import { pageLimit, serviceFilter } from './list-query.ts';

const stores = linkedTo('ListIncidents')(repositoriesPort({ incidents: IncidentsRepository }));

const isoTime = z.pipe(
  isoTimeString('must be an ISO-8601 time'),
  z.transform((v: string) => new Date(v).toISOString()),
);

const cursor = z.pipe(
  z.string().check(z.maxLength(2048)),
  z.transform((value: string, ctx) => {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
      if (typeof parsed === 'object' && parsed !== null) return parsed as Record<string, unknown>;
    } catch {}
    ctx.issues.push({ code: 'custom', message: 'is not a cursor returned by this API', input: value });
    return z.NEVER;
  }),
);

const querySchema = z.strictObject({
  status: z.optional(
    z.enum([...incidentStatuses, 'open'], {
      error: `status must be one of ${[...incidentStatuses, 'open'].join(', ')}`,
    }),
  ),
  severity: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(3))),
  service: serviceFilter,
  from: z.optional(isoTime),
  to: z.optional(isoTime),
  limit: pageLimit(100, 25),
  cursor: z.optional(cursor),
});

export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpErrors())
  .handler(async (event) => {
    const parsed = querySchema.safeParse(event.queryStringParameters ?? {});
    if (!parsed.success) throw new ValidationError(`invalid query: ${describeIssues(parsed.error)}`);
    return json(200, await incidentList(stores(), parsed.data));
  });
