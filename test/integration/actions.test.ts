import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dynamoStores } from '../../functions/adapters/stores.ts';
import { COMPLETE_ACTION, type TrackedAction } from '../../functions/core/actions.ts';
import type { EmailMessage } from '../../functions/core/comms.ts';
import { ConflictError, NotFoundError } from '../../functions/core/errors.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { type LinkClaims, verifyLink } from '../../functions/core/links.ts';
import { emptyFields, type Postmortem, type PostmortemAction } from '../../functions/core/postmortem.ts';
import {
  completeAction,
  listActions,
  sweepActionReminders,
  trackPostmortemActions,
} from '../../functions/use-cases/actions.ts';
import { APPROVAL_ACTION, approvalRef, decideApproval } from '../../functions/use-cases/approvals.ts';
import { decideLink, type LinkDeps, viewLink } from '../../functions/use-cases/links.ts';
import type { Mailer, Stores } from '../../functions/use-cases/ports.ts';
import type { PostmortemDeps } from '../../functions/use-cases/postmortems.ts';
import { recordingMailer, testSigningKeys } from '../support/fakes.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';
import { organisation } from '../support/organisation.ts';

/**
 * Postmortem actions on the stack's table: the projection written at approval, completion (once), the lists
 * (one Query each), the reminder sweep (each reminder once) and the "mark done" link (GET shows, POST completes).
 */

let db: LocalDb;
let stores: Stores;
const { mailer, sent } = recordingMailer();
const keys = testSigningKeys();
const APPROVED_AT = '2026-12-01T10:00:00.000Z';
const DUE = '2026-12-29T10:00:00.000Z'; // checkout's SLO: 4 weeks after approval

beforeAll(async () => {
  db = await startLocalDb();
  stores = dynamoStores(db.client, db.table);
});
afterAll(async () => db?.stop());

const deps = (now: string): PostmortemDeps & LinkDeps => ({
  ...stores,
  mailer,
  organisation,
  baseUrl: 'https://incidents.example.com',
  now: () => new Date(now),
  workflow: { resume: async () => true },
  signingKeys: async () => keys,
  keys,
  newId: ulid,
});

let number = 500;
const HASH = 'contenthash0123456789';

/** A resolved sev 2 of checkout whose postmortem (with four actions, one team each) is in review. */
async function postmortemInReview(ownerTeam = `Payments-${ulid().slice(-6)}`) {
  number += 1;
  const incident: Incident = {
    id: ulid(),
    key: `HOT-${number}`,
    number,
    status: 'resolved',
    severity: 2,
    service: 'checkout',
    summary: 'Card payments failing',
    products: ['Checkout'],
    source: 'manual',
    impactStartedAt: '2026-11-30T14:30:00.000Z',
    detectedAt: '2026-11-30T14:32:00.000Z',
    openedAt: '2026-11-30T14:32:00.000Z',
    resolvedAt: '2026-11-30T15:12:00.000Z',
    postmortem: 'required',
    executionName: `HOT-${number}`,
    updatedAt: '2026-11-30T15:12:00.000Z',
  };
  await stores.incidents.create(incident);
  await stores.incidents.putKey(incident.key, incident.id);
  const action = (
    title: string,
    kind: PostmortemAction['kind'],
    more: Partial<PostmortemAction> = {},
  ): PostmortemAction => ({
    id: ulid(),
    title,
    kind,
    category: kind === 'priority' ? 'repair' : 'detect',
    ownerTeam,
    status: 'open',
    ...more,
  });
  const actions = [
    action('Retry card authorisations once on timeout', 'priority', { dueProvisional: true }),
    action('Add a circuit breaker to the card gateway client', 'priority'),
    action('Alert on the gateway error rate', 'improvement'),
    action('Load test the gateway quarterly', 'improvement', { dueAt: '2026-12-15T10:00:00.000Z' }),
  ];
  const postmortem: Postmortem = {
    key: incident.key,
    incidentId: incident.id,
    status: 'in-review',
    version: 3,
    owner: 'payments-team@example.com',
    ownerTeam,
    service: 'checkout',
    severity: 2,
    due: '2026-12-07T17:00:00.000Z',
    openedAt: '2026-11-30T15:12:00.000Z',
    updatedAt: '2026-11-30T16:00:00.000Z',
    updatedBy: 'payments-team@example.com',
    fields: emptyFields(),
    actions,
    metrics: {},
    prefilled: [],
    approval: {
      requestedAt: '2026-11-30T16:00:00.000Z',
      requestedBy: 'payments-team@example.com',
      contentHash: HASH,
      version: 3,
      approvers: [{ address: 'head-of-payments@example.com', mandatory: true }],
    },
  };
  await stores.postmortems.create(postmortem);
  return { incident, postmortem, actions, ownerTeam };
}

/** Approves the postmortem the way its approver's link does. */
async function approve(incident: Incident) {
  const claims: LinkClaims = {
    id: ulid(),
    incidentId: incident.id,
    key: incident.key,
    action: APPROVAL_ACTION,
    recipient: 'head-of-payments@example.com',
    exp: Math.floor(Date.parse('2027-01-01T00:00:00Z') / 1000),
    ref: approvalRef('approved', HASH),
  };
  return decideApproval(deps(APPROVED_AT), claims, { contentHash: HASH }, {});
}

function queriesDuring<T>(work: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const spy = vi.spyOn(db.client, 'send');
  return work()
    .then((result) => ({
      result,
      queries: spy.mock.calls.filter(([command]) => command instanceof QueryCommand).length,
    }))
    .finally(() => spy.mockRestore());
}

describe('the action items written at approval', () => {
  it('writes one item per action, with its due date, incident, severity, service, team and approval time', async () => {
    const { incident, actions, ownerTeam } = await postmortemInReview();

    const outcome = await approve(incident);

    expect(outcome).toMatchObject({ kind: 'decided', outcome: 'approved' });
    const [first, second, third, fourth] = await Promise.all(actions.map((a) => stores.actions.get(a.id)));
    expect(first).toMatchObject({
      id: actions[0]?.id,
      title: 'Retry card authorisations once on timeout',
      kind: 'priority',
      status: 'open',
      dueAt: DUE,
      incidentId: incident.id,
      incidentKey: incident.key,
      severity: 2,
      service: 'checkout',
      ownerTeam,
      approvedAt: APPROVED_AT,
      summary: 'Card payments failing',
    });
    expect(first).not.toHaveProperty('dueProvisional');
    expect(first).not.toHaveProperty('gsi3pk');
    expect(second?.dueAt).toBe(DUE);
    expect(third?.dueAt).toBeUndefined();
    expect(fourth?.dueAt).toBe('2026-12-15T10:00:00.000Z');
    const raw = await db.client.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `ACTION#${actions[2]?.id}` },
      }),
    );
    expect(raw.Items?.[0]).toMatchObject({ gsi3pk: 'ACTIONS#OPEN', gsi3sk: `9999#${actions[2]?.id}` });
  });

  it('writes them once: tracking again (a retried approval, the publication step) changes nothing', async () => {
    const { incident, actions } = await postmortemInReview();
    await approve(incident);
    await completeAction(deps('2026-12-02T09:00:00.000Z'), {
      actionId: actions[0]?.id as string,
      by: 'ops@example.com',
      via: 'api',
    });

    const approved = await stores.postmortems.get(incident.id);
    await trackPostmortemActions(deps(APPROVED_AT), approved as Postmortem, incident.summary);

    expect(await stores.actions.get(actions[0]?.id as string)).toMatchObject({ status: 'done' });
  });
});

describe('completing an action', () => {
  it('marks the item and the postmortem done without a new version, on the timeline; a second time is a 409', async () => {
    const { incident, actions } = await postmortemInReview();
    await approve(incident);
    const before = await stores.postmortems.get(incident.id);
    const id = actions[1]?.id as string;

    const done = await completeAction(deps('2026-12-20T09:00:00.000Z'), {
      actionId: id,
      by: 'ops@example.com',
      via: 'api',
      trackerUrl: 'https://jira.example.com/PAY-9',
      note: 'Shipped in 4.2',
    });

    expect(done).toMatchObject({
      status: 'done',
      doneAt: '2026-12-20T09:00:00.000Z',
      doneBy: 'ops@example.com',
      trackerUrl: 'https://jira.example.com/PAY-9',
      note: 'Shipped in 4.2',
    });
    const after = await stores.postmortems.get(incident.id);
    expect(after?.version).toBe(before?.version);
    expect(after?.status).toBe('approved');
    expect(after?.actions.find((a) => a.id === id)).toMatchObject({
      status: 'done',
      doneAt: '2026-12-20T09:00:00.000Z',
      doneBy: 'ops@example.com',
      trackerUrl: 'https://jira.example.com/PAY-9',
    });
    expect(after?.actions.filter((a) => a.status === 'done')).toHaveLength(1);
    const view = await stores.incidents.view(incident.id);
    expect(view?.timeline.filter((e) => e.kind === 'action.completed')).toEqual([
      expect.objectContaining({ actor: 'ops@example.com', data: expect.objectContaining({ actionId: id }) }),
    ]);

    const again = completeAction(deps('2026-12-21T09:00:00.000Z'), {
      actionId: id,
      by: 'x@example.com',
      via: 'api',
    });
    await expect(again).rejects.toBeInstanceOf(ConflictError);
    await expect(again).rejects.toMatchObject({ status: 409 });
    expect(await stores.actions.get(id)).toMatchObject({ doneBy: 'ops@example.com' });
  });

  it('answers 404 for an unknown action', async () => {
    const missing = completeAction(deps(APPROVED_AT), {
      actionId: ulid(),
      by: 'ops@example.com',
      via: 'api',
    });
    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('listing actions', () => {
  it('lists by status, kind, team, service, overdue and due date, with one Query each', async () => {
    const { incident, actions, ownerTeam } = await postmortemInReview();
    await approve(incident);
    await completeAction(deps('2026-12-03T09:00:00.000Z'), {
      actionId: actions[0]?.id as string,
      by: 'ops@example.com',
      via: 'api',
    });
    const now = new Date('2026-12-20T00:00:00.000Z');
    const ids = (list: { id: string }[]) => list.map((a) => a.id);
    const list = (query: Partial<Parameters<typeof listActions>[1]>) =>
      queriesDuring(() => listActions(stores, { status: 'open', ownerTeam, now, limit: 100, ...query }));

    const open = await list({});
    expect(open.queries).toBe(1);
    // Soonest due first; the improvement without a due date last.
    expect(ids(open.result)).toEqual([actions[3]?.id, actions[1]?.id, actions[2]?.id]);

    const priority = await list({ kind: 'priority' });
    expect(priority.queries).toBe(1);
    expect(ids(priority.result)).toEqual([actions[1]?.id]);

    const overdue = await list({ overdue: true });
    expect(overdue.queries).toBe(1);
    expect(ids(overdue.result)).toEqual([actions[3]?.id]);

    const dueBefore = await list({ dueBefore: '2027-01-01T00:00:00.000Z' });
    expect(dueBefore.queries).toBe(1);
    expect(ids(dueBefore.result)).toEqual([actions[3]?.id, actions[1]?.id]);

    const otherService = await list({ service: 'unknown' });
    expect(otherService.result).toEqual([]);

    const done = await list({ status: 'done' });
    expect(done.queries).toBe(1);
    expect(done.result).toEqual([expect.objectContaining({ id: actions[0]?.id, status: 'done' })]);
  });
});

describe('reminders', () => {
  const markDoneLink = (message: EmailMessage) =>
    /Mark done: Mark this action done <https:\/\/incidents\.example\.com\/links\/(v1\.[^>]+)>/.exec(
      message.text,
    )?.[1] ?? '';

  it('reminds the team a week before, at and after due (and the approvers on breach), each once', async () => {
    const { incident, actions } = await postmortemInReview();
    await approve(incident);
    // Only the priority actions and the dated improvement of this incident matter here.
    const ours = (kind: string) =>
      sent.filter(
        (m) => m.message.subject.startsWith(`${incident.key} `) && m.message.subject.endsWith(kind),
      );
    const sweep = (now: string) => sweepActionReminders({ ...deps(now), sweeps: stores.sweeps });

    await sweep('2026-12-08T09:00:00.000Z'); // before anything is due for the priority actions
    expect(ours('Action due in 7 days')).toHaveLength(0);
    await sweep('2026-12-15T10:00:00.000Z'); // the improvement's due date
    expect(ours('Action due')).toHaveLength(1);
    await sweep('2026-12-22T10:00:00.000Z'); // a week before the priority actions
    await sweep('2026-12-22T11:00:00.000Z'); // the next hour: nothing again
    expect(ours('Action due in 7 days')).toHaveLength(2);
    expect(ours('Action due in 7 days').map((m) => m.to)).toEqual([
      ['payments-team@example.com'],
      ['payments-team@example.com'],
    ]);
    expect(ours('Action due')).toHaveLength(1);
    await sweep('2026-12-29T10:00:00.000Z');
    await sweep('2026-12-29T10:00:00.000Z');
    expect(ours('Action due')).toHaveLength(3);
    await sweep('2026-12-30T10:00:00.000Z');
    await sweep('2026-12-30T11:00:00.000Z');
    const breach = ours('Action overdue');
    expect(breach.map((m) => m.to[0]).sort()).toEqual([
      'head-of-payments@example.com',
      'head-of-payments@example.com',
      'payments-team@example.com',
      'payments-team@example.com',
    ]);
    const view = await stores.incidents.view(incident.id);
    expect(view?.timeline.filter((e) => e.kind === 'action.reminded')).toHaveLength(9);
    // Sent reminders are recorded on the item: a later sweep skips them without a write.
    expect((await stores.actions.get(actions[1]?.id as string))?.reminded).toEqual([
      'before',
      'due',
      'breach',
    ]);
    const again = await queriesDuring(() => sweep('2026-12-30T12:00:00.000Z'));
    expect(again.result.sent.filter((s) => actions.some((a) => s.startsWith(a.id)))).toEqual([]);

    // The approver's mark-done link: GET shows and changes nothing; POST completes, once, for the approver.
    const token = markDoneLink(
      breach.find((m) => m.to[0] === 'head-of-payments@example.com')?.message as EmailMessage,
    );
    const verified = verifyLink(token, keys, new Date('2026-12-30T12:00:00.000Z'));
    expect(verified).toMatchObject({ ok: true, claims: { action: COMPLETE_ACTION } });
    const claims = verified.ok ? verified.claims : undefined;
    const action = await stores.actions.get(claims?.ref as string);
    expect(action?.status).toBe('open');
    const linkDeps = deps('2026-12-30T12:00:00.000Z');

    const page = await viewLink(linkDeps, token);
    expect(page).toMatchObject({ kind: 'confirm', recipient: 'head-of-payments@example.com' });
    expect(await stores.actions.get(action?.id as string)).toMatchObject({ status: 'open' });

    const decided = await decideLink(linkDeps, token);
    expect(decided).toMatchObject({ kind: 'done', by: 'head-of-payments@example.com' });
    expect(await stores.actions.get(action?.id as string)).toMatchObject({
      status: 'done',
      doneBy: 'head-of-payments@example.com',
    });
    expect(
      (await stores.postmortems.get(incident.id))?.actions.find((a) => a.id === action?.id),
    ).toMatchObject({
      status: 'done',
    });
    expect(await decideLink(linkDeps, token)).toMatchObject({ kind: 'already-done' });
    expect(await viewLink(linkDeps, token)).toMatchObject({ kind: 'already-done' });

    // Done: no more reminders for it.
    const count = sent.length;
    await sweep('2027-01-05T10:00:00.000Z');
    expect(sent.slice(count).filter((m) => m.message.text.includes(action?.title as string))).toEqual([]);
    expect(actions).toHaveLength(4);
  });
});

describe('the reminder sweep, item by item, catching up', () => {
  /** An open action of `service` due at `dueAt`, tracked as approval tracks it, with its incident. */
  async function openAction(service: 'checkout' | 'unknown', dueAt: string, title: string) {
    number += 1;
    const incident: Incident = {
      id: ulid(),
      key: `HOT-${number}`,
      number,
      status: 'resolved',
      severity: 2,
      service,
      summary: `Incident of ${title}`,
      products: [],
      source: 'manual',
      impactStartedAt: '2027-05-01T10:00:00.000Z',
      detectedAt: '2027-05-01T10:00:00.000Z',
      openedAt: '2027-05-01T10:00:00.000Z',
      resolvedAt: '2027-05-01T11:00:00.000Z',
      postmortem: 'required',
      executionName: `HOT-${number}`,
      updatedAt: '2027-05-01T11:00:00.000Z',
    };
    await stores.incidents.create(incident);
    await stores.incidents.putKey(incident.key, incident.id);
    const action: TrackedAction = {
      id: ulid(),
      title,
      kind: 'priority',
      category: 'repair',
      ownerTeam: service === 'checkout' ? 'Payments' : 'SRE',
      status: 'open',
      dueAt,
      incidentId: incident.id,
      incidentKey: incident.key,
      summary: incident.summary,
      severity: 2,
      service,
      approvedAt: '2027-05-02T10:00:00.000Z',
    };
    await stores.actions.track([action]);
    return { incident, action };
  }

  /** SES as it refuses a recipient (MessageRejected), and the mail it sent to everybody else. */
  function refusingMailer(refused: Set<string>): {
    mailer: Mailer;
    sent: { to: readonly string[]; subject: string }[];
  } {
    const delivered: { to: readonly string[]; subject: string }[] = [];
    return {
      sent: delivered,
      mailer: {
        async send(to, message) {
          const rejected = to.find((address) => refused.has(address));
          if (rejected)
            throw Object.assign(new Error(`Email address is not verified. ${rejected}`), {
              name: 'MessageRejected',
            });
          delivered.push({ to, subject: message.subject });
          return { messageId: `m-${ulid()}` };
        },
      },
    };
  }

  const sweepWith = (now: string, mailer: Mailer) =>
    sweepActionReminders({ ...deps(now), sweeps: stores.sweeps, mailer });

  it('reminds the other actions when SES refuses one owner, records the failure, and tries it again next run', async () => {
    // Thursday 1 July 2027; the last run an hour before.
    await stores.sweeps.recordRun({
      sweep: 'ActionReminders',
      ranAt: '2027-07-01T09:00:00.000Z',
      completedAt: '2027-07-01T09:00:05.000Z',
      read: 0,
      handled: 0,
      failed: [],
      failedCount: 0,
    });
    // The refused owner's action sorts first (due earlier), so a sweep that stopped at it would remind nobody.
    const refusedOne = await openAction('checkout', '2027-07-01T11:00:00.000Z', 'Fix the card retry');
    const other = await openAction('unknown', '2027-07-01T12:00:00.000Z', 'Add a gateway dashboard');
    const refused = new Set(['payments-team@example.com']);
    const ses = refusingMailer(refused);

    const result = await sweepWith('2027-07-01T10:00:00.000Z', ses.mailer);

    expect(result.sent).toContain(`${other.action.id}:due`);
    expect(ses.sent.filter((m) => m.subject.startsWith(`${other.incident.key} `)).map((m) => m.to)).toEqual([
      ['incidents@example.com'],
    ]);
    expect(result.failed).toEqual([
      {
        item: `${refusedOne.action.id}:due`,
        error: expect.stringContaining('payments-team@example.com'),
      },
    ]);
    // Not marked sent: the next run tries it again. The failure is on the run's record.
    expect((await stores.actions.get(refusedOne.action.id))?.reminded ?? []).toEqual([]);
    expect((await stores.actions.get(other.action.id))?.reminded).toEqual(['due']);
    expect(await stores.sweeps.lastRun('ActionReminders')).toMatchObject({
      ranAt: '2027-07-01T10:00:00.000Z',
      failedCount: 1,
      failed: [{ item: `${refusedOne.action.id}:due`, error: expect.stringContaining('MessageRejected') }],
    });

    // SES takes the address again: the next run sends the missed reminder, and nothing twice.
    refused.clear();
    const next = await sweepWith('2027-07-01T11:00:00.000Z', ses.mailer);
    expect(next.failed).toEqual([]);
    expect(next.sent).toEqual([`${refusedOne.action.id}:due`]);
    expect(
      ses.sent.filter((m) => m.subject.startsWith(`${refusedOne.incident.key} `)).map((m) => m.to),
    ).toEqual([['payments-team@example.com']]);
    expect((await stores.sweeps.lastRun('ActionReminders'))?.failedCount).toBe(0);
  });

  it('still sends the breach reminder of an action due while the sweep was down for 10 days', async () => {
    // Due Friday 2 July 2027; the breach fell on Monday 5 July. The last completed run was on the 1st.
    const { incident, action } = await openAction('checkout', '2027-07-02T10:00:00.000Z', 'Rotate the keys');
    await stores.sweeps.recordRun({
      sweep: 'ActionReminders',
      ranAt: '2027-07-01T12:00:00.000Z',
      completedAt: '2027-07-01T12:00:05.000Z',
      read: 0,
      handled: 0,
      failed: [],
      failedCount: 0,
    });
    const ses = refusingMailer(new Set());

    const result = await sweepWith('2027-07-11T12:00:00.000Z', ses.mailer);

    expect(result.from).toBe('2027-06-24T12:00:00.000Z');
    expect(result.sent).toContain(`${action.id}:breach`);
    expect(
      ses.sent
        .filter((m) => m.subject.startsWith(`${incident.key} `))
        .map((m) => [m.to[0], m.subject.split(' - ').at(-1)])
        .sort(),
    ).toEqual([
      ['head-of-payments@example.com', 'Action overdue'],
      ['payments-team@example.com', 'Action overdue'],
    ]);
    expect((await stores.sweeps.lastRun('ActionReminders'))?.ranAt).toBe('2027-07-11T12:00:00.000Z');
    // A run recorded late (an older run finishing after a newer one) does not move the record back.
    expect(
      await stores.sweeps.recordRun({
        sweep: 'ActionReminders',
        ranAt: '2027-07-11T11:00:00.000Z',
        completedAt: '2027-07-11T12:00:06.000Z',
        read: 0,
        handled: 0,
        failed: [],
        failedCount: 0,
      }),
    ).toBe(false);
    expect((await stores.sweeps.lastRun('ActionReminders'))?.ranAt).toBe('2027-07-11T12:00:00.000Z');
  });

  it("reminds at the service's business morning in its own time zone, not at the due instant", async () => {
    // checkout works Mon-Fri 09:00-17:00 UTC: an action due at 23:00 on Wednesday 14 July is "due today" from
    // 09:00 that morning, not from 23:00; at 08:00 only its week-before warning is due (from 09:00 on the 7th).
    const { action } = await openAction('checkout', '2027-07-14T23:00:00.000Z', 'Load test the gateway');
    const ses = refusingMailer(new Set());
    const early = await sweepWith('2027-07-14T08:00:00.000Z', ses.mailer);
    expect(early.sent.filter((s) => s.startsWith(action.id))).toEqual([`${action.id}:before`]);
    const morning = await sweepWith('2027-07-14T09:00:00.000Z', ses.mailer);
    expect(morning.sent.filter((s) => s.startsWith(action.id))).toEqual([`${action.id}:due`]);
  });
});
