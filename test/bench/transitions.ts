import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executionArnFor } from '../../functions/adapters/workflow.ts';
import type { ExecutionRecord } from '../../infra/local/stepfunctions.ts';
import { type LocalTarget, startLocalTarget } from '../../infra/local/target.ts';
import { ApprovalFlow, pageOf, startBenchTarget } from './approval-flow.ts';
import { prices } from './cost.ts';

/**
 * Step Functions cost of one incident: a sev 2 declared, acknowledged, three on-time follow-ups, resolved, its
 * postmortem opened and its owner reminded twice (the day before and at the due time), run by the local target
 * from the synthesized definition. Standard workflows bill per state transition. The sev 3 variant runs the same
 * lifecycle through the owner team's wait (acknowledged before the next business morning, so no reminder) and
 * ends without a postmortem.
 */

export const transitionTarget = 60;
/** Standard workflows, us-east-1 list price ($0.025 per 1,000 state transitions), from the cost model's table. */
const DOLLARS_PER_TRANSITION = prices.stateTransition.usd;

export interface TransitionResult {
  transitions: number;
  /** Every event of the execution's history (Step Functions logs each one at Level ALL). */
  historyEvents: number;
  byState: Record<string, number>;
  lambdaTasks: number;
  dollarsPer1000Incidents: number;
  ok: boolean;
}

export async function benchTransitions(assemblyDir: string, severity: 2 | 3 = 2): Promise<TransitionResult> {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-bench-transitions-'));
  const target = await startLocalTarget({
    assemblyDir,
    stackName: 'Hotline',
    dataDir: join(dir, 'data'),
    ports: { api: 0, ses: 0, aws: 0, dynamodb: 0 },
    log: () => undefined,
    // The postmortem's waits (days until its reminders) last a moment; every other wait is as configured.
    taskTimeoutOverrides: { WaitForPostmortem: 100 },
  });
  try {
    const api = async (path: string, body: unknown) => {
      const response = await fetch(`${target.urls.api}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${target.operatorToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as Record<string, unknown>;
      if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };
    const { key } = (await api('/incidents', {
      summary: 'Checkout latency high',
      description: 'Checkout takes 8 s for some customers.',
      severity,
      service: 'checkout',
    })) as { key: string };
    const arn = executionArnFor(target.stateMachines[0] ?? '', key);
    const entered = () =>
      target.stepFunctions
        .describeExecution(arn)
        .events.filter((e) => e.type === 'StateEntered')
        .map((e) => e.state);
    const until = async (what: string, done: () => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // Each action when the workflow waits for it, as people would act: minutes apart, never racing a step.
    const waitingAt = (state: string, times: number) => () =>
      entered().filter((s) => s === state).length >= times;
    const ackWait = severity === 3 ? 'WaitForTeamAcknowledgement' : 'WaitForAcknowledgement';
    await until('the acknowledgement wait', waitingAt(ackWait, 1));
    await api(`/incidents/${key}/acknowledge`, { incidentManager: 'payments-oncall@example.com' });
    for (let i = 1; i <= 3; i++) {
      await until(`the comms wait ${i}`, waitingAt('WaitForUpdate', i));
      await api(`/incidents/${key}/updates`, {
        summary: `Update ${i}. Latency is improving.`,
        status: ['Cache warmed', 'Latency at 3 s'],
        nextSteps: ['Scale the pool', 'Watch latency'],
        impact: 'Slow checkout',
        customers: { internal: 0, external: 'unknown' },
        rootCause: 'currently unknown',
        eta: 'no ETA',
        nextUpdateAt: new Date(Date.now() + 45 * 60_000).toISOString(),
      });
    }
    await until('the comms wait 4', waitingAt('WaitForUpdate', 4));
    await api(`/incidents/${key}/resolve`, { supportCases: 1 });
    if (severity === 2) {
      // The postmortem stays a draft through both reminders to its owner; then the wait for the request.
      const reminded = waitingAt('RemindPostmortem', 2);
      const waitingAgain = waitingAt('WaitForPostmortem', 3);
      await until('two postmortem reminders', () => reminded() && waitingAgain());
    } else {
      await target.stepFunctions.waitForExecution(arn);
    }
    const record = target.stepFunctions.describeExecution(arn);
    const expected = severity === 2 ? 'RUNNING' : 'SUCCEEDED';
    if (record.status !== expected)
      throw new Error(`execution is ${record.status}, not ${expected}: ${record.error} ${record.cause}`);
    return tally(record);
  } finally {
    await target.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Billed transitions of an execution: every state entered, and every retry. */
function tally(record: ExecutionRecord): TransitionResult {
  const states = record.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
  const retried = record.events.filter((e) => /Retr/.test(e.type)).length;
  const transitions = states.length + retried;
  const byState: Record<string, number> = {};
  for (const state of states) byState[state ?? '?'] = (byState[state ?? '?'] ?? 0) + 1;
  const lambdaTasks = record.events.filter((e) => e.type === 'StateEntered' && e.stateType === 'Task').length;
  return {
    transitions,
    historyEvents: record.events.length,
    byState,
    lambdaTasks,
    dollarsPer1000Incidents: transitions * DOLLARS_PER_TRANSITION * 1000,
    ok: transitions <= transitionTarget,
  };
}

/**
 * Step Functions cost of a sev 2 from its alert to its published postmortem: an Alertmanager alert opens it; it
 * is acknowledged, gets three on-time updates and is resolved; its owner is reminded twice while the postmortem
 * is a draft; approval is requested, the mandatory approver requests changes from the mail link, the owner fixes
 * it and asks again, the approver approves from the new mail's link, and the workflow publishes it.
 */
export async function benchPublishedTransitions(
  assemblyDir: string,
  probe?: TargetProbe,
): Promise<TransitionResult> {
  // The owner's first two reminders come at once (the postmortem's first two waits last a moment); every later
  // wait for the postmortem, and every other wait, is as configured. Read once per WaitForPostmortem started.
  let postmortemWaits = 0;
  const taskTimeoutOverrides: Record<string, number> = {};
  Object.defineProperty(taskTimeoutOverrides, 'WaitForPostmortem', {
    enumerable: true,
    get: () => (++postmortemWaits <= 2 ? 100 : undefined),
  });
  const bench = await startBenchTarget(assemblyDir, { taskTimeoutOverrides });
  const { target } = bench;
  try {
    probe?.started(target);
    const flow = new ApprovalFlow(target);
    const delivered = await fetch(new URL('/alerts/alertmanager', target.urls.api), {
      method: 'POST',
      headers: { authorization: `Bearer ${alertmanagerToken(target)}`, 'content-type': 'application/json' },
      body: JSON.stringify(alertmanagerAlert()),
    });
    const opened = (await delivered.json()) as { incidents?: Array<{ key: string; outcome: string }> };
    const key = opened.incidents?.[0]?.key;
    if (delivered.status !== 202 || !key)
      throw new Error(`the alert opened no incident: ${JSON.stringify(opened)}`);
    const { incident } = await flow.ok('GET', `/incidents/${key}`);
    if (incident?.severity !== 2)
      throw new Error(`the alert opened a sev ${incident?.severity}, not a sev 2`);
    const arn = executionArnFor(target.stateMachines[0] ?? '', key);
    const entered = () =>
      target.stepFunctions
        .describeExecution(arn)
        .events.filter((e) => e.type === 'StateEntered')
        .map((e) => e.state);
    const until = async (what: string, done: () => boolean) => {
      const deadline = Date.now() + 30_000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const waitingAt = (state: string, times: number) => () =>
      entered().filter((s) => s === state).length >= times;
    await until('the acknowledgement wait', waitingAt('WaitForAcknowledgement', 1));
    await flow.ok('POST', `/incidents/${key}/acknowledge`, {
      incidentManager: 'payments-oncall@example.com',
    });
    for (let i = 1; i <= 3; i++) {
      await until(`the comms wait ${i}`, waitingAt('WaitForUpdate', i));
      await flow.ok('POST', `/incidents/${key}/updates`, {
        summary: `Update ${i}. Latency is improving.`,
        status: ['Cache warmed', 'Latency at 3 s'],
        nextSteps: ['Scale the pool', 'Watch latency'],
        impact: 'Slow checkout',
        customers: { internal: 0, external: 'unknown' },
        rootCause: 'currently unknown',
        eta: 'no ETA',
        nextUpdateAt: new Date(Date.now() + 45 * 60_000).toISOString(),
      });
    }
    await until('the comms wait 4', waitingAt('WaitForUpdate', 4));
    await flow.ok('POST', `/incidents/${key}/resolve`, { supportCases: 1 });
    // Two reminders to the owner, then the wait for the approval request (as configured: days).
    await until('two postmortem reminders', () =>
      [waitingAt('RemindPostmortem', 2), waitingAt('WaitForPostmortem', 3)].every((f) => f()),
    );
    await flow.write(key, 'Add a check of connection pool sizes to the change review checklist');
    await flow.requestApproval(key);
    await until('the approval wait', waitingAt('WaitForApproval', 1));
    const { mandatory } = await flow.approvers(key);
    const approver = mandatory[0] as string;
    const first = await flow.approverLinks(key, approver, 1);
    const changes = await flow.decide(first.changes, 'Name the owner of the review checklist.');
    if (pageOf(changes.text) !== 'decided')
      throw new Error(`the request for changes answered ${changes.status}`);
    await until('the postmortem back with its owner', waitingAt('WaitForPostmortem', 4));
    await flow.write(
      key,
      'Add a check of connection pool sizes to the change review checklist (owner: Payments)',
    );
    await flow.requestApproval(key);
    await until('the second approval wait', waitingAt('WaitForApproval', 2));
    // Every mandatory approver approves from the mail of the second request.
    for (const address of mandatory) {
      const second = await flow.approverLinks(key, address, 2);
      const approved = await flow.decide(second.approve);
      if (pageOf(approved.text) !== 'decided') throw new Error(`the approval answered ${approved.status}`);
    }
    const record = await target.stepFunctions.waitForExecution(arn, 30_000);
    if (record.status !== 'SUCCEEDED' || !entered().includes('Published'))
      throw new Error(`execution is ${record.status}, not published: ${record.error} ${record.cause}`);
    if ((await flow.postmortem(key)).status !== 'published')
      throw new Error(`${key}'s postmortem is not published`);
    await probe?.finished(target);
    return tally(record);
  } finally {
    await bench.stop();
  }
}

/** Lets another benchmark (the cost model) watch the target the flow runs on: what it calls, logs and mails. */
export interface TargetProbe {
  /** Right after the target started, before the alert. */
  started(target: LocalTarget): void;
  /** After the postmortem is published, before the target stops. */
  finished(target: LocalTarget): Promise<void>;
}

function alertmanagerToken(target: LocalTarget): string {
  const entry = Object.entries(target.parameters).find(([name]) =>
    name.endsWith('/alert-sources/alertmanager'),
  );
  if (!entry) throw new Error('the stack has no alertmanager credential parameter');
  return (JSON.parse(entry[1]) as { current: string }).current;
}

/** An Alertmanager v4 notification: one firing alert on checkout, severity high (sev 2). */
function alertmanagerAlert() {
  const labels = { alertname: 'CheckoutLatencyHigh', service: 'checkout', severity: 'high' };
  const annotations = {
    summary: 'Checkout latency high',
    description: 'Checkout p99 latency is above 8 s for 10 minutes.',
  };
  return {
    version: '4',
    groupKey: '{}:{alertname="CheckoutLatencyHigh"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'hotline',
    groupLabels: { alertname: 'CheckoutLatencyHigh' },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: 'http://alertmanager.example.com:9093',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations,
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example.com:9090/graph?g0.expr=checkout_latency',
        fingerprint: 'checkout-latency-high',
      },
    ],
  };
}
