import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { severityFor } from '../../../functions/core/alert.ts';
import { ValidationError } from '../../../functions/core/errors.ts';
import { generic, standardSignature } from '../../../functions/sources/generic.ts';
import { fixture, fixtureText } from '../../support/fixtures.ts';
import { organisation } from '../../support/organisation.ts';
import { sourceContext } from '../../support/source-context.ts';

const context = sourceContext();
// Stored credentials are 48 alphanumeric characters: the base64 key material of `whsec_<secret>`.
const secret = 'Q3VycmVudEtleU1hdGVyaWFsRm9ySG90bGluZUdlbmVyaWMx';
const previous = 'UHJldmlvdXNLZXlNYXRlcmlhbEZvckhvdGxpbmVHZW5lcmlj';
const now = '2026-11-20T09:45:00.000Z';
const nowSeconds = String(Date.parse(now) / 1000);
const msgId = 'msg_2pJq7dXbWk3nC8vLr5Ty0Za1Hf4';

/** The spec's signature, computed here independently: base64 HMAC-SHA256 keyed by base64-decoded whsec_. */
function sign(whsec: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(whsec.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

describe('generic source: parse', () => {
  it('reads one alert object', () => {
    const { alerts } = generic.parse(fixture('generic', 'firing'), context);
    expect(alerts).toEqual([
      {
        source: 'generic',
        groupKey: 'db-1',
        fingerprint: 'db-1/disk-full',
        status: 'firing',
        startsAt: '2026-11-20T09:41:00.000Z',
        summary: 'Disk 95% full on db-1',
        description: 'The data volume of db-1 is 95% full and growing 2% an hour.',
        // The severity and service fields win over the same labels.
        labels: { host: 'db-1', volume: '/var/lib/postgresql', severity: 'high', service: 'checkout' },
        annotations: { runbook: 'https://runbooks.example.com/db/disk-full' },
        url: 'https://monitoring.example.com/hosts/db-1/disk',
      },
    ]);
    expect(alerts[0] && severityFor(organisation, alerts[0].labels)).toBe(2);
  });

  it('reads a batch, with defaults for status, group and times', () => {
    const { alerts } = generic.parse(fixture('generic', 'batch'), context);
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toMatchObject({
      fingerprint: 'edge-fra/tls-expiry',
      groupKey: 'edge certificates',
      status: 'firing',
      startsAt: '2026-11-20T09:45:00.000Z',
      labels: { pop: 'fra', severity: 'warning' },
      annotations: {},
    });
    expect(alerts[1]).toMatchObject({
      fingerprint: 'edge-ams/tls-expiry',
      status: 'resolved',
      startsAt: '2026-11-19T08:00:00.000Z',
      endsAt: '2026-11-20T08:30:00.000Z',
    });
  });

  it('reads a resolved alert; the group defaults to the id', () => {
    const [alert] = generic.parse(fixture('generic', 'resolved'), context).alerts;
    expect(alert).toMatchObject({ status: 'resolved', groupKey: 'db-1', endsAt: '2026-11-20T10:12:30.000Z' });
    const [ungrouped] = generic.parse({ id: 'solo', summary: 'One', status: 'resolved' }, context).alerts;
    expect(ungrouped).toMatchObject({ groupKey: 'solo', endsAt: '2026-11-20T09:45:00.000Z' });
  });

  it('names the problem in a malformed alert', () => {
    const base = fixture<Record<string, unknown>>('generic', 'firing');
    const bad: [unknown, RegExp][] = [
      [{ ...base, id: undefined }, /id: an alert needs an "id"/],
      [{ ...base, summary: '' }, /summary/],
      [{ ...base, status: 'ok' }, /status/],
      [{ ...base, startsAt: 'soon' }, /startsAt: must be an ISO 8601 time/],
      [{ ...base, startsAt: '2026-02-31T10:00:00Z' }, /startsAt: must be an ISO 8601 time/],
      [{ ...base, url: 'javascript:alert(1)' }, /url: must be an http\(s\) URL/],
      [{ ...base, labels: { replicas: 3 } }, /labels\.replicas/],
      [{ ...base, id: 'i'.repeat(129) }, /id/],
      [{ alerts: [] }, /alerts: a batch carries at least one alert/],
      [{ alerts: [base, { summary: 'no id' }] }, /alerts\.1\.id/],
      [{ alerts: 'all of them' }, /alerts/],
      [[], /body/],
    ];
    for (const [body, message] of bad) {
      expect(() => generic.parse(body, context), String(message)).toThrowError(message);
      expect(() => generic.parse(body, context)).toThrowError(ValidationError);
    }
  });

  it('caps untrusted text', () => {
    const body = {
      ...fixture<Record<string, unknown>>('generic', 'firing'),
      description: 'd'.repeat(50_000),
    };
    expect(generic.parse(body, context).alerts[0]?.description?.length).toBeLessThanOrEqual(2000);
  });
});

describe('generic source: verify (Standard Webhooks)', () => {
  const body = fixtureText('generic', 'firing');
  const headers = (signature: string, id = msgId, timestamp = nowSeconds) => ({
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signature,
  });
  const verify = (h: Record<string, string | undefined>, secrets = [secret], rawBody = body) =>
    generic.verify({ headers: h, rawBody }, sourceContext({ now, secrets }));

  it('agrees with the exported signer', () => {
    expect(standardSignature(`whsec_${secret}`, msgId, nowSeconds, body)).toBe(
      sign(`whsec_${secret}`, msgId, nowSeconds, body),
    );
  });

  it('accepts a signature by the current or previous secret and returns the webhook-id for replay checks', async () => {
    expect(await verify(headers(sign(`whsec_${secret}`, msgId, nowSeconds, body)))).toEqual({
      ok: true,
      deliveryId: msgId,
    });
    const rotated = await verify(headers(sign(`whsec_${previous}`, msgId, nowSeconds, body)), [
      secret,
      previous,
    ]);
    expect(rotated).toEqual({ ok: true, deliveryId: msgId });
  });

  it('accepts any valid entry of several and ignores unknown versions', async () => {
    const valid = sign(`whsec_${secret}`, msgId, nowSeconds, body);
    const other = sign(`whsec_${'A'.repeat(48)}`, msgId, nowSeconds, body);
    expect((await verify(headers(`v1a,c29tZSBlZDI1NTE5 ${other} ${valid}`))).ok).toBe(true);
    expect((await verify(headers(`v2,${valid.slice(3)}`))).ok).toBe(false);
  });

  it('accepts timestamps up to 5 minutes away either way and refuses beyond', async () => {
    for (const offset of [-300, 300]) {
      const ts = String(Number(nowSeconds) + offset);
      expect((await verify(headers(sign(`whsec_${secret}`, msgId, ts, body), msgId, ts))).ok).toBe(true);
    }
    for (const offset of [-301, 301, -86_400]) {
      const ts = String(Number(nowSeconds) + offset);
      const result = await verify(headers(sign(`whsec_${secret}`, msgId, ts, body), msgId, ts));
      expect(result).toEqual({ ok: false, reason: expect.stringMatching(/tolerance/) });
    }
  });

  it('refuses wrong, missing and malformed signatures', async () => {
    const valid = sign(`whsec_${secret}`, msgId, nowSeconds, body);
    const refused: Record<string, string | undefined>[] = [
      {},
      headers(sign(`whsec_${'W'.repeat(48)}`, msgId, nowSeconds, body)),
      // The stored secret used as raw bytes instead of base64 key material is a different key.
      headers(`v1,${createHmac('sha256', secret).update(`${msgId}.${nowSeconds}.${body}`).digest('base64')}`),
      headers(valid, 'msg_other'),
      headers(valid, msgId, String(Number(nowSeconds) + 1)),
      headers(valid, msgId, `${nowSeconds}.0`),
      headers(valid, msgId, '2026-11-20T09:45:00Z'),
      headers(valid.slice(3)),
      headers(valid.replace('v1,', 'v1=')),
      headers(`${valid}x`),
      headers(''),
      { ...headers(valid), 'webhook-id': undefined },
      { ...headers(valid), 'webhook-timestamp': undefined },
      headers(valid, 'msg with spaces'),
    ];
    for (const h of refused) {
      const result = await verify(h);
      expect(result.ok, JSON.stringify(h)).toBe(false);
      if (!result.ok) expect(result.reason).not.toContain(secret);
    }
    expect((await verify(headers(valid), [])).ok).toBe(false);
    expect((await verify(headers(valid), [secret], body.replace('db-1', 'db-2'))).ok).toBe(false);
  });
});
