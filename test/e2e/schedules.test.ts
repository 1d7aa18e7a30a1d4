import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../functions/cli/incident.ts';
import { hotlineClient, type Json } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * On-call schedules on the local target, with the example organisation's `payments` schedule: an override is
 * added (once, however often it is sent), listed, answers who is on call, and is removed (kept, marked); the
 * function's IAM (GetItem, PutItem, UpdateItem, Query on gsi3) is enforced as on AWS. The CLI does the same.
 */

let hotline: HotlineTarget;
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

const { api, cli } = hotlineClient(() => hotline);
const HOUR = 3_600_000;

describe('schedules and overrides', () => {
  it('lists the schedules; an unknown one is a 404 and a bad at= a 400, in JSON', async () => {
    const list = await api('GET', '/schedules');
    expect(list.status).toBe(200);
    expect(list.body.schedules.map((s: Json) => s.id)).toContain('payments');
    const unknown = await api('GET', '/schedules/nope/oncall');
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'NotFound' } } });
    const bad = await api('GET', '/schedules/payments/oncall?at=yesterday');
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'ValidationError' } } });
  });

  it('an override is created once, listed, answers oncall, and is removed (then 404)', async () => {
    const now = await api('GET', '/schedules/payments/oncall');
    expect(now.status).toBe(200);
    const rotationPerson = now.body.onCall.person.id as string;
    const cover = ['ada', 'grace', 'alan'].find((p) => p !== rotationPerson) as string;
    const start = new Date(Math.floor(Date.now() / 60_000) * 60_000 - HOUR).toISOString();
    const end = new Date(Date.parse(start) + 3 * HOUR).toISOString();

    const created = await api('POST', '/schedules/payments/overrides', { personId: cover, start, end });
    expect(created.status).toBe(201);
    const id = created.body.override.id as string;
    const retried = await api('POST', '/schedules/payments/overrides', { personId: cover, start, end });
    expect(retried).toMatchObject({ status: 200, body: { created: false, override: { id } } });
    const refused = await api('POST', '/schedules/payments/overrides', { personId: 'mallory', start, end });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/personId/);

    const listed = await api('GET', '/schedules/payments/overrides');
    expect(listed.body.overrides.map((o: Json) => o.id)).toEqual([id]);

    const during = await api('GET', '/schedules/payments/oncall');
    expect(during.body.onCall).toMatchObject({ person: { id: cover }, source: 'override', overrideId: id });
    expect(during.body.onCall.start).toBe(start);
    expect(Date.parse(during.body.next[0].start)).toBeGreaterThanOrEqual(Date.parse(end));
    const later = await api('GET', `/schedules/payments/oncall?at=${encodeURIComponent(end)}`);
    expect(later.body.onCall.source).toBe('rotation');

    const removed = await api('DELETE', `/schedules/payments/overrides/${id}`);
    expect(removed).toMatchObject({ status: 200, body: { override: { id, removedAt: expect.any(String) } } });
    expect((await api('GET', '/schedules/payments/overrides')).body.overrides).toEqual([]);
    expect((await api('GET', '/schedules/payments/oncall')).body.onCall.person.id).toBe(rotationPerson);
    const again = await api('DELETE', `/schedules/payments/overrides/${id}`);
    expect(again).toMatchObject({ status: 404, body: { error: { code: 'NotFound' } } });
    const missing = await api('DELETE', '/schedules/payments/overrides/o-00000000000000000000');
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'NotFound' } } });
  });

  it('the CLI adds an override in wall times, shows it in oncall, lists and removes it', async () => {
    // Tomorrow 18:00 to the day after 09:00 on the schedule's clock (Europe/London).
    const day = (offset: number) => new Date(Date.now() + offset * 24 * HOUR).toISOString().slice(0, 10);
    const add = cli();
    expect(
      await run(
        [
          'override',
          'add',
          'payments',
          '--person',
          'grace',
          '--from',
          `${day(1)} 18:00`,
          '--to',
          `${day(2)} 09:00`,
          '--json',
        ],
        add.io,
      ),
      add.err.join('\n'),
    ).toBe(0);
    const { override } = JSON.parse(add.out.join('\n'));
    expect(override.local.start).toMatch(new RegExp(`^${day(1)}T18:00[+-]\\d{2}:\\d{2}$`));

    const at = new Date(Date.parse(override.start) + HOUR).toISOString();
    const shown = cli();
    expect(await run(['oncall', 'payments', '--at', at], shown.io)).toBe(0);
    expect(shown.out.join('\n')).toContain(`on call: Grace Hopper (grace)`);
    expect(shown.out.join('\n')).toContain(`[override ${override.id}]`);

    const listed = cli();
    expect(await run(['override', 'list', 'payments'], listed.io)).toBe(0);
    expect(listed.out.some((l) => l.startsWith(`${override.id}  Grace Hopper (grace)`))).toBe(true);

    const removed = cli();
    expect(await run(['override', 'remove', 'payments', override.id], removed.io)).toBe(0);
    expect(removed.out.join('\n')).toMatch(new RegExp(`^Override ${override.id} removed`));
    const gone = cli();
    expect(await run(['override', 'remove', 'payments', override.id], gone.io)).toBe(2);
    expect(gone.err.join('\n')).toMatch(/404/);
  });
});

/** A feed's events as a calendar library reads them (ical.js, Mozilla's). */
function eventsOf(ics: string) {
  return new ICAL.Component(ICAL.parse(ics)).getAllSubcomponents('vevent').map((component) => {
    const event = new ICAL.Event(component);
    return {
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
      summary: event.summary,
    };
  });
}

describe("a schedule's calendar feed", () => {
  it('the CLI issues the address; a calendar library reads the next shifts from it, an override included', async () => {
    const start = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 26 * HOUR).toISOString();
    const end = new Date(Date.parse(start) + 3 * HOUR).toISOString();
    const cover = await api('POST', '/schedules/payments/overrides', { personId: 'alan', start, end });
    expect(cover.status).toBe(201);

    const issued = cli();
    expect(await run(['schedule-feed', 'payments', '--days', '7'], issued.io), issued.err.join('\n')).toBe(0);
    const url = issued.out.find((line) => line.startsWith('http')) ?? '';
    expect(url).toMatch(/\/links\/v1\.[\w-]+\.[\w-]+\.[\w-]+\/calendar\.ics$/);
    expect(issued.out[0]).toMatch(/^Calendar feed of payments, until \d{4}-/);

    // No operator credential: the address is the credential.
    const feed = await fetch(url);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(feed.headers.get('cache-control')).toBe('no-store');
    const events = eventsOf(await feed.text());
    const oncall = await api('GET', '/schedules/payments/oncall');
    // The shift on now and the next handoffs, each as an event with who holds it.
    for (const shift of [oncall.body.onCall, ...oncall.body.next]) {
      expect(events).toContainEqual({
        start: shift.start,
        end: shift.end,
        summary: expect.stringMatching(new RegExp(`^${shift.person.name} on call \\(Payments`)),
      });
    }
    expect(events).toContainEqual({
      start,
      end,
      summary: expect.stringMatching(/^Alan Turing on call .*, covering$/),
    });
    for (let i = 1; i < events.length; i++) expect(events[i]?.start).toBe(events[i - 1]?.end);

    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    await api('DELETE', `/schedules/payments/overrides/${cover.body.override.id}`);
  });

  it('opened without calendar.ics, the link is a page saying what it is; a POST decides nothing', async () => {
    const issued = await api('POST', '/schedules/payments/feed', {});
    expect(issued.body.feed.days).toBe(90);
    const url = issued.body.feed.url as string;
    const page = await fetch(url.replace(/\/calendar\.ics$/, ''));
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('On-call calendar: ');
    expect(text).toContain(url);
    const posted = await fetch(url.replace(/\/calendar\.ics$/, ''), { method: 'POST' });
    expect(posted.status).toBe(405);
  });

  it('refuses a forged or foreign token (403) and bad requests (400, 404), in JSON', async () => {
    const url = (await api('POST', '/schedules/payments/feed', { days: 1 })).body.feed.url as string;
    const token = /\/links\/([^/]+)\/calendar\.ics$/.exec(url)?.[1] ?? '';
    const forged = url.replace(token, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`);
    for (const bad of [forged, `${hotline.target.urls.api}/links/not-a-token/calendar.ics`]) {
      const answer = await fetch(bad);
      expect(answer.status).toBe(403);
      expect(await answer.json()).toEqual({ error: { code: 'invalid-link', message: expect.any(String) } });
    }
    for (const body of [{ days: 0 }, { days: 367 }, { days: 'many' }, { days: 7, extra: true }]) {
      const refused = await api('POST', '/schedules/payments/feed', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error.code).toBe('ValidationError');
    }
    expect((await api('POST', '/schedules/nope/feed', {})).status).toBe(404);
  });
});
