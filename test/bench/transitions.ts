import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executionArnFor } from '../../functions/adapters/workflow.ts';
import { startLocalTarget } from '../../infra/local/target.ts';

/**
 * Step Functions cost of one incident: a sev 2 declared, acknowledged, three on-time follow-ups, resolved, its
 * postmortem opened and its owner reminded twice (the day before and at the due time), run by the local target
 * from the synthesized definition. Standard workflows bill per state transition. The sev 3 variant runs the same
 * lifecycle through the owner team's wait (acknowledged before the next business morning, so no reminder) and
 * ends without a postmortem.
 */

export const transitionTarget = 60;
/** Standard workflows, us-east-1 list price: $0.025 per 1,000 state transitions. */
const DOLLARS_PER_TRANSITION = 0.025 / 1000;

export interface TransitionResult {
  transitions: number;
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
    const states = entered();
    const retried = record.events.filter((e) => /Retr/.test(e.type)).length;
    const transitions = states.length + retried;
    const byState: Record<string, number> = {};
    for (const state of states) byState[state ?? '?'] = (byState[state ?? '?'] ?? 0) + 1;
    const lambdaTasks = record.events.filter(
      (e) => e.type === 'StateEntered' && e.stateType === 'Task',
    ).length;
    return {
      transitions,
      byState,
      lambdaTasks,
      dollarsPer1000Incidents: transitions * DOLLARS_PER_TRANSITION * 1000,
      ok: transitions <= transitionTarget,
    };
  } finally {
    await target.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
