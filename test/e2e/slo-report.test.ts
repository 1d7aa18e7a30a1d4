import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../functions/cli/incident.ts';
import { eventually } from '../support/eventually.ts';
import { hotlineClient, type Json } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * The SLO report on the local target (the example organisation: org-wide to engineering-leads@, the commerce
 * department's to its managers, Mondays 08:00 Europe/London): the schedule is the stack's own, firing it twice
 * mails each report once, with the CSV attachments; `POST /reports/slo` and the CLI answer the report.
 */

let hotline: HotlineTarget;
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

const { api, mails, cli } = hotlineClient(() => hotline);
const reportMails = async () => (await mails()).filter((m) => m.subject.startsWith('SLO report'));

describe('the scheduled SLO report', () => {
  it('is a schedule of the stack on the configured cron and time zone; firing it twice mails once', async () => {
    const schedule = hotline.target.schedules.list().find((s) => s.name.includes('SendSloReports'));
    expect(schedule).toMatchObject({
      expression: 'cron(0 8 ? * MON *)',
      timezone: 'Europe/London',
      enabled: true,
    });
    const name = schedule?.name ?? '';
    await hotline.target.schedules.trigger(name);
    const mails = await eventually(
      async () => {
        const found = await reportMails();
        return found.length >= 2 ? found : undefined;
      },
      'the org-wide and the department report',
      30_000,
    );
    await hotline.target.schedules.trigger(name);
    // The second run finds both runs recorded: nothing more arrives.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await reportMails()).toHaveLength(2);

    const to = mails.map((m) => m.destination.to.join(',')).sort();
    expect(to).toEqual(['commerce-managers@example.com', 'engineering-leads@example.com']);
    for (const mail of mails) {
      expect(mail.body.html).toContain('<table');
      expect(mail.body.text).toContain('SLO report');
      const files = (mail.attachments ?? []).map((a) => [a.filename, a.contentType]);
      expect(files).toEqual([
        [expect.stringMatching(/^incidents-\d{4}-\d{2}-\d{2}\.csv$/), 'text/csv'],
        [expect.stringMatching(/^actions-\d{4}-\d{2}-\d{2}\.csv$/), 'text/csv'],
      ]);
      const csv = Buffer.from(mail.attachments?.[0]?.content ?? '', 'base64').toString('utf8');
      expect(csv.split('\n')[0]).toMatch(/^key,severity,service/);
    }
  });
});

describe('POST /reports/slo', () => {
  const period = { from: '2026-11-23T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' };

  it('answers the report as JSON without mailing it', async () => {
    const before = (await reportMails()).length;
    const { status, body } = await api('POST', '/reports/slo', { ...period, department: 'commerce' });
    expect(status).toBe(200);
    expect(body.report.current).toMatchObject({ ...period, incidents: expect.any(Number) });
    expect(body.mail).toBeUndefined();
    expect((await reportMails()).length).toBe(before);
  });

  it.each([
    [{ from: period.to, to: period.from }, /from must be before to/],
    [{ from: '2025-01-01T00:00:00Z', to: period.to }, /longer than a year/],
    [{ from: 'yesterday', to: period.to }, /from must be an ISO-8601/],
    [{ from: '2026-02-31T00:00:00Z', to: period.to }, /from must be an ISO-8601/],
    [{ ...period, service: 'nope' }, /service "nope"/],
    [{ ...period, department: 'nope' }, /department "nope"/],
  ])('refuses %o with a 400 naming it', async (request, message) => {
    const { status, body } = await api('POST', '/reports/slo', request);
    expect(status).toBe(400);
    expect(body.error.message).toMatch(message);
  });

  it('is what the CLI prints, and mails it when asked', async () => {
    const { io, text } = cli();
    const before = (await reportMails()).length;
    expect(
      await run(['report', '--from', period.from, '--to', period.to, '--service', 'checkout', '--mail'], io),
    ).toBe(0);
    expect(text()).toMatch(/Incidents: \d+ \(sev 1: \d+/);
    expect(text()).toContain('Mail: sent to engineering-leads@example.com');
    await eventually(
      async () => ((await reportMails()).length === before + 1 ? true : undefined),
      'the mailed report',
      30_000,
    );
    const refused = cli();
    expect(await run(['report', '--from', period.to, '--to', period.from], refused.io)).toBe(2);
    expect(refused.errors()).toMatch(/from must be before to/);
  });
});

describe('a long period, answered later', () => {
  // A year: longer than the 31 days answered at once.
  const year = { from: '2025-11-30T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' };
  const request = async (
    method: string,
    path: string,
    body?: unknown,
    auth = true,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(`${hotline.target.urls.api}${path}`, {
      method,
      headers: { ...(auth ? hotline.operator() : {}), 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: response.status,
      location: response.headers.get('location'),
      body: (await response.json()) as Json,
    };
  };

  it('answers 202 with the run to poll, which answers 202 while it runs and 200 with the report, mailed once', async () => {
    const before = (await reportMails()).length;
    const asked = { ...year, department: 'commerce', mail: true };
    const key = { 'idempotency-key': `e2e-report-${Date.now()}` };
    const started = await request('POST', '/reports/slo', asked, true, key);
    expect(started.status).toBe(202);
    expect(started.location).toMatch(/^\/reports\/slo\/[A-Za-z0-9_-]{24}$/);
    expect(started.body).toMatchObject({ status: 'running', location: started.location });
    // Sent again with its key (a client that lost the reply): the same run, not a second one.
    const retried = await request('POST', '/reports/slo', asked, true, key);
    expect(retried.status).toBe(202);
    expect(retried.location).toBe(started.location);
    // The key with another request: 422 naming what the key asked for.
    const reused = await request('POST', '/reports/slo', { ...asked, mail: false }, true, key);
    expect(reused.status).toBe(422);
    expect(reused.body.error).toMatchObject({ code: 'IdempotencyKeyReused' });
    expect(reused.body.error.message).toContain('of department commerce, mailed');
    const badKey = await request('POST', '/reports/slo', asked, true, { 'idempotency-key': 'short' });
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.message).toMatch(/Idempotency-Key must be/);

    const done = await eventually(
      async () => {
        const answer = await request('GET', started.location ?? '');
        if (answer.status === 202) {
          // Still running: it says where to look again.
          expect(answer.location).toBe(started.location);
          return undefined;
        }
        return answer;
      },
      'the finished report',
      60_000,
    );
    expect(done.status).toBe(200);
    expect(done.body.report.current).toMatchObject({ ...year, incidents: expect.any(Number) });
    expect(done.body.mail).toMatchObject({ status: 'sent', recipients: ['commerce-managers@example.com'] });
    await eventually(
      async () => ((await reportMails()).length === before + 1 ? true : undefined),
      'the mailed report',
      30_000,
    );

    // GET changes nothing: asked again, the same answer and no more mail.
    const again = await request('GET', started.location ?? '');
    expect(again).toEqual(done);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await reportMails()).length).toBe(before + 1);
  });

  it("keeps runs behind the operators' auth (403 without it, as IAM answers), and refuses bad requests now", async () => {
    const started = await request('POST', '/reports/slo', year);
    expect(started.status).toBe(202);
    expect((await request('GET', started.location ?? '', undefined, false)).status).toBe(403);
    expect((await request('POST', '/reports/slo', year, false)).status).toBe(403);
    const unknown = await request('GET', `/reports/slo/${'A'.repeat(24)}`);
    expect(unknown.status).toBe(404);
    expect((await request('GET', '/reports/slo/not-a-run')).status).toBe(404);
    const bad = await request('POST', '/reports/slo', { ...year, department: 'nope' });
    expect(bad.status).toBe(400);
  });

  it('is waited for by the CLI', async () => {
    const base = cli();
    const { io, text, errors } = cli({ env: { ...base.io.env, HOTLINE_POLL_MS: '200' } });
    expect(await run(['report', '--from', year.from, '--to', year.to], io)).toBe(0);
    expect(errors()).toMatch(/runs in the background \(\/reports\/slo\/[A-Za-z0-9_-]{24}\)/);
    expect(text()).toContain(`SLO report ${year.from} to ${year.to}`);
  });
});
