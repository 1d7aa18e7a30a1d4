import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capAlert, limits, type NormalisedAlert } from '../../../functions/core/alert.ts';
import { ValidationError } from '../../../functions/core/errors.ts';
import { alertmanager } from '../../../functions/sources/alertmanager.ts';
import { datadog } from '../../../functions/sources/datadog.ts';
import { generic } from '../../../functions/sources/generic.ts';
import { grafana } from '../../../functions/sources/grafana.ts';
import { pagerduty } from '../../../functions/sources/pagerduty.ts';
import type { AlertSource, SourceRequest } from '../../../functions/sources/source.ts';
import { fixture } from '../../support/fixtures.ts';
import {
  expectKept,
  expectStorable,
  hostileMaps,
  hostileSources,
  onTheWire,
} from '../../support/hostile-alerts.ts';
import { sourceContext } from '../../support/source-context.ts';

/**
 * Properties of the alert sources (CloudWatch has its own, but for hostile keys): parsers fail only with
 * ValidationError and always return capped alerts, also with keys named like Object.prototype members in their
 * free-form maps; signed sources accept exactly the untampered, fresh signature; verify never throws.
 */

const RUNS = { numRuns: 200 };
const now = new Date('2026-11-20T09:45:00.000Z');
const nowSeconds = now.getTime() / 1000;
const context = sourceContext({ now });

const sources: Record<string, { source: AlertSource; fixtures: string[] }> = {
  alertmanager: {
    source: alertmanager,
    fixtures: ['firing-v4', 'resolved-v4', 'unknown-service-warning-v4'],
  },
  grafana: { source: grafana, fixtures: ['firing', 'resolved', 'test-notification'] },
  datadog: { source: datadog, fixtures: ['triggered', 'recovered', 'no-data', 'loose-values'] },
  pagerduty: {
    source: pagerduty,
    fixtures: ['trigger', 'trigger-without-dedup-key', 'acknowledge', 'resolve'],
  },
  generic: { source: generic, fixtures: ['firing', 'batch', 'resolved'] },
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

function pathsOf(value: Json, prefix: Path = []): Path[] {
  const here = [prefix];
  if (Array.isArray(value)) return here.concat(...value.map((v, i) => pathsOf(v, [...prefix, i])));
  if (value !== null && typeof value === 'object') {
    return here.concat(...Object.entries(value).map(([k, v]) => pathsOf(v, [...prefix, k])));
  }
  return here;
}

/** A copy of `value` with the node at `path` replaced by `replacement`, or removed when it is undefined. */
function mutate(value: Json, path: Path, replacement: Json | undefined): Json | undefined {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    const next = mutate(copy[head as number] ?? null, rest, replacement);
    if (next === undefined) copy.splice(head as number, 1);
    else copy[head as number] = next;
    return copy;
  }
  const copy = { ...(value as Record<string, Json>) };
  const next = mutate(copy[head as string] ?? null, rest, replacement);
  if (next === undefined) delete copy[head as string];
  else copy[head as string] = next;
  return copy;
}

/** Realistic payloads with one node replaced by any JSON value (or removed): reaches the deep paths. */
function mutatedFixture(name: string): fc.Arbitrary<unknown> {
  const bodies = (sources[name]?.fixtures ?? []).map((f) => fixture<Json>(name, f));
  return fc
    .record({
      body: fc.constantFrom(...bodies),
      pick: fc.nat(),
      replacement: fc.option(fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, { nil: undefined }),
    })
    .map(({ body, pick, replacement }) => {
      const paths = pathsOf(body);
      return mutate(body, paths[pick % paths.length] ?? [], replacement) ?? null;
    });
}

function expectCapped(alert: NormalisedAlert, sourceName: string): void {
  expect(capAlert(alert)).toEqual(alert);
  expect(alert.source).toBe(sourceName);
  expect(['firing', 'resolved']).toContain(alert.status);
  expect(alert.summary.length).toBeLessThanOrEqual(limits.summary);
  expect(alert.fingerprint.length).toBeLessThanOrEqual(limits.fingerprint);
  expect(alert.groupKey.length).toBeLessThanOrEqual(limits.groupKey);
  expect(alert.description?.length ?? 0).toBeLessThanOrEqual(limits.description);
  expect(alert.url?.length ?? 0).toBeLessThanOrEqual(limits.url);
  expect(Object.keys(alert.labels).length).toBeLessThanOrEqual(64);
  for (const value of [...Object.values(alert.labels), ...Object.values(alert.annotations)]) {
    expect(typeof value).toBe('string');
  }
  expect(new Date(alert.startsAt).toISOString()).toBe(alert.startsAt);
  if (alert.endsAt !== undefined) expect(new Date(alert.endsAt).toISOString()).toBe(alert.endsAt);
}

describe.each(Object.keys(sources))('%s source properties', (name) => {
  const { source } = sources[name] as { source: AlertSource };

  it('parse throws nothing but ValidationError on any JSON, and returns capped alerts when it succeeds', () => {
    const anyJson = fc.anything().filter((v) => {
      try {
        return JSON.stringify(v) !== undefined;
      } catch {
        return false;
      }
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          anyJson.map((v) => JSON.parse(JSON.stringify(v)) as unknown),
          mutatedFixture(name),
          mutatedFixture(name),
        ),
        (body) => {
          let alerts: NormalisedAlert[];
          try {
            alerts = source.parse(body, context).alerts;
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
            return;
          }
          for (const alert of alerts) expectCapped(alert, name);
        },
      ),
      RUNS,
    );
  });

  it('parses every fixture (the mutation base is valid)', () => {
    for (const f of sources[name]?.fixtures ?? [])
      expect(() => source.parse(fixture(name, f), context)).not.toThrow();
  });

  it('verify never throws on arbitrary headers and bodies', async () => {
    const headerNames = [
      'authorization',
      'x-hotline-token',
      'x-grafana-alerting-signature',
      'x-grafana-alerting-signature-timestamp',
      'x-grafana-alerting-timestamp',
      'webhook-id',
      'webhook-timestamp',
      'webhook-signature',
    ];
    const headerValue = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.integer().map(String),
      fc.base64String().map((s) => `v1,${s}`),
      fc.base64String().map((s) => `Bearer ${s}`),
      fc.constant(String(nowSeconds)),
    );
    const secret = 'S'.repeat(48);
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.oneof(fc.constantFrom(...headerNames), fc.string()), headerValue),
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.jsonValue().map((v) => JSON.stringify({ routing_key: v })),
        ),
        async (headers, rawBody) => {
          const result = await source.verify({ headers, rawBody }, sourceContext({ now, secrets: [secret] }));
          expect(typeof result.ok).toBe('boolean');
          if (!result.ok) expect(result.reason).not.toContain(secret);
        },
      ),
      RUNS,
    );
  });
});

// --- signed sources: Grafana and Standard Webhooks ----------------------------------------------------------

const storedSecret = fc.stringMatching(/^[A-Za-z0-9]{48}$/);
const body = fc.oneof(
  fc.string(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
);
const freshOffset = fc.integer({ min: -300, max: 300 });
const staleOffset = fc.oneof(
  fc.integer({ min: 301, max: 10_000_000 }),
  fc.integer({ min: -10_000_000, max: -301 }),
);
const webhookId = fc.stringMatching(/^[\x21-\x7e]{1,64}$/);

/** A different string: one character changed, something appended, or anything else. */
const tampered = (original: string) =>
  fc
    .oneof(
      fc.nat().chain((i) =>
        fc.string({ minLength: 1, maxLength: 1 }).map((c) => {
          const at = original.length === 0 ? 0 : i % original.length;
          return `${original.slice(0, at)}${c}${original.slice(at + 1)}`;
        }),
      ),
      fc.string({ minLength: 1, maxLength: 3 }).map((s) => `${original}${s}`),
      fc.string(),
    )
    .filter((t) => t !== original);

const grafanaSign = (key: string, raw: string, timestamp?: string) =>
  createHmac('sha256', key)
    .update(timestamp === undefined ? raw : `${timestamp}:${raw}`)
    .digest('hex');

const standardSign = (key: string, id: string, timestamp: string, raw: string) =>
  `v1,${createHmac('sha256', Buffer.from(key, 'base64')).update(`${id}.${timestamp}.${raw}`).digest('base64')}`;

async function accepted(
  source: AlertSource,
  request: SourceRequest,
  secrets: readonly string[],
): Promise<boolean> {
  return (await source.verify(request, sourceContext({ now, secrets }))).ok;
}

describe('grafana signature properties', () => {
  const request = (raw: string, signature: string, timestamp?: string): SourceRequest => ({
    rawBody: raw,
    headers: {
      'x-grafana-alerting-signature': signature,
      ...(timestamp === undefined ? {} : { 'x-grafana-alerting-signature-timestamp': timestamp }),
    },
  });

  it('accepts a fresh signature over the exact bytes, by any live secret', async () => {
    await fc.assert(
      fc.asyncProperty(
        storedSecret,
        storedSecret,
        fc.boolean(),
        body,
        freshOffset,
        async (a, b, usePrevious, raw, offset) => {
          const ts = String(nowSeconds + offset);
          const key = usePrevious ? b : a;
          expect(await accepted(grafana, request(raw, grafanaSign(key, raw, ts), ts), [a, b])).toBe(true);
          expect(await accepted(grafana, request(raw, grafanaSign(key, raw)), [a, b])).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('never accepts a tampered body, signature or timestamp', async () => {
    const cases = fc.tuple(storedSecret, body, freshOffset).chain(([key, raw, offset]) => {
      const ts = String(nowSeconds + offset);
      const signature = grafanaSign(key, raw, ts);
      return fc.record({
        key: fc.constant(key),
        request: fc.oneof(
          tampered(raw).map((b) => request(b, signature, ts)),
          tampered(signature).map((sig) => request(raw, sig, ts)),
          tampered(ts).map((t) => request(raw, signature, t)),
          fc.constant(request(raw, signature)),
        ),
      });
    });
    await fc.assert(
      fc.asyncProperty(cases, async ({ key, request: req }) => {
        expect(await accepted(grafana, req, [key])).toBe(false);
      }),
      RUNS,
    );
  });

  it('never accepts an expired or future timestamp, even correctly signed', async () => {
    await fc.assert(
      fc.asyncProperty(storedSecret, body, staleOffset, async (key, raw, offset) => {
        const ts = String(nowSeconds + offset);
        expect(await accepted(grafana, request(raw, grafanaSign(key, raw, ts), ts), [key])).toBe(false);
      }),
      RUNS,
    );
  });
});

describe('generic (Standard Webhooks) signature properties', () => {
  const request = (raw: string, id: string, timestamp: string, signature: string): SourceRequest => ({
    rawBody: raw,
    headers: { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature },
  });

  it('accepts a fresh signature over the exact bytes, by any live secret, and returns the id', async () => {
    await fc.assert(
      fc.asyncProperty(
        storedSecret,
        storedSecret,
        fc.boolean(),
        webhookId,
        body,
        freshOffset,
        async (a, b, usePrevious, id, raw, offset) => {
          const ts = String(nowSeconds + offset);
          const signature = standardSign(usePrevious ? b : a, id, ts, raw);
          const result = await generic.verify(
            request(raw, id, ts, signature),
            sourceContext({ now, secrets: [a, b] }),
          );
          expect(result).toEqual({ ok: true, deliveryId: id });
        },
      ),
      RUNS,
    );
  });

  it('never accepts a tampered body, id, timestamp or signature', async () => {
    const cases = fc.tuple(storedSecret, webhookId, body, freshOffset).chain(([key, id, raw, offset]) => {
      const ts = String(nowSeconds + offset);
      const signature = standardSign(key, id, ts, raw);
      return fc.record({
        key: fc.constant(key),
        request: fc.oneof(
          tampered(raw).map((b) => request(b, id, ts, signature)),
          tampered(id).map((i) => request(raw, i, ts, signature)),
          tampered(ts).map((t) => request(raw, id, t, signature)),
          // The header is a list: extra entries next to the valid one are rotation, not tampering.
          tampered(signature)
            .filter((sig) => !sig.split(' ').includes(signature))
            .map((sig) => request(raw, id, ts, sig)),
        ),
      });
    });
    await fc.assert(
      fc.asyncProperty(cases, async ({ key, request: req }) => {
        expect(await accepted(generic, req, [key])).toBe(false);
      }),
      RUNS,
    );
  });

  it('never accepts an expired or future timestamp, even correctly signed', async () => {
    await fc.assert(
      fc.asyncProperty(storedSecret, webhookId, body, staleOffset, async (key, id, raw, offset) => {
        const ts = String(nowSeconds + offset);
        expect(await accepted(generic, request(raw, id, ts, standardSign(key, id, ts, raw)), [key])).toBe(
          false,
        );
      }),
      RUNS,
    );
  });
});

describe('pagerduty routing key properties', () => {
  it('accepts a body exactly when its routing_key is a live secret', async () => {
    await fc.assert(
      fc.asyncProperty(storedSecret, fc.string(), fc.jsonValue(), async (key, other, extra) => {
        const raw = (routing_key: unknown) => JSON.stringify({ extra, routing_key, event_action: 'trigger' });
        expect(await accepted(pagerduty, { headers: {}, rawBody: raw(key) }, [key])).toBe(true);
        expect(await accepted(pagerduty, { headers: {}, rawBody: raw(other) }, [key])).toBe(other === key);
      }),
      RUNS,
    );
  });
});

// --- hostile keys in every free-form map ------------------------------------------------------------------

// CloudWatch is here too, through parse alone: end to end its SNS signing certificates cannot be fetched.
describe.each(Object.keys(hostileSources))('%s with hostile dictionaries in its free-form maps', (name) => {
  const { source, fixtures, inject, keeps } = hostileSources[name] ?? ({} as never);

  it('parse throws only ValidationError; what it accepts keeps the keys, has text values and stores', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), hostileMaps, (fixtureName, maps) => {
        const body = onTheWire(inject(fixture<Json>(name, fixtureName), maps));
        let alerts: NormalisedAlert[];
        try {
          alerts = source.parse(body, context).alerts;
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          return;
        }
        accepted++;
        expectKept(alerts, keeps(maps, body));
        for (const alert of alerts) {
          expectCapped(alert, name);
          expectStorable(alert);
        }
      }),
      RUNS,
    );
    expect(accepted).toBeGreaterThan(0);
  });
});
