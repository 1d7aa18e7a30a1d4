import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../functions/cli/incident.ts';
import { eventually } from '../support/eventually.ts';
import { hotlineClient } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * Corrections of the measures after the fact (POST /incidents/{key}/measures and `incident measures`), and the
 * kinds of resolution (false alarm, duplicate), on the local target: a correction is a timeline entry that keeps
 * what it replaced, and the SLO report uses the corrected times; a false alarm or a duplicate needs no postmortem.
 */

let hotline: HotlineTarget;
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());
const { cli } = hotlineClient(() => hotline);

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${hotline.target.urls.api}${path}`, {
    method,
    headers: { ...hotline.operator(), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Answer };
};

/** The parts of the API's answers these tests read. */
type Answer = {
  key?: string;
  changes?: unknown;
  error?: { message: string };
  report?: { incidentRows: { rows: { key: string; impactStartedAt: string }[] } };
  postmortem?: { version: number };
  incident?: Record<string, unknown>;
  timeline?: unknown[];
};

type Detail = {
  incident: Record<string, unknown> & { impactStartedAt: string; status: string };
  timeline: { kind: string; actor: string; text: string }[];
};
const detail = async (key: string) => (await api('GET', `/incidents/${key}`)).body as unknown as Detail;

async function declared(severity: number, since: string): Promise<string> {
  const { status, body } = await api('POST', '/incidents', {
    summary: `Checkout errors ${Math.random().toString(36).slice(2, 8)}`,
    description: 'Card payments fail at checkout.',
    severity,
    service: 'checkout',
    impactStartedAt: since,
  });
  expect(status).toBe(201);
  return body.key as string;
}

const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

describe('correcting the measures', () => {
  it('records a correction on the timeline, keeps the first values, and the report uses the corrected ones', async () => {
    // The README's example alert starts 16 days before it is sent: 390 hours of impact nobody could fix before.
    const key = await declared(2, ago(16 * 24 * 60));
    expect((await api('POST', `/incidents/${key}/resolve`, { supportCases: 0 })).status).toBe(200);
    const before = await detail(key);

    const started = ago(45);
    const corrected = await api('POST', `/incidents/${key}/measures`, {
      impactStartedAt: started,
      reason: 'The alert carried the start of an old, unrelated series',
      by: 'payments-oncall@example.com',
    });
    expect(corrected.status).toBe(200);
    expect(corrected.body.changes).toEqual([
      { field: 'impactStartedAt', from: before.incident.impactStartedAt, to: started },
    ]);
    const after = await detail(key);
    expect(after.incident.impactStartedAt).toBe(started);
    expect(after.incident.measuresRecorded).toMatchObject({
      impactStartedAt: before.incident.impactStartedAt,
    });
    const entry = after.timeline.find((t) => t.kind === 'measures.corrected');
    expect(entry?.actor).toBe('payments-oncall@example.com');
    expect(entry?.text).toContain('impact started');
    expect(entry?.text).toContain('old, unrelated series');
    // The earlier timeline is untouched: the resolution still says what it said.
    expect(after.timeline.find((t) => t.kind === 'incident.resolved')?.text).toBe(
      before.timeline.find((t) => t.kind === 'incident.resolved')?.text,
    );

    const report = await api('POST', '/reports/slo', {
      from: ago(24 * 60),
      to: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(report.status).toBe(200);
    const row = (report.body.report?.incidentRows.rows ?? []).find((r) => r.key === key);
    expect(row?.impactStartedAt).toBe(started);
  });

  it("rewrites a draft postmortem's pre-filled text with the corrected window, never what a person wrote", async () => {
    const key = await declared(2, ago(16 * 24 * 60));
    expect((await api('POST', `/incidents/${key}/resolve`, { supportCases: 0 })).status).toBe(200);
    type Draft = {
      postmortem: { version: number; fields: { summary: string; impact: string; detection: string } };
    };
    const draft = async () => (await api('GET', `/incidents/${key}/postmortem`)).body as unknown as Draft;
    const opened = await eventually(async () => {
      const got = await api('GET', `/incidents/${key}/postmortem`);
      return got.status === 200 ? (got.body as unknown as Draft) : undefined;
    }, 'the postmortem opened at resolution');
    const oldDay = new Date(Date.now() - 16 * 86_400_000).getUTCDate();
    expect(opened.postmortem.fields.impact).toContain(`UTC on ${oldDay} `);
    // The owner writes the detection field themselves: a refresh leaves it.
    const edited = await api('PUT', `/incidents/${key}/postmortem`, {
      version: opened.postmortem.version,
      fields: { detection: 'We heard from the card processor first.' },
    });
    expect(edited.status).toBe(200);

    const started = ago(45);
    const corrected = await api('POST', `/incidents/${key}/measures`, {
      impactStartedAt: started,
      reason: 'The alert carried the start of an old series',
    });
    expect(corrected.status).toBe(200);
    expect(corrected.body).toMatchObject({ postmortemFieldsRefreshed: expect.arrayContaining(['impact']) });
    const after = await draft();
    const clock = started.slice(11, 16);
    expect(after.postmortem.fields.impact).toContain(`between ${clock}`);
    expect(after.postmortem.fields.impact).not.toContain(`UTC on ${oldDay} `);
    expect(after.postmortem.fields.detection).toBe('We heard from the card processor first.');
    expect(after.postmortem.version).toBe(opened.postmortem.version + 2);
    const timeline = (await detail(key)).timeline;
    expect(
      timeline.some((t) => t.kind === 'postmortem.edited' && /follow the corrected measures/.test(t.text)),
    ).toBe(true);
  });

  it.each([
    [{ impactStartedAt: ago(10) }, /reason is missing/],
    [{ reason: 'x' }, /name at least one/],
    [{ impactStartedAt: 'yesterday', reason: 'x' }, /impactStartedAt must be an ISO-8601 time/],
    [{ impactStartedAt: new Date(Date.now() + 3_600_000).toISOString(), reason: 'x' }, /in the future/],
    [{ impactEndedAt: ago(60 * 24 * 30), reason: 'x' }, /cannot end before it started/],
    [{ severity: 1, reason: 'x' }, /severity/],
  ])('refuses %j with a 400 naming the problem, and changes nothing', async (body, message) => {
    const key = await declared(3, ago(30));
    expect((await api('POST', `/incidents/${key}/resolve`, { supportCases: 0 })).status).toBe(200);
    const before = await detail(key);
    const refused = await api('POST', `/incidents/${key}/measures`, body);
    expect(refused.status).toBe(400);
    expect(refused.body.error?.message).toMatch(message);
    const after = await detail(key);
    expect(after.incident.impactStartedAt).toBe(before.incident.impactStartedAt);
    // (The workflow's own final comms may still be landing on the timeline: only a correction would be ours.)
    expect(after.timeline.filter((t) => t.kind === 'measures.corrected')).toEqual([]);
    expect(after.incident.measuresRecorded).toBeUndefined();
  });

  it('corrects through the CLI with relative times', async () => {
    const key = await declared(2, ago(600));
    expect((await api('POST', `/incidents/${key}/resolve`, { supportCases: 1 })).status).toBe(200);
    const c = cli();
    expect(
      await run(
        ['measures', key, '--detected', '20 minutes ago', '--impact-start', '2h', '--reason', 'Late alert'],
        c.io,
      ),
    ).toBe(0);
    expect(c.out.join('\n')).toMatch(new RegExp(`${key}: impactStartedAt .* -> `));
    const d = await detail(key);
    expect(Date.now() - Date.parse(d.incident.impactStartedAt)).toBeGreaterThan(119 * 60_000);
    expect(Date.now() - Date.parse(d.incident.impactStartedAt)).toBeLessThan(125 * 60_000);
  });
});

describe('kinds of resolution', () => {
  it('resolves a sev 2 false alarm without a postmortem, and says so', async () => {
    const key = await declared(2, ago(20));
    const c = cli();
    expect(await run(['resolve', key, '--support-cases', '0', '--false-alarm'], c.io)).toBe(0);
    expect(c.out[0]).toMatch(new RegExp(`^${key} resolved as a false alarm: .*postmortem not-required$`));
    const d = await detail(key);
    expect(d.incident).toMatchObject({
      status: 'resolved',
      resolution: 'false-alarm',
      postmortem: 'not-required',
    });
    expect(d.timeline.find((t) => t.kind === 'incident.resolved')?.text).toMatch(
      /^Resolved as a false alarm by /,
    );
  });

  it('resolves a duplicate naming its incident, and refuses one that names none, itself or an unknown key', async () => {
    const first = await declared(2, ago(20));
    const second = await declared(2, ago(20));
    for (const [body, message] of [
      [{ supportCases: 0, kind: 'duplicate' }, /duplicateOf/],
      [{ supportCases: 0, kind: 'duplicate', duplicateOf: second }, /cannot duplicate itself/],
      [{ supportCases: 0, kind: 'duplicate', duplicateOf: 'HOT-999999' }, /does not exist/],
      [{ supportCases: 0, kind: 'cleared-before-acknowledgement' }, /kind must be one of/],
    ] as const) {
      const refused = await api('POST', `/incidents/${second}/resolve`, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error?.message).toMatch(message);
    }
    expect((await detail(second)).incident.status).not.toBe('resolved');
    const resolved = await api('POST', `/incidents/${second}/resolve`, {
      supportCases: 0,
      kind: 'duplicate',
      duplicateOf: first.toLowerCase(),
    });
    expect(resolved.status).toBe(200);
    expect((await detail(second)).incident).toMatchObject({
      resolution: 'duplicate',
      duplicateOf: first,
      postmortem: 'not-required',
    });
  });
});

describe('people hear when they are given something', () => {
  it('mails a new postmortem owner their editor link', async () => {
    const key = await declared(2, ago(30));
    expect((await api('POST', `/incidents/${key}/resolve`, { supportCases: 0 })).status).toBe(200);
    const opened = await eventually(async () => {
      const r = await api('GET', `/incidents/${key}/postmortem`);
      return r.status === 200 ? r.body.postmortem : undefined;
    }, `the postmortem of ${key}`);
    const c = cli();
    expect(
      await run(['postmortem', 'set', key, '--owner', 'new-owner@example.com'], c.io),
      c.err.join(' '),
    ).toBe(0);
    const mail = await eventually(async () => {
      const store = (await (await fetch(`${hotline.target.urls.ses}/store`)).json()) as {
        emails: { subject: string; destination: { to: string[] }; body: { html?: string } }[];
      };
      return store.emails.find(
        (m) => m.destination.to.includes('new-owner@example.com') && m.subject.startsWith(`${key} - `),
      );
    }, 'the new owner mail');
    const token = /\/links\/v1\.[\w-]+\.([\w-]+)\.[\w-]+/.exec(mail.body.html ?? '')?.[1] ?? '';
    expect(JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))).toMatchObject({
      action: 'edit-postmortem',
      recipient: 'new-owner@example.com',
    });
    expect(opened.version).toBeGreaterThanOrEqual(1);
  });
});
