import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sesMailer } from '../../functions/adapters/mailer.ts';
import { dynamoStores } from '../../functions/adapters/stores.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { verifyLink } from '../../functions/core/links.ts';
import { PageRefusedError } from '../../functions/core/pages-sms.ts';
import { alertmanager } from '../../functions/sources/alertmanager.ts';
import { ingestAlerts } from '../../functions/use-cases/ingest-alerts.ts';
import type { Mailer, Stores } from '../../functions/use-cases/ports.ts';
import { incidentDetail } from '../../functions/use-cases/read-incidents.ts';
import { recordWorkflowFailure } from '../../functions/use-cases/record-workflow-failure.ts';
import { notifyAlertsResolved, page, type StepDeps } from '../../functions/use-cases/workflow-steps.ts';
import { startSes } from '../../infra/local/ses.ts';
import { testSigningKeys } from '../support/fakes.ts';
import { fixture } from '../support/fixtures.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';
import { organisation } from '../support/organisation.ts';
import { sourceContext } from '../support/source-context.ts';

/** The page and failure mails through the SES API into the SES emulator, recorded on the real table. */

type Mail = {
  subject: string;
  from: string;
  destination: { to: string[] };
  body: { text: string; html: string };
};

let db: LocalDb;
let ses: Server;
let sesUrl: string;
let stores: Stores;
let mailer: Mailer;

beforeAll(async () => {
  db = await startLocalDb();
  ses = await startSes('127.0.0.1', 0);
  sesUrl = `http://127.0.0.1:${(ses.address() as AddressInfo).port}`;
  // The adapter's client is created at module load: it reads the endpoint the way a function does.
  process.env.AWS_ENDPOINT_URL_SESV2 = sesUrl;
  mailer = sesMailer(organisation);
  stores = dynamoStores(db.client, db.table);
});

afterAll(async () => {
  await new Promise((resolve) => ses?.close(resolve));
  await db?.stop();
});

const mailsTo = async (address: string): Promise<Mail[]> => {
  const store = (await (await fetch(`${sesUrl}/store`)).json()) as { emails: Mail[] };
  return store.emails.filter((m) => m.destination.to.includes(address));
};

async function openIncident(groupKey: string) {
  const alerts = alertmanager.parse(
    { ...fixture<Record<string, unknown>>('alertmanager', 'firing-v4'), groupKey },
    sourceContext({ now: new Date() }),
  ).alerts;
  const workflow = { start: async () => ({ executionArn: 'arn', alreadyStarted: false }) };
  const [touched] = await ingestAlerts(
    { ...stores, workflow, organisation, now: () => new Date(), newId: ulid },
    alerts,
  );
  if (!touched) throw new Error('no incident');
  return touched;
}

/** Delivers the fixture's alerts to a group again, with their status and times changed. */
async function deliver(groupKey: string, change: { status: string; startsAt?: string; endsAt?: string }) {
  const body = fixture<{ alerts: Record<string, unknown>[] }>('alertmanager', 'firing-v4');
  const alerts = alertmanager.parse(
    { ...body, groupKey, status: change.status, alerts: body.alerts.map((a) => ({ ...a, ...change })) },
    sourceContext({ now: new Date() }),
  ).alerts;
  const workflow = { start: async () => ({ executionArn: 'arn', alreadyStarted: false }) };
  await ingestAlerts({ ...stores, workflow, organisation, now: () => new Date(), newId: ulid }, alerts);
}

const resumed: string[] = [];
const keys = testSigningKeys();
const deps = (): StepDeps => ({
  ...stores,
  mailer,
  organisation,
  baseUrl: 'https://incidents.example.com',
  now: () => new Date(),
  workflow: {
    resume: async (token) => {
      resumed.push(token);
      return true;
    },
  },
  signingKeys: async () => keys,
});
const pageIncidentManager = (d: StepDeps, incident: { incidentId: string; key: string }) =>
  page(d, { ...incident, tier: 0 });

describe('paging the incident manager', () => {
  it('mails the service incident manager once, however often the task is retried', async () => {
    const incident = await openIncident('page-group');
    await pageIncidentManager(deps(), incident);
    await pageIncidentManager(deps(), incident);

    const mails = (await mailsTo('payments-oncall@example.com')).filter((m) =>
      m.subject.startsWith(`${incident.key} `),
    );
    expect(mails).toHaveLength(1);
    expect(mails[0]?.from).toBe('"Incidents" <incidents@example.com>');
    expect(mails[0]?.body.text).toMatch(
      /Acknowledge: Acknowledge and take charge <https:\/\/incidents\.example\.com\/links\/v1\.k1\./,
    );
    // The incident row links the read-only page, signed for this recipient (never the operators' JSON route).
    const view = /Incident: .* <https:\/\/incidents\.example\.com\/links\/(v1\.[^>]+)>/.exec(
      mails[0]?.body.text ?? '',
    );
    const claims = verifyLink(view?.[1] ?? '', keys, new Date());
    expect(claims).toMatchObject({
      ok: true,
      claims: { action: 'view', key: incident.key, recipient: 'payments-oncall@example.com' },
    });
    expect(mails[0]?.body.html).not.toContain('/incidents/');
    // Each firing alert with its runbook and graph, from the Alertmanager fixture's annotations and generatorURL.
    expect(mails[0]?.body.html).toContain(
      '<a href="https://runbooks.example.com/checkout/high-error-rate">Runbook</a>',
    );
    expect(mails[0]?.body.html).toMatch(
      /<a href="http:\/\/prometheus\.example\.com:9090\/graph\?[^"]+">Graph<\/a>/,
    );

    const detail = await incidentDetail(stores, incident.key);
    expect(detail.incident.status).toBe('paged');
    expect(detail.timeline.filter((e) => e.kind === 'page.sent')).toHaveLength(1);
    expect(detail.timeline.filter((e) => e.kind === 'status.changed')).toHaveLength(1);
  });

  it('writes the move to paged on the timeline once, even when the move took effect but its reply was lost', async () => {
    const incident = await openIncident('lost-move-group');
    // The first attempt's move applied, then the step failed before writing the entry (the SDK's retry of the
    // move found it done): the next attempt writes the entry with the move's own time.
    const pagedAt = '2026-11-20T10:00:00.000Z';
    await stores.incidents.change(incident.incidentId, { set: { status: 'paged', pagedAt, pageTier: 0 } });
    await pageIncidentManager(deps(), incident);
    await pageIncidentManager(deps(), incident);
    const detail = await incidentDetail(stores, incident.key);
    const moves = detail.timeline.filter((e) => e.kind === 'status.changed');
    expect(moves.map((e) => e.at)).toEqual([pagedAt]);
  });

  it('sends again when an earlier attempt died between SES and recording the send (at least once)', async () => {
    const incident = await openIncident('crash-group');
    const failing: Mailer = {
      send: async () => {
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      },
    };
    await expect(pageIncidentManager({ ...deps(), mailer: failing }, incident)).rejects.toThrow(
      /socket hang up/,
    );
    await pageIncidentManager(deps(), incident);
    const mails = (await mailsTo('payments-oncall@example.com')).filter((m) =>
      m.subject.startsWith(`${incident.key} `),
    );
    expect(mails).toHaveLength(1);
  });

  it('tells the incident manager once when every alert has resolved, and again after a re-fire clears', async () => {
    const incident = await openIncident('resolved-notice-group');
    await stores.incidents.change(incident.incidentId, {
      set: { roles: { incidentManager: 'im@example.com' } },
    });
    const current = async () => (await stores.incidents.get(incident.incidentId)) as Incident;
    await notifyAlertsResolved(deps(), await current());
    expect(await mailsTo('im@example.com')).toEqual([]);

    await deliver('resolved-notice-group', { status: 'resolved', endsAt: '2026-11-20T10:30:00.000Z' });
    await notifyAlertsResolved(deps(), await current());
    await notifyAlertsResolved(deps(), await current());
    // The alerts fire again, then clear later: a second notice.
    await deliver('resolved-notice-group', { status: 'firing', startsAt: '2026-11-20T10:45:00.000Z' });
    await notifyAlertsResolved(deps(), await current());
    await deliver('resolved-notice-group', {
      status: 'resolved',
      startsAt: '2026-11-20T10:45:00.000Z',
      endsAt: '2026-11-20T11:00:00.000Z',
    });
    await notifyAlertsResolved(deps(), await current());
    const notices = (await mailsTo('im@example.com')).filter((m) =>
      m.subject.endsWith('All alerts resolved'),
    );
    expect(notices).toHaveLength(2);
    expect(notices[0]?.body.text).toContain('stays open until its incident manager resolves it');
    expect(notices[0]?.body.text).toContain('2 resolved, none firing');
  });

  it('records a workflow failure on the timeline and tells the operators once per failure', async () => {
    const incident = await openIncident('failure-group');
    const input = {
      ...incident,
      failure: { Error: 'States.Timeout', Cause: 'PageIncidentManager timed out' },
    };
    await recordWorkflowFailure(deps(), input);
    await recordWorkflowFailure(deps(), input);
    const mails = (await mailsTo('operators@example.com')).filter((m) =>
      m.subject.startsWith(`${incident.key} `),
    );
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toContain('Workflow failed');
    expect(mails[0]?.body.text).toContain('States.Timeout');
    const detail = await incidentDetail(stores, incident.key);
    expect(detail.timeline.filter((e) => e.kind === 'workflow.failed')).toHaveLength(1);
  });
});

describe('paging whoever is on call', () => {
  const now = new Date();
  const hour = 3_600_000;
  // A daily rotation of one (Ada) that started yesterday at this hour (UTC).
  const start = new Date(now.getTime() - 24 * hour);
  const handoff = `${String(start.getUTCHours()).padStart(2, '0')}:00`;
  const onCallOrganisation = {
    ...organisation,
    people: {
      ada: {
        name: 'Ada Lovelace',
        email: 'ada.oncall@example.com',
        timeZone: 'UTC',
        notificationRules: [{ channel: 'email' as const, afterMinutes: 0 }],
      },
      alan: {
        name: 'Alan Turing',
        email: 'alan.oncall@example.com',
        timeZone: 'UTC',
        notificationRules: [{ channel: 'email' as const, afterMinutes: 0 }],
      },
    },
    schedules: {
      checkout: {
        name: 'Checkout on call',
        timeZone: 'UTC',
        rotation: {
          members: ['ada'],
          handoff: { time: handoff },
          shift: 'daily' as const,
          start: start.toISOString().slice(0, 10),
        },
      },
    },
    services: {
      ...organisation.services,
      checkout: {
        ...organisation.services.checkout,
        incidentManagers: { primary: ['schedule:checkout'], backup: [] },
      },
    },
  } as typeof organisation;
  const onCallDeps = (): StepDeps => ({ ...deps(), organisation: onCallOrganisation });

  it('pages the person the schedule names at the moment of paging, and the person an override names instead', async () => {
    const first = await openIncident('oncall-group-1');
    await page(onCallDeps(), { ...first, tier: 0 });
    expect(
      (await mailsTo('ada.oncall@example.com')).filter((m) => m.subject.startsWith(`${first.key} `)),
    ).toHaveLength(1);
    const detail = await incidentDetail(stores, first.key);
    expect(detail.incident.pagedTo).toEqual(['ada.oncall@example.com']);
    expect(detail.timeline.find((e) => e.kind === 'page.sent')?.text).toBe(
      'Paged incident manager Ada Lovelace <ada.oncall@example.com> (on call in Checkout on call).',
    );

    // Alan covers the next hour: the next incident pages him, not the rotation's holder.
    await stores.overrides.create({
      id: `cover-${ulid()}`,
      scheduleId: 'checkout',
      personId: 'alan',
      start: new Date(now.getTime() - 60_000).toISOString(),
      end: new Date(now.getTime() + hour).toISOString(),
      createdAt: new Date().toISOString(),
      createdBy: 'ops@example.com',
    });
    const second = await openIncident('oncall-group-2');
    await page(onCallDeps(), { ...second, tier: 0 });
    const toAlan = (await mailsTo('alan.oncall@example.com')).filter((m) =>
      m.subject.startsWith(`${second.key} `),
    );
    expect(toAlan).toHaveLength(1);
    expect(toAlan[0]?.body.text).toContain('you are paged as incident manager');
    expect(
      (await mailsTo('ada.oncall@example.com')).filter((m) => m.subject.startsWith(`${second.key} `)),
    ).toEqual([]);
    expect((await incidentDetail(stores, second.key)).incident.pagedTo).toEqual(['alan.oncall@example.com']);
  });
});

describe("paging through a person's notification rules", () => {
  const texts: { channel: 'sms' | 'voice'; to: string; body: string }[] = [];
  const pager = {
    sendText: async (to: string, body: string) => {
      texts.push({ channel: 'sms', to, body });
      return { messageId: `sms-${texts.length}` };
    },
    sendVoice: async (to: string, body: string) => {
      texts.push({ channel: 'voice', to, body });
      return { messageId: `voice-${texts.length}` };
    },
  };
  const rulesOrganisation = {
    ...organisation,
    people: {
      ada: {
        name: 'Ada Lovelace',
        email: 'ada.rules@example.com',
        phone: '+447700900123',
        timeZone: 'Europe/London',
        notificationRules: [
          { channel: 'email' as const, afterMinutes: 0 },
          { channel: 'sms' as const, afterMinutes: 0 },
          { channel: 'voice' as const, afterMinutes: 3 },
        ],
      },
      bob: {
        name: 'Bob Nophone',
        email: 'bob.rules@example.com',
        timeZone: 'UTC',
        notificationRules: [{ channel: 'sms' as const, afterMinutes: 0 }],
      },
    },
    services: {
      ...organisation.services,
      checkout: {
        ...organisation.services.checkout,
        incidentManagers: { primary: ['person:ada'], backup: ['person:bob'] },
      },
    },
  } as typeof organisation;
  const rulesDeps = (): StepDeps => ({
    ...deps(),
    organisation: rulesOrganisation,
    pager,
    pageCodes: stores.pageCodes,
  });

  it("mails and texts at once, calls after the rule's minutes, then waits the tier's timeout before escalating", async () => {
    const incident = await openIncident('rules-group-1');
    const first = await page(rulesDeps(), { ...incident, tier: 0 });
    // The same tier again in 3 minutes (the wait runs out then), for the call.
    expect(first).toMatchObject({ tier: 0, nextTier: 0, ackTimeoutSeconds: 180 });
    expect(texts.filter((t) => t.to === '+447700900123').map((t) => t.channel)).toEqual(['sms']);
    const sms = texts.find((t) => t.channel === 'sms')?.body ?? '';
    expect(sms).toMatch(new RegExp(`^${incident.key} SEV\\d .*\\nReply ACK \\d{6}$`, 's'));
    const code = /ACK (\d{6})/.exec(sms)?.[1] ?? '';
    expect(await stores.pageCodes.get(code, new Date())).toMatchObject({
      incidentId: incident.incidentId,
      personId: 'ada',
      phone: '+447700900123',
      address: 'ada.rules@example.com',
    });
    expect(
      (await mailsTo('ada.rules@example.com')).filter((m) => m.subject.startsWith(`${incident.key} `)),
    ).toHaveLength(1);

    // A retried step (no wait in between) texts nobody twice and does not call early.
    expect(await page(rulesDeps(), { ...incident, tier: 0 })).toMatchObject({
      nextTier: 0,
      ackTimeoutSeconds: 180,
    });
    expect(texts.filter((t) => t.to === '+447700900123').map((t) => t.channel)).toEqual(['sms']);
    // The acknowledgement wait keeps its token, and runs out 3 minutes later: the same tier again, for the call.
    await stores.incidents.change(incident.incidentId, { set: { ackTaskToken: 'wait-token-1' } });
    const second = await page(rulesDeps(), { ...incident, tier: 0 });
    expect(texts.filter((t) => t.to === '+447700900123').map((t) => t.channel)).toEqual(['sms', 'voice']);
    // The call reads the same code, digit by digit; the tier's own timeout starts after the last rule.
    expect(texts.find((t) => t.channel === 'voice')?.body).toContain('the code is');
    expect(second).toMatchObject({ tier: 0, nextTier: 1 });
    expect(second.ackTimeoutSeconds).toBeGreaterThan(180);
    // The detail never shows the page's state (it holds the wait's token).
    expect((await incidentDetail(stores, incident.key)).incident).not.toHaveProperty('tierPage');

    const detail = await incidentDetail(stores, incident.key);
    const lines = detail.timeline.filter((e) => e.kind === 'page.sent').map((e) => e.text);
    expect(lines).toEqual(
      expect.arrayContaining([
        'Paged incident manager Ada Lovelace <ada.rules@example.com>.',
        'Texted incident manager Ada Lovelace (+44********23).',
        'Called incident manager Ada Lovelace (+44********23).',
      ]),
    );
  });

  it('records a text it cannot send (no phone number) and goes on to escalate when the time is up', async () => {
    const incident = await openIncident('rules-group-2');
    const before = texts.length;
    const escalation = await page(rulesDeps(), { ...incident, tier: 1 });
    expect(texts.length).toBe(before);
    expect(escalation).toMatchObject({ tier: 1, nextTier: 2 });
    const detail = await incidentDetail(stores, incident.key);
    expect(detail.timeline.map((e) => e.text)).toContain(
      'Could not text backup incident manager (escalated) Bob Nophone: Bob Nophone has no phone number.',
    );
  });

  it("notes a text refused for the month's spend limit, for the channel check to tell the operators", async () => {
    const incident = await openIncident('rules-group-spend');
    const refused = {
      ...pager,
      sendText: async () => {
        throw new PageRefusedError(
          'spend-limit',
          'ServiceQuotaExceededException/MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT',
          'the monthly spend limit for texts was reached',
        );
      },
    };
    await page(
      { ...rulesDeps(), pager: refused, spendLimits: stores.channelHealth },
      { ...incident, tier: 0 },
    );
    const hits = await stores.channelHealth.spendLimitHits();
    expect(Object.keys(hits)).toEqual(['sms']);
    expect(Date.parse(hits.sms?.at ?? '')).not.toBeNaN();
    const detail = await incidentDetail(stores, incident.key);
    expect(
      detail.timeline.some((e) => e.text.startsWith('Could not text incident manager Ada Lovelace')),
    ).toBe(true);
    // The check stamps the limit, and a newer refusal is not undone by a stamp or a clear of the older one.
    await stores.channelHealth.settleSpendLimitHit('sms', hits.sms?.at ?? '', 10);
    expect((await stores.channelHealth.spendLimitHits()).sms?.limitUsd).toBe(10);
    await stores.channelHealth.noteSpendLimitHit('sms', '2099-01-01T00:00:00.000Z');
    await stores.channelHealth.settleSpendLimitHit('sms', hits.sms?.at ?? '', undefined);
    expect(await stores.channelHealth.spendLimitHits()).toEqual({ sms: { at: '2099-01-01T00:00:00.000Z' } });
    await stores.channelHealth.settleSpendLimitHit('sms', '2099-01-01T00:00:00.000Z', undefined);
    expect(await stores.channelHealth.spendLimitHits()).toEqual({});
  });
});
