import { parseCron } from '../../infra/local/schedules.ts';

/**
 * The cost model behind `npm run bench -- cost`: pure functions from a synthesized CloudFormation template (and
 * the usage measured or assumed per schedule firing and per incident) to dollars a month, at us-east-1 list
 * prices without free tiers. Free tiers are left out on purpose: other workloads in an account usually use them
 * up, and a sandbox account evaluating the tool reads the bill as if they had.
 *
 * Everything is counted from the template, never from today's resource counts, so the model follows the stack.
 */

// ------------------------------------------------------------------------------------------------- prices

export interface Price {
  /** Dollars for one unit. */
  usd: number;
  /** The price as the page quotes it: `quoted` dollars per `per` of `unit` (e.g. $0.20 per 1,000,000 requests). */
  quoted: number;
  per: number;
  unit: string;
  /** The AWS pricing page the price was read from (us-east-1). */
  source: string;
  readOn: string;
}

/** The day the prices below were last read from their pages; change it with any price. */
export const PRICES_READ_ON = '2026-12-07';

const price = (quoted: number, per: number, unit: string, source: string): Price => ({
  usd: quoted / per,
  quoted,
  per,
  unit,
  source,
  readOn: PRICES_READ_ON,
});

const pages = {
  secretsManager: 'https://aws.amazon.com/secrets-manager/pricing/',
  systemsManager: 'https://aws.amazon.com/systems-manager/pricing/',
  cloudWatch: 'https://aws.amazon.com/cloudwatch/pricing/',
  kms: 'https://aws.amazon.com/kms/pricing/',
  dynamoDbOnDemand: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  dynamoDbProvisioned: 'https://aws.amazon.com/dynamodb/pricing/provisioned/',
  scheduler: 'https://aws.amazon.com/eventbridge/pricing/',
  lambda: 'https://aws.amazon.com/lambda/pricing/',
  xRay: 'https://aws.amazon.com/xray/pricing/',
  stepFunctions: 'https://aws.amazon.com/step-functions/pricing/',
  ses: 'https://aws.amazon.com/ses/pricing/',
  apiGateway: 'https://aws.amazon.com/api-gateway/pricing/',
} as const;

const M = 1_000_000;

/** Every price the model uses, us-east-1 list prices, in one place. */
export const prices = {
  secret: price(0.4, 1, 'secret-month', pages.secretsManager),
  secretApiCall: price(0.05, 10_000, 'API calls', pages.secretsManager),
  standardParameter: price(0, 1, 'standard parameter-month', pages.systemsManager),
  advancedParameter: price(0.05, 1, 'advanced parameter-month', pages.systemsManager),
  alarmMetric: price(0.1, 1, 'standard-resolution alarm metric-month', pages.cloudWatch),
  highResolutionAlarmMetric: price(0.3, 1, 'high-resolution alarm metric-month', pages.cloudWatch),
  compositeAlarm: price(0.5, 1, 'composite alarm-month', pages.cloudWatch),
  dashboard: price(3, 1, 'dashboard-month', pages.cloudWatch),
  customMetric: price(0.3, 1, 'metric-month (prorated by the hours it is sent)', pages.cloudWatch),
  logsIngestion: price(0.5, 1, 'GB ingested', pages.cloudWatch),
  logsStorage: price(0.03, 1, 'GB-month stored', pages.cloudWatch),
  kmsKey: price(1, 1, 'customer managed key-month', pages.kms),
  readRequestUnit: price(0.125, M, 'read request units (on-demand)', pages.dynamoDbOnDemand),
  writeRequestUnit: price(0.625, M, 'write request units (on-demand)', pages.dynamoDbOnDemand),
  readCapacityUnitHour: price(0.00013, 1, 'provisioned RCU-hour', pages.dynamoDbProvisioned),
  writeCapacityUnitHour: price(0.00065, 1, 'provisioned WCU-hour', pages.dynamoDbProvisioned),
  schedulerInvocation: price(1, M, 'scheduled invocations', pages.scheduler),
  lambdaRequest: price(0.2, M, 'requests', pages.lambda),
  lambdaGbSecondArm: price(0.0000133334, 1, 'GB-second (arm64)', pages.lambda),
  lambdaGbSecondX86: price(0.0000166667, 1, 'GB-second (x86_64)', pages.lambda),
  xRayTrace: price(5, M, 'traces recorded', pages.xRay),
  stateTransition: price(0.025, 1000, 'state transitions (Standard)', pages.stepFunctions),
  email: price(0.1, 1000, 'emails (each recipient one)', pages.ses),
  httpApiRequest: price(1, M, 'HTTP API requests', pages.apiGateway),
} as const satisfies Record<string, Price>;

/** A 30-day month, the unit every monthly figure here is in. */
export const HOURS_PER_MONTH = 30 * 24;
const GB = 1024 ** 3;

// ----------------------------------------------------------------------------------------------- template

export interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface Template {
  Resources: Record<string, Resource>;
}

const resourcesOf = (template: Template, type: string): Array<[string, Resource]> =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// ------------------------------------------------------------------------------------------- fixed costs

export interface CostItem {
  item: string;
  count: number;
  unit: Price;
  monthlyUsd: number;
  note?: string;
}

const item = (name: string, count: number, unit: Price, note?: string): CostItem => ({
  item: name,
  count,
  unit,
  monthlyUsd: count * unit.usd,
  ...(note ? { note } : {}),
});

/** Resource kinds with no monthly price of their own: what they cost comes with use (counted elsewhere). */
const freeKinds: Record<string, [name: string, note: string]> = {
  'AWS::DynamoDB::Table': [
    'DynamoDB tables',
    'PITR and storage at zero items cost $0; on-demand requests are counted with use; a stream costs nothing of its own',
  ],
  'AWS::Lambda::EventSourceMapping': [
    'Lambda event source mappings (DynamoDB streams)',
    "Lambda's reads of a DynamoDB stream are free and filtered-out records are not billed: only the invocations, counted with use",
  ],
  'AWS::Logs::LogGroup': ['CloudWatch log groups', 'storage of the idle logs is counted with the schedules'],
  'AWS::SNS::Topic': ['SNS topics', 'per message only'],
  'AWS::StepFunctions::StateMachine': ['Step Functions state machines', 'per state transition only'],
  'AWS::Lambda::Function': ['Lambda functions', 'per request and GB-second only'],
  'AWS::Scheduler::Schedule': ['EventBridge Scheduler schedules', 'per invocation only (below)'],
  'AWS::ApiGatewayV2::Api': ['API Gateway HTTP APIs', 'per request only'],
};

/** The price of a kind that has none until it is used. */
const noFixedPrice = price(0, 1, 'month (no fixed price)', 'no fixed monthly price');

/** Kinds that never cost anything on their own, left out of the table so that it shows what matters. */
const neverPriced = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::Lambda::Permission',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Stage',
  'AWS::ApiGatewayV2::Authorizer',
  'AWS::SNS::Subscription',
  'AWS::SNS::TopicPolicy',
  'AWS::SES::ConfigurationSet',
  'AWS::SES::ConfigurationSetEventDestination',
  'AWS::SES::EmailIdentity',
  // Received mail is billed per message and 256 KB chunk; the rule itself costs nothing.
  'AWS::SES::ReceiptRule',
  'AWS::KMS::Alias',
  'AWS::CDK::Metadata',
]);

export interface AlarmMetrics {
  standard: number;
  highResolution: number;
  /** Metrics Insights queries: billed per metric the query analyses, which the template does not say. */
  insightsQueries: number;
}

/**
 * The billed metrics of one AWS::CloudWatch::Alarm. CloudWatch bills an alarm per metric it evaluates: a
 * single-metric alarm is one; a metric math alarm is one for each `MetricStat` in its `Metrics` (expressions
 * themselves are free). A period under 60 s makes a metric high resolution. A Metrics Insights query (an
 * expression starting with SELECT) is billed per metric it analyses: unknown here, so it is counted apart.
 */
export function alarmMetrics(properties: Record<string, unknown>): AlarmMetrics {
  const out: AlarmMetrics = { standard: 0, highResolution: 0, insightsQueries: 0 };
  const add = (period: unknown) => {
    if (typeof period === 'number' && period < 60) out.highResolution++;
    else out.standard++;
  };
  const metrics = properties.Metrics;
  if (!Array.isArray(metrics)) {
    add(properties.Period);
    return out;
  }
  for (const query of metrics.filter(isRecord)) {
    if (isRecord(query.MetricStat)) add(query.MetricStat.Period);
    else if (typeof query.Expression === 'string' && /^\s*SELECT\b/i.test(query.Expression))
      out.insightsQueries++;
  }
  return out;
}

export interface ParameterCount {
  standard: number;
  advanced: number;
}

/**
 * SSM parameters the template creates, by tier. CloudFormation cannot create a SecureString parameter, so a
 * stack that keeps credentials as SecureString parameters makes them with a custom resource. The rule:
 *  - every `AWS::SSM::Parameter` counts, in its `Tier` (absent: Standard);
 *  - a `Custom::AWS` resource (CDK's AwsCustomResource) counts when its Create call is SSM `putParameter`, in the
 *    call's `Tier`;
 *  - any other `Custom::*` resource counts when its type name contains "Parameter", in its `Tier` property.
 * Intelligent-Tiering is counted as standard: it picks advanced only for values over 4 KB or with policies.
 */
export function ssmParameters(template: Template): ParameterCount {
  const out: ParameterCount = { standard: 0, advanced: 0 };
  const count = (tier: unknown) => {
    if (typeof tier === 'string' && tier.toLowerCase() === 'advanced') out.advanced++;
    else out.standard++;
  };
  for (const resource of Object.values(template.Resources)) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::SSM::Parameter') count(props.Tier);
    else if (resource.Type === 'Custom::AWS') {
      // The call is JSON text, possibly joined with tokens (Fn::Join): read it as text.
      const create = JSON.stringify(props.Create ?? '');
      if (/\\?"service\\?":\s*\\?"SSM\\?"/i.test(create) && /putParameter/.test(create))
        count(/\\?"Tier\\?":\s*\\?"Advanced/i.test(create) ? 'Advanced' : 'Standard');
    } else if (resource.Type.startsWith('Custom::') && /parameter/i.test(resource.Type)) count(props.Tier);
  }
  return out;
}

/** Provisioned capacity of a table and its indexes, in capacity-unit-hours a month (0 on demand). */
function provisionedUnits(props: Record<string, unknown>): { read: number; write: number } {
  if (props.BillingMode !== 'PROVISIONED' && !isRecord(props.ProvisionedThroughput))
    return { read: 0, write: 0 };
  const throughputs = [
    props.ProvisionedThroughput,
    ...(Array.isArray(props.GlobalSecondaryIndexes) ? props.GlobalSecondaryIndexes : []).map((index) =>
      isRecord(index) ? index.ProvisionedThroughput : undefined,
    ),
  ].filter(isRecord);
  const sum = (key: string) => throughputs.reduce((n, t) => n + (Number(t[key]) || 0), 0);
  return {
    read: sum('ReadCapacityUnits') * HOURS_PER_MONTH,
    write: sum('WriteCapacityUnits') * HOURS_PER_MONTH,
  };
}

export interface FixedCosts {
  items: CostItem[];
  /** What the template holds that the model cannot price (it says so instead of guessing). */
  unknowns: string[];
  /** Resource kinds with no entry in the model: assumed $0, listed so that a new kind is seen. */
  unpricedKinds: string[];
  monthlyUsd: number;
}

/** The monthly cost of what the template creates, before anything runs. */
export function fixedCosts(template: Template): FixedCosts {
  const items: CostItem[] = [];
  const unknowns: string[] = [];
  const kinds = new Map<string, number>();
  for (const r of Object.values(template.Resources)) kinds.set(r.Type, (kinds.get(r.Type) ?? 0) + 1);
  const countOf = (type: string) => kinds.get(type) ?? 0;
  const priced = new Set<string>();
  const take = (type: string) => priced.add(type);

  take('AWS::SecretsManager::Secret');
  items.push(item('Secrets Manager secrets', countOf('AWS::SecretsManager::Secret'), prices.secret));

  take('AWS::SSM::Parameter');
  const parameters = ssmParameters(template);
  for (const type of kinds.keys()) if (type.startsWith('Custom::') && /parameter/i.test(type)) take(type);
  items.push(item('SSM parameters, standard tier', parameters.standard, prices.standardParameter));
  if (parameters.advanced > 0)
    items.push(item('SSM parameters, advanced tier', parameters.advanced, prices.advancedParameter));

  take('AWS::CloudWatch::Alarm');
  const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm').map(([, r]) =>
    alarmMetrics(r.Properties ?? {}),
  );
  const metrics = alarms.reduce(
    (sum, a) => ({
      standard: sum.standard + a.standard,
      highResolution: sum.highResolution + a.highResolution,
      insightsQueries: sum.insightsQueries + a.insightsQueries,
    }),
    { standard: 0, highResolution: 0, insightsQueries: 0 },
  );
  items.push(
    item(
      'CloudWatch alarm metrics, standard resolution',
      metrics.standard,
      prices.alarmMetric,
      `${alarms.length} alarms`,
    ),
  );
  if (metrics.highResolution > 0)
    items.push(
      item(
        'CloudWatch alarm metrics, high resolution',
        metrics.highResolution,
        prices.highResolutionAlarmMetric,
      ),
    );
  if (metrics.insightsQueries > 0)
    unknowns.push(
      `${metrics.insightsQueries} alarm(s) on a Metrics Insights query: billed ${formatUsd(prices.alarmMetric.usd)} per metric the query analyses, a number the template does not give (not included)`,
    );

  take('AWS::CloudWatch::CompositeAlarm');
  if (countOf('AWS::CloudWatch::CompositeAlarm') > 0)
    items.push(
      item('CloudWatch composite alarms', countOf('AWS::CloudWatch::CompositeAlarm'), prices.compositeAlarm),
    );
  take('AWS::CloudWatch::Dashboard');
  if (countOf('AWS::CloudWatch::Dashboard') > 0)
    items.push(item('CloudWatch dashboards', countOf('AWS::CloudWatch::Dashboard'), prices.dashboard));

  take('AWS::KMS::Key');
  take('AWS::KMS::ReplicaKey');
  items.push(
    item(
      'KMS customer managed keys',
      countOf('AWS::KMS::Key') + countOf('AWS::KMS::ReplicaKey'),
      prices.kmsKey,
    ),
  );

  const provisioned = resourcesOf(template, 'AWS::DynamoDB::Table')
    .map(([, r]) => provisionedUnits(r.Properties ?? {}))
    .reduce((sum, u) => ({ read: sum.read + u.read, write: sum.write + u.write }), { read: 0, write: 0 });
  // On demand a table has no fixed price; provisioned capacity is paid every hour, used or not.
  if (provisioned.read + provisioned.write > 0) {
    items.push(
      item('DynamoDB provisioned read capacity', provisioned.read, prices.readCapacityUnitHour, 'RCU-hours'),
    );
    items.push(
      item(
        'DynamoDB provisioned write capacity',
        provisioned.write,
        prices.writeCapacityUnitHour,
        'WCU-hours',
      ),
    );
  }
  for (const [type, [name, note]] of Object.entries(freeKinds)) {
    take(type);
    if (countOf(type) > 0) items.push(item(name, countOf(type), noFixedPrice, note));
  }
  const unpricedKinds = [...kinds.keys()]
    .filter((type) => !priced.has(type) && !neverPriced.has(type))
    .sort()
    .map((type) => `${type} x${countOf(type)}`);
  return { items, unknowns, unpricedKinds, monthlyUsd: sum(items.map((i) => i.monthlyUsd)) };
}

// ------------------------------------------------------------------------------------------- schedules

/**
 * Firings of a schedule expression in a 30-day month: `rate(n minute(s)|hour(s)|day(s))` exactly; `cron(...)`
 * (AWS's six fields, parsed by the local target's scheduler) averaged over the 4 years (1,461 days, a leap day
 * included) from `from`, in UTC: a time zone moves firings but changes their number only on the DST days, when
 * a skipped or repeated hour can drop or add one. `at(...)` fires once, never monthly: 0.
 */
export function firingsPerMonth(expression: string, from: Date): number {
  const text = expression.trim();
  const rate = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(text);
  if (rate) {
    const n = Number(rate[1]);
    if (n <= 0) throw new Error(`${expression}: the rate must be positive`);
    const minutes = rate[2]?.startsWith('minute') ? 1 : rate[2]?.startsWith('hour') ? 60 : 1440;
    return (HOURS_PER_MONTH * 60) / (n * minutes);
  }
  if (/^at\(/.test(text)) return 0;
  const cron = /^cron\((.*)\)$/.exec(text);
  if (!cron?.[1]) throw new Error(`${expression}: not a rate, cron or at expression`);
  const parsed = parseCron(cron[1]);
  const days = 1461;
  const day = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
  let firings = 0;
  for (let i = 0; i < days; i++, day.setUTCDate(day.getUTCDate() + 1)) {
    const [y, m, d] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
    if (parsed.years && !parsed.years.has(y)) continue;
    if (parsed.months.has(m) && parsed.day(y, m, d)) firings += parsed.hours.length * parsed.minutes.length;
  }
  return (firings / days) * 30;
}

export type Architecture = 'arm64' | 'x86_64';

export interface FunctionConfig {
  logicalId: string;
  memoryMb: number;
  architecture: Architecture;
  /** X-Ray active tracing: every sampled invocation records a trace. */
  tracing: boolean;
}

/** A function's billing configuration as the template gives it (Lambda's defaults: 128 MB, x86_64). */
export function functionConfig(template: Template, logicalId: string): FunctionConfig | undefined {
  const fn = template.Resources[logicalId];
  if (fn?.Type !== 'AWS::Lambda::Function') return undefined;
  const props = fn.Properties ?? {};
  const architectures = Array.isArray(props.Architectures) ? props.Architectures : [];
  const tracing = isRecord(props.TracingConfig) && props.TracingConfig.Mode === 'Active';
  return {
    logicalId,
    memoryMb: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
    architecture: architectures.includes('arm64') ? 'arm64' : 'x86_64',
    tracing,
  };
}

/** The duration price of an architecture: arm64 (Graviton) is 20% below x86_64. */
export function gbSecondPrice(architecture: Architecture): Price {
  return architecture === 'arm64' ? prices.lambdaGbSecondArm : prices.lambdaGbSecondX86;
}

/** What `durationMs` at `memoryMb` costs on `architecture`. */
export function durationUsd(memoryMb: number, durationMs: number, architecture: Architecture): number {
  return (memoryMb / 1024) * (durationMs / 1000) * gbSecondPrice(architecture).usd;
}

export interface ScheduleModel {
  logicalId: string;
  expression: string;
  timezone: string;
  kind: 'scheduler' | 'events';
  firingsPerMonth: number;
  /** The Lambda function it invokes; undefined when the target is something else (then only the firing counts). */
  target?: FunctionConfig;
  targetRef: string;
}

/** The logical id an ARN property points at (Fn::GetAtt [id, 'Arn'] or Ref), else its text. */
function referenced(value: unknown): string {
  if (isRecord(value)) {
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
    if (typeof value.Ref === 'string') return value.Ref;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Every schedule of the template (Scheduler schedules, and EventBridge rules with a schedule expression). */
export function schedulesOf(template: Template, from: Date): ScheduleModel[] {
  const out: ScheduleModel[] = [];
  for (const [logicalId, r] of resourcesOf(template, 'AWS::Scheduler::Schedule')) {
    const p = r.Properties ?? {};
    const expression = String(p.ScheduleExpression);
    const targetRef = referenced(isRecord(p.Target) ? p.Target.Arn : undefined);
    const target = functionConfig(template, targetRef);
    out.push({
      logicalId,
      expression,
      timezone: typeof p.ScheduleExpressionTimezone === 'string' ? p.ScheduleExpressionTimezone : 'UTC',
      kind: 'scheduler',
      firingsPerMonth: p.State === 'DISABLED' ? 0 : firingsPerMonth(expression, from),
      targetRef,
      ...(target ? { target } : {}),
    });
  }
  for (const [logicalId, r] of resourcesOf(template, 'AWS::Events::Rule')) {
    const p = r.Properties ?? {};
    if (typeof p.ScheduleExpression !== 'string') continue;
    const enabled = p.State === undefined || p.State === 'ENABLED';
    for (const t of (Array.isArray(p.Targets) ? p.Targets : []).filter(isRecord)) {
      const targetRef = referenced(t.Arn);
      const target = functionConfig(template, targetRef);
      out.push({
        logicalId,
        expression: p.ScheduleExpression,
        timezone: 'UTC',
        kind: 'events',
        firingsPerMonth: enabled ? firingsPerMonth(p.ScheduleExpression, from) : 0,
        targetRef,
        ...(target ? { target } : {}),
      });
    }
  }
  return out;
}

/** What one firing of a schedule's function does, measured on the local target or assumed. */
export interface FiringUsage {
  /** Bytes the function logs (its own lines; Lambda's START/END/REPORT lines are added by the model). */
  logBytes: number;
  /** Custom metrics (namespace, name, dimensions) it publishes at every firing, even with nothing to count. */
  metrics: string[];
  readUnits: number;
  writeUnits: number;
  emails: number;
  measured: boolean;
}

export interface Assumptions {
  /** Billed duration of one warm firing of a scheduled function with nothing to do. */
  idleDurationMs: number;
  /** Added to a firing that finds no warm environment (init is billed since August 2025). */
  initDurationMs: number;
  /** Lambda reclaims an idle environment after minutes: schedules at most this often find none. */
  coldWhenIntervalOverMinutes: number;
  /** Lambda's START, END and REPORT lines of one invocation (and the X-Ray line when traced). */
  platformLogBytes: number;
  /** Per invocation in an incident, where nothing measures it. */
  incidentDurationMs: number;
  /** One Step Functions log record (Level ALL, without execution data). */
  stepFunctionsLogRecordBytes: number;
  /** One HTTP API access log line, where the stage has access logging. */
  apiAccessLogBytes: number;
}

export const assumptions: Assumptions = {
  idleDurationMs: 100,
  initDurationMs: 400,
  coldWhenIntervalOverMinutes: 15,
  platformLogBytes: 350,
  incidentDurationMs: 200,
  stepFunctionsLogRecordBytes: 400,
  apiAccessLogBytes: 300,
};

/** Used where a schedule's firing could not be measured: one Query, nothing logged, no metric, no mail. */
export const assumedFiring: FiringUsage = {
  logBytes: 0,
  metrics: [],
  readUnits: 1,
  writeUnits: 0,
  emails: 0,
  measured: false,
};

export interface ScheduleCost {
  logicalId: string;
  expression: string;
  firingsPerMonth: number;
  target: string;
  usage: FiringUsage;
  scheduler: number;
  requests: number;
  duration: number;
  logs: number;
  traces: number;
  metrics: number;
  dynamoDb: number;
  email: number;
  monthlyUsd: number;
}

/** A month of one schedule's firings with no incident: each part priced, no free tier. */
export function scheduleCost(
  schedule: ScheduleModel,
  usage: FiringUsage,
  a: Assumptions = assumptions,
): ScheduleCost {
  const n = schedule.firingsPerMonth;
  const fn = schedule.target;
  // EventBridge rules on a schedule deliver to their targets at no charge; Scheduler bills each invocation.
  const scheduler = schedule.kind === 'scheduler' ? n * prices.schedulerInvocation.usd : 0;
  const intervalMinutes = n > 0 ? (HOURS_PER_MONTH * 60) / n : Number.POSITIVE_INFINITY;
  const coldShare = intervalMinutes > a.coldWhenIntervalOverMinutes ? 1 : 0;
  const billedMs = a.idleDurationMs + coldShare * a.initDurationMs;
  const requests = fn ? n * prices.lambdaRequest.usd : 0;
  const duration = fn ? n * durationUsd(fn.memoryMb, billedMs, fn.architecture) : 0;
  const loggedGb = fn ? (n * (a.platformLogBytes + usage.logBytes)) / GB : 0;
  // With 30-day retention a month of logs is stored at any time (uncompressed: an upper bound).
  const logs = loggedGb * (prices.logsIngestion.usd + prices.logsStorage.usd);
  // X-Ray's default sampling records the first request each second: a schedule is traced at every firing.
  const traces = fn?.tracing ? n * prices.xRayTrace.usd : 0;
  // A custom metric is billed for the hours it receives data: every hour when it fires at least hourly.
  const metrics = usage.metrics.length * prices.customMetric.usd * Math.min(1, n / HOURS_PER_MONTH);
  const dynamoDb =
    n * (usage.readUnits * prices.readRequestUnit.usd + usage.writeUnits * prices.writeRequestUnit.usd);
  const email = n * usage.emails * prices.email.usd;
  return {
    logicalId: schedule.logicalId,
    expression: schedule.expression,
    firingsPerMonth: n,
    target: fn
      ? `${fn.logicalId} (${fn.memoryMb} MB ${fn.architecture}${fn.tracing ? ', traced' : ''})`
      : schedule.targetRef,
    usage,
    scheduler,
    requests,
    duration,
    logs,
    traces,
    metrics,
    dynamoDb,
    email,
    monthlyUsd: scheduler + requests + duration + logs + traces + metrics + dynamoDb + email,
  };
}

// ------------------------------------------------------------------------------------------- incidents

/** What one incident did, measured on the local target. */
export interface IncidentUsage {
  transitions: number;
  /** Step Functions history events: each is a log record at Level ALL. */
  historyEvents: number;
  stepFunctionsLogLevel: string;
  /** Invocations per function logical id. */
  invocations: Record<string, number>;
  logBytes: number;
  readUnits: number;
  writeUnits: number;
  secretCalls: number;
  emails: number;
}

export interface IncidentCostLine {
  part: string;
  quantity: number;
  unit: Price;
  usd: number;
}

/** The log level of the template's (first) state machine: at ALL every history event is a log record. */
export function stepFunctionsLogLevel(template: Template): string {
  const [machine] = resourcesOf(template, 'AWS::StepFunctions::StateMachine');
  const logging = machine?.[1].Properties?.LoggingConfiguration;
  return isRecord(logging) && typeof logging.Level === 'string' ? logging.Level : 'OFF';
}

/** The functions behind the HTTP API's routes: each of their invocations is one API request. */
export function apiFunctions(template: Template): Set<string> {
  return new Set(
    resourcesOf(template, 'AWS::ApiGatewayV2::Integration').map(([, r]) =>
      referenced(r.Properties?.IntegrationUri),
    ),
  );
}

/** Whether an HTTP API stage of the template writes access logs (a line per request). */
function apiAccessLogs(template: Template): boolean {
  return resourcesOf(template, 'AWS::ApiGatewayV2::Stage').some(([, r]) =>
    isRecord(r.Properties?.AccessLogSettings),
  );
}

/** The cost of 1,000 incidents like the measured one, part by part. */
export function incidentCost(
  template: Template,
  usage: IncidentUsage,
  a: Assumptions = assumptions,
): IncidentCostLine[] {
  const per1000 = (quantity: number) => quantity * 1000;
  const line = (part: string, quantity: number, unit: Price): IncidentCostLine => ({
    part,
    quantity: per1000(quantity),
    unit,
    usd: per1000(quantity) * unit.usd,
  });
  const functions = Object.entries(usage.invocations).map(([id, n]) => ({
    n,
    fn: functionConfig(template, id),
  }));
  const invocations = sum(functions.map((f) => f.n));
  const byArchitecture = (architecture: Architecture) =>
    sum(
      functions
        .filter((f) => (f.fn?.architecture ?? 'x86_64') === architecture)
        .map((f) => (f.n * (f.fn?.memoryMb ?? 128) * a.incidentDurationMs) / 1024 / 1000),
    );
  const traces = sum(functions.filter((f) => f.fn?.tracing).map((f) => f.n));
  const api = apiFunctions(template);
  const apiRequests = sum(Object.entries(usage.invocations).flatMap(([id, n]) => (api.has(id) ? [n] : [])));
  const sfnLogRecords = usage.stepFunctionsLogLevel === 'ALL' ? usage.historyEvents : 0;
  const logBytes =
    usage.logBytes +
    invocations * a.platformLogBytes +
    sfnLogRecords * a.stepFunctionsLogRecordBytes +
    (apiAccessLogs(template) ? apiRequests * a.apiAccessLogBytes : 0);
  return [
    line('Step Functions state transitions', usage.transitions, prices.stateTransition),
    line('HTTP API requests', apiRequests, prices.httpApiRequest),
    line('Lambda requests', invocations, prices.lambdaRequest),
    line('Lambda duration arm64 (GB-s)', byArchitecture('arm64'), prices.lambdaGbSecondArm),
    line('Lambda duration x86_64 (GB-s)', byArchitecture('x86_64'), prices.lambdaGbSecondX86),
    line('DynamoDB write request units', usage.writeUnits, prices.writeRequestUnit),
    line('DynamoDB read request units', usage.readUnits, prices.readRequestUnit),
    line('SES emails (recipients)', usage.emails, prices.email),
    line('Secrets Manager API calls', usage.secretCalls, prices.secretApiCall),
    line('X-Ray traces', traces, prices.xRayTrace),
    line('CloudWatch Logs ingested (GB)', logBytes / GB, prices.logsIngestion),
  ].filter((l) => l.quantity > 0);
}

// ------------------------------------------------------------------------------------------- outside

/** A cost the template does not show (an SMS origination number, say), with where its price comes from. */
export interface OutsideCost {
  item: string;
  monthlyUsd: number;
  source: string;
}

/**
 * Costs outside the template. Paging by SMS and voice needs an origination identity the user leases and
 * registers in their own account (README, "Paging by SMS and voice"); the stack only names it. Each text and
 * call is billed per message or minute by destination country, on top of the incident cost above.
 */
export const outsideCosts: OutsideCost[] = [
  {
    item: 'SMS/voice origination number (only with `paging` configured)',
    monthlyUsd: 2,
    source:
      "AWS End User Messaging pricing page, a US toll-free number; other countries and number types differ, and it was not fetched offline: a number's RequestPhoneNumber answer states its MonthlyLeasingPrice",
  },
];

// ------------------------------------------------------------------------------------------- totals

/** The idle target of issue 23: a stack with no incident costs at most this a month. */
export const idleTargetUsd = 1.5;

export function sum(values: number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

/** A price as its page quotes it: `$0.40 per secret-month`, `$0.20 per 1,000,000 requests`. */
export function formatPrice(p: Price): string {
  const dollars = p.quoted.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 10 });
  return `$${dollars} per ${p.per === 1 ? '' : `${p.per.toLocaleString('en-US')} `}${p.unit}`;
}

/** Small amounts with four decimals (a schedule's $0.0043), so that they do not all read $0.00. */
export function formatSmallUsd(usd: number): string {
  return `$${usd.toFixed(4)}`;
}

/** Dollars with two decimals, as the idle line prints them. */
export function formatUsd(usd: number): string {
  return `$${usd.toFixed(2)}`;
}

/** The line outside checks parse (shared/DESIGN.md): `idle cost per month: $N.NN`. */
export function idleLine(fixedUsd: number, schedulesUsd: number): string {
  return `idle cost per month: ${formatUsd(fixedUsd + schedulesUsd)}`;
}
