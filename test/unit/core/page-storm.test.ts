import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  heldWords,
  hourWindow,
  placesKept,
  smsStormSummaryText,
  stormDecision,
  stormLimit,
  summaryWords,
  voiceStormSummaryText,
} from '../../../functions/core/page-storm.ts';
import { fitsOneSegment } from '../../../functions/core/pages-sms.ts';

const page = {
  key: 'HOT-42',
  severity: 1 as const,
  summary: 'Checkout API 5xx above 5%',
  code: '048213',
  maxPerHour: 10,
  until: '2026-12-07T15:00:00.000Z',
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: the property is that none survive
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

describe('what a page does at its place in the hour', () => {
  it('sends every page without a limit', () => {
    expect([1, 10, 11, 500].map((n) => stormDecision(undefined, n))).toEqual([
      'send',
      'send',
      'send',
      'send',
    ]);
  });

  it('sends up to the limit, exactly at it too, sends the summary once, then holds', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => stormDecision(3, n))).toEqual([
      'send',
      'send',
      'send',
      'summary',
      'hold',
      'hold',
      'hold',
    ]);
  });

  it('sends one summary and no page at a limit of one', () => {
    expect([1, 2, 3].map((n) => stormDecision(1, n))).toEqual(['send', 'summary', 'hold']);
  });

  it('keeps the places of the limit and the summary by page', () => {
    expect(placesKept(10)).toBe(11);
  });
});

describe('the hour a page is counted in', () => {
  it('is the clock hour in UTC: a new hour is a new count', () => {
    expect(hourWindow(new Date('2026-12-07T14:59:59.999Z'))).toEqual({
      start: '2026-12-07T14:00:00.000Z',
      end: '2026-12-07T15:00:00.000Z',
    });
    expect(hourWindow(new Date('2026-12-07T15:00:00.000Z')).start).toBe('2026-12-07T15:00:00.000Z');
    expect(hourWindow(new Date('2026-12-31T23:30:00.000Z')).end).toBe('2027-01-01T00:00:00.000Z');
  });
});

describe('the storm summary text', () => {
  it('is the page with the limit, mail only until the hour ends, and the code', () => {
    expect(smsStormSummaryText(page)).toBe(
      'HOT-42 SEV1 Checkout API 5xx above 5%\nOver 10 texts this hour: more pages by mail only until 15:00 UTC.\nReply ACK 048213',
    );
  });

  it('cuts a long summary to one segment, keeping the key, severity, limit and code whole', () => {
    const text = smsStormSummaryText({
      ...page,
      summary: 'Database replica lag '.repeat(20),
      maxPerHour: 120,
    });
    expect(fitsOneSegment(text)).toBe(true);
    expect(text).toMatch(
      /^HOT-42 SEV1 Database replica lag .*\.\.\.\nOver 120 texts this hour: more pages by mail only until 15:00 UTC\.\nReply ACK 048213$/,
    );
  });

  it('leaves out a summary that needs UCS-2 rather than split the text', () => {
    const text = smsStormSummaryText({ ...page, summary: 'Zahlungen fallen aus 💥' });
    expect(fitsOneSegment(text)).toBe(true);
    expect(text).toBe(
      'HOT-42 SEV1\nOver 10 texts this hour: more pages by mail only until 15:00 UTC.\nReply ACK 048213',
    );
  });

  it('strips control characters from the summary', () => {
    const text = smsStormSummaryText({ ...page, summary: 'line one\r\nline\u0007 two\u202e' });
    expect(text.split('\n')[0]).toBe('HOT-42 SEV1 line one line two');
  });

  it('is always one segment, with no control characters of the user, whatever the summary', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 400 }),
          fc.string({ unit: 'grapheme', maxLength: 300 }),
        ),
        fc.integer({ min: 1, max: 120 }),
        (summary, maxPerHour) => {
          const text = smsStormSummaryText({ ...page, summary, maxPerHour });
          expect(fitsOneSegment(text)).toBe(true);
          expect(text.replace(/\n/g, ' ')).not.toMatch(CONTROL);
          expect(text.endsWith('\nReply ACK 048213')).toBe(true);
          expect(text.startsWith('HOT-42 SEV1')).toBe(true);
        },
      ),
    );
  });

  it('has a spoken form for a call', () => {
    const spoken = voiceStormSummaryText(page);
    expect(spoken).toContain('Incident H O T 42, severity one.');
    expect(spoken).toContain(
      'more than 10 times this hour: until 15:00, U T C, further pages come by mail only.',
    );
    expect(spoken).not.toMatch(/[<>&]/);
  });
});

describe("the timeline's words", () => {
  it('say a held text, why, and until when it is mail only', () => {
    expect(
      heldWords({
        channel: 'sms',
        who: 'incident manager Ada Lovelace (+44********23)',
        maxPerHour: 10,
        until: page.until,
      }),
    ).toBe(
      'Text to incident manager Ada Lovelace (+44********23) held: more than 10 texts this hour; mail only until 15:00 UTC.',
    );
    expect(heldWords({ channel: 'voice', who: 'IMOC Ada', maxPerHour: 2, until: page.until })).toBe(
      'Call to IMOC Ada held: more than 2 calls this hour; mail only until 15:00 UTC.',
    );
    expect(summaryWords({ channel: 'sms', who: 'IMOC Ada', maxPerHour: 2, until: page.until })).toBe(
      'Texted IMOC Ada with the storm summary: more than 2 texts this hour; further pages by mail only until 15:00 UTC.',
    );
  });
});

describe('stormLimit', () => {
  it("limits calls by voice.maxPerHour, else by the texts' limit; texts only by sms.maxPerHour", () => {
    expect(stormLimit(undefined, 'sms')).toBeUndefined();
    expect(stormLimit({ sms: { maxPerHour: 10 } }, 'voice')).toBe(10);
    expect(stormLimit({ sms: { maxPerHour: 10 }, voice: { maxPerHour: 3 } }, 'voice')).toBe(3);
    expect(stormLimit({ sms: { maxPerHour: 10 }, voice: { maxPerHour: 3 } }, 'sms')).toBe(10);
    // An organisation that only calls has a limit of its own.
    expect(stormLimit({ voice: { maxPerHour: 4 } }, 'voice')).toBe(4);
    expect(stormLimit({ voice: { maxPerHour: 4 } }, 'sms')).toBeUndefined();
  });
});
