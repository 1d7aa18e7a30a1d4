import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { capAlert } from '../core/alert.ts';
import { ValidationError } from '../core/errors.ts';
import { recordFrom } from '../core/records.ts';
import { matchesAny } from '../core/secrets.ts';
import { describeIssues } from '../core/validation.ts';
import type { AlertSource, ParseResult, SourceContext, SourceRequest, Verification } from './source.ts';

/**
 * Datadog Webhooks integration. Datadog posts whatever JSON the webhook's Payload field says, with its `$VARIABLES`
 * substituted; Hotline reads the payload below. In the Webhooks integration tile:
 *
 * - URL: `https://<api>/alerts/datadog`
 * - Custom Headers: `{"X-Hotline-Token": "$HOTLINE_TOKEN"}`, where HOTLINE_TOKEN is a custom variable marked
 *   hidden (Variables section of the tile) holding the Hotline credential. Datadog cannot sign requests.
 * - Payload (leave "Encode as form" off):
 *
 * ```json
 * {
 *   "id": "$ID",
 *   "aggreg_key": "$AGGREG_KEY",
 *   "alert_cycle_key": "$ALERT_CYCLE_KEY",
 *   "alert_id": "$ALERT_ID",
 *   "alert_title": "$ALERT_TITLE",
 *   "alert_status": "$ALERT_STATUS",
 *   "alert_transition": "$ALERT_TRANSITION",
 *   "alert_type": "$ALERT_TYPE",
 *   "alert_priority": "$ALERT_PRIORITY",
 *   "alert_scope": "$ALERT_SCOPE",
 *   "alert_query": "$ALERT_QUERY",
 *   "alert_metric": "$ALERT_METRIC",
 *   "date": "$DATE",
 *   "last_updated": "$LAST_UPDATED",
 *   "event_title": "$EVENT_TITLE",
 *   "event_type": "$EVENT_TYPE",
 *   "event_msg": "$TEXT_ONLY_MSG",
 *   "hostname": "$HOSTNAME",
 *   "link": "$LINK",
 *   "priority": "$PRIORITY",
 *   "tags": "$TAGS",
 *   "org": { "id": "$ORG_ID", "name": "$ORG_NAME" }
 * }
 * ```
 *
 * Reading is lenient, because Datadog fills variables as text: numbers may arrive as strings or numbers, a
 * variable that does not apply arrives empty (or, in some products, unsubstituted as `$NAME`) and counts as
 * absent, `$DATE`/`$LAST_UPDATED` are epoch milliseconds (seconds and ISO times are accepted; an unreadable
 * time falls back to the receive time rather than losing the alert), `$TAGS`/`$ALERT_SCOPE` are comma-separated
 * `key:value` tags (an array of tags is accepted too). `event_msg` may also carry `$EVENT_MSG` (markdown).
 *
 * Mapping:
 * - `$ALERT_TRANSITION` Recovered (any "...Recovered") -> resolved; Triggered, Re-Triggered, Warn, Re-Warn,
 *   Renotify -> firing; No Data, Re-No Data -> firing too: Datadog only sends it when the monitor is set to
 *   notify on missing data, and a monitor that went blind is worth an incident (the transition is kept in
 *   the `datadog_transition` annotation so a reader can tell). Any other value (Null, empty) falls back to
 *   `$ALERT_TYPE`: success -> resolved, error/warning -> firing; otherwise the payload is refused.
 * - fingerprint: `$ALERT_ID` plus the normalised `$ALERT_SCOPE` (one alert per monitor group; hashed if long);
 *   groupKey: `$AGGREG_KEY`, else `$ALERT_ID`.
 * - labels: the `$TAGS` and `$ALERT_SCOPE` tags (so `service:checkout`, `severity:critical` route as usual),
 *   `priority` = `$ALERT_PRIORITY` lower-cased (p1, p2...: the organisation's severity mapping applies),
 *   `host`, `datadog_monitor_id`.
 */

export const TOKEN_HEADER = 'x-hotline-token';

const scalar = z.optional(z.nullable(z.union([z.string(), z.number(), z.boolean()])));
const tagList = z.optional(z.nullable(z.union([z.string(), z.array(z.string())])));

export const payloadSchema = z.object({
  id: scalar,
  aggreg_key: scalar,
  alert_cycle_key: scalar,
  alert_id: scalar,
  alert_title: scalar,
  alert_status: scalar,
  alert_transition: scalar,
  alert_type: scalar,
  alert_priority: scalar,
  alert_scope: tagList,
  alert_query: scalar,
  alert_metric: scalar,
  date: scalar,
  last_updated: scalar,
  event_title: scalar,
  event_type: scalar,
  event_msg: scalar,
  hostname: scalar,
  link: scalar,
  priority: scalar,
  tags: tagList,
  org: z.optional(z.nullable(z.object({ id: scalar, name: scalar }))),
});

export type DatadogPayload = z.infer<typeof payloadSchema>;

type Scalar = string | number | boolean | null | undefined;

/** A variable's value as text; empty, or a variable Datadog left unsubstituted (`$ALERT_ID`), is absent. */
function text(value: Scalar): string | undefined {
  if (value === null || value === undefined) return undefined;
  const s = String(value).trim();
  return s === '' || /^\$[A-Z_]+$/.test(s) ? undefined : s;
}

/** `a:b, c:d` or `['a:b']` -> the tags, trimmed, without empties or unsubstituted variables. */
function tagsOf(value: string | string[] | null | undefined): string[] {
  const list = Array.isArray(value) ? value : (text(value) ?? '').split(',');
  return list.map((t) => t.trim()).filter((t) => t !== '' && t !== '*' && !/^\$[A-Z_]+$/.test(t));
}

/** Tags as labels: `key:value` -> key=value (values of a repeated key joined), a bare tag -> tag="". */
function tagLabels(tags: readonly string[]): Record<string, string> {
  // A Map, not an object: a tag named `constructor` or `__proto__` must not read or hit the prototype.
  const labels = new Map<string, string>();
  for (const tag of tags) {
    const colon = tag.indexOf(':');
    const key = (colon < 0 ? tag : tag.slice(0, colon)).trim();
    const value = colon < 0 ? '' : tag.slice(colon + 1).trim();
    if (!key) continue;
    const previous = labels.get(key);
    labels.set(
      key,
      previous && value && previous !== value ? `${previous},${value}` : value || (previous ?? ''),
    );
  }
  return recordFrom(labels);
}

/** Epoch ms (Datadog's `$DATE`), epoch seconds, or an ISO time; undefined when unreadable. */
function timeOf(value: Scalar): string | undefined {
  const raw = text(value);
  if (raw === undefined) return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(raw)) {
    const n = Number(raw);
    ms = n < 1e11 ? n * 1000 : n;
  } else {
    ms = Date.parse(raw);
  }
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function statusOf(
  transition: string | undefined,
  alertType: string | undefined,
): 'firing' | 'resolved' | undefined {
  const t = transition?.toLowerCase().replace(/^re-/, '');
  if (t !== undefined) {
    if (t.includes('recovered')) return 'resolved';
    if (['triggered', 'warn', 'renotify', 'no data'].includes(t)) return 'firing';
  }
  switch (alertType?.toLowerCase()) {
    case 'success':
      return 'resolved';
    case 'error':
    case 'warning':
      return 'firing';
    default:
      return undefined;
  }
}

function hashed(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 32);
}

/** Only http(s) links reach mails and pages. */
function httpUrl(value: string | undefined): string | undefined {
  return value && /^https?:\/\//i.test(value) ? value : undefined;
}

export const datadog: AlertSource = {
  name: 'datadog',
  usesSecret: true,

  async verify(request: SourceRequest, context: SourceContext): Promise<Verification> {
    const presented = request.headers[TOKEN_HEADER];
    if (!presented) return { ok: false, reason: `no ${TOKEN_HEADER} header` };
    return matchesAny(presented, await context.secrets())
      ? { ok: true }
      : { ok: false, reason: `${TOKEN_HEADER} is not a live credential` };
  },

  parse(body: unknown, context: SourceContext): ParseResult {
    const result = payloadSchema.safeParse(body);
    if (!result.success)
      throw new ValidationError(`invalid Datadog webhook: ${describeIssues(result.error)}`);
    const p = result.data;

    const alertId = text(p.alert_id);
    const aggregKey = text(p.aggreg_key);
    if (alertId === undefined && aggregKey === undefined) {
      throw new ValidationError('invalid Datadog webhook: alert_id: required ($ALERT_ID, the monitor id)');
    }
    const transition = text(p.alert_transition);
    const alertType = text(p.alert_type);
    const status = statusOf(transition, alertType);
    if (!status) {
      throw new ValidationError(
        `invalid Datadog webhook: alert_transition: cannot tell firing from resolved (${JSON.stringify(
          (transition ?? '').slice(0, 40),
        )}, alert_type ${JSON.stringify((alertType ?? '').slice(0, 40))})`,
      );
    }

    const scope = tagsOf(p.alert_scope);
    const scopeKey = [...new Set(scope)].sort().join(',');
    const identity = alertId ?? aggregKey ?? '';
    const fingerprintText = scopeKey ? `${identity}:${scopeKey}` : identity;
    // Truncating (capAlert) could merge two long scopes: a long identity is hashed whole instead.
    const fingerprint =
      fingerprintText.length <= 128 ? fingerprintText : `${identity.slice(0, 60)}:${hashed(fingerprintText)}`;

    const at = timeOf(p.date) ?? timeOf(p.last_updated) ?? context.now.toISOString();
    const priority = text(p.alert_priority)?.toLowerCase();
    const hostname = text(p.hostname);
    const labels = recordFrom([
      ...Object.entries(tagLabels(tagsOf(p.tags))),
      ...Object.entries(tagLabels(scope)),
      ...(hostname ? [['host', hostname] as const] : []),
      ...(priority ? [['priority', priority] as const] : []),
      ...(alertId ? [['datadog_monitor_id', alertId] as const] : []),
    ]);

    const annotationValues: Record<string, string | undefined> = {
      datadog_transition: transition,
      datadog_alert_type: alertType,
      datadog_status: text(p.alert_status),
      datadog_query: text(p.alert_query),
      datadog_metric: text(p.alert_metric),
      datadog_scope: scope.join(', ') || undefined,
      datadog_event_id: text(p.id),
      datadog_event_type: text(p.event_type),
      datadog_event_priority: text(p.priority),
      datadog_alert_cycle_key: text(p.alert_cycle_key),
      datadog_org: text(p.org?.name) ?? text(p.org?.id),
    };
    const annotations = recordFrom(
      Object.entries(annotationValues).filter((e): e is [string, string] => e[1] !== undefined),
    );

    const description = text(p.event_msg) ?? text(p.alert_status);
    const url = httpUrl(text(p.link));
    const alert = capAlert({
      source: 'datadog',
      groupKey: aggregKey ?? identity,
      fingerprint,
      status,
      startsAt: at,
      ...(status === 'resolved' ? { endsAt: at } : {}),
      summary: text(p.alert_title) ?? text(p.event_title) ?? `Datadog monitor ${identity}`,
      ...(description ? { description } : {}),
      labels,
      annotations,
      ...(url ? { url } : {}),
    });
    return { alerts: [alert] };
  },
};
