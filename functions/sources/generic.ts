import { createHmac } from 'node:crypto';
import * as z from 'zod/mini';
import { capAlert, type NormalisedAlert } from '../core/alert.ts';
import { ValidationError } from '../core/errors.ts';
import { recordFrom } from '../core/records.ts';
import { constantTimeEquals } from '../core/secrets.ts';
import { toIso } from '../core/timeline.ts';
import { describeIssues, isoTimeString, stringRecord } from '../core/validation.ts';
import type { AlertSource, ParseResult, SourceContext, SourceRequest, Verification } from './source.ts';

/**
 * Hotline's own alert format, for scripts and tools without a built-in source, signed per the Standard Webhooks
 * specification (https://www.standardwebhooks.com):
 *
 * - `webhook-id`: a unique id per message (a retry keeps it); Hotline refuses an id it already processed.
 * - `webhook-timestamp`: Unix seconds; refused when more than 5 minutes from Hotline's clock either way.
 * - `webhook-signature`: space-separated `v1,<base64 HMAC-SHA256>` entries over `${id}.${timestamp}.${body}`.
 *   Any valid entry passes (so a sender can sign with old and new keys during a rotation); entries of other
 *   versions (`v1a`...) are ignored.
 * - The key is the base64 decoding of the secret after its `whsec_` prefix. Configure the sender with
 *   `whsec_<the Hotline credential>`: the 48 alphanumeric characters are the base64 key material.
 *
 * Body: one alert, or `{ "alerts": [ ... ] }` (1 to 1000):
 *
 * ```json
 * {
 *   "id": "db-1/disk-full",                 // required (or "fingerprint"): this alert across deliveries, <= 128
 *   "group": "db-1",                        // alerts of one group share an incident; default: the id, <= 512
 *   "status": "firing",                     // or "resolved"; default firing
 *   "summary": "Disk 95% full on db-1",     // required
 *   "description": "…",                     // optional
 *   "severity": "critical",                 // optional: read through the organisation's severity mapping
 *   "service": "checkout",                  // optional: a service id or alias
 *   "labels": { "team": "payments" },       // optional, string values
 *   "annotations": { "runbook": "…" },      // optional, string values
 *   "startsAt": "2026-11-20T09:41:00Z",     // optional ISO 8601; default: receive time
 *   "endsAt": "2026-11-20T10:02:00Z",       // optional, for resolved alerts
 *   "url": "https://…"                      // optional, http(s) only
 * }
 * ```
 *
 * `severity` and `service` become the labels of those names (they win over the same keys in `labels`).
 */

export const TOLERANCE_SECONDS = 300;
/** A sender signs with at most a few keys at once; more entries are not checked (bounded work per request). */
const MAX_SIGNATURES = 8;
const SECRET_PREFIX = 'whsec_';

const record = stringRecord();
const isoTime = isoTimeString('must be an ISO 8601 time');

const alertSchema = z
  .object({
    id: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
    fingerprint: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
    group: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
    status: z._default(z.enum(['firing', 'resolved']), 'firing'),
    summary: z.string().check(z.minLength(1)),
    description: z.optional(z.string()),
    severity: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
    service: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
    labels: z._default(record, {}),
    annotations: z._default(record, {}),
    startsAt: z.optional(isoTime),
    endsAt: z.optional(isoTime),
    url: z.optional(z.string().check(z.regex(/^https?:\/\//i, 'must be an http(s) URL'))),
  })
  .check(
    z.refine((a) => a.id !== undefined || a.fingerprint !== undefined, {
      message: 'an alert needs an "id" (or "fingerprint")',
      path: ['id'],
    }),
  );

export const batchSchema = z.object({
  alerts: z.array(alertSchema).check(z.minLength(1, 'a batch carries at least one alert'), z.maxLength(1000)),
});

export type GenericAlert = z.infer<typeof alertSchema>;

/** The HMAC key: the base64 decoding of the secret without its `whsec_` prefix, as the spec says. */
function keyOf(secret: string): Buffer {
  return Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
}

/** The `v1,<base64>` signature entry a sender puts in `webhook-signature` (exported for tests and senders). */
export function standardSignature(secret: string, id: string, timestamp: string, body: string): string {
  const mac = createHmac('sha256', keyOf(secret))
    .update(`${id}.${timestamp}.${body}`, 'utf8')
    .digest('base64');
  return `v1,${mac}`;
}

export const generic: AlertSource = {
  name: 'generic',
  usesSecret: true,

  async verify(request: SourceRequest, context: SourceContext): Promise<Verification> {
    const id = request.headers['webhook-id'];
    const timestamp = request.headers['webhook-timestamp'];
    const header = request.headers['webhook-signature'];
    if (!id || !timestamp || !header)
      return { ok: false, reason: 'missing webhook-id, -timestamp or -signature' };
    // Printable ASCII without spaces: the id goes into the signed content and the replay store.
    if (!/^[\x21-\x7e]{1,256}$/.test(id)) return { ok: false, reason: 'malformed webhook-id' };
    if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed webhook-timestamp' };
    if (Math.abs(context.now.getTime() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) {
      return { ok: false, reason: 'webhook-timestamp outside the 5-minute tolerance' };
    }
    const presented = header
      .split(' ')
      .filter((entry) => entry.startsWith('v1,'))
      .slice(0, MAX_SIGNATURES);
    if (presented.length === 0) return { ok: false, reason: 'no v1 signature' };

    const secrets = (await context.secrets()).filter((s) => keyOf(s).length > 0);
    const expected = secrets.map((s) => standardSignature(s, id, timestamp, request.rawBody));
    // Every pair is compared (no early exit), in constant time per pair.
    let matched = false;
    for (const signature of presented) {
      for (const candidate of expected) if (constantTimeEquals(signature, candidate)) matched = true;
    }
    return matched
      ? { ok: true, deliveryId: id }
      : { ok: false, reason: 'no signature matches a live secret' };
  },

  parse(body: unknown, context: SourceContext): ParseResult {
    // A union would report "invalid input" for both shapes: the `alerts` key decides which one is meant.
    const batch = typeof body === 'object' && body !== null && Object.hasOwn(body, 'alerts');
    const result = batch ? batchSchema.safeParse(body) : alertSchema.safeParse(body);
    if (!result.success) throw new ValidationError(`invalid generic alert: ${describeIssues(result.error)}`);
    const list = 'alerts' in result.data ? result.data.alerts : [result.data];
    const receivedAt = context.now.toISOString();
    const alerts = list.map((alert): NormalisedAlert => {
      const fingerprint = alert.fingerprint ?? alert.id ?? '';
      const labels = recordFrom([
        ...Object.entries(alert.labels),
        ...(alert.severity ? [['severity', alert.severity] as const] : []),
        ...(alert.service ? [['service', alert.service] as const] : []),
      ]);
      const endsAt =
        alert.status === 'resolved' ? (alert.endsAt ? toIso(alert.endsAt) : receivedAt) : undefined;
      return capAlert({
        source: 'generic',
        groupKey: alert.group ?? fingerprint,
        fingerprint,
        status: alert.status,
        startsAt: alert.startsAt ? toIso(alert.startsAt) : (endsAt ?? receivedAt),
        ...(endsAt ? { endsAt } : {}),
        summary: alert.summary,
        ...(alert.description ? { description: alert.description } : {}),
        labels,
        annotations: alert.annotations,
        ...(alert.url ? { url: alert.url } : {}),
      });
    });
    return { alerts };
  },
};
