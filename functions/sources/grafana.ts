import { createHmac } from 'node:crypto';
import * as z from 'zod/mini';
import { capAlert } from '../core/alert.ts';
import { ValidationError } from '../core/errors.ts';
import { recordFrom } from '../core/records.ts';
import { matchesAny } from '../core/secrets.ts';
import { toIso } from '../core/timeline.ts';
import { describeIssues, recordOf } from '../core/validation.ts';
import { presentedCredential } from './alertmanager.ts';
import { alertFields, labelsSchema, ZERO_TIME } from './alertmanager-shape.ts';
import type { AlertSource, ParseResult, SourceContext, SourceRequest, Verification } from './source.ts';

/**
 * Grafana Alerting webhook contact point (payload `version: "1"`, the default JSON body; a custom payload
 * template is not supported). Two ways to authenticate, configured on the contact point:
 *
 * - HMAC signature (Optional settings -> HMAC Signature): Secret = the Hotline credential, Header left at its
 *   default `X-Grafana-Alerting-Signature`, Timestamp Header = `X-Grafana-Alerting-Signature-Timestamp`
 *   (Grafana has no default name for it; `X-Grafana-Alerting-Timestamp` is also read). Grafana sends the
 *   lower-case hex HMAC-SHA256 of `${timestamp}:${body}`, or of the body alone without a timestamp header.
 *   Set the timestamp header: it bounds a captured request to a 5-minute window, and the signature doubles as a
 *   delivery id so the handler refuses a replay within it. Without it a signed request can be replayed.
 * - Authorization header (Authentication Header Scheme `Bearer`, Credentials = the Hotline credential), or
 *   Basic Authentication with the credential as the password.
 *
 * When a signature header is present it alone decides: a wrong signature is refused even next to a valid
 * bearer, so a tampered body cannot ride on a header the sender also sends.
 */

export const SIGNATURE_HEADER = 'x-grafana-alerting-signature';
/** Grafana has no default timestamp header name: this one is what we document, the other is also common. */
export const TIMESTAMP_HEADERS = [
  'x-grafana-alerting-signature-timestamp',
  'x-grafana-alerting-timestamp',
] as const;
/** How far a signed timestamp may be from our clock, either way. */
export const TOLERANCE_SECONDS = 300;

const optionalText = z.optional(z.string());

const alertSchema = z.object({
  ...alertFields,
  silenceURL: optionalText,
  dashboardURL: optionalText,
  panelURL: optionalText,
  imageURL: optionalText,
  // Query results by ref id; Grafana writes null for a value it cannot encode (NaN).
  values: z.optional(z.nullable(recordOf(z.nullable(z.number())))),
  valueString: optionalText,
});

export const webhookSchema = z.object({
  version: z.literal('1', {
    error: 'only webhook payload version "1" is supported (no custom payload template)',
  }),
  receiver: z._default(z.string(), ''),
  status: z.enum(['firing', 'resolved']),
  orgId: z.optional(z.number()),
  groupKey: z.string().check(z.minLength(1)),
  truncatedAlerts: z._default(z.number().check(z.int(), z.nonnegative()), 0),
  groupLabels: z._default(labelsSchema, {}),
  commonLabels: z._default(labelsSchema, {}),
  commonAnnotations: z._default(labelsSchema, {}),
  externalURL: z._default(z.string(), ''),
  title: optionalText,
  state: optionalText,
  message: optionalText,
  alerts: z
    .array(alertSchema)
    .check(z.minLength(1, 'a notification carries at least one alert'), z.maxLength(1000)),
});

export type GrafanaWebhook = z.infer<typeof webhookSchema>;

/** The hex HMAC-SHA256 Grafana sends: over `${timestamp}:${body}`, or the body alone without a timestamp. */
export function grafanaSignature(secret: string, body: string, timestampValue?: string): string {
  const signed = timestampValue === undefined ? body : `${timestampValue}:${body}`;
  return createHmac('sha256', secret).update(signed, 'utf8').digest('hex');
}

function verifySignature(
  request: SourceRequest,
  signature: string,
  secrets: readonly string[],
  now: Date,
): Verification {
  const timestampHeader = TIMESTAMP_HEADERS.find((name) => request.headers[name] !== undefined);
  const timestampValue = timestampHeader === undefined ? undefined : request.headers[timestampHeader];
  if (timestampValue !== undefined) {
    if (!/^\d{1,12}$/.test(timestampValue)) return { ok: false, reason: 'malformed signature timestamp' };
    const skew = Math.abs(now.getTime() / 1000 - Number(timestampValue));
    if (skew > TOLERANCE_SECONDS)
      return { ok: false, reason: 'signature timestamp outside the 5-minute tolerance' };
  }
  if (!/^[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: 'malformed signature' };
  const expected = secrets
    .filter((s) => s.length > 0)
    .map((s) => grafanaSignature(s, request.rawBody, timestampValue));
  if (!matchesAny(signature, expected))
    return { ok: false, reason: 'signature does not match a live secret' };
  // A timestamped signature is unique to one delivery: the handler refuses it a second time (replay).
  return timestampValue === undefined
    ? { ok: true }
    : { ok: true, deliveryId: `${timestampValue}:${signature}` };
}

export const grafana: AlertSource = {
  name: 'grafana',
  usesSecret: true,

  async verify(request: SourceRequest, context: SourceContext): Promise<Verification> {
    const signature = request.headers[SIGNATURE_HEADER];
    if (signature !== undefined)
      return verifySignature(request, signature, await context.secrets(), context.now);
    const presented = presentedCredential(request.headers.authorization);
    if (presented === undefined) return { ok: false, reason: 'no signature, bearer or basic credential' };
    return matchesAny(presented, await context.secrets())
      ? { ok: true }
      : { ok: false, reason: 'credential is not a live one' };
  },

  parse(body: unknown, context: SourceContext): ParseResult {
    const result = webhookSchema.safeParse(body);
    if (!result.success)
      throw new ValidationError(`invalid Grafana webhook: ${describeIssues(result.error)}`);
    const webhook = result.data;
    const receivedAt = context.now.toISOString();
    const alerts = webhook.alerts.map((alert) => {
      const annotations = recordFrom([
        ...Object.entries(webhook.commonAnnotations),
        ...Object.entries(alert.annotations),
      ]);
      const links = { dashboard: alert.dashboardURL, panel: alert.panelURL, silence: alert.silenceURL };
      for (const [name, link] of Object.entries(links)) {
        const url = httpUrl(link);
        if (url) annotations[`grafana_${name}_url`] = url;
      }
      const values = formatValues(alert.values) ?? alert.valueString;
      if (values) annotations.grafana_values = values;
      const summary =
        annotations.summary ?? annotations.title ?? alert.labels.alertname ?? webhook.commonLabels.alertname;
      const endsAt = alert.endsAt && alert.endsAt !== ZERO_TIME ? toIso(alert.endsAt) : undefined;
      const url = httpUrl(alert.generatorURL) ?? httpUrl(alert.panelURL) ?? httpUrl(alert.dashboardURL);
      return capAlert({
        source: 'grafana',
        groupKey: webhook.groupKey,
        fingerprint: alert.fingerprint,
        status: alert.status,
        startsAt: alert.startsAt === ZERO_TIME ? receivedAt : toIso(alert.startsAt),
        ...(alert.status === 'resolved' && endsAt ? { endsAt } : {}),
        summary: summary ?? webhook.title ?? 'Grafana alert',
        ...(annotations.description ? { description: annotations.description } : {}),
        labels: alert.labels,
        annotations,
        ...(url ? { url } : {}),
      });
    });
    return { alerts };
  },
};

/** `B=44.24, C=1`: the query values that made the rule fire, for the reader of the alert. */
function formatValues(values: Record<string, number | null> | null | undefined): string | undefined {
  if (!values) return undefined;
  const parts = Object.entries(values).map(([ref, v]) => `${ref}=${v === null ? 'NaN' : String(v)}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** Only http(s) links reach mails and pages; an empty string or another scheme is dropped. */
function httpUrl(value: string | undefined): string | undefined {
  return value && /^https?:\/\//i.test(value) ? value : undefined;
}
