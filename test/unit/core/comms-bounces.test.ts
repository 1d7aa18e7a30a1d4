import { describe, expect, it } from 'vitest';
import {
  type CommsBounce,
  isCommsListMail,
  MAX_COMMS_BOUNCES,
  withCommsBounce,
} from '../../../functions/core/comms-bounces.ts';
import type { Incident } from '../../../functions/core/incident.ts';
import { createReportAccumulator } from '../../../functions/core/report.ts';
import { reportEmail } from '../../../functions/core/report-render.ts';
import { handleMailEvent, type MailEventDeps } from '../../../functions/use-cases/mail-events.ts';
import type { IncidentChange } from '../../../functions/use-cases/ports.ts';
import { incident as reportIncident, reportOptions } from './report-support.ts';

const hostile = '<script>alert(1)</script>@example.com';
const bounce = (address: string, at: string, outcome: CommsBounce['outcome'] = 'bounced'): CommsBounce => ({
  address,
  outcome,
  detail: 'mailbox does not exist',
  at,
  kind: 'update',
});

describe('comms lists that bounce', () => {
  it('are the comms mails only, not pages or notices', () => {
    for (const kind of ['initial', 'update', 'final', 'update-external', 'final-external'])
      expect(isCommsListMail(kind), kind).toBe(true);
    for (const kind of ['page', 'page-sms', 'alerts-cleared', 'role-named', 'approval-request'])
      expect(isCommsListMail(kind), kind).toBe(false);
  });

  it('keep one entry per address, the newest, at most MAX_COMMS_BOUNCES', () => {
    const one = withCommsBounce(undefined, bounce('ops@example.com', '2026-12-07T09:00:00.000Z'));
    expect(one).toHaveLength(1);
    // The same address and outcome again changes nothing (no write).
    expect(withCommsBounce(one, bounce('OPS@example.com', '2026-12-07T09:05:00.000Z'))).toBeUndefined();
    const complained = withCommsBounce(
      one,
      bounce('ops@example.com', '2026-12-07T09:06:00.000Z', 'complained'),
    );
    expect(complained).toEqual([expect.objectContaining({ outcome: 'complained' })]);
    let list: CommsBounce[] | undefined;
    for (let i = 0; i < MAX_COMMS_BOUNCES + 10; i++)
      list = withCommsBounce(
        list,
        bounce(`p${i}@example.com`, new Date(Date.UTC(2026, 11, 7, 9, i)).toISOString()),
      );
    expect(list).toHaveLength(MAX_COMMS_BOUNCES);
    expect(list?.[0]?.address).toBe('p10@example.com');
    // Each entry is bounded: its detail cut to 300 characters.
    const long = withCommsBounce(undefined, {
      ...bounce('x@example.com', '2026-12-07T09:00:00.000Z'),
      detail: 'y'.repeat(5_000),
    });
    expect(long?.[0]?.detail).toHaveLength(300);
  });
});

describe('the mail events handler, for comms mails', () => {
  const INCIDENT = '01M97W3K3AC0CH86CVY49XBRAQ';
  const event = (kind: string, recipient: string) => ({
    EventSource: 'aws:sns',
    Sns: {
      Type: 'Notification',
      TopicArn: 'topic',
      Message: JSON.stringify({
        eventType: 'Bounce',
        mail: {
          timestamp: '2026-12-07T09:07:10.000Z',
          messageId: `m-${kind}`,
          destination: [recipient],
          tags: { incident: [INCIDENT], kind: [kind], sequence: ['3'] },
        },
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'NoEmail',
          bouncedRecipients: [{ emailAddress: recipient }],
          timestamp: '2026-12-07T09:07:11.000Z',
        },
      }),
    },
  });
  const deps = () => {
    let stored = { id: INCIDENT, key: 'HOT-1', status: 'acknowledged', severity: 2 } as unknown as Incident;
    const changes: IncidentChange[] = [];
    let conflicts = 1;
    const d: MailEventDeps = {
      topicArn: 'topic',
      incidents: {
        get: async () => stored,
        view: async () => ({ incident: stored, timeline: [], alerts: [], comms: [] }),
        appendTimeline: async () => undefined,
        change: async (_id, change) => {
          changes.push(change);
          // The first write loses to a concurrent one (another address), which the retry keeps.
          if (conflicts-- > 0) {
            stored = {
              ...stored,
              commsBounces: [bounce('other@example.com', '2026-12-07T09:07:00.000Z')],
              commsBounceWrites: 1,
            };
            return undefined;
          }
          if ((change.expect?.commsBounceWrites ?? null) !== (stored.commsBounceWrites ?? null))
            return undefined;
          stored = { ...stored, ...change.set } as Incident;
          return stored;
        },
      },
      comms: { get: async () => undefined },
      workflow: { resume: async () => true },
    };
    return { d, changes, stored: () => stored };
  };

  it('keeps a bounced update on the incident, with the concurrent one, and never a page', async () => {
    const { d, changes, stored } = deps();
    await handleMailEvent(d, event('update', 'ops@example.com'));
    expect(changes).toHaveLength(2);
    expect(stored().commsBounces?.map((b) => [b.address, b.outcome, b.detail])).toEqual([
      ['other@example.com', 'bounced', 'mailbox does not exist'],
      ['ops@example.com', 'bounced', 'mailbox does not exist'],
    ]);
    const page = deps();
    await handleMailEvent(page.d, event('page', 'oncall@example.com'));
    expect(page.changes.filter((c) => c.set?.commsBounces)).toEqual([]);
  });
});

describe('the SLO report', () => {
  it('lists the comms addresses that bounced in the period, once each, with their incidents', () => {
    const acc = createReportAccumulator(reportOptions);
    acc.addIncident(
      reportIncident('HOT-1', {
        commsBounces: [
          bounce('ops@example.com', '2026-11-24T10:05:00.000Z'),
          bounce(hostile, '2026-11-24T10:06:00.000Z'),
        ],
      }),
    );
    acc.addIncident(
      reportIncident('HOT-2', {
        commsBounces: [
          bounce('OPS@example.com', '2026-11-25T10:05:00.000Z', 'complained'),
          // Before the period: not listed.
          bounce('old@example.com', '2026-11-20T10:05:00.000Z'),
        ],
      }),
    );
    const report = acc.result();
    expect(report.commsBounces.total).toBe(2);
    expect(report.commsBounces.rows[0]).toMatchObject({
      address: 'ops@example.com',
      outcome: 'complained',
      incidents: ['HOT-1', 'HOT-2'],
      incidentCount: 2,
    });
    const mail = reportEmail(report, { title: 'Weekly SLO report' });
    expect(mail.text).toContain('COMMS ADDRESSES THAT BOUNCED');
    expect(mail.text).toContain('- ops@example.com: marked as spam: mailbox does not exist');
    expect(mail.html).toContain('Comms addresses that bounced');
    expect(mail.html).not.toContain('<script>alert(1)');
    const none = reportEmail(createReportAccumulator(reportOptions).result(), { title: 'Weekly SLO report' });
    expect(none.text).not.toContain('BOUNCED');
  });
});
