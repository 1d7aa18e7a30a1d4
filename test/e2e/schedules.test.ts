import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, run } from '../../functions/cli/incident.ts';
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

const { api } = hotlineClient(() => hotline);
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
    const cli = () => {
      const out: string[] = [];
      const err: string[] = [];
      const io: CliIo = {
        env: { HOTLINE_URL: hotline.target.urls.api, HOTLINE_TOKEN: hotline.target.operatorToken },
        out: (line) => out.push(line),
        err: (line) => err.push(line),
        fetch,
      };
      return { io, out, err };
    };
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
