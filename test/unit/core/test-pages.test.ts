import { describe, expect, it } from 'vitest';
import { testPageEmail } from '../../../functions/core/mails/test-page.ts';
import { fitsOneSegment } from '../../../functions/core/pages-sms.ts';
import {
  nextTestPageAt,
  PERSON_ID,
  testPageChannels,
  testPageCutoff,
  testPageSmsText,
  testPageVoiceText,
} from '../../../functions/core/test-pages.ts';

const ada = { name: 'Ada Lovelace', timeZone: 'Europe/London', phone: '+447700900123' };
const both = { sms: {}, voice: {} };

describe('test pages', () => {
  it('goes by mail always, and by SMS and voice only with a phone and that channel configured', () => {
    expect(testPageChannels(ada, both)).toEqual(['email', 'sms', 'voice']);
    expect(testPageChannels(ada, { sms: {} })).toEqual(['email', 'sms']);
    expect(testPageChannels(ada, undefined)).toEqual(['email']);
    expect(testPageChannels({ phone: undefined }, both)).toEqual(['email']);
  });

  it('allows one a minute: the claim cutoff and the next allowed time', () => {
    expect(testPageCutoff(new Date('2026-12-07T12:01:00.000Z'))).toBe('2026-12-07T12:00:00.000Z');
    expect(nextTestPageAt('2026-12-07T12:00:00.000Z')).toBe('2026-12-07T12:01:00.000Z');
  });

  it('says in every message that it is a test and nothing needs doing', () => {
    expect(testPageSmsText(ada)).toBe('Hotline test page for Ada Lovelace: no incident, nothing to do.');
    expect(testPageVoiceText(ada)).toContain('test page for Ada Lovelace');
    expect(testPageVoiceText(ada)).toContain('nothing to do');
    const mail = testPageEmail({ person: ada, at: '2026-12-07T12:00:00.000Z', channels: ['email', 'sms'] });
    expect(mail.subject).toBe('Hotline test page for Ada Lovelace');
    expect(mail.text).toContain('there is no incident and nothing to do');
    expect(mail.text).toContain('mail, SMS');
  });

  it('keeps the text to one SMS segment and strips control characters from names', () => {
    const long = { name: `Ada\r\nLovelace${'x'.repeat(200)}` };
    const text = testPageSmsText(long);
    expect(text).not.toMatch(/[\r\n]/);
    expect(fitsOneSegment(text)).toBe(true);
    expect(testPageVoiceText(long)).not.toMatch(/[\r\n]/);
  });

  it('escapes the name in the mail and keeps CR/LF out of its subject', () => {
    const mail = testPageEmail({
      person: { name: '<b>Eve</b>\r\nBcc: x@example.com', timeZone: 'UTC' },
      at: '2026-12-07T12:00:00.000Z',
      channels: ['email'],
    });
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.html).not.toContain('<b>Eve</b>');
    expect(mail.html).toContain('&lt;b&gt;Eve&lt;/b&gt;');
  });

  it('takes person ids as the configuration writes them', () => {
    expect(PERSON_ID.test('ada')).toBe(true);
    expect(PERSON_ID.test('ada.l-2')).toBe(true);
    for (const bad of ['', 'Ada', '../x', 'a b', `a${'b'.repeat(63)}`])
      expect(PERSON_ID.test(bad), bad).toBe(false);
  });
});
