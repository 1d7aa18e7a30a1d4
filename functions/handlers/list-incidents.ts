import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { documentClient, tableName } from '../adapters/dynamodb.ts';
import { logger } from '../adapters/logger.ts';
import { IncidentRepository } from '../adapters/repository.ts';
import { ValidationError } from '../core/errors.ts';
import { describeIssues } from '../sources/alertmanager.ts';
import { incidentList } from '../use-cases/read-incidents.ts';
import { type HttpEvent, type HttpResult, httpErrors, json } from './http.ts';

const isoTime = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 time')
  .transform((v) => new Date(v).toISOString());

const querySchema = z
  .object({
    status: z.enum(['new', 'paged']).optional(),
    severity: z.coerce.number().int().min(1).max(3).optional(),
    service: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be a service id')
      .optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z
      .string()
      .max(2048)
      .transform((value, ctx) => {
        try {
          const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
          if (typeof parsed === 'object' && parsed !== null) return parsed as Record<string, unknown>;
        } catch {}
        ctx.addIssue({ code: 'custom', message: 'is not a cursor returned by this API' });
        return z.NEVER;
      })
      .optional(),
  })
  .strict();

let repo: IncidentRepository | undefined;

export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpErrors())
  .handler(async (event) => {
    const parsed = querySchema.safeParse(event.queryStringParameters ?? {});
    if (!parsed.success) throw new ValidationError(`invalid query: ${describeIssues(parsed.error)}`);
    repo ??= new IncidentRepository(documentClient, tableName());
    return json(200, await incidentList(repo, parsed.data));
  });
