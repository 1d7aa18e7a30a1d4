import type { StackModel } from './template.ts';
import type { LocalTopics } from './topics.ts';

/**
 * The stack's CloudWatch alarms, locally: the metrics the alarms watch are recorded as the services would emit
 * them (the HTTP API's 5xx answers, Step Functions' failed, timed-out and aborted executions, Lambda's function
 * errors, and the functions' own metrics from their embedded-metric-format log lines), each alarm is evaluated on
 * its period and threshold, and an alarm that goes into ALARM is published to its SNS topics, whose email
 * subscribers get it (topics.ts). So a failed workflow or a failing API function reaches the operators locally as
 * it does on AWS.
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
  /** The SNS topics the alarm notifies when it goes into ALARM. */
  topics: string[];
}

type Log = (line: string) => void;

const OPERATORS: Record<string, (value: number, threshold: number) => boolean> = {
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  GreaterThanThreshold: (v, t) => v > t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

/** The template's single-metric alarms with the topics they notify (metric-math alarms are reported, not run). */
export function alarmsFromTemplate(model: StackModel, log: Log): LocalAlarm[] {
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
      topics: actions.filter((arn) => arn.includes(':sns:')),
    });
  }
  return alarms;
}

interface Datapoint {
  at: number;
  value: number;
}

/** Records metrics and runs the alarms on them; an alarm going into ALARM is published to its topics. */
export class LocalAlarms {
  private readonly points = new Map<LocalAlarm, Datapoint[]>();
  private readonly inAlarm = new Set<LocalAlarm>();
  private readonly sent: Promise<unknown>[] = [];

  constructor(
    readonly alarms: readonly LocalAlarm[],
    private readonly options: { topics: LocalTopics; region: string; log: Log },
  ) {}

  /**
   * An alarm's state and the sum of its datapoints in its current window (tests and operators look). An alarm
   * stays in ALARM until a period passes without a breaching datapoint, so a second breach within the period is
   * not mailed again, as on AWS.
   */
  state(name: string): { state: 'ALARM' | 'OK'; value: number } | undefined {
    const alarm = this.alarms.find((a) => a.name === name);
    if (!alarm) return undefined;
    const now = Date.now();
    const value = (this.points.get(alarm) ?? [])
      .filter((p) => now - p.at < alarm.periodMs)
      .reduce((total, p) => total + p.value, 0);
    const last = this.lastBreach.get(alarm);
    const alarming = this.inAlarm.has(alarm) && last !== undefined && now - last < alarm.periodMs;
    return { state: alarming ? 'ALARM' : 'OK', value };
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
    const subject = `ALARM: "${alarm.name}" in ${this.options.region}`;
    const text = [
      `You are receiving this email because your Amazon CloudWatch Alarm "${alarm.name}" has entered the ALARM state.`,
      '',
      `Alarm Description: ${alarm.description}`,
      `Threshold Crossed: ${alarm.metric} was ${value} (${alarm.comparison} ${alarm.threshold}) in the last ${alarm.periodMs / 1000} seconds.`,
      `Metric: ${alarm.namespace} ${alarm.metric} ${JSON.stringify(alarm.dimensions)}`,
    ].join('\n');
    this.options.log(`[alarms] ${alarm.name} is in ALARM`);
    await Promise.all(alarm.topics.map((topic) => this.options.topics.publish(topic, { subject, text })));
  }
}
