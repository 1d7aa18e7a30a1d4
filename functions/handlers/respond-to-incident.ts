import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import * as z from 'zod/mini';
import { AlertGroupsRepository } from '../adapters/alert-groups-repository.ts';
import { CommsRepository } from '../adapters/comms-repository.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { mailerPort } from '../adapters/mailer.ts';
import { PostmortemsRepository } from '../adapters/postmortems-repository.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { StatusPageRepository } from '../adapters/status-page-repository.ts';
import { workflowCallbackPort } from '../adapters/workflow.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { CHOSEN_RESOLUTION_KINDS, isIncidentKey } from '../core/incident.ts';
import { isWebLink, wellFormedDeep } from '../core/text.ts';
import { parseUpdate } from '../core/updates.ts';
import { describeIssues } from '../core/validation.ts';
import {
  acknowledge,
  changeSeverity,
  correctMeasures,
  postUpdate,
  resolveIncident,
  setRoles,
} from '../use-cases/respond.ts';
import { linkedTo } from './capabilities.ts';
import {
  actorOf,
  type HttpEvent,
  type HttpResult,
  httpErrors,
  type JsonHttpEvent,
  json,
  jsonBody,
} from './http.ts';
import { responseDeps } from './response-deps.ts';

const use = linkedTo('RespondToIncident');
const shared = responseDeps({
  stores: use(
    repositoriesPort({
      incidents: IncidentsRepository,
      groups: AlertGroupsRepository,
      comms: CommsRepository,
      statusPage: StatusPageRepository,
      postmortems: PostmortemsRepository,
    }),
  ),
  mailer: use(mailerPort),
  workflow: use(workflowCallbackPort),
  links: use(linksPort),
});

/** The operators' response actions: POST /incidents/{key}/{acknowledge,updates,severity,roles,resolve,measures}. */

/** A meeting place: an http(s) link, or null to clear it. */
const place = (name: string) =>
  z.nullable(
    z.string().check(
      z.maxLength(500, `${name} is longer than 500 characters`),
      z.refine((v) => isWebLink(v) && URL.canParse(v), `${name} must be an http(s) link`),
    ),
  );

const person = () => z.string().check(z.trim(), z.minLength(1), z.maxLength(200));

/** The bodies' schemas: built on the first request, not when the module loads (a cold start builds none). */
const bodySchemas = () => ({
  acknowledge: z.strictObject({ incidentManager: z.optional(person()) }),
  severity: z.strictObject({
    severity: z.union([z.literal(1), z.literal(2), z.literal(3)], { error: 'severity must be 1, 2 or 3' }),
    reason: z
      .string({ error: 'reason is missing' })
      .check(z.trim(), z.minLength(1, 'reason is missing'), z.maxLength(500)),
  }),
  roles: z
    .strictObject({
      incidentManager: z.optional(person()),
      techLeads: z.optional(z.array(person()).check(z.minLength(1), z.maxLength(10))),
      commsManager: z.optional(person()),
      chatRoomUrl: z.optional(place('chatRoomUrl')),
      videoUrl: z.optional(place('videoUrl')),
      stateDocumentUrl: z.optional(place('stateDocumentUrl')),
    })
    .check(
      z.refine(
        (r) => Object.keys(r).length > 0,
        'name at least one of incidentManager, techLeads, commsManager, chatRoomUrl, videoUrl, stateDocumentUrl',
      ),
    ),
  resolve: z.strictObject({
    kind: z.optional(
      z.enum(CHOSEN_RESOLUTION_KINDS, { error: `kind must be one of ${CHOSEN_RESOLUTION_KINDS.join(', ')}` }),
    ),
    duplicateOf: z.optional(
      z
        .string()
        .check(
          z.refine(
            (v) => isIncidentKey(v.trim().toUpperCase()),
            'duplicateOf must be an incident key (like HOT-42)',
          ),
        ),
    ),
    impactStartedAt: z.optional(
      z.iso.datetime({ offset: true, error: 'impactStartedAt must be an ISO-8601 time' }),
    ),
    impactEndedAt: z.optional(
      z.iso.datetime({ offset: true, error: 'impactEndedAt must be an ISO-8601 time' }),
    ),
    supportCases: z
      .number({ error: 'supportCases is missing (the number of support cases raised, 0 if none)' })
      .check(z.int(), z.nonnegative()),
    postmortem: z.optional(z.boolean()),
    summary: z.optional(z.string().check(z.maxLength(1000))),
  }),
  measures: measuresSchema(),
});
let schemas: ReturnType<typeof bodySchemas> | undefined;
const bodies = () => {
  schemas ??= bodySchemas();
  return schemas;
};

const time = (name: string) =>
  z.optional(z.iso.datetime({ offset: true, error: `${name} must be an ISO-8601 time` }));
const measuresSchema = () =>
  z
    .strictObject({
      impactStartedAt: time('impactStartedAt'),
      detectedAt: time('detectedAt'),
      impactEndedAt: time('impactEndedAt'),
      reason: z
        .string({ error: 'reason is missing (why the measures are corrected)' })
        .check(
          z.trim(),
          z.minLength(1, 'reason is missing (why the measures are corrected)'),
          z.maxLength(500),
        ),
    })
    .check(
      z.refine(
        (m) => m.impactStartedAt !== undefined || m.detectedAt !== undefined || m.impactEndedAt !== undefined,
        'name at least one of impactStartedAt, detectedAt, impactEndedAt',
      ),
    );

function parse<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(`invalid ${what}: ${describeIssues(result.error)}`);
  return result.data;
}

async function respond(event: JsonHttpEvent): Promise<HttpResult> {
  const key = decodeURIComponent(event.pathParameters?.key ?? '').toUpperCase();
  if (!isIncidentKey(key))
    throw new ValidationError(`"${key.slice(0, 40)}" is not an incident key (like HOT-42)`);
  const action = event.routeKey.split('/').at(-1);
  const by = actorOf(event);
  const d = shared();
  // Free text from outside: a lone surrogate becomes U+FFFD before it reaches a record, an answer or a mail.
  const input = wellFormedDeep(event.jsonBody);
  switch (action) {
    case 'acknowledge': {
      const { incidentManager } = parse(bodies().acknowledge, input, 'acknowledgement');
      return json(200, await acknowledge(d, { key, by: incidentManager ?? by, via: 'api' }));
    }
    case 'updates':
      return json(201, await postUpdate(d, { key, by, update: parseUpdate(input) }));
    case 'severity': {
      const { severity, reason } = parse(bodies().severity, input, 'severity change');
      return json(200, await changeSeverity(d, { key, by, severity, reason }));
    }
    case 'roles': {
      const { chatRoomUrl, videoUrl, stateDocumentUrl, ...roles } = parse(bodies().roles, input, 'roles');
      const meeting = Object.fromEntries(
        Object.entries({ chatRoomUrl, videoUrl, stateDocumentUrl }).filter(([, v]) => v !== undefined),
      );
      return json(
        200,
        await setRoles(d, {
          key,
          by,
          ...(Object.keys(roles).length ? { roles } : {}),
          ...(Object.keys(meeting).length ? { meeting } : {}),
        }),
      );
    }
    case 'resolve': {
      const r = parse(bodies().resolve, input, 'resolution');
      return json(
        200,
        await resolveIncident(d, {
          key,
          by,
          resolution: {
            ...(r.kind ? { kind: r.kind } : {}),
            ...(r.duplicateOf ? { duplicateOf: r.duplicateOf } : {}),
            supportCases: r.supportCases,
            ...(r.impactStartedAt ? { impactStartedAt: new Date(r.impactStartedAt).toISOString() } : {}),
            ...(r.impactEndedAt ? { impactEndedAt: new Date(r.impactEndedAt).toISOString() } : {}),
            ...(r.postmortem !== undefined ? { postmortemRequested: r.postmortem } : {}),
            ...(r.summary ? { summary: r.summary } : {}),
          },
        }),
      );
    }
    case 'measures': {
      const m = parse(bodies().measures, input, 'correction');
      const correction = {
        reason: m.reason,
        ...(m.impactStartedAt ? { impactStartedAt: new Date(m.impactStartedAt).toISOString() } : {}),
        ...(m.detectedAt ? { detectedAt: new Date(m.detectedAt).toISOString() } : {}),
        ...(m.impactEndedAt ? { impactEndedAt: new Date(m.impactEndedAt).toISOString() } : {}),
      };
      return json(200, await correctMeasures(d, { key, by, correction }));
    }
    default:
      throw new NotFoundError(`unknown action ${action}`);
  }
}

export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpHeaderNormalizer())
  .use(httpErrors())
  .use(jsonBody({ maxBytes: 64 * 1024, optional: true }))
  .handler((event) => respond(event as JsonHttpEvent));
