import { describe, expect, it } from 'vitest';
import { fitsOneSegment } from '../../../functions/core/pages-sms.ts';
import { acknowledgementAnswerText, clockText } from '../../../functions/core/sms-replies.ts';

describe('the answer to an SMS reply', () => {
  it("tells the replier they acknowledged, at their clock's time", () => {
    expect(
      acknowledgementAnswerText({
        key: 'HOT-42',
        byReplier: true,
        acknowledgedBy: 'Ada Lovelace',
        acknowledgedAt: '2026-07-01T02:05:00.000Z',
        timeZone: 'Europe/London',
      }),
    ).toBe('HOT-42 acknowledged by you at 2026-07-01 03:05 Europe/London.');
  });

  it('tells who acknowledged before, and when, across the date line of their zone', () => {
    expect(
      acknowledgementAnswerText({
        key: 'HOT-42',
        byReplier: false,
        acknowledgedBy: 'Grace Hopper',
        acknowledgedAt: '2026-12-07T02:59:00.000Z',
        timeZone: 'America/New_York',
      }),
    ).toBe('HOT-42 was already acknowledged by Grace Hopper at 2026-12-06 21:59 America/New_York.');
  });

  it('strips control characters from a name and cuts a long one, staying within one SMS', () => {
    const text = acknowledgementAnswerText({
      key: 'HOT-123456',
      byReplier: false,
      acknowledgedBy: `Someone\nwith a very long name indeed, longer than anyone's ${'x'.repeat(200)}`,
      acknowledgedAt: '2026-12-07T02:59:00.000Z',
      timeZone: 'America/Argentina/Buenos_Aires',
    });
    expect(text).not.toContain('\n');
    expect(text).toContain('by Someone with a very long name indeed,... at');
    expect(fitsOneSegment(text)).toBe(true);
  });

  it('reads a half-hour zone and daylight saving', () => {
    expect(clockText('2026-03-29T00:30:00.000Z', 'Europe/London')).toBe('2026-03-29 00:30 Europe/London');
    expect(clockText('2026-03-29T01:30:00.000Z', 'Europe/London')).toBe('2026-03-29 02:30 Europe/London');
    expect(clockText('2026-12-07T03:00:00.000Z', 'Asia/Kolkata')).toBe('2026-12-07 08:30 Asia/Kolkata');
  });
});
