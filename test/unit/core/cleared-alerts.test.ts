import { describe, expect, it } from 'vitest';
import { serviceSchema } from '../../../functions/core/config.ts';
import { fitsOneSegment, smsClearedText, smsEncoding } from '../../../functions/core/pages-sms.ts';
import {
  clearedGraceSeconds,
  clearedPlan,
  IDLE_WAIT_SECONDS,
  isUnacknowledged,
} from '../../../functions/core/response.ts';
import { acknowledgementResume } from '../../../functions/core/workflow-resume.ts';

const service = (grace?: Record<1 | 2 | 3, number | null>) =>
  serviceSchema.parse({
    name: 'Checkout',
    ownerTeam: 'Payments',
    comms: { internal: ['payments@example.com'] },
    incidentManagers: { primary: ['im@example.com'] },
    approvers: { mandatory: ['head@example.com'] },
    ...(grace ? { clearedGraceMinutes: grace } : {}),
  });

describe('alerts that clear before anyone acknowledges', () => {
  it('give each severity a grace, by default 15 minutes for sev 1-2 and an hour for sev 3', () => {
    expect([1, 2, 3].map((s) => clearedGraceSeconds(service(), s as 1 | 2 | 3))).toEqual([900, 900, 3600]);
    expect(clearedGraceSeconds(service({ 1: 5, 2: null, 3: 30 }), 2)).toBeUndefined();
    expect(clearedGraceSeconds(service({ 1: 5, 2: null, 3: 30 }), 1)).toBe(300);
    expect(() => service({ 1: 0, 2: 15, 3: 60 })).toThrow();
  });

  it('wait what is left of the grace, counted from when they cleared', () => {
    const clearedAt = '2026-12-07T10:00:00.000Z';
    expect(clearedPlan(clearedAt, 900, new Date('2026-12-07T10:00:00.000Z'))).toEqual({
      waitSeconds: 900,
      resolvesAt: '2026-12-07T10:15:00.000Z',
    });
    // A step run again (a retry, a new execution) 10 minutes on waits the 5 left.
    expect(clearedPlan(clearedAt, 900, new Date('2026-12-07T10:10:00.000Z')).waitSeconds).toBe(300);
    // Past the grace: a second, never 0 or less (Step Functions wants a positive timeout).
    expect(clearedPlan(clearedAt, 900, new Date('2026-12-07T11:00:00.000Z')).waitSeconds).toBe(1);
    // No grace: a long wait for a person, nothing resolves.
    expect(clearedPlan(clearedAt, undefined, new Date(clearedAt))).toEqual({
      waitSeconds: IDLE_WAIT_SECONDS,
    });
  });

  it('apply only while nobody has acknowledged', () => {
    expect(isUnacknowledged({ status: 'new' })).toBe(true);
    expect(isUnacknowledged({ status: 'paged' })).toBe(true);
    expect(isUnacknowledged({ status: 'fixing' })).toBe(false);
    expect(isUnacknowledged({ status: 'resolved' })).toBe(false);
  });

  it('are texted in one GSM-7 segment, saying when it resolves', () => {
    const text = smsClearedText({ key: 'HOT-12345', severity: 2, resolvesAt: '2026-12-07T10:15:00.000Z' });
    expect(text).toBe(
      'HOT-12345 SEV2 alerts cleared before anyone acknowledged. Escalation stopped. Resolves as cleared at 10:15 UTC unless acknowledged.',
    );
    expect(smsEncoding(text)).toBe('GSM-7');
    expect(fitsOneSegment(text)).toBe(true);
    expect(smsClearedText({ key: 'HOT-1', severity: 1 })).toBe(
      'HOT-1 SEV1 alerts cleared before anyone acknowledged. Escalation stopped. A person resolves it.',
    );
  });

  it('resume the acknowledgement wait with events the contract knows', () => {
    expect(acknowledgementResume('cleared', { severity: 2 })).toEqual({ event: 'cleared', severity: 2 });
    expect(acknowledgementResume('refired', { severity: 1 })).toEqual({ event: 'refired', severity: 1 });
  });
});
