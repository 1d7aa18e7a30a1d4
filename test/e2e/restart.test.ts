import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalTarget, startLocalTarget } from '../../infra/local/target.ts';
import { eventually } from '../support/eventually.ts';
import { about, decisionLinks, type Json, type Mail } from '../support/hotline-client.ts';
import { completePostmortem } from '../support/postmortem-flow.ts';

/**
 * A restart of the local target is not a disaster: stopped and started again on the same data in the middle of
 * each kind of wait (acknowledgement, update, postmortem, approval), the incident goes on where it was, and the
 * mail sent before the restart (with its links) is still there. A failed execution reaches the operators as the
 * alarm would on AWS.
 */

let dir: string;
let target: LocalTarget;
const logs: string[] = [];

const start = () =>
  startLocalTarget({
    assemblyDir: inject('hotlineAssembly'),
    stackName: 'Hotline',
    dataDir: join(dir, 'data'),
    ports: { api: 0, ses: 0, aws: 0, dynamodb: 0 },
    log: (line) => logs.push(line),
    iam: 'enforce',
    // A step that fails goes to the failure path at once (its retries' back-off is not what is tested).
    retryIntervalOverrides: { OpenPostmortem: 0 },
  });

async function restart(): Promise<void> {
  await target.stop();
  target = await start();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-restart-'));
  target = await start();
});
afterAll(async () => {
  await target?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${target.urls.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${target.operatorToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}
const mails = async () =>
  ((await (await fetch(`${target.urls.ses}/store`)).json()) as { emails: Mail[] }).emails;
const waitForMails = (what: string, match: (m: Mail) => boolean, count = 1) =>
  eventually(
    async () => {
      const found = (await mails()).filter(match);
      return found.length >= count ? found : undefined;
    },
    what,
    30_000,
  );
/** The execution of the incident is at `state`, its wait's task having kept its token. */
const waitingAt = (key: string, state: string) =>
  eventually(
    async () =>
      target.stepFunctions
        .pendingTasks()
        .some((t) => t.executionArn.endsWith(`:${key}`) && t.stateName === state)
        ? true
        : undefined,
    `${key} to wait at ${state}`,
    30_000,
  );
/** The base URL of a link changes with the ports of a new target: the token is what stays. */
const onThisTarget = (link: string) => `${target.urls.api}${new URL(link).pathname}`;

describe('a restart in the middle of each wait', () => {
  it('goes on from the acknowledgement, update, postmortem and approval waits to a published postmortem', async () => {
    const declared = await api('POST', '/incidents', {
      summary: 'Card payments failing',
      description: 'Card payments fail at checkout.',
      severity: 2,
      service: 'checkout',
    });
    const key = declared.body.key as string;

    // Waiting for the acknowledgement: restart, then acknowledge from the page mail sent before it.
    await waitingAt(key, 'WaitForAcknowledgement');
    const [page] = await waitForMails('the page', about(key, ' - Paged'));
    await restart();
    expect(logs.some((l) => l.includes(`resuming ${key} at WaitForAcknowledgement`))).toBe(true);
    expect((await mails()).some((m) => m.subject === page?.subject)).toBe(true);
    await waitingAt(key, 'WaitForAcknowledgement');
    const ack = /https?:\/\/\S+\/links\/v1\.[^>\s"]+/.exec(page?.body.text ?? '')?.[0] ?? '';
    const acknowledged = await fetch(onThisTarget(ack), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(acknowledged.status).toBe(200);

    // Waiting for an update: restart, then an update goes out and the loop waits again.
    await waitingAt(key, 'WaitForUpdate');
    const tokenOf = () =>
      target.stepFunctions.pendingTasks().find((t) => t.executionArn.endsWith(`:${key}`))?.token;
    const before = tokenOf();
    await restart();
    await waitingAt(key, 'WaitForUpdate');
    // The wait goes on with its token, as on AWS where the execution never stopped: what callers hold stays good.
    expect(tokenOf()).toBe(before);
    const update = await api('POST', `/incidents/${key}/updates`, {
      summary: 'Rolled back the release.',
      status: ['Rollback done', 'Error rate falling'],
      nextSteps: ['Watch the error rate', 'Find the cause'],
      impact: 'Some card payments fail.',
      customers: { internal: 0, external: 40 },
      rootCause: 'currently unknown',
      eta: 'no ETA',
      nextUpdateAt: new Date(Date.now() + 60 * 60_000).toISOString(),
    });
    expect(update.status).toBe(201);
    expect((await api('POST', `/incidents/${key}/resolve`, { supportCases: 1 })).status).toBe(200);

    // Waiting for the postmortem: restart, then it is completed and approval asked for.
    await waitingAt(key, 'WaitForPostmortem');
    await restart();
    await waitingAt(key, 'WaitForPostmortem');
    const { postmortem } = (await api('GET', `/incidents/${key}/postmortem`)).body;
    const completed = await api('PUT', `/incidents/${key}/postmortem`, {
      version: postmortem.version,
      ...completePostmortem('Add a check of connection pool sizes to the change review checklist'),
    });
    expect(completed.status).toBe(200);
    expect((await api('POST', `/incidents/${key}/postmortem/request-approval`, {})).status).toBe(200);

    // In review when the target stops: approved from the mail sent before the restart, and published.
    await waitingAt(key, 'WaitForApproval');
    const [request] = await waitForMails(
      'the approval request',
      (m) =>
        about(key, ' - Postmortem approval requested')(m) &&
        m.destination.to.includes('head-of-payments@example.com'),
    );
    await restart();
    await waitingAt(key, 'WaitForApproval');
    const { approve } = decisionLinks(request as Mail);
    const page2 = await (await fetch(onThisTarget(approve))).text();
    const hash = /name="contentHash" value="([^"]+)"/.exec(page2)?.[1] ?? '';
    const decided = await fetch(onThisTarget(approve), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ decision: 'approved', contentHash: hash }).toString(),
    });
    expect(decided.status).toBe(200);
    await waitForMails('the published postmortem', about(key, ' - Postmortem published'));
    expect((await api('GET', `/incidents/${key}/postmortem`)).body.postmortem.status).toBe('published');
    // One execution all along: resumed, never started again.
    const executions = target.stepFunctions.executionsOf().filter((e) => e.name === key);
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
    expect(executions[0]?.events.filter((e) => e.type === 'ExecutionResumed')).toHaveLength(4);
    expect(target.iam.deniedCalls()).toEqual([]);
  }, 240_000);

  it('keeps a timed wait to its deadline across a restart, not a whole timeout again', async () => {
    const declared = await api('POST', '/incidents', {
      summary: 'Search slow',
      description: 'Search takes 10 s.',
      severity: 2,
      service: 'checkout',
    });
    const key = declared.body.key as string;
    await waitingAt(key, 'WaitForAcknowledgement');
    const before = target.stepFunctions.executionsOf().find((e) => e.name === key)?.deadline;
    expect(before?.state).toBe('WaitForAcknowledgement');
    await restart();
    await waitingAt(key, 'WaitForAcknowledgement');
    const after = target.stepFunctions.executionsOf().find((e) => e.name === key)?.deadline;
    expect(after).toEqual(before);
  });
});

describe('a failed execution', () => {
  it('reaches the operators as the alarm on failed executions would', async () => {
    const declared = await api('POST', '/incidents', {
      summary: 'Timeouts at checkout',
      description: 'Timeouts.',
      severity: 2,
      service: 'checkout',
    });
    const key = declared.body.key as string;
    const id = (await api('GET', `/incidents/${key}`)).body.incident.id as string;
    // A postmortem-only execution of an incident that is not resolved fails its first step, after its retries.
    target.stepFunctions.startExecution({
      stateMachineArn: target.stateMachines[0],
      name: `${key}-failing`,
      input: JSON.stringify({ incidentId: id, key, phase: 'postmortem' }),
    });
    const [alarm] = await waitForMails(
      'the alarm mail',
      (m) => m.subject.startsWith('ALARM: "') && m.subject.includes('ExecutionsFailed'),
      1,
    );
    expect(alarm?.destination.to).toEqual(['sre-platform@example.com']);
    expect(alarm?.body.text).toContain('An incident workflow execution failed');
  }, 120_000);
});
