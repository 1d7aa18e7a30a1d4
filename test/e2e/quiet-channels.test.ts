import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { hotlineClient, type Json, type Mail } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * Channels that go quiet, on the real stack's local target with IAM enforced: Ada, on call for the SRE schedule,
 * is paged; the page mail bounces (SES puts her address on the account's suppression list, as a new account does)
 * and she texts STOP to the origination number (the number goes on the opt-out list). The sweep's channel check
 * (hourly; scaled here) reads both from AWS, tells the operators once, and `GET /schedules/sre/oncall` shows them
 * with what to do. When the schedule changes hands, the person taking over is told they are on call: ahead of the
 * handoff by the checks that see it coming, else (an override made as it starts) after it, once either way.
 */

const OPERATORS = 'sre-platform@example.com';
const ADA_PHONE = '+447700900123';
const ORIGINATION = '+12065550100';
/** An hour becomes 3.6 s. */
const TIME_SCALE = 0.001;

let hotline: HotlineTarget;
const { api, mails, waitForMails } = hotlineClient(() => hotline);
beforeAll(async () => {
  hotline = await startHotline({ waitScale: 0.01, sesSuppressedReasons: ['BOUNCE', 'COMPLAINT'] });
});
afterAll(async () => hotline?.stop());

type SweepResult = {
  channels?: {
    checked: boolean;
    quiet: { personId?: string; channel: string; problem: string }[];
    told?: { appeared: number; cleared: number };
    handoffs: Record<string, string>;
    notices?: { scheduleId: string; personId: string; at: string; ahead: boolean }[];
    failed: unknown[];
  };
};
const sweep = (timeScale = TIME_SCALE) => {
  const fn = hotline.target.functions.functions.find((f) =>
    f.logicalId.startsWith('SweepUnstartedWorkflows'),
  );
  if (!fn) throw new Error('the stack has no SweepUnstartedWorkflows function');
  return hotline.target.functions.invoke(fn.arn, { channelTimeScale: timeScale }) as Promise<SweepResult>;
};
const quietMails = async () =>
  (await mails()).filter(
    (m: Mail) => m.destination.to.includes(OPERATORS) && m.subject.startsWith('Hotline - Quiet channels'),
  );
const override = async (personId: string) => {
  const start = new Date(Date.now() - 60_000).toISOString();
  const end = new Date(Date.now() + 2 * 3_600_000).toISOString();
  const added = await api('POST', '/schedules/sre/overrides', { personId, start, end });
  expect(added.status).toBe(201);
  return added.body.override.id as string;
};

describe('channels that go quiet', () => {
  it('tells the operators once of an address that bounced and a number that texted STOP, and oncall shows them', async () => {
    // Nothing quiet yet: the first check tells nobody (the sweep's answer says nothing of it).
    const first = await sweep();
    expect(first.channels).toBeUndefined();
    expect(await quietMails()).toEqual([]);

    const adaOverride = await override('ada');
    hotline.target.setMailOutcome((address) => (address === 'ada@example.com' ? 'bounce' : undefined));
    try {
      const declared = await api('POST', '/incidents', {
        summary: 'Orders stuck in the queue',
        description: 'Orders have not left the queue for 10 minutes.',
        severity: 2,
        service: 'unknown',
      });
      expect(declared.status).toBe(201);
      await waitForMails('the page to Ada', (m) => m.destination.to.includes('ada@example.com'));
      await hotline.target.settleMailEvents();
    } finally {
      hotline.target.setMailOutcome(undefined);
    }
    const stop = await fetch(`${hotline.target.urls.aws}/_local/sms/inbound`, {
      method: 'POST',
      headers: { ...hotline.operator(), 'content-type': 'application/json' },
      body: JSON.stringify({ from: ADA_PHONE, to: ORIGINATION, body: 'STOP' }),
    });
    expect(stop.status).toBe(202);

    // The next check (an hour later, scaled) finds both, and tells the operators once.
    const checked = await eventually(async () => {
      const run = await sweep();
      return run.channels?.told ? run : undefined;
    }, 'a channel check that tells the operators');
    expect(checked.channels?.quiet).toEqual([
      { personId: 'ada', channel: 'email', problem: 'suppressed' },
      { personId: 'ada', channel: 'sms', problem: 'opted-out' },
    ]);
    expect(checked.channels?.told).toEqual({ appeared: 2, cleared: 0 });
    const [told] = await waitForMails('the quiet channels to the operators', (m) =>
      m.subject.startsWith('Hotline - Quiet channels'),
    );
    expect(told?.subject).toBe('Hotline - Quiet channels: 2 went quiet');
    expect(told?.body.text).toContain('Ada Lovelace (ada): mail');
    expect(told?.body.text).toContain('delete-suppressed-destination --email-address ada@example.com');
    expect(told?.body.text).toContain('Text START');
    expect(told?.body.text).not.toContain(ADA_PHONE);

    // Checks after it find the same: nobody is told again.
    await new Promise((resolve) => setTimeout(resolve, 3_600_000 * TIME_SCALE + 200));
    const again = await sweep();
    expect(again.channels?.told).toBeUndefined();
    await sweep();
    expect(await quietMails()).toHaveLength(1);

    // The on-call answer shows Ada's quiet channels with what to do.
    const oncall = (await api('GET', '/schedules/sre/oncall')).body;
    expect(oncall.onCall.person.id).toBe('ada');
    expect((oncall.onCall.quiet as Json[]).map((q) => q.problem)).toEqual(['suppressed', 'opted-out']);
    expect(oncall.onCall.quiet[0].remedy).toContain('aws sesv2 delete-suppressed-destination');
    expect(oncall.channelsCheckedAt).toEqual(expect.any(String));
    expect(JSON.stringify(oncall)).not.toContain(ADA_PHONE);

    // Grace takes over: she is told she is on call, once.
    const removed = await api('DELETE', `/schedules/sre/overrides/${adaOverride}`);
    expect(removed.status).toBe(200);
    await override('grace');
    const handed = await eventually(async () => {
      const run = await sweep();
      return run.channels?.handoffs.sre ? run : undefined;
    }, 'a check after the handoff');
    expect(handed.channels?.handoffs).toEqual({ sre: 'grace' });
    expect(handed.channels?.notices).toEqual([
      { scheduleId: 'sre', personId: 'grace', at: expect.any(String), ahead: false },
    ]);
    const [notice] = await waitForMails('the handoff notice', (m) =>
      m.destination.to.includes('grace@example.com'),
    );
    expect(notice?.subject).toBe('Hotline - You are on call: SRE on call');
    expect(notice?.body.text).toContain('Every channel you are paged on is open.');
  });

  it('tells whoever takes over ahead of the handoff, once, with when the shift starts and ends', async () => {
    // An hour becomes 18 s: each check looks 36 s ahead, and the next check is due within 18 s of the last.
    const scale = 0.005;
    const checkedAt = async () =>
      (await api('GET', '/schedules/sre/oncall')).body.channelsCheckedAt as string | undefined;
    const lastCheck = Date.parse((await checkedAt()) ?? new Date().toISOString());
    // Alan takes over 30 s after the last check, for an hour: the next check (due within 18 s) sees it coming.
    const start = new Date(lastCheck + 30_000).toISOString();
    const end = new Date(lastCheck + 30_000 + 3_600_000).toISOString();
    expect((await api('POST', '/schedules/sre/overrides', { personId: 'alan', start, end })).status).toBe(
      201,
    );
    const ahead = await eventually(
      async () => {
        const run = await sweep(scale);
        return run.channels?.notices?.length ? run : undefined;
      },
      'a check that sees the handoff ahead',
      60_000,
      500,
    );
    expect(ahead.channels?.notices).toEqual([
      { scheduleId: 'sre', personId: 'alan', at: start, ahead: true },
    ]);
    const [notice] = await waitForMails('the notice ahead', (m) =>
      m.destination.to.includes('alan@example.com'),
    );
    expect(notice?.subject).toBe('Hotline - You are on call soon: SRE on call');
    expect(notice?.body.text).toMatch(
      /Your shift on SRE on call starts at .+ America\/New_York\) and ends at .+\./,
    );
    // The checks after it (before the handoff, and the first after it, which finds Alan on call) tell nobody.
    await eventually(
      async () => {
        const run = await sweep(scale);
        expect(run.channels?.notices ?? []).toEqual([]);
        const at = await checkedAt();
        return at && at > start ? true : undefined;
      },
      'a check after the handoff',
      90_000,
      500,
    );
    const toAlan = (await mails()).filter(
      (m: Mail) => m.destination.to.includes('alan@example.com') && m.subject.includes('on call'),
    );
    expect(toAlan).toHaveLength(1);
  }, 180_000);
});
