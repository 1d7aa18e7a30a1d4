import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { capAlert, type NormalisedAlert } from '../core/alert.ts';
import { ValidationError } from '../core/errors.ts';
import { recordFrom } from '../core/records.ts';
import { wellFormedDeep } from '../core/text.ts';
import { isoTimeMs } from '../core/times.ts';
import { describeIssues } from '../core/validation.ts';
import { readSnsMessage, type SnsMessage, subscribeUrlProblem, verifySnsMessage } from './sns-signature.ts';
import type { AlertSource, ParseResult, SourceContext, SourceRequest, Verification } from './source.ts';

/**
 * Amazon CloudWatch alarms, delivered by an SNS topic to an HTTPS subscription (raw message delivery off).
 * SNS authenticates by signing each message (see sns-signature.ts); only topics listed in
 * `alertSources.cloudwatch.allowedTopicArns` are accepted, and only their subscriptions are confirmed.
 *
 * One alarm is one alert group: its ARN is the group key, so an alarm opens one incident while that is open.
 * - ALARM is firing from StateChangeTime; OK is resolved at StateChangeTime (an OK notification does not say
 *   when the alarm went into ALARM, so it also serves as startsAt there).
 * - INSUFFICIENT_DATA gives no alert and is not an error: it says the alarm cannot evaluate (a new alarm,
 *   a metric that stopped), which is neither impact nor recovery. Resolving on it would close alerts exactly
 *   when a dead service stops emitting metrics. To page on missing data, set the alarm's TreatMissingData to
 *   `breaching` so it goes to ALARM.
 *
 * Severity and service conventions (CloudWatch notifications carry no alarm tags):
 * - `severity=<value>` in the alarm description, else in the alarm name, else a `[P<n>]` or `[SEV<n>]` tag in
 *   the description or name, becomes the `severity` label (lower-cased: `[P1]` -> `p1`); the organisation's
 *   `alertRouting.severityValues` maps it (p1-p3, critical, high, warning... by default).
 * - `service=<id>` in the description, else a metric dimension named `Service` or `ServiceName` (ECS), becomes
 *   the `service` label, matched against service ids and aliases.
 */

const TIME_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;
const ALARM_ARN = /^arn:(aws[a-z-]*):cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$/s;

/** CloudWatch writes `2026-11-20T09:41:12.345+0000` (an offset without its colon, which ISO-8601 allows). */
export function alarmTime(value: string): string | undefined {
  if (!TIME_WITH_OFFSET.test(value)) return undefined;
  const ms = isoTimeMs(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

// Details that help a reader but must never cost an alarm its page: a malformed one is dropped, not fatal.
const lenient = <T extends z.ZodMiniType>(schema: T) => z.catch(z.optional(z.nullable(schema)), undefined);
const text = lenient(z.string());
const count = lenient(z.number());
const dimensions = lenient(
  z.array(
    z.object({
      name: z.optional(z.string()),
      value: z.optional(z.string()),
      Name: z.optional(z.string()),
      Value: z.optional(z.string()),
    }),
  ),
);

const triggerSchema = z.object({
  MetricName: text,
  Namespace: text,
  Statistic: text,
  ExtendedStatistic: text,
  Unit: text,
  Dimensions: dimensions,
  Period: count,
  EvaluationPeriods: count,
  DatapointsToAlarm: count,
  ComparisonOperator: text,
  Threshold: count,
  TreatMissingData: text,
  // Metric math alarms name their inputs here instead of MetricName/Namespace/Dimensions.
  Metrics: lenient(
    z.array(
      z.object({
        Id: text,
        Expression: text,
        Label: text,
        ReturnData: lenient(z.boolean()),
        MetricStat: lenient(
          z.object({
            Metric: z.object({ MetricName: text, Namespace: text, Dimensions: dimensions }),
            Stat: text,
          }),
        ),
      }),
    ),
  ),
});

export const alarmSchema = z.object({
  AlarmName: z.string().check(z.minLength(1), z.maxLength(1024)),
  AlarmDescription: text,
  AWSAccountId: text,
  NewStateValue: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
  NewStateReason: text,
  StateChangeTime: z
    .string()
    .check(
      z.refine((v: string) => alarmTime(v) !== undefined, 'must be a time like 2026-11-20T09:41:12.345+0000'),
    ),
  Region: text,
  AlarmArn: z.string().check(z.maxLength(2048), z.regex(ALARM_ARN, 'must be a CloudWatch alarm ARN')),
  OldStateValue: text,
  Trigger: z.catch(z.optional(z.nullable(triggerSchema)), undefined),
  // Composite alarms: the rule and the children whose change triggered this one.
  AlarmRule: text,
  TriggeringChildren: lenient(
    z.array(z.object({ Arn: z.string(), State: lenient(z.object({ Value: text, Timestamp: text })) })),
  ),
});

export type CloudWatchAlarm = z.infer<typeof alarmSchema>;

const SEVERITY_TAG = /(?:^|[^A-Za-z0-9_])severity\s*=\s*["']?([A-Za-z0-9_.-]{1,32})/i;
const PRIORITY_TAG = /\[\s*(P\d|SEV-?\d)\s*\]/i;
const SERVICE_TAG = /(?:^|[^A-Za-z0-9_])service\s*=\s*["']?([A-Za-z0-9_.-]{1,64})/i;
const SERVICE_DIMENSIONS = new Set(['service', 'servicename']);

/** A tag's value without the sentence punctuation that may follow it (`service=checkout.`). */
function tagValue(value: string): string {
  return value.replace(/[.-]+$/, '');
}

/** The severity an alarm declares for itself (see the conventions above), lower-cased. */
export function declaredSeverity(description: string | undefined, name: string): string | undefined {
  const texts = [description ?? '', name];
  for (const value of texts) {
    const tagged = tagValue(SEVERITY_TAG.exec(value)?.[1] ?? '');
    if (tagged) return tagged.toLowerCase();
  }
  for (const value of texts) {
    const bracketed = PRIORITY_TAG.exec(value)?.[1];
    if (bracketed) return bracketed.toLowerCase().replace('-', '');
  }
  return undefined;
}

interface MetricFacts {
  namespace?: string;
  metric?: string;
  dimensions: [string, string][];
  expression?: string;
}

function metricFacts(alarm: CloudWatchAlarm): MetricFacts {
  const trigger = alarm.Trigger;
  const facts: MetricFacts = { dimensions: [] };
  if (!trigger) return facts;
  const addDimensions = (list: typeof trigger.Dimensions) => {
    for (const d of list ?? []) {
      const name = d.name ?? d.Name;
      const value = d.value ?? d.Value;
      if (name && value !== undefined && !facts.dimensions.some(([n]) => n === name))
        facts.dimensions.push([name, value]);
    }
  };
  if (trigger.MetricName) facts.metric = trigger.MetricName;
  if (trigger.Namespace) facts.namespace = trigger.Namespace;
  addDimensions(trigger.Dimensions);
  for (const input of trigger.Metrics ?? []) {
    const metric = input.MetricStat?.Metric;
    if (metric) {
      // The first metric of a metric math alarm stands for it in labels; every input adds its dimensions.
      facts.metric ??= metric.MetricName ?? undefined;
      facts.namespace ??= metric.Namespace ?? undefined;
      addDimensions(metric.Dimensions);
    }
    if (input.ReturnData && input.Expression) facts.expression ??= input.Expression;
  }
  return facts;
}

function consoleUrl(partition: string, region: string, alarmName: string): string | undefined {
  const path = `cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`;
  switch (partition) {
    case 'aws':
      return `https://${region}.console.aws.amazon.com/${path}`;
    case 'aws-cn':
      return `https://console.amazonaws.cn/${path}`;
    case 'aws-us-gov':
      return `https://console.amazonaws-us-gov.com/${path}`;
    default:
      return undefined;
  }
}

function defined(record: Record<string, string | number | null | undefined>): Record<string, string> {
  return recordFrom(
    Object.entries(record)
      .filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== null && e[1] !== '')
      .map(([key, value]) => [key, String(value)] as const),
  );
}

/** The alert a CloudWatch alarm state change stands for; undefined for INSUFFICIENT_DATA (see above). */
export function alarmAlert(alarm: CloudWatchAlarm, envelope?: SnsMessage): NormalisedAlert | undefined {
  if (alarm.NewStateValue === 'INSUFFICIENT_DATA') return undefined;
  const [, partition = '', region = '', account = ''] = ALARM_ARN.exec(alarm.AlarmArn) ?? [];
  const changedAt = alarmTime(alarm.StateChangeTime);
  if (!changedAt) throw new ValidationError('invalid CloudWatch alarm: StateChangeTime is not a time');
  const facts = metricFacts(alarm);
  const description = alarm.AlarmDescription ?? undefined;
  const composite = Boolean(alarm.AlarmRule) || (alarm.TriggeringChildren ?? undefined) !== undefined;

  const labels: Record<string, string> = defined({
    alarm_name: alarm.AlarmName,
    alarm_type: composite ? 'composite' : 'metric',
    namespace: facts.namespace,
    metric: facts.metric,
    region,
    account: alarm.AWSAccountId ?? account,
  });
  for (const [name, value] of facts.dimensions) labels[`dimension_${name}`] = value;
  const severity = declaredSeverity(description, alarm.AlarmName);
  if (severity) labels.severity = severity;
  const service =
    tagValue((description ? SERVICE_TAG.exec(description)?.[1] : undefined) ?? '') ||
    facts.dimensions.find(([name]) => SERVICE_DIMENSIONS.has(name.toLowerCase()))?.[1];
  if (service) labels.service = service;

  const trigger = alarm.Trigger;
  const annotations = defined({
    alarm_arn: alarm.AlarmArn,
    reason: alarm.NewStateReason,
    state_change: `${alarm.OldStateValue ?? '?'} -> ${alarm.NewStateValue}`,
    region_name: alarm.Region,
    statistic: trigger?.Statistic ?? trigger?.ExtendedStatistic,
    threshold:
      trigger?.ComparisonOperator && trigger.Threshold !== undefined && trigger.Threshold !== null
        ? `${trigger.ComparisonOperator} ${trigger.Threshold}`
        : undefined,
    period_seconds: trigger?.Period,
    evaluation_periods: trigger?.EvaluationPeriods,
    treat_missing_data: trigger?.TreatMissingData,
    expression: facts.expression,
    alarm_rule: alarm.AlarmRule,
    triggering_children: alarm.TriggeringChildren?.map((child) => child.Arn).join(', '),
    sns_topic_arn: envelope?.TopicArn,
    sns_message_id: envelope?.MessageId,
  });

  const reason = alarm.NewStateReason?.trim();
  const url = consoleUrl(partition, region, alarm.AlarmName);
  return capAlert({
    source: 'cloudwatch',
    groupKey: alarm.AlarmArn,
    // Alarm ARNs can outgrow the fingerprint limit; a digest keeps long ones distinct.
    fingerprint: createHash('sha256').update(alarm.AlarmArn).digest('hex').slice(0, 32),
    status: alarm.NewStateValue === 'ALARM' ? 'firing' : 'resolved',
    startsAt: changedAt,
    ...(alarm.NewStateValue === 'OK' ? { endsAt: changedAt } : {}),
    summary: reason ? `${alarm.AlarmName}: ${reason}` : alarm.AlarmName,
    ...(description ? { description } : {}),
    labels,
    annotations,
    ...(url ? { url } : {}),
  });
}

function allowedTopics(context: SourceContext): readonly string[] {
  return context.organisation.alertSources?.cloudwatch?.allowedTopicArns ?? [];
}

function parseEnvelope(body: unknown): SnsMessage {
  const read = readSnsMessage(body);
  if ('problem' in read) throw new ValidationError(`invalid SNS message: ${read.problem}`);
  return read.message;
}

export const cloudwatch: AlertSource = {
  name: 'cloudwatch',
  usesSecret: false,
  acceptsTextPlain: true,

  async verify(request: SourceRequest, context: SourceContext): Promise<Verification> {
    try {
      let body: unknown;
      try {
        body = JSON.parse(request.rawBody);
      } catch {
        return { ok: false, reason: 'body is not JSON' };
      }
      const read = readSnsMessage(body);
      if ('problem' in read)
        return { ok: false, reason: `not an SNS message: ${read.problem}`.slice(0, 300) };
      const message = read.message;
      // SNS sends these headers too; when present they must agree with the signed body.
      const type = request.headers['x-amz-sns-message-type'];
      if (type !== undefined && type !== message.Type)
        return { ok: false, reason: 'x-amz-sns-message-type disagrees with Type' };
      const topic = request.headers['x-amz-sns-topic-arn'];
      if (topic !== undefined && topic !== message.TopicArn) {
        return { ok: false, reason: 'x-amz-sns-topic-arn disagrees with TopicArn' };
      }
      return await verifySnsMessage(message, {
        fetch: context.fetch,
        now: context.now,
        allowedTopicArns: allowedTopics(context),
      });
    } catch (error) {
      return { ok: false, reason: `verification failed: ${error instanceof Error ? error.name : 'error'}` };
    }
  },

  parse(body: unknown, context: SourceContext): ParseResult {
    const message = parseEnvelope(body);
    switch (message.Type) {
      case 'SubscriptionConfirmation': {
        // verify() refused other topics already; confirming is a side effect, so the rule is kept here too.
        if (!allowedTopics(context).includes(message.TopicArn)) {
          throw new ValidationError('SNS topic is not in alertSources.cloudwatch.allowedTopicArns');
        }
        const problem = subscribeUrlProblem(message.SubscribeURL, message.TopicArn);
        if (problem) throw new ValidationError(`invalid SNS subscription confirmation: ${problem}`);
        return { alerts: [], confirmSubscription: { url: message.SubscribeURL, topicArn: message.TopicArn } };
      }
      case 'UnsubscribeConfirmation':
        return { alerts: [] };
      case 'Notification': {
        let content: unknown;
        try {
          // The alarm is JSON inside the SNS message: its text is made well formed like the envelope's.
          content = wellFormedDeep(JSON.parse(message.Message));
        } catch {
          throw new ValidationError('the SNS Message is not JSON: expected a CloudWatch alarm state change');
        }
        const result = alarmSchema.safeParse(content);
        if (!result.success) {
          throw new ValidationError(`invalid CloudWatch alarm notification: ${describeIssues(result.error)}`);
        }
        const alert = alarmAlert(result.data, message);
        return { alerts: alert ? [alert] : [] };
      }
    }
  },
};
