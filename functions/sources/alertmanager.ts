import * as z from 'zod/mini';
import { capAlert } from '../core/alert.ts';
import { ValidationError } from '../core/errors.ts';
import { recordFrom } from '../core/records.ts';
import { matchesAny } from '../core/secrets.ts';
import { toIso } from '../core/timeline.ts';
import { describeIssues } from '../core/validation.ts';
import { alertFields, labelsSchema, ZERO_TIME } from './alertmanager-shape.ts';
import type { AlertSource, SourceContext, SourceRequest, Verification } from './source.ts';

/**
 * Prometheus Alertmanager webhook (`webhook_config`, payload version 4). Alertmanager cannot sign requests, so
 * it authenticates with `http_config.authorization` (Bearer) or `http_config.basic_auth` (the password is the
 * credential; the user name is ignored). Credentials never go in the URL.
 */

const alertSchema = z.object(alertFields);

export const webhookSchema = z.object({
  version: z.literal('4', { error: 'only webhook payload version "4" is supported' }),
  groupKey: z.string().check(z.minLength(1)),
  truncatedAlerts: z._default(z.number().check(z.int(), z.nonnegative()), 0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: z._default(labelsSchema, {}),
  commonLabels: z._default(labelsSchema, {}),
  commonAnnotations: z._default(labelsSchema, {}),
  externalURL: z._default(z.string(), ''),
  alerts: z
    .array(alertSchema)
    .check(z.minLength(1, 'a notification carries at least one alert'), z.maxLength(1000)),
});

export type AlertmanagerWebhook = z.infer<typeof webhookSchema>;

/** The credential presented: `Bearer <t>` or the password of `Basic base64(user:password)`. */
export function presentedCredential(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const [scheme, value] = authorization.trim().split(/\s+/, 2);
  if (!scheme || !value) return undefined;
  switch (scheme.toLowerCase()) {
    case 'bearer':
      return value;
    case 'basic': {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon < 0 ? undefined : decoded.slice(colon + 1);
    }
    default:
      return undefined;
  }
}

export const alertmanager: AlertSource = {
  name: 'alertmanager',
  usesSecret: true,

  async verify(request: SourceRequest, context: SourceContext): Promise<Verification> {
    const presented = presentedCredential(request.headers.authorization);
    if (presented === undefined) return { ok: false, reason: 'no bearer or basic credential' };
    return matchesAny(presented, await context.secrets())
      ? { ok: true }
      : { ok: false, reason: 'credential is not a live one' };
  },

  parse(body: unknown, context: SourceContext) {
    const result = webhookSchema.safeParse(body);
    if (!result.success)
      throw new ValidationError(`invalid Alertmanager webhook: ${describeIssues(result.error)}`);
    const webhook = result.data;
    const receivedAt = context.now.toISOString();
    const alerts = webhook.alerts.map((alert) => {
      const annotations = recordFrom([
        ...Object.entries(webhook.commonAnnotations),
        ...Object.entries(alert.annotations),
      ]);
      const summary =
        annotations.summary ?? annotations.title ?? alert.labels.alertname ?? webhook.commonLabels.alertname;
      const endsAt = alert.endsAt && alert.endsAt !== ZERO_TIME ? toIso(alert.endsAt) : undefined;
      const startsAt = alert.startsAt === ZERO_TIME ? receivedAt : toIso(alert.startsAt);
      return capAlert({
        source: 'alertmanager',
        groupKey: webhook.groupKey,
        fingerprint: alert.fingerprint,
        status: alert.status,
        startsAt,
        ...(alert.status === 'resolved' && endsAt ? { endsAt } : {}),
        summary: summary ?? 'Alertmanager alert',
        ...(annotations.description ? { description: annotations.description } : {}),
        labels: alert.labels,
        annotations,
        ...(alert.generatorURL ? { url: alert.generatorURL } : {}),
      });
    });
    return { alerts };
  },
};
