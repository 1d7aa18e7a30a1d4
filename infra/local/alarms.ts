import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { StackModel } from './template.ts';

/**
 * The stack's CloudWatch alarms, locally: the metrics the alarms watch are recorded as the services would emit
 * them (Step Functions' failed and timed-out executions, Lambda's function errors, and the functions' own metrics
 * from their embedded-metric-format log lines), each alarm is evaluated on its period and threshold, and an alarm
 * that goes into ALARM mails each email subscriber of its SNS topic, as SNS would. So a failed workflow reaches
 * the operators locally as it does on AWS.
 */

export interface LocalAlarm {
  name: string;
  description: string;
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
  periodMs: number;
  threshold: number;
  comparison: string;
  /** The email addresses subscribed to the alarm's topics. */
  recipients: string[];
}

type Log = (line: string) => void;

const OPERATORS: Record<string, (value: number, threshold: number) => boolean> = {
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  GreaterThanThreshold: (v, t) => v > t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

/** The template's single-metric alarms with their email recipients (metric-math alarms are reported, not run). */
export function alarmsFromTemplate(model: StackModel, log: Log): LocalAlarm[] {
  const subscriptions = model.resourcesOfType('AWS::SNS::Subscription').map(([id, r]) => {
    const p = model.resolve(r.Properties ?? {}, `${id}.Properties`) as Record<string, unknown>;
    return { topic: String(p.TopicArn), protocol: String(p.Protocol), endpoint: String(p.Endpoint) };
  });
  const alarms: LocalAlarm[] = [];
  for (const [id, resource] of model.resourcesOfType('AWS::CloudWatch::Alarm')) {
    const p = model.resolve(resource.Properties ?? {}, `${id}.Properties`) as Record<string, unknown>;
    const name = typeof p.AlarmName === 'string' ? p.AlarmName : model.readableName(id);
    if (typeof p.MetricName !== 'string' || typeof p.Namespace !== 'string') {
      log(`[alarms] ${name} is not a single-metric alarm: it is not evaluated locally`);
      continue;
    }
    const actions = (Array.isArray(p.AlarmActions) ? p.AlarmActions : []).map(String);
    alarms.push({
      name,
      description: typeof p.AlarmDescription === 'string' ? p.AlarmDescription : '',
      namespace: p.Namespace,
      metric: p.MetricName,
      dimensions: Object.fromEntries(
        (Array.isArray(p.Dimensions) ? p.Dimensions : []).map((d: { Name: string; Value: unknown }) => [
          d.Name,
          String(d.Value),
        ]),
      ),
      periodMs: Number(p.Period ?? 300) * 1000 * Number(p.EvaluationPeriods ?? 1),
      threshold: Number(p.Threshold ?? 0),
      comparison: String(p.ComparisonOperator ?? 'GreaterThanOrEqualToThreshold'),
      recipients: subscriptions
        .filter((s) => actions.includes(s.topic) && s.protocol === 'email')
        .map((s) => s.endpoint),
    });
  }
  return alarms;
}

interface Datapoint {
  at: number;
  value: number;
}

/** Records metrics and runs the alarms on them; an alarm going into ALARM mails its subscribers through SES. */
export class LocalAlarms {
  private readonly points = new Map<LocalAlarm, Datapoint[]>();
  private readonly inAlarm = new Set<LocalAlarm>();
  private readonly ses: SESv2Client;
  private readonly sent: Promise<unknown>[] = [];

  constructor(
    readonly alarms: readonly LocalAlarm[],
    private readonly options: { sesUrl: string; region: string; log: Log },
  ) {
    this.ses = new SESv2Client({
      endpoint: options.sesUrl,
      region: options.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }

  /** A datapoint of a metric, as the service (or a function's metric log line) would put it. */
  record(namespace: string, metric: string, dimensions: Record<string, string>, value = 1): void {
    const now = Date.now();
    for (const alarm of this.alarms) {
      if (alarm.namespace !== namespace || alarm.metric !== metric) continue;
      if (!Object.entries(alarm.dimensions).every(([k, v]) => dimensions[k] === v)) continue;
      const points = (this.points.get(alarm) ?? []).filter((p) => now - p.at < alarm.periodMs);
      points.push({ at: now, value });
      this.points.set(alarm, points);
      const sum = points.reduce((total, p) => total + p.value, 0);
      const breaching = (OPERATORS[alarm.comparison] ?? OPERATORS.GreaterThanOrEqualToThreshold)?.(
        sum,
        alarm.threshold,
      );
      // One notification per transition into ALARM; the alarm is OK again once a period passes without breach.
      const last = this.lastBreach.get(alarm);
      if (this.inAlarm.has(alarm) && last !== undefined && now - last >= alarm.periodMs)
        this.inAlarm.delete(alarm);
      if (!breaching) continue;
      this.lastBreach.set(alarm, now);
      if (this.inAlarm.has(alarm)) continue;
      this.inAlarm.add(alarm);
      this.sent.push(this.notify(alarm, sum));
    }
  }

  private readonly lastBreach = new Map<LocalAlarm, number>();

  /** The metrics in a function's log line (CloudWatch embedded metric format, as Powertools writes it). */
  recordLogLine(line: string): void {
    if (!line.includes('"_aws"')) return;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>;
    } catch {
      return;
    }
    const meta = parsed._aws as
      | { CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }
      | undefined;
    for (const directive of meta?.CloudWatchMetrics ?? []) {
      for (const set of directive.Dimensions ?? [[]]) {
        const dimensions = Object.fromEntries(set.map((d) => [d, String(parsed[d])]));
        for (const metric of directive.Metrics ?? []) {
          const value = Number(parsed[metric.Name]);
          if (Number.isFinite(value) && value !== 0)
            this.record(directive.Namespace, metric.Name, dimensions, value);
        }
      }
    }
  }

  /** Mails in flight, for a clean stop. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.sent);
  }

  private async notify(alarm: LocalAlarm, value: number): Promise<void> {
    if (alarm.recipients.length === 0) return;
    const subject = `ALARM: "${alarm.name}" in ${this.options.region}`;
    const text = [
      `You are receiving this email because your Amazon CloudWatch Alarm "${alarm.name}" has entered the ALARM state.`,
      '',
      `Alarm Description: ${alarm.description}`,
      `Threshold Crossed: ${alarm.metric} was ${value} (${alarm.comparison} ${alarm.threshold}) in the last ${alarm.periodMs / 1000} seconds.`,
      `Metric: ${alarm.namespace} ${alarm.metric} ${JSON.stringify(alarm.dimensions)}`,
      '',
      "(Sent by the local target, as the alarm topic's email subscription would on AWS.)",
    ].join('\n');
    try {
      await this.ses.send(
        new SendEmailCommand({
          FromEmailAddress: 'AWS Notifications <no-reply@sns.amazonaws.com>',
          Destination: { ToAddresses: alarm.recipients },
          Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: text } } } },
        }),
      );
      this.options.log(`[alarms] ${alarm.name} is in ALARM: mailed ${alarm.recipients.join(', ')}`);
    } catch (error) {
      this.options.log(
        `[alarms] ${alarm.name} is in ALARM, but its mail failed: ${(error as Error).message}`,
      );
    }
  }
}
