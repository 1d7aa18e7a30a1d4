import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, run } from '../../functions/cli/incident.ts';
import { eventually } from '../support/eventually.ts';
import { hotlineClient } from '../support/hotline-client.ts';
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

const { api, mails } = hotlineClient(() => hotline);
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
    [{ ...period, service: 'nope' }, /service "nope"/],
    [{ ...period, department: 'nope' }, /department "nope"/],
  ])('refuses %o with a 400 naming it', async (request, message) => {
    const { status, body } = await api('POST', '/reports/slo', request);
    expect(status).toBe(400);
    expect(body.error.message).toMatch(message);
  });

  it('is what the CLI prints, and mails it when asked', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      env: { HOTLINE_URL: hotline.target.urls.api, HOTLINE_TOKEN: hotline.target.operatorToken },
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      fetch,
    };
    const before = (await reportMails()).length;
    expect(
      await run(['report', '--from', period.from, '--to', period.to, '--service', 'checkout', '--mail'], io),
    ).toBe(0);
    expect(out.join('\n')).toMatch(/Incidents: \d+ \(sev 1: \d+/);
    expect(out.join('\n')).toContain('Mail: sent to engineering-leads@example.com');
    await eventually(
      async () => ((await reportMails()).length === before + 1 ? true : undefined),
      'the mailed report',
      30_000,
    );
    const refused = { out: [] as string[], err: [] as string[] };
    const refusedIo: CliIo = { ...io, out: (l) => refused.out.push(l), err: (l) => refused.err.push(l) };
    expect(await run(['report', '--from', period.to, '--to', period.from], refusedIo)).toBe(2);
    expect(refused.err.join('\n')).toMatch(/from must be before to/);
  });
});
