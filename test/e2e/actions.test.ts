import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../functions/cli/incident.ts';
import { type ActionReminder, reminderDue } from '../../functions/core/actions.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../functions/core/business-hours.ts';
import { parseOrganisation } from '../../functions/core/config.ts';
import { indexes, keys } from '../../functions/core/keys.ts';
import exampleOrganisation from '../../infra/organisation.example.ts';
import { about, decisionLinks, hotlineClient, type Json, type Mail } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';
import { postmortemReadyForApproval } from '../support/postmortem-flow.ts';

/**
 * Postmortem actions followed until done, on the local target: an approved postmortem's actions are listed by
 * the API, reminded by the scheduled sweep before, at and after their due date (each once, however often the
 * sweep runs) and closed from the reminder's "mark done" link (GET changes nothing, POST completes) or the API.
 * Time is scaled by moving an action's due date (as the weeks until it would pass). A reminder SES refuses is
 * counted in a metric whose alarm mails the operators, and does not stop the others.
 */

let hotline: HotlineTarget;
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

const client = hotlineClient(() => hotline);
const { api, mails, waitForMails, cli } = client;

const sweepFunction = () => {
  const fn = hotline.target.functions.functions.find((f) => f.logicalId.startsWith('SweepActionReminders'));
  if (!fn) throw new Error('the stack has no SweepActionReminders function');
  return fn.arn;
};
const sweep = () => hotline.target.functions.invoke(sweepFunction(), {}) as Promise<{ sent: string[] }>;

/** Scaled time: the action's due date moved to `dueAt`, as if the weeks until then had passed. */
async function moveDueDate(actionId: string, dueAt: string) {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: hotline.target.urls.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  await db.send(
    new UpdateCommand({
      TableName: hotline.target.tables[0],
      Key: keys.action(actionId),
      UpdateExpression: 'SET dueAt = :due, gsi3sk = :sk',
      ExpressionAttributeValues: { ':due': dueAt, ':sk': indexes.openActions.values(dueAt, actionId).gsi3sk },
    }),
  );
  db.destroy();
}

/** checkout's business hours in the organisation the target runs: reminders come at its business morning. */
const checkoutHours =
  parseOrganisation(exampleOrganisation).services.checkout?.businessHours ?? DEFAULT_BUSINESS_HOURS;

/**
 * Scaled time: a due date for which `reminder` is the one due now, and still in half an hour (so the sweeps
 * below see it), at checkout's business mornings; the latest such date (the soonest reminder), by the hour.
 */
function dueDateFor(reminder: ActionReminder, kind: 'priority' | 'improvement' = 'priority'): string {
  const now = Date.now();
  for (let hours = 15 * 24; hours > -20 * 24; hours--) {
    const dueAt = new Date(now + hours * 3_600_000).toISOString();
    const action = { kind, dueAt, status: 'open' as const };
    if (
      reminderDue(action, new Date(now), checkoutHours) === reminder &&
      reminderDue(action, new Date(now + 1_800_000), checkoutHours) === reminder
    )
      return dueAt;
  }
  throw new Error(`no due date makes the ${reminder} reminder due now`);
}

/** A sev 2 of checkout from declaration to an approved postmortem, approved from the approver's mail. */
async function approvedPostmortem(summary: string): Promise<string> {
  const key = await postmortemReadyForApproval(client, summary);
  expect((await api('POST', `/incidents/${key}/postmortem/request-approval`, {})).status).toBe(200);
  const [mail] = await waitForMails(
    'the approval request',
    about(key, ' - Postmortem approval requested', 'head-of-payments@example.com'),
  );
  const { approve } = decisionLinks(mail as Mail);
  const hash = /name="contentHash" value="([^"]+)"/.exec(await (await fetch(approve)).text())?.[1] ?? '';
  const approved = await fetch(approve, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ decision: 'approved', contentHash: hash }).toString(),
  });
  expect(approved.status).toBe(200);
  return key;
}

describe('postmortem actions followed until done', () => {
  it('is swept every hour by EventBridge Scheduler in the stack', () => {
    const schedules = hotline.target.schedules.schedules.filter((s) =>
      s.targets.some((t) => t.arn === sweepFunction()),
    );
    expect(schedules.map((s) => [s.kind, s.expression, s.enabled])).toEqual([
      ['scheduler', 'rate(1 hour)', true],
    ]);
  });

  it('lists the actions of an approved postmortem and completes one through the API, once', async () => {
    const key = await approvedPostmortem('Checkout errors (actions API)');
    const listed = await api('GET', '/actions?ownerTeam=Payments&service=checkout');
    expect(listed.status).toBe(200);
    const ours = (listed.body.actions as Json[]).filter((a) => a.incidentKey === key);
    expect(ours.map((a) => [a.kind, a.status])).toEqual([
      ['priority', 'open'],
      ['improvement', 'open'],
    ]);
    const [priority] = ours;
    expect(Date.parse(priority?.dueAt) - Date.parse(priority?.approvedAt)).toBe(4 * 7 * 86_400_000);
    expect((await api('GET', '/actions?kind=improvement&ownerTeam=Payments')).body.actions).toEqual(
      expect.arrayContaining([expect.objectContaining({ incidentKey: key, kind: 'improvement' })]),
    );

    const bad = await api('POST', `/actions/${priority?.id}/complete`, { trackerUrl: 'ftp://x.example.com' });
    expect(bad.status).toBe(400);
    expect((await api('POST', `/actions/${ulid()}/complete`, {})).status).toBe(404);
    const done = await api('POST', `/actions/${priority?.id}/complete`, {
      trackerUrl: 'https://tracker.example.com/PAY-1',
      note: 'Checklist updated',
    });
    expect(done.status).toBe(200);
    expect(done.body.action).toMatchObject({
      status: 'done',
      trackerUrl: 'https://tracker.example.com/PAY-1',
    });
    expect((await api('POST', `/actions/${priority?.id}/complete`, {})).status).toBe(409);

    const doneList = (await api('GET', '/actions?status=done')).body.actions as Json[];
    expect(doneList.map((a) => a.id)).toContain(priority?.id);
    const record = (await api('GET', `/incidents/${key}/postmortem`)).body.postmortem;
    expect(record.actions.find((a: Json) => a.id === priority?.id)).toMatchObject({ status: 'done' });
    const incident = (await api('GET', `/incidents/${key}`)).body;
    expect(JSON.stringify(incident)).toContain('action.completed');
  });

  it('reminds before, at and after due, each once, and closes the action from the mail link', async () => {
    const key = await approvedPostmortem('Checkout errors (action reminders)');
    const listed = (await api('GET', '/actions?kind=priority&ownerTeam=Payments')).body.actions as Json[];
    const action = listed.find((a) => a.incidentKey === key) as Json;
    const remindersOf = async (suffix: string) => (await mails()).filter(about(key, suffix));

    // A week before it is due: the owner team is reminded, once however often the sweep runs.
    await moveDueDate(action.id, dueDateFor('before'));
    await sweep();
    await sweep();
    await waitForMails('the week-before reminder', about(key, ' - Action due in 7 days'));
    expect((await remindersOf(' - Action due in 7 days')).map((m) => m.destination.to)).toEqual([
      ['payments-team@example.com'],
    ]);

    // Due now, then a day overdue: the team again, and on breach the approvers too.
    await moveDueDate(action.id, dueDateFor('due'));
    await sweep();
    await sweep();
    await waitForMails('the due reminder', about(key, ' - Action due'));
    await moveDueDate(action.id, dueDateFor('breach'));
    await sweep();
    await sweep();
    const breach = await waitForMails('the breach reminders', about(key, ' - Action overdue'), 2);
    expect(breach.map((m) => m.destination.to[0])).toEqual(
      expect.arrayContaining(['payments-team@example.com', 'head-of-payments@example.com']),
    );
    expect(await remindersOf(' - Action due')).toHaveLength(1);
    expect(await remindersOf(' - Action due in 7 days')).toHaveLength(1);
    const breachCount = breach.length;

    // The team's mark-done link: a GET (a mail scanner) changes nothing; the POST completes, once.
    const teamMail = breach.find((m) => m.destination.to[0] === 'payments-team@example.com') as Mail;
    const link =
      /Mark done: [^<\n]*<(https?:\/\/[^>]+\/links\/v1\.[^>]+)>/.exec(teamMail.body.text)?.[1] ?? '';
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Mark done');
    const stillOpen = (await api('GET', '/actions?status=open&ownerTeam=Payments')).body.actions as Json[];
    expect(stillOpen.map((a) => a.id)).toContain(action.id);

    const posted = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(posted.status).toBe(200);
    expect(await posted.text()).toContain('You marked the priority action');
    const doneList = (await api('GET', '/actions?status=done')).body.actions as Json[];
    expect(doneList.find((a) => a.id === action.id)).toMatchObject({
      status: 'done',
      doneBy: 'payments-team@example.com',
    });
    const again = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(await again.text()).toContain('already marked done');

    // Done: the sweep reminds it no more.
    await sweep();
    expect(await remindersOf(' - Action overdue')).toHaveLength(breachCount);
  });

  it('reminds the others when SES refuses one reminder, and the alarm on the failures mails the operators', async () => {
    const key = await approvedPostmortem('Checkout errors (a refused reminder)');
    const ours = ((await api('GET', '/actions?ownerTeam=Payments')).body.actions as Json[]).filter(
      (a) => a.incidentKey === key,
    );
    const priority = ours.find((a) => a.kind === 'priority') as Json;
    const improvement = ours.find((a) => a.kind === 'improvement') as Json;
    // The priority action is overdue (it sorts first), the improvement due today.
    await moveDueDate(priority.id, dueDateFor('breach'));
    await moveDueDate(improvement.id, dueDateFor('due', 'improvement'));
    // SES refuses every mail about the priority action (as for a suppressed or unverified address).
    hotline.target.refuseMail(({ body }) =>
      body.includes(priority.title) ? 'Email address is not verified.' : undefined,
    );
    let swept: { sent: string[]; failed: { item: string; error: string }[] };
    try {
      swept = (await sweep()) as typeof swept;
    } finally {
      hotline.target.refuseMail(undefined);
    }

    expect(swept.sent).toContain(`${improvement.id}:due`);
    expect(swept.failed).toEqual([
      { item: `${priority.id}:breach`, error: expect.stringContaining('MessageRejected') },
    ]);
    await waitForMails('the improvement reminder', about(key, ' - Action due'));
    const alarm = await waitForMails(
      'the alarm to the operators',
      (m: Mail) => m.subject === 'ALARM: "AlarmsSweepsNeedAttention" in us-east-1',
    );
    expect(alarm[0]?.destination.to).toEqual(['sre-platform@example.com']);
    expect(alarm[0]?.body.text).toContain('SweepsNeedAttention');
    expect(alarm[0]?.body.text).toContain('the action reminder sweep could not send a reminder');

    // SES takes it again: the next run sends the overdue reminders it could not send.
    const next = (await sweep()) as typeof swept;
    expect(next.failed).toEqual([]);
    expect(next.sent).toContain(`${priority.id}:breach`);
    const breach = await waitForMails('the breach reminders', about(key, ' - Action overdue'), 2);
    expect(breach.map((m) => m.destination.to[0])).toEqual(
      expect.arrayContaining(['payments-team@example.com', 'head-of-payments@example.com']),
    );
  });

  it('lists and completes actions from the CLI', async () => {
    const key = await approvedPostmortem('Checkout errors (actions CLI)');
    const listed = cli();
    expect(await run(['actions', '--team', 'Payments', '--kind', 'improvement'], listed.io)).toBe(0);
    const line = listed.out.find((l) => l.includes(key)) ?? '';
    expect(line).toContain('Add alerting for all cases');
    const id = line.split(' ')[0] ?? '';
    expect(id).toMatch(/^[0-9A-Z]{26}$/);

    const done = cli();
    expect(
      await run(
        ['action', 'complete', id, '--tracker', 'https://tracker.example.com/PAY-2', '--note', 'Live'],
        done.io,
      ),
    ).toBe(0);
    expect(done.out.join('\n')).toContain(`${key}: "Add alerting`);
    const again = cli();
    expect(await run(['action', 'complete', id], again.io)).toBe(2);
    expect(again.err.join('\n')).toMatch(/already done/);
    const doneList = cli();
    expect(await run(['actions', '--status', 'done', '--team', 'Payments'], doneList.io)).toBe(0);
    expect(doneList.out.find((l) => l.startsWith(id))).toContain('done ');
  });
});
