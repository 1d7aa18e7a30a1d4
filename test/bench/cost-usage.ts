import type { AwsCall } from '../../infra/local/iam/requests.ts';
import type { LocalTarget } from '../../infra/local/target.ts';
import { startBenchTarget } from './approval-flow.ts';
import { assumedFiring, type FiringUsage, type IncidentUsage, schedulesOf, type Template } from './cost.ts';
import { benchPublishedTransitions, type TransitionResult } from './transitions.ts';

/**
 * What the cost model's usage figures are measured from: the synthesized stack on the local target, with every
 * function call the IAM enforcer authorises (DynamoDB, Secrets Manager), every invocation, every line a
 * function logs and every mail the local SES holds counted. Counts are measured; sizes are not (see cost.ts).
 */

/** Request units of one DynamoDB call, items assumed under 1 KB (writes) and 4 KB (reads). */
function requestUnits(call: AwsCall): { read: number; write: number } {
  const items = call.authorizations.length;
  switch (call.operation) {
    case 'GetItem':
    case 'Query':
    case 'Scan':
      return { read: 1, write: 0 };
    case 'BatchGetItem':
      return { read: items, write: 0 };
    case 'TransactGetItems':
      return { read: 2 * items, write: 0 };
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return { read: 0, write: 1 };
    case 'BatchWriteItem':
      return { read: 0, write: items };
    case 'TransactWriteItems':
      // A transaction costs each item twice (prepare and commit).
      return { read: 0, write: 2 * items };
    default:
      return { read: 0, write: 0 };
  }
}

/** The custom metrics an Embedded Metric Format log line publishes: `namespace/name{dimension=value}`. */
export function emfMetrics(line: string): string[] {
  if (!line.startsWith('{') || !line.includes('"_aws"')) return [];
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return [];
  }
  const aws = record._aws as
    | {
        CloudWatchMetrics?: Array<{
          Namespace?: string;
          Dimensions?: string[][];
          Metrics?: Array<{ Name: string }>;
        }>;
      }
    | undefined;
  const out: string[] = [];
  for (const directive of aws?.CloudWatchMetrics ?? []) {
    const sets = directive.Dimensions && directive.Dimensions.length > 0 ? directive.Dimensions : [[]];
    for (const set of sets) {
      const dimensions = set.map((name) => `${name}=${String(record[name])}`).join(',');
      for (const metric of directive.Metrics ?? [])
        out.push(`${directive.Namespace ?? '?'}/${metric.Name}{${dimensions}}`);
    }
  }
  return out;
}

/** Counts what the target's functions do from the moment it is attached; `reset` starts again. */
class UsageMeter {
  invocations: Record<string, number> = {};
  errors: string[] = [];
  logBytes = 0;
  metrics = new Set<string>();
  readUnits = 0;
  writeUnits = 0;
  secretCalls = 0;

  constructor(readonly target: LocalTarget) {
    const { functions, iam } = target;
    const invoke = functions.invoke.bind(functions);
    functions.invoke = async (idOrArn, event) => {
      const id = functions.find(idOrArn)?.logicalId ?? idOrArn;
      this.invocations[id] = (this.invocations[id] ?? 0) + 1;
      try {
        return await invoke(idOrArn, event);
      } catch (error) {
        this.errors.push(`${id}: ${(error as Error).message}`);
        throw error;
      }
    };
    const check = iam.check.bind(iam);
    iam.check = (accessKeyId, call) => {
      const units = call.service === 'dynamodb' ? requestUnits(call) : { read: 0, write: 0 };
      this.readUnits += units.read;
      this.writeUnits += units.write;
      if (call.service === 'secretsmanager' && /GetSecretValue$/.test(call.operation)) this.secretCalls++;
      return check(accessKeyId, call);
    };
    const alsoTold = functions.onLogLine;
    functions.onLogLine = (fn, line) => {
      alsoTold?.(fn, line);
      this.logBytes += Buffer.byteLength(line) + 1;
      for (const metric of emfMetrics(line)) this.metrics.add(metric);
    };
  }

  reset(): void {
    this.invocations = {};
    this.errors = [];
    this.logBytes = 0;
    this.metrics = new Set();
    this.readUnits = 0;
    this.writeUnits = 0;
    this.secretCalls = 0;
  }
}

interface StoredMail {
  to?: string[];
  cc?: string[];
  bcc?: string[];
  destination?: { to?: string[]; cc?: string[]; bcc?: string[] };
}

/** Recipients of every mail the local SES holds: SES bills each recipient as an email. */
async function recipients(target: LocalTarget): Promise<number> {
  const store = (await (await fetch(`${target.urls.ses}/store`)).json()) as { emails: StoredMail[] };
  return store.emails.reduce((n, mail) => {
    const d = mail.destination ?? mail;
    return n + Math.max(1, (d.to?.length ?? 0) + (d.cc?.length ?? 0) + (d.bcc?.length ?? 0));
  }, 0);
}

/** Log lines reach the meter through the workers' stdout a moment after the invocation returns. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

export interface MeasuredFiring {
  logicalId: string;
  usage: FiringUsage;
  error?: string;
}

/**
 * One firing of every schedule on a fresh target with an empty table (a stack with no incident), measured: what
 * the function logs, the metrics it publishes, its DynamoDB request units and its mails. The timers are
 * stopped first so that only these firings run. A firing that fails is reported and priced as assumed.
 */
export async function measureIdleFirings(assemblyDir: string, template: Template): Promise<MeasuredFiring[]> {
  const bench = await startBenchTarget(assemblyDir);
  const { target } = bench;
  try {
    target.schedules.stop();
    const meter = new UsageMeter(target);
    const out: MeasuredFiring[] = [];
    for (const { logicalId } of schedulesOf(template, new Date())) {
      meter.reset();
      const mailsBefore = await recipients(target);
      await target.schedules.trigger(logicalId);
      await settle();
      const error = meter.errors[0];
      if (error) {
        out.push({ logicalId, usage: assumedFiring, error });
        continue;
      }
      out.push({
        logicalId,
        usage: {
          logBytes: meter.logBytes,
          metrics: [...meter.metrics].sort(),
          readUnits: meter.readUnits,
          writeUnits: meter.writeUnits,
          emails: (await recipients(target)) - mailsBefore,
          measured: true,
        },
      });
    }
    return out;
  } finally {
    await bench.stop();
  }
}

/**
 * A sev 2 from its Alertmanager alert to its published postmortem (the transitions benchmark's flow), with
 * everything it made the stack do counted. The schedules' timers are stopped: their firings are idle cost.
 */
export async function measureIncident(
  assemblyDir: string,
  stepFunctionsLogLevel: string,
): Promise<{ usage: IncidentUsage; transitions: TransitionResult }> {
  let meter: UsageMeter | undefined;
  let emails = 0;
  const transitions = await benchPublishedTransitions(assemblyDir, {
    started(target) {
      target.schedules.stop();
      meter = new UsageMeter(target);
    },
    async finished(target) {
      await settle();
      emails = await recipients(target);
    },
  });
  if (!meter) throw new Error('the incident flow never started its target');
  return {
    transitions,
    usage: {
      transitions: transitions.transitions,
      historyEvents: transitions.historyEvents,
      stepFunctionsLogLevel,
      invocations: meter.invocations,
      logBytes: meter.logBytes,
      readUnits: meter.readUnits,
      writeUnits: meter.writeUnits,
      secretCalls: meter.secretCalls,
      emails,
    },
  };
}
