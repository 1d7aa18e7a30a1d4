import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  issueLink,
  type LinkClaims,
  parseSigningKeys,
  signedLinkUrl,
  signLink,
  verifyLink,
} from '../../../functions/core/links.ts';

const k1 = 'a'.repeat(64);
const k2 = 'b'.repeat(64);
const now = new Date('2026-11-20T10:00:00.000Z');
const claims: LinkClaims = {
  id: '01JLINK',
  incidentId: '01JINC',
  key: 'HOT-3',
  action: 'acknowledge',
  recipient: 'oncall@example.com',
  exp: Math.floor(now.getTime() / 1000) + 3600,
};

describe('signed links', () => {
  const keys = parseSigningKeys(JSON.stringify({ activeKeyId: 'k1', k1 }));

  it('round-trips the claims', () => {
    expect(verifyLink(signLink(claims, keys), keys, now)).toEqual({ ok: true, claims });
  });

  it('keeps links signed with the old key valid after a rotation', () => {
    const token = signLink(claims, keys);
    const rotated = parseSigningKeys(JSON.stringify({ activeKeyId: 'k2', k1, k2 }));
    expect(verifyLink(token, rotated, now).ok).toBe(true);
    expect(signLink(claims, rotated).split('.')[1]).toBe('k2');
    const retired = parseSigningKeys(JSON.stringify({ activeKeyId: 'k2', k2 }));
    expect(verifyLink(token, retired, now)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('refuses expired links, checked in code', () => {
    const token = signLink({ ...claims, exp: Math.floor(now.getTime() / 1000) }, keys);
    // Expired: refused, with the claims it was signed with (an expired editor link offers a fresh one).
    expect(verifyLink(token, keys, now)).toMatchObject({
      ok: false,
      reason: 'expired',
      claims: { exp: expect.any(Number) },
    });
  });

  it('refuses a link whose claims were changed (another incident, action or recipient)', () => {
    const [v, kid, , sig] = signLink(claims, keys).split('.');
    for (const change of [
      { incidentId: 'other' },
      { action: 'approve' },
      { recipient: 'attacker@example.com' },
    ]) {
      const body = Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url');
      expect(verifyLink(`${v}.${kid}.${body}.${sig}`, keys, now)).toEqual({
        ok: false,
        reason: 'bad-signature',
      });
    }
  });

  it('refuses keys too short to be keys', () => {
    expect(() => parseSigningKeys(JSON.stringify({ activeKeyId: 'k1', k1: 'short' }))).toThrow(/activeKeyId/);
  });

  it('never accepts a tampered token and never throws on arbitrary input', () => {
    const token = signLink(claims, keys);
    fc.assert(
      fc.property(
        fc.nat({ max: token.length - 1 }),
        fc.string({ minLength: 1, maxLength: 1 }),
        (index, char) => {
          const tampered = token.slice(0, index) + char + token.slice(index + 1);
          fc.pre(tampered !== token);
          expect(verifyLink(tampered, keys, now).ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string(), (input) => {
        expect(verifyLink(input, keys, now).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('issues a link that expires ttlHours later, bound to incident, action and recipient', () => {
    const token = issueLink(keys, {
      id: '01JLINK2',
      incidentId: '01JINC',
      key: 'HOT-3',
      action: 'acknowledge',
      recipient: 'oncall@example.com',
      ttlHours: 24,
      now,
    });
    expect(verifyLink(token, keys, now)).toEqual({
      ok: true,
      claims: { ...claims, id: '01JLINK2', exp: Math.floor(now.getTime() / 1000) + 24 * 3600 },
    });
    expect(verifyLink(token, keys, new Date(now.getTime() + 24 * 3600 * 1000)).ok).toBe(false);
    expect(() => issueLink(keys, { ...claims, ttlHours: 0, now })).toThrow(/ttlHours/);
  });

  it('puts the token under /links/ of the base URL', () => {
    expect(signedLinkUrl('https://incidents.example.com/', 'v1.k1.a.b')).toBe(
      'https://incidents.example.com/links/v1.k1.a.b',
    );
    expect(signedLinkUrl('http://127.0.0.1:3000', 't')).toBe('http://127.0.0.1:3000/links/t');
  });
});
