import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnFor } from '../../functions/adapters/workflow.ts';
import { reminderTime } from '../../functions/core/postmortem.ts';
import { States } from '../../infra/workflow/states.ts';
import { eventually } from '../support/eventually.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * The postmortem in the workflow, on the local target with the human waits scaled down (a day lasts under a
 * second): a sev 2 resolves into an open postmortem whose owner is reminded the day before and at the due time,
 * and whose approvers hear when it is overdue; a sev 3 postmortem asked for later gets an execution of its own.
 */

type Mail = { subject: string; destination: { to: string[] }; body: { text: string } };
// biome-ignore lint/suspicious/noExplicitAny: the API's JSON answers are read loosely
type Json = Record<string, any>;
const SCALE = 1 / 100_000;

let hotline: HotlineTarget;
beforeAll(async () => {
  hotline = await startHotline({ waitScale: SCALE });
});
afterAll(async () => hotline?.stop());

const api = async (path: string, body?: unknown) => {
  const response = await fetch(`${hotline.target.urls.api}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...hotline.operator(), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
};
const mails = async () =>
  ((await (await fetch(`${hotline.target.urls.ses}/store`)).json()) as { emails: Mail[] }).emails;
const about = (key: string, suffix: string) => (m: Mail) =>
  m.subject.startsWith(`${key} - `) && m.subject.endsWith(suffix);
const waitForMail = (what: string, match: (m: Mail) => boolean) =>
  eventually(async () => (await mails()).find(match), what, 30_000);

async function declareAndResolve(severity: 2 | 3, summary: string, postmortem?: boolean) {
  const declared = await api('/incidents', {
    summary,
    description: 'Customers cannot complete checkout.',
    severity,
    service: 'checkout',
  });
  expect(declared.status).toBe(201);
  const key = declared.body.key as string;
  expect(
    (await api(`/incidents/${key}/acknowledge`, { incidentManager: 'payments-oncall@example.com' })).status,
  ).toBe(200);
  const resolved = await api(`/incidents/${key}/resolve`, {
    supportCases: 1,
    ...(postmortem === undefined ? {} : { postmortem }),
  });
  expect(resolved.status).toBe(200);
  return key;
}

describe('the postmortem in the workflow', () => {
  it('opens at resolution, reminds the owner before and at the due time, then tells the approvers', async () => {
    const key = await declareAndResolve(2, 'Checkout slow');
    const opened = await waitForMail('the owner mail', about(key, ' - Postmortem'));
    expect(opened.destination.to).toEqual(['payments-team@example.com']);

    const before = await waitForMail('the reminder the day before', about(key, ' - Postmortem due tomorrow'));
    const due = await waitForMail('the reminder at the due time', about(key, ' - Postmortem due'));
    const overdue = await waitForMail('the note to the approvers', about(key, ' - Postmortem overdue'));
    expect(before.destination.to).toEqual(['payments-team@example.com']);
    expect(due.destination.to).toEqual(['payments-team@example.com']);
    expect(overdue.destination.to).toEqual(['head-of-payments@example.com', 'sre-lead@example.com']);
    expect(before.body.text).toMatch(/Write the postmortem: Open the editor <http:\/\/[^>]+\/links\/v1\./);

    // Each once, and in their order.
    const all = await mails();
    const subjects = all.filter((m) => m.subject.startsWith(`${key} - `)).map((m) => m.subject);
    for (const suffix of ['Postmortem', 'Postmortem due tomorrow', 'Postmortem due', 'Postmortem overdue']) {
      expect(
        subjects.filter((s) => s.endsWith(` - ${suffix}`)),
        suffix,
      ).toHaveLength(1);
    }
    const detail = await api(`/incidents/${key}`);
    const texts = (detail.body.timeline as { kind: string; text: string }[])
      .filter((e) => e.kind === 'postmortem.reminded')
      .map((e) => e.text);
    expect(texts).toEqual([
      expect.stringContaining('due tomorrow'),
      expect.stringContaining('due now'),
      expect.stringContaining('told its approvers head-of-payments@example.com, sre-lead@example.com'),
    ]);
    const { postmortem } = (await api(`/incidents/${key}/postmortem`)).body;
    expect(reminderTime(postmortem.due, 'overdue')).toBeGreaterThan(reminderTime(postmortem.due, 'before'));
    // After the last reminder the workflow waits, quietly, for the approval request.
    const execution = hotline.target.stepFunctions.describeExecution(
      executionArnFor(hotline.target.stateMachines[0] ?? '', key),
    );
    expect(execution.status).toBe('RUNNING');
    const waiting = hotline.target.stepFunctions
      .pendingTasks()
      .filter((t) => t.executionArn === execution.executionArn);
    expect(waiting.map((t) => t.stateName)).toEqual([States.WaitForPostmortem]);
  });

  it('gives a sev 3 postmortem asked for after its incident ended an execution of its own', async () => {
    const key = await declareAndResolve(3, 'Receipts late');
    const ended = await eventually(async () => {
      const status = hotline.target.stepFunctions.describeExecution(
        executionArnFor(hotline.target.stateMachines[0] ?? '', key),
      ).status;
      return status === 'RUNNING' ? undefined : status;
    }, `${key}'s execution to end`);
    expect(ended).toBe('SUCCEEDED');

    const opened = await api(`/incidents/${key}/postmortem`, {});
    expect(opened.status).toBe(201);
    expect(opened.body.postmortem).toMatchObject({ key, status: 'draft', severity: 3 });
    expect((await api(`/incidents/${key}`)).body.incident.postmortem).toBe('requested');
    await waitForMail('the owner mail', about(key, ' - Postmortem'));
    await waitForMail('the reminder the day before', about(key, ' - Postmortem due tomorrow'));
    const own = hotline.target.stepFunctions.describeExecution(
      executionArnFor(hotline.target.stateMachines[0] ?? '', `${key}-postmortem`),
    );
    expect(own.status).toBe('RUNNING');
    // Asking again opens nothing new and starts nothing new.
    expect((await api(`/incidents/${key}/postmortem`, {})).status).toBe(200);
    expect((await mails()).filter(about(key, ' - Postmortem'))).toHaveLength(1);
  });
});
