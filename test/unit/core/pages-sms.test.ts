import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fitsOneSegment,
  isAckCode,
  newAckCode,
  parseAckReply,
  smsEncoding,
  smsLength,
  smsPageText,
  spokenCode,
  stripControl,
  voicePageText,
} from '../../../functions/core/pages-sms.ts';

const page = { key: 'HOT-42', severity: 1 as const, summary: 'Checkout API 5xx above 5%', code: '048213' };

// biome-ignore lint/suspicious/noControlCharactersInRegex: the property is that none survive
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

const keys = fc
  .tuple(fc.stringMatching(/^[A-Z][A-Z0-9]{1,9}$/), fc.integer({ min: 1, max: 9_999_999 }))
  .map(([prefix, n]) => `${prefix}-${n}`);
const codes = fc.integer({ min: 0, max: 999_999 }).map((n) => String(n).padStart(6, '0'));
const severities = fc.constantFrom(1 as const, 2 as const, 3 as const);
// Any text, including control characters, emoji (surrogate pairs), GSM extension characters and markup.
const summaries = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({
    unit: fc.constantFrom(
      'a',
      'é',
      '€',
      '{',
      '\n',
      '\r',
      '\t',
      '😀',
      'Ω',
      'ж',
      '<',
      '&',
      ' ',
      '\u0000',
      '\u202e',
    ),
    maxLength: 300,
  }),
);

describe('the SMS page text', () => {
  it('carries the key, the severity, the summary and the code in one GSM-7 segment', () => {
    const text = smsPageText(page);
    expect(text).toBe('HOT-42 SEV1 Checkout API 5xx above 5%\nReply ACK 048213');
    expect(smsEncoding(text)).toBe('GSM-7');
  });

  it('cuts a long GSM-7 summary to 160 septets, with an ellipsis', () => {
    const text = smsPageText({ ...page, summary: 'x'.repeat(500) });
    expect(smsLength(text)).toBe(160);
    expect(text).toMatch(/^HOT-42 SEV1 x+\.\.\.\nReply ACK 048213$/);
  });

  it('counts GSM-7 extension characters as two septets', () => {
    expect(smsLength('{}€')).toBe(6);
    const text = smsPageText({ ...page, summary: '€'.repeat(200) });
    expect(smsEncoding(text)).toBe('GSM-7');
    expect(smsLength(text)).toBeLessThanOrEqual(160);
  });

  it('falls to 70 UCS-2 units when the summary needs them, and never splits an emoji', () => {
    const text = smsPageText({ ...page, summary: `Платежи недоступны 😀${'😀'.repeat(60)}` });
    expect(smsEncoding(text)).toBe('UCS-2');
    expect(text.length).toBeLessThanOrEqual(70);
    expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(text.startsWith('HOT-42 SEV1 Платежи')).toBe(true);
    expect(text.endsWith('\nReply ACK 048213')).toBe(true);
  });

  it('strips control characters, CR and LF included, from the summary', () => {
    const text = smsPageText({ ...page, summary: 'db\r\ndown\u0007 now\u202e' });
    expect(text).toBe('HOT-42 SEV1 db down now\nReply ACK 048213');
  });

  it('refuses a code that is not six digits', () => {
    expect(() => smsPageText({ ...page, code: '12345' })).toThrow(/6 digits/);
  });

  it('holds for any summary: one segment, key and code intact, no control characters but its own line break', () => {
    fc.assert(
      fc.property(keys, severities, summaries, codes, (key, severity, summary, code) => {
        const text = smsPageText({ key, severity, summary, code });
        expect(fitsOneSegment(text)).toBe(true);
        expect(text.startsWith(`${key} SEV${severity}`)).toBe(true);
        expect(text.endsWith(`\nReply ACK ${code}`)).toBe(true);
        expect(text.split('\n')).toHaveLength(2);
        expect(CONTROL.test(text)).toBe(false);
        expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
        expect(parseAckReply(`ACK ${code}`)).toEqual({ code });
      }),
      { numRuns: 500 },
    );
  });

  it('keeps as much of the summary as fits', () => {
    fc.assert(
      fc.property(summaries, (summary) => {
        const text = smsPageText({ ...page, summary });
        const clean = stripControl(summary);
        if (text.includes('...\n') && !clean.includes('...')) {
          // Cut: one more character of the summary would not have fitted.
          const kept = text.slice('HOT-42 SEV1 '.length, text.indexOf('...\n'));
          const next = [...clean.slice(kept.length)][0] ?? '';
          expect(fitsOneSegment(smsPageText({ ...page, summary: `${kept}${next}${'x'.repeat(200)}` }))).toBe(
            true,
          );
          expect(clean.startsWith(kept)).toBe(true);
        }
      }),
    );
  });
});

describe('the voice message', () => {
  it('reads the key, the severity in words, the summary and the code digit by digit', () => {
    const text = voicePageText({ ...page, severity: 2, summary: 'Checkout <b>down</b> & slow' });
    expect(text).toContain('Incident H O T 42, severity two.');
    expect(text).toContain('Checkout b down /b and slow.');
    expect(text).toContain('zero, four, eight, two, one, three');
    expect(text).not.toMatch(/[<>&]/);
  });

  it('is free of markup and control characters and within the TEXT limit, whatever the summary', () => {
    fc.assert(
      fc.property(keys, severities, summaries, codes, (key, severity, summary, code) => {
        const text = voicePageText({ key, severity, summary, code });
        expect(text).not.toMatch(/[<>&]/);
        expect(CONTROL.test(text)).toBe(false);
        expect(text.includes('\n')).toBe(false);
        expect(text.length).toBeLessThanOrEqual(3_000);
        expect(text).toContain(spokenCode(code));
      }),
      { numRuns: 300 },
    );
  });
});

describe('acknowledgement codes', () => {
  it('are six digits, leading zeros kept', () => {
    expect(newAckCode(() => 42)).toBe('000042');
    for (let i = 0; i < 50; i++) expect(isAckCode(newAckCode())).toBe(true);
  });

  it('are read from the replies people send', () => {
    for (const reply of [
      'ACK 123456',
      'ack 123456',
      '  Ack:123456  ',
      '123456',
      '123 456',
      'ACK123456',
      'ack 123456.',
    ])
      expect(parseAckReply(reply), reply).toEqual({ code: '123456' });
  });

  it('are not read from anything else', () => {
    for (const reply of [
      '',
      'ACK',
      'STOP',
      '1234567',
      '12345',
      'ACK 12345 6',
      'yes 123456',
      'ACK 123456 now',
      '１２３４５６',
    ])
      expect(parseAckReply(reply), reply).toBeUndefined();
  });

  it('round-trip any code through a reply', () => {
    fc.assert(
      fc.property(
        codes,
        fc.constantFrom('', ' ', '\n', '\t '),
        fc.constantFrom('ACK ', 'ack ', 'Ack:', ''),
        (code, space, prefix) => {
          expect(parseAckReply(`${space}${prefix}${code}${space}`)).toEqual({ code });
        },
      ),
    );
  });
});
