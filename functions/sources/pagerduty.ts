import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { capAlert, type NormalisedAlert } from '../core/alert.ts';
import { ValidationError } from '../core/errors.ts';
import { recordFrom } from '../core/records.ts';
import { matchesAny } from '../core/secrets.ts';
import { toIso } from '../core/timeline.ts';
import { describeIssues, isoTimeString } from '../core/validation.ts';
import type { AlertSource, ParseResult, SourceContext, SourceRequest, Verification } from './source.ts';

/**
 * The PagerDuty Events API v2 shape (`POST /v2/enqueue`), so any tool that can send to PagerDuty can send to
 * Hotline: point it at `https://<api>/alerts/pagerduty` and give it the Hotline credential as the routing
 * (integration) key. The `routing_key` in the body is the credential; there is no header to configure.
 * PagerDuty's keys are 32 characters: a sender that checks that length needs a 32-character credential.
 *
 * - `trigger` -> a firing alert; `resolve` -> a resolved alert (dedup_key required, payload optional).
 * - `acknowledge` -> accepted and answered like PagerDuty, but no alert: in Hotline the paged incident manager
 *   acknowledges (that is what stops the escalation), and another tool's acknowledgement must neither stand in
 *   for that nor, for a key we never saw, open an incident.
 * - groupKey and fingerprint: `dedup_key`. A trigger without one gets a key derived from its content (not
 *   random as in PagerDuty), so a sender's retry of the same event lands on the same incident; it is returned
 *   in the reply, where PagerDuty returns it, for the sender's later resolve.
 * - labels: `severity` (critical, error, warning, info: the organisation's severity mapping applies), `source`,
 *   `component`, `group`, `class`, and the scalar values of `custom_details` (so a `service` detail routes).
 * - The reply carries PagerDuty's `{ status: "success", message: "Event processed", dedup_key }`.
 */

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));
const isoTime = isoTimeString('must be an ISO 8601 time');

const payloadSchema = z.object({
  summary: text(1024),
  source: text(1024),
  severity: z.enum(['critical', 'error', 'warning', 'info']),
  timestamp: z.optional(isoTime),
  component: z.optional(z.string()),
  group: z.optional(z.string()),
  class: z.optional(z.string()),
  custom_details: z.optional(z.unknown()),
});

export const eventSchema = z.object({
  routing_key: text(255),
  event_action: z.enum(['trigger', 'acknowledge', 'resolve']),
  dedup_key: z.optional(z.string().check(z.maxLength(255))),
  payload: z.optional(payloadSchema),
  images: z.optional(
    z.array(z.object({ src: z.string(), href: z.optional(z.string()), alt: z.optional(z.string()) })),
  ),
  links: z.optional(z.array(z.object({ href: z.string(), text: z.optional(z.string()) }))),
  client: z.optional(z.string()),
  client_url: z.optional(z.string()),
});

export type PagerDutyEvent = z.infer<typeof eventSchema>;

/** The routing key of a raw body, without throwing on anything. */
function routingKeyOf(rawBody: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(rawBody);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const key = (parsed as Record<string, unknown>).routing_key;
    return typeof key === 'string' && key.length > 0 ? key : undefined;
  } catch {
    return undefined;
  }
}

/** JSON with sorted keys, so the same content always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A dedup_key for a trigger that has none: stable for the same content (never the routing key). */
export function derivedDedupKey(event: PagerDutyEvent): string {
  const { payload, images, links, client, client_url } = event;
  return sha256Hex(canonical({ payload, images, links, client, client_url })).slice(0, 32);
}

/** Only http(s) links reach mails and pages. */
function httpUrl(value: string | undefined): string | undefined {
  return value && /^https?:\/\//i.test(value) ? value : undefined;
}

/** custom_details as readable lines (`key: value`), and its scalar entries as labels. */
function details(custom: unknown): { description?: string; labels: Record<string, string> } {
  if (custom === undefined || custom === null) return { labels: {} };
  if (typeof custom !== 'object') return { description: String(custom), labels: {} };
  if (Array.isArray(custom)) return { description: JSON.stringify(custom), labels: {} };
  const labels: [string, string][] = [];
  const lines: string[] = [];
  for (const [key, value] of Object.entries(custom)) {
    const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
    if (scalar) labels.push([key, String(value)]);
    lines.push(`${key}: ${scalar ? String(value) : JSON.stringify(value)}`);
  }
  return {
    ...(lines.length > 0 ? { description: lines.join('\n') } : {}),
    labels: recordFrom(labels),
  };
}

export const pagerduty: AlertSource = {
  name: 'pagerduty',
  usesSecret: true,

  async verify(request: SourceRequest, context: SourceContext): Promise<Verification> {
    const presented = routingKeyOf(request.rawBody);
    if (presented === undefined) return { ok: false, reason: 'no routing_key in the body' };
    return matchesAny(presented, await context.secrets())
      ? { ok: true }
      : { ok: false, reason: 'routing_key is not a live credential' };
  },

  parse(body: unknown, context: SourceContext): ParseResult {
    const result = eventSchema.safeParse(body);
    if (!result.success)
      throw new ValidationError(`invalid PagerDuty event: ${describeIssues(result.error)}`);
    const event = result.data;
    const given = event.dedup_key === '' ? undefined : event.dedup_key;
    if (event.event_action !== 'trigger' && given === undefined) {
      throw new ValidationError(`invalid PagerDuty event: dedup_key: required for ${event.event_action}`);
    }
    if (event.event_action === 'trigger' && !event.payload) {
      throw new ValidationError('invalid PagerDuty event: payload: required for trigger');
    }
    const dedupKey = given ?? derivedDedupKey(event);
    const reply = { status: 'success', message: 'Event processed', dedup_key: dedupKey };
    if (event.event_action === 'acknowledge') return { alerts: [], reply };

    const payload = event.payload;
    const at = payload?.timestamp ? toIso(payload.timestamp) : context.now.toISOString();
    const { description, labels: detailLabels } = details(payload?.custom_details);
    const fields: Record<string, string | undefined> = {
      severity: payload?.severity,
      source: payload?.source,
      component: payload?.component,
      group: payload?.group,
      class: payload?.class,
    };
    const labels = recordFrom([
      ...Object.entries(detailLabels),
      ...Object.entries(fields).filter((e): e is [string, string] => Boolean(e[1])),
    ]);
    const annotations = recordFrom<string>([]);
    if (event.client) annotations.pagerduty_client = event.client;
    const clientUrl = httpUrl(event.client_url);
    if (clientUrl) annotations.pagerduty_client_url = clientUrl;
    const links = (event.links ?? []).filter((l) => httpUrl(l.href));
    if (links.length > 0)
      annotations.links = links.map((l) => (l.text ? `${l.text} <${l.href}>` : l.href)).join('\n');
    const images = (event.images ?? []).filter((i) => httpUrl(i.src));
    if (images.length > 0) annotations.images = images.map((i) => i.src).join('\n');

    const resolved = event.event_action === 'resolve';
    const url = httpUrl(links[0]?.href) ?? clientUrl;
    const alert: NormalisedAlert = capAlert({
      source: 'pagerduty',
      groupKey: dedupKey,
      // Truncating a long key (capAlert) could merge two alerts: a long one is hashed instead.
      fingerprint: dedupKey.length <= 128 ? dedupKey : `sha256:${sha256Hex(dedupKey)}`,
      status: resolved ? 'resolved' : 'firing',
      startsAt: at,
      ...(resolved ? { endsAt: at } : {}),
      summary: payload?.summary ?? `Resolved by PagerDuty event (dedup_key ${dedupKey})`,
      ...(description ? { description } : {}),
      labels,
      annotations,
      ...(url ? { url } : {}),
    });
    return { alerts: [alert], reply };
  },
};
