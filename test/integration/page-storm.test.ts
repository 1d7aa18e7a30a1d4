import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sesMailer } from '../../functions/adapters/mailer.ts';
import { dynamoStores } from '../../functions/adapters/stores.ts';
import { HELD_MESSAGE_ID } from '../../functions/core/page-storm.ts';
import { alertmanager } from '../../functions/sources/alertmanager.ts';
import { ingestAlerts } from '../../functions/use-cases/ingest-alerts.ts';
import type { Mailer, Stores } from '../../functions/use-cases/ports.ts';
import { incidentDetail } from '../../functions/use-cases/read-incidents.ts';
import { alertsCleared, page, type StepDeps } from '../../functions/use-cases/workflow-steps.ts';
import { startSes } from '../../infra/local/ses.ts';
import { testSigningKeys } from '../support/fakes.ts';
import { fixture } from '../support/fixtures.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';
import { organisation } from '../support/organisation.ts';
import { sourceContext } from '../support/source-context.ts';

/**
 * An alert storm pages one person through the page step on the real table (dynalite) and the SES emulator: at
 * most `paging.sms.maxPerHour` texts, one summary, then each further text held, written on its incident's
 * timeline and mailed instead. The count is exact under concurrent pages, and a retried page keeps its place.
 */

type Mail = { subject: string; destination: { to: string[] } };

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

const LIMIT = 3;
const ADA_PHONE = '+447700900123';
const GRACE_PHONE = '+12025550123';
const ALAN_PHONE = '+447700900456';
const stormOrganisation = {
  ...organisation,
  paging: { sms: { originationIdentity: 'HOTLINE', maxPerHour: LIMIT } },
  people: {
    ada: {
      name: 'Ada Lovelace',
      email: 'ada.storm@example.com',
      phone: ADA_PHONE,
      timeZone: 'Europe/London',
      notificationRules: [
        { channel: 'email' as const, afterMinutes: 0 },
        { channel: 'sms' as const, afterMinutes: 0 },
      ],
    },
    // Calls only: the same limit, counted apart from texts.
    alan: {
      name: 'Alan Turing',
      email: 'alan.storm@example.com',
      phone: ALAN_PHONE,
      timeZone: 'UTC',
      notificationRules: [{ channel: 'voice' as const, afterMinutes: 0 }],
    },
    // Texts only: a held text goes by mail all the same.
    grace: {
      name: 'Grace Hopper',
      email: 'grace.storm@example.com',
      phone: GRACE_PHONE,
      timeZone: 'UTC',
      notificationRules: [{ channel: 'sms' as const, afterMinutes: 0 }],
    },
  },
  services: {
    ...organisation.services,
    checkout: {
      ...organisation.services.checkout,
      incidentManagers: {
        primary: ['person:ada', 'person:grace', 'person:alan'],
        backup: ['payments-lead@example.com'],
      },
    },
  },
} as typeof organisation;

const keys = testSigningKeys();
const deps = (): StepDeps => ({
  ...stores,
  mailer,
  organisation: stormOrganisation,
  baseUrl: 'https://incidents.example.com',
  now: () => new Date(),
  workflow: { resume: async () => true },
  signingKeys: async () => keys,
  pager,
  pageCodes: stores.pageCodes,
  pageCounts: stores.pageCounts,
});

/** The pages are counted per clock hour: a storm that straddles one would be two counts. */
async function awayFromTheHoursEnd() {
  const left = 3_600_000 - (Date.now() % 3_600_000);
  if (left < 60_000) await new Promise((resolve) => setTimeout(resolve, left + 1_000));
}

describe('pages to one person during an alert storm', () => {
  it(`texts ${LIMIT} pages and one summary, holds the rest on each timeline, and mails every page`, async () => {
    await awayFromTheHoursEnd();
    const storm = await Promise.all(Array.from({ length: 8 }, (_, i) => openIncident(`storm-group-${i}`)));
    // Every page at once, as the incidents' executions would; then every step retried (nothing twice).
    const first = await Promise.all(storm.map((incident) => page(deps(), { ...incident, tier: 0 })));
    await Promise.all(storm.map((incident) => page(deps(), { ...incident, tier: 0 })));
    // Held or not, each tier waits its acknowledgement timeout and then escalates as usual.
    for (const answer of first) {
      expect(answer).toMatchObject({ tier: 0, nextTier: 1 });
      expect(answer.ackTimeoutSeconds).toBeGreaterThan(0);
    }

    for (const [name, phone, address] of [
      ['Ada Lovelace', ADA_PHONE, 'ada.storm@example.com'],
      ['Grace Hopper', GRACE_PHONE, 'grace.storm@example.com'],
    ] as const) {
      const sent = texts.filter((t) => t.to === phone);
      const summaries = sent.filter((t) => t.body.includes('more pages by mail only'));
      expect(sent).toHaveLength(LIMIT + 1);
      expect(summaries).toHaveLength(1);
      expect(summaries[0]?.body).toMatch(
        new RegExp(
          `^HOT-\\d+ SEV\\d .*\\nOver ${LIMIT} texts this hour: more pages by mail only until \\d\\d:00 UTC\\.\\nReply ACK \\d{6}$`,
        ),
      );
      // Each text names a different incident: one text per incident and channel.
      const named = sent.map((t) => /^(HOT-\d+) /.exec(t.body)?.[1]);
      expect(new Set(named).size).toBe(LIMIT + 1);

      // The others are held: on their own incident's timeline, with the number redacted.
      const held: string[] = [];
      for (const incident of storm) {
        const detail = await incidentDetail(stores, incident.key);
        const entries = detail.timeline.filter((e) => e.kind === 'page.held' && e.text.includes(name));
        expect(entries.length).toBeLessThanOrEqual(1);
        if (entries[0]) held.push(incident.key);
        if (entries[0]) expect(named).not.toContain(incident.key);
        // Recorded as held: neither sent nor refused (a failure would count towards "reached nobody").
        if (entries[0]) {
          const view = await stores.incidents.view(incident.incidentId);
          const record = view?.comms.find((c) => c.kind === 'page-sms' && c.recipients.includes(address));
          expect(record).toMatchObject({ status: 'sent', messageId: HELD_MESSAGE_ID });
        }
        for (const e of entries)
          expect(e.text).toMatch(
            new RegExp(
              `^Text to incident manager ${name} \\(\\+\\d\\d\\*+\\d\\d\\) held: more than ${LIMIT} texts this hour; mail only until \\d\\d:00 UTC\\.$`,
            ),
          );
        expect(JSON.stringify(detail.timeline)).not.toContain(phone);
      }
      expect(held).toHaveLength(storm.length - LIMIT - 1);

      // Every incident's page mail arrives (Grace's rules have no mail: her held ones are mailed instead).
      const mails = (await mailsTo(address)).filter((m) =>
        storm.some((s) => m.subject.startsWith(`${s.key} `)),
      );
      expect(mails).toHaveLength(name === 'Ada Lovelace' ? storm.length : held.length);
    }
    // Alan's calls: the same limit, on a count of their own.
    const calls = texts.filter((t) => t.to === ALAN_PHONE);
    expect(calls.map((c) => c.channel)).toEqual(Array.from({ length: LIMIT + 1 }, () => 'voice'));
    expect(calls.filter((c) => c.body.includes(`more than ${LIMIT} times this hour`))).toHaveLength(1);
    const heldCalls = await Promise.all(
      storm.map(async (s) =>
        (await incidentDetail(stores, s.key)).timeline.filter(
          (e) => e.kind === 'page.held' && e.text.startsWith('Call to incident manager Alan Turing'),
        ),
      ),
    );
    expect(heldCalls.flat()).toHaveLength(storm.length - LIMIT - 1);
    expect(
      (await mailsTo('alan.storm@example.com')).filter((m) =>
        storm.some((s) => m.subject.startsWith(`${s.key} `)),
      ),
    ).toHaveLength(storm.length - LIMIT - 1);

    // Every alert clears: those texted about an incident hear it by text; a held page's person is told by mail only.
    const before = texts.length;
    for (const incident of storm) {
      await stores.incidents.change(incident.incidentId, {
        set: { alertsClearedAt: new Date().toISOString() },
      });
      await alertsCleared(deps(), incident);
    }
    const cleared = texts.slice(before).filter((t) => t.body.includes('alerts cleared'));
    expect(cleared.filter((t) => t.to === ADA_PHONE)).toHaveLength(LIMIT + 1);
    expect(cleared.filter((t) => t.to === GRACE_PHONE)).toHaveLength(LIMIT + 1);
    const grace = await incidentDetail(stores, storm[storm.length - 1]?.key ?? '');
    const lines = grace.timeline.map((e) => e.text);
    if (lines.some((t) => t.startsWith('Text to incident manager Grace Hopper')))
      expect(lines).toContain(
        'Paged incident manager Grace Hopper <grace.storm@example.com> by mail (the text was held: too many this hour).',
      );
  });
});

describe('the page count', () => {
  it('gives concurrent pages every place once, and a retried page its own place again', async () => {
    const entry = (pageId: string) => ({
      personId: 'count-test',
      channel: 'sms' as const,
      hourStart: '2026-12-07T14:00:00.000Z',
      hourEnd: '2026-12-07T15:00:00.000Z',
      pageId,
      keep: 11,
    });
    const places = await Promise.all(
      Array.from({ length: 30 }, (_, i) => stores.pageCounts.count(entry(`p${i}`))),
    );
    expect([...places].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // A retried page among the kept places answers the same place and counts nothing.
    const kept = places.indexOf(4);
    expect(await stores.pageCounts.count(entry(`p${kept}`))).toBe(4);
    expect(await stores.pageCounts.count(entry('p-new'))).toBe(31);
    // Another channel and another hour are counts of their own.
    expect(await stores.pageCounts.count({ ...entry('p0'), channel: 'voice' })).toBe(1);
    expect(await stores.pageCounts.count({ ...entry('p0'), hourStart: '2026-12-07T15:00:00.000Z' })).toBe(1);
  });
});
