import { describe, expect, it } from 'vitest';
import { parseOrganisation } from '../../../functions/core/config.ts';
import {
  firstLine,
  parseReplyAddress,
  replyAddress,
  saysAck,
  textOfHtml,
  verdictProblem,
} from '../../../functions/core/mail-replies.ts';
import { pageEmail } from '../../../functions/core/mails/paging.ts';
import { organisationInput } from '../../support/organisation.ts';

const incident = { id: '01JF8ZQ3V7K2M4N6P8R0S2T4W6', key: 'HOT-42' };

describe('reply addresses', () => {
  it('name the incident by key and id, and read back in any case', () => {
    const address = replyAddress('Replies.Example.com', incident);
    expect(address).toBe('ack-hot-42-01jf8zq3v7k2m4n6p8r0s2t4w6@replies.example.com');
    expect(parseReplyAddress(address, 'replies.example.com')).toEqual({
      key: 'HOT-42',
      incidentId: '01JF8ZQ3V7K2M4N6P8R0S2T4W6',
    });
    expect(parseReplyAddress(` ${address.toUpperCase()} `, 'replies.example.com')).toEqual({
      key: 'HOT-42',
      incidentId: '01JF8ZQ3V7K2M4N6P8R0S2T4W6',
    });
  });

  it.each([
    ['another domain', 'ack-hot-42-01jf8zq3v7k2m4n6p8r0s2t4w6@replies.example.org'],
    ['a subdomain', 'ack-hot-42-01jf8zq3v7k2m4n6p8r0s2t4w6@x.replies.example.com'],
    ['no id', 'ack-hot-42@replies.example.com'],
    ['a short id', 'ack-hot-42-01jf8zq3v7k2m4n6p8r0s2t4w@replies.example.com'],
    ['a letter no ULID has', 'ack-hot-42-01jf8zq3v7k2m4n6p8r0s2t4wu@replies.example.com'],
    ['another prefix', 'postmaster@replies.example.com'],
    ['extra text', 'ack-hot-42-01jf8zq3v7k2m4n6p8r0s2t4w6x@replies.example.com'],
  ])('are not read from %s', (_, address) => {
    expect(parseReplyAddress(address, 'replies.example.com')).toBeUndefined();
  });
});

describe('the first line', () => {
  it('is the first line with text, trimmed', () => {
    expect(firstLine('\uFEFF\r\n  \r\n  Ack, on it \r\n> quoted')).toBe('Ack, on it');
    expect(firstLine('')).toBe('');
  });

  it.each([
    'ack',
    'ACK',
    'Ack - on it',
    "ack'd",
    'acked',
    'Acknowledged, looking',
    'ok: ack.',
    'acknowledge',
  ])('says ack: %s', (line) => expect(saysAck(line)).toBe(true));

  it.each(['', 'backing off', 'slack me', 'Looking now', 'ackbar', 'acknowledgement pending', 'nack'])(
    'does not say ack: %s',
    (line) => expect(saysAck(line)).toBe(false),
  );

  it('is read from HTML when a reply has no text part', () => {
    const text = textOfHtml(
      '<html><head><style>div{color:red}</style></head><body><div>Ack &amp; on it</div><div>next</div></body></html>',
    );
    expect(firstLine(text)).toBe('Ack & on it');
  });
});

describe("SES's verdicts", () => {
  it('let a reply act only when SPF and DKIM pass and DMARC and the virus scan do not fail', () => {
    expect(verdictProblem({ spf: 'PASS', dkim: 'PASS' })).toBeUndefined();
    expect(verdictProblem({ spf: 'PASS', dkim: 'PASS', dmarc: 'GRAY', virus: 'PASS' })).toBeUndefined();
    expect(verdictProblem({ spf: 'FAIL', dkim: 'PASS' })).toBe('spf');
    expect(verdictProblem({ spf: 'GRAY', dkim: 'PASS' })).toBe('spf');
    expect(verdictProblem({ dkim: 'PASS' })).toBe('spf');
    expect(verdictProblem({ spf: 'PASS', dkim: 'PROCESSING_FAILED' })).toBe('dkim');
    expect(verdictProblem({ spf: 'PASS', dkim: 'PASS', dmarc: 'FAIL' })).toBe('dmarc');
    expect(verdictProblem({ spf: 'PASS', dkim: 'PASS', virus: 'FAIL' })).toBe('virus');
  });
});

describe('the page mail', () => {
  it('carries the reply address and says how to reply only when replies are on', () => {
    const service = parseOrganisation(organisationInput).services.checkout;
    const base = {
      incident: {
        ...incident,
        summary: 'Card payments failing',
        severity: 2,
        status: 'paged',
        service: 'checkout',
        source: 'alertmanager',
        impactStartedAt: '2026-12-07T09:00:00.000Z',
        detectedAt: '2026-12-07T09:01:00.000Z',
      } as never,
      service: service as never,
      viewUrl: 'https://hotline.example.com/links/v',
      firingAlerts: [],
    };
    const on = pageEmail({ ...base, replyTo: replyAddress('replies.example.com', incident) });
    expect(on.replyTo).toBe('ack-hot-42-01jf8zq3v7k2m4n6p8r0s2t4w6@replies.example.com');
    expect(on.text).toContain('Or reply to this mail with "ack" on the first line');
    const off = pageEmail(base);
    expect(off.replyTo).toBeUndefined();
    expect(off.text).not.toContain('reply to this mail');
  });
});
