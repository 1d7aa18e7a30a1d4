import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sesMailer } from '../../functions/adapters/mailer.ts';
import { dynamoStores } from '../../functions/adapters/stores.ts';
import { verifyLink } from '../../functions/core/links.ts';
import { RESUMED_WAIT_FALLBACK_SECONDS } from '../../functions/core/response.ts';
import type { ResumeOutput } from '../../functions/core/workflow-resume.ts';
import { declareIncident } from '../../functions/use-cases/declare-incident.ts';
import type { Mailer, Stores } from '../../functions/use-cases/ports.ts';
import { incidentDetail } from '../../functions/use-cases/read-incidents.ts';
import { changeSeverity } from '../../functions/use-cases/respond.ts';
import {
  notifyTeam,
  page,
  remindTeam,
  route,
  type StepDeps,
  updateOverdue,
  waitForAcknowledgement,
} from '../../functions/use-cases/workflow-steps.ts';
import { startSes } from '../../infra/local/ses.ts';
import { testSigningKeys } from '../support/fakes.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';
import { organisation } from '../support/organisation.ts';

/**
 * The sev 3 steps against the real table and the SES emulator, with the clock set: the team notice, the
 * business-morning reminders (one per business day), and the waits that notice a severity change.
 */

type Mail = { subject: string; destination: { to: string[] }; body: { text: string; html: string } };

let db: LocalDb;
let ses: Server;
let sesUrl: string;
let stores: Stores;
let mailer: Mailer;

beforeAll(async () => {
  db = await startLocalDb();
  ses = await startSes('127.0.0.1', 0);
  sesUrl = `http://127.0.0.1:${(ses.address() as AddressInfo).port}`;
  process.env.AWS_ENDPOINT_URL_SESV2 = sesUrl;
  mailer = sesMailer(organisation);
  stores = dynamoStores(db.client, db.table);
});

afterAll(async () => {
  await new Promise((resolve) => ses?.close(resolve));
  await db?.stop();
});

const mailsAbout = async (key: string): Promise<Mail[]> => {
  const store = (await (await fetch(`${sesUrl}/store`)).json()) as { emails: Mail[] };
  return store.emails.filter((m) => m.subject.startsWith(`${key} - `));
};

const keys = testSigningKeys();
const resumed: Array<{ token: string; output: ResumeOutput }> = [];

function deps(now: string): StepDeps {
  return {
    ...stores,
    mailer,
    organisation,
    baseUrl: 'https://incidents.example.com',
    now: () => new Date(now),
    workflow: {
      resume: async (token, output) => {
        resumed.push({ token, output });
        return true;
      },
    },
    signingKeys: async () => keys,
  };
}

// Friday 20 November 2026, 19:43 UTC: after business hours (Mon-Fri 09:00-17:00 UTC by default).
const FRIDAY_EVENING = '2026-11-20T19:43:00.000Z';
const MONDAY_MORNING = '2026-11-23T09:00:00.000Z';
const TUESDAY_MORNING = '2026-11-24T09:00:00.000Z';

async function declare(severity: 1 | 2 | 3, summary: string, now = FRIDAY_EVENING) {
  const workflow = { start: async () => ({ executionArn: 'arn', alreadyStarted: false }) };
  return declareIncident(
    { ...stores, workflow, organisation, now: () => new Date(now), newId: ulid },
    { summary, description: 'Reports are slow for admins.', severity, service: 'checkout' },
    'operator',
    ulid(),
  );
}

describe('a sev 3 passed to its owner team', () => {
  it('mails the team once with the view link and a signed acknowledge link, pages nobody, stays new', async () => {
    const incident = await declare(3, 'Admin reports slow');
    const routed = await route(deps(FRIDAY_EVENING), incident);
    expect(routed).toMatchObject({ nextTier: 0, round: 0, route: 'team' });

    const first = await notifyTeam(deps(FRIDAY_EVENING), { ...incident, round: 0 });
    const again = await notifyTeam(deps(FRIDAY_EVENING), { ...incident, round: 0 });
    expect(first).toEqual({
      round: 0,
      remindAt: MONDAY_MORNING,
      waitSeconds: (Date.parse(MONDAY_MORNING) - Date.parse(FRIDAY_EVENING)) / 1000,
    });
    expect(again).toEqual(first);

    const mails = await mailsAbout(incident.key);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.destination.to).toEqual(['payments-team@example.com']);
    expect(mails[0]?.subject).toBe(`${incident.key} - Sev 3 - Admin reports slow - Passed to your team`);
    expect(mails[0]?.body.text).toContain(
      'Reminder: Mon 23 Nov 2026 09:00 (UTC) if not acknowledged by then',
    );
    const ack = /Acknowledge: .* <https:\/\/incidents\.example\.com\/links\/(v1\.[^>]+)>/.exec(
      mails[0]?.body.text ?? '',
    );
    expect(verifyLink(ack?.[1] ?? '', keys, new Date(FRIDAY_EVENING))).toMatchObject({
      ok: true,
      claims: { action: 'acknowledge', key: incident.key, recipient: 'payments-team@example.com' },
    });
    const view = /Incident: .* <https:\/\/incidents\.example\.com\/links\/(v1\.[^>]+)>/.exec(
      mails[0]?.body.text ?? '',
    );
    expect(verifyLink(view?.[1] ?? '', keys, new Date(FRIDAY_EVENING))).toMatchObject({
      ok: true,
      claims: { action: 'view', recipient: 'payments-team@example.com' },
    });

    const detail = await incidentDetail(stores, incident.key);
    expect(detail.incident).toMatchObject({
      status: 'new',
      teamReminderDue: MONDAY_MORNING,
      teamNotifiedAt: expect.any(String),
    });
    expect(detail.incident.pagedAt).toBeUndefined();
    expect(detail.timeline.filter((e) => e.kind === 'team.notified')).toHaveLength(1);
    expect(detail.timeline.filter((e) => e.kind === 'page.sent')).toHaveLength(0);
  });

  it('reminds the team once per business day, timed from the morning each reminder is for', async () => {
    const incident = await declare(3, 'Admin exports fail');
    await notifyTeam(deps(FRIDAY_EVENING), { ...incident, round: 0 });
    // The wait ran out at Monday's start; a retried reminder sends nothing new.
    const monday = await remindTeam(deps('2026-11-23T09:00:00.400Z'), {
      ...incident,
      remindAt: MONDAY_MORNING,
      round: 0,
    });
    await remindTeam(deps('2026-11-23T09:00:03.000Z'), { ...incident, remindAt: MONDAY_MORNING, round: 0 });
    expect(monday).toMatchObject({ remindAt: TUESDAY_MORNING, waitSeconds: 86_400 });
    // A wait that ran out early (as with scaled time) still moves on by business days.
    const tuesday = await remindTeam(deps(FRIDAY_EVENING), {
      ...incident,
      remindAt: TUESDAY_MORNING,
      round: 0,
    });
    expect(tuesday.remindAt).toBe('2026-11-25T09:00:00.000Z');

    const reminders = (await mailsAbout(incident.key)).filter((m) =>
      m.subject.endsWith('Still not acknowledged'),
    );
    expect(reminders).toHaveLength(2);
    expect(reminders.every((m) => m.destination.to.join() === 'payments-team@example.com')).toBe(true);
    expect(reminders[0]?.body.text).toContain('Next reminder: Tue 24 Nov 2026 09:00 (UTC)');
    const detail = await incidentDetail(stores, incident.key);
    expect(
      detail.comms
        .filter((c) => c.kind === 'team-reminder')
        .map((c) => c.sequence)
        .sort(),
    ).toEqual([20261123, 20261124]);
    expect(detail.timeline.filter((e) => e.kind === 'team.reminded')).toHaveLength(2);
  });

  it('sends nothing to the team once the incident is acknowledged, resolved or raised', async () => {
    const incident = await declare(3, 'Admin search slow');
    await stores.incidents.change(incident.incidentId, { set: { severity: 2 } });
    expect(await notifyTeam(deps(FRIDAY_EVENING), { ...incident, round: 0 })).toMatchObject({
      skipped: true,
      waitSeconds: RESUMED_WAIT_FALLBACK_SECONDS,
    });
    await stores.incidents.change(incident.incidentId, { set: { severity: 3, status: 'fixing' } });
    expect(
      await remindTeam(deps(MONDAY_MORNING), { ...incident, remindAt: MONDAY_MORNING, round: 0 }),
    ).toMatchObject({ skipped: true });
    expect(await mailsAbout(incident.key)).toEqual([]);
  });
});

describe('severity changes while nobody has acknowledged', () => {
  it('resumes a team wait whose incident is sev 1-2 with raised, an incident manager wait on a sev 3 with lowered', async () => {
    const sev3 = await declare(3, 'Queue backlog');
    const waiting = await waitForAcknowledgement(deps(FRIDAY_EVENING), {
      ...sev3,
      token: 'team-1',
      wait: 'team',
    });
    expect(waiting).toEqual({ waiting: true });
    const wrongWait = await waitForAcknowledgement(deps(FRIDAY_EVENING), {
      ...sev3,
      token: 'im-1',
      wait: 'incidentManager',
    });
    expect(wrongWait).toEqual({ waiting: false });
    expect(resumed.find((r) => r.token === 'im-1')?.output).toMatchObject({ event: 'lowered', severity: 3 });

    // A wait of a definition from before the sev 3 route names no wait: only an acknowledgement or the
    // resolution resumes it (its Choice would take any other event for an acknowledgement).
    const legacy = await declare(3, 'Old execution');
    expect(await waitForAcknowledgement(deps(FRIDAY_EVENING), { ...legacy, token: 'legacy-1' })).toEqual({
      waiting: true,
    });
    await changeSeverity(deps(FRIDAY_EVENING), { key: legacy.key, by: 'op', severity: 2, reason: 'worse' });
    expect(resumed.filter((r) => r.token === 'legacy-1')).toEqual([]);

    const sev2 = await declare(2, 'Checkout errors');
    await waitForAcknowledgement(deps(FRIDAY_EVENING), { ...sev2, token: 'team-2', wait: 'team' });
    expect(resumed.find((r) => r.token === 'team-2')?.output).toMatchObject({ event: 'raised', severity: 2 });
  });

  it('resumes the stored wait when a change crosses between sev 3 and sev 1-2, and the next route pages again', async () => {
    const incident = await declare(2, 'Card payments failing');
    const first = await route(deps(FRIDAY_EVENING), incident);
    expect(first).toMatchObject({ route: 'page', round: 0 });
    await page(deps(FRIDAY_EVENING), { ...incident, tier: 0, round: first.round });
    await waitForAcknowledgement(deps(FRIDAY_EVENING), {
      ...incident,
      token: 'im-3',
      wait: 'incidentManager',
    });

    await changeSeverity(deps('2026-11-20T19:50:00.000Z'), {
      key: incident.key,
      by: 'operator',
      severity: 3,
      reason: 'Only the admin page',
    });
    expect(resumed.find((r) => r.token === 'im-3')?.output).toEqual({ event: 'lowered', severity: 3 });
    const lowered = await route(deps('2026-11-20T19:50:01.000Z'), incident);
    expect(lowered).toMatchObject({ route: 'team', round: 421 });
    await notifyTeam(deps('2026-11-20T19:50:01.000Z'), { ...incident, round: lowered.round });
    await waitForAcknowledgement(deps(FRIDAY_EVENING), { ...incident, token: 'team-3', wait: 'team' });

    await changeSeverity(deps('2026-11-20T19:55:00.000Z'), {
      key: incident.key,
      by: 'operator',
      severity: 1,
      reason: 'All payments fail',
    });
    expect(resumed.find((r) => r.token === 'team-3')?.output).toEqual({ event: 'raised', severity: 1 });
    const raised = await route(deps('2026-11-20T19:55:01.000Z'), incident);
    expect(raised).toMatchObject({ route: 'page', round: 721 });
    await page(deps('2026-11-20T19:55:01.000Z'), { ...incident, tier: 0, round: raised.round });
    await waitForAcknowledgement(deps('2026-11-20T19:55:02.000Z'), {
      ...incident,
      token: 'im-4',
      wait: 'incidentManager',
    });

    const mails = await mailsAbout(incident.key);
    const pages = mails.filter((m) => m.destination.to.includes('payments-oncall@example.com'));
    // Paged at sev 2, then again after being raised back (a new round): a page is not deduplicated across rounds.
    expect(pages.map((m) => m.subject)).toEqual([
      `${incident.key} - Sev 2 - Card payments failing - Paged`,
      `${incident.key} - Sev 1 - Card payments failing - Paged`,
    ]);
    expect(mails.filter((m) => m.destination.to.includes('payments-team@example.com'))).toHaveLength(1);
    // Between 1 and 2 the route stays: nothing is resumed.
    const before = resumed.length;
    await changeSeverity(deps('2026-11-20T19:56:00.000Z'), {
      key: incident.key,
      by: 'op',
      severity: 2,
      reason: 'x',
    });
    expect(resumed.length).toBe(before);
  });
});

describe('the comms cadence of a sev 3 out of hours', () => {
  it('moves an update that falls due out of business hours to the next business morning, without chasing', async () => {
    const incident = await declare(3, 'Slow invoices');
    const org = {
      ...organisation,
      services: {
        ...organisation.services,
        checkout: {
          ...(organisation.services.checkout as NonNullable<typeof organisation.services.checkout>),
          followUpCadenceMinutes: { 1: 30, 2: 60, 3: 240 },
        },
      },
    };
    const due = '2026-11-21T10:00:00.000Z'; // Saturday
    await stores.incidents.change(incident.incidentId, { set: { status: 'fixing', nextUpdateDue: due } });
    const plan = await updateOverdue(
      { ...deps('2026-11-21T10:00:01.000Z'), organisation: org },
      { ...incident, since: '2026-11-21T06:00:00.000Z' },
    );
    expect(plan.event).toBe('changed');
    expect(plan.waitSeconds).toBe(
      (Date.parse(MONDAY_MORNING) - Date.parse('2026-11-21T10:00:01.000Z')) / 1000,
    );
    const detail = await incidentDetail(stores, incident.key);
    expect(detail.incident).toMatchObject({ nextUpdateDue: MONDAY_MORNING });
    expect(detail.incident.missedUpdates).toBeUndefined();
    expect(await mailsAbout(incident.key)).toEqual([]);
  });
});
