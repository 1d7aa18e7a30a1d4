import { describe, expect, it } from 'vitest';
import { capAlert, type NormalisedAlert } from '../../../functions/core/alert.ts';
import type { Organisation } from '../../../functions/core/config.ts';
import { cap, capRecord, wellFormed, wellFormedDeep } from '../../../functions/core/text.ts';
import { parseDelivery, sourceNamed, sourceNames } from '../../../functions/sources/index.ts';
import { fixture } from '../../support/fixtures.ts';
import { organisation } from '../../support/organisation.ts';
import { sourceContext } from '../../support/source-context.ts';

/**
 * Lone UTF-16 surrogates (JSON can carry `"\ud800"`; no UTF-8 encoder, mail or strict JSON tool accepts one)
 * become U+FFFD where text enters: every alert source, whatever field the text came in.
 */

const LONE = '\ud800';
const isWellFormed = (value: unknown) => JSON.stringify(value).includes('\\ud') === false;

describe('well-formed text', () => {
  it('replaces lone surrogates, and keeps pairs and plain text as they are', () => {
    expect(wellFormed(`disk ${LONE} full`)).toBe('disk \ufffd full');
    expect(wellFormed('\udc00a\ud83d')).toBe('\ufffda\ufffd');
    expect(wellFormed('fire 🔥')).toBe('fire 🔥');
    expect(wellFormed('plain')).toBe('plain');
  });

  it('makes every string and key of a parsed JSON value well formed, keeping other values', () => {
    const parsed = JSON.parse('{"a\\ud800":["x\\udfff",1,true,null,{"b":"\\ud800"}],"__proto__":"y"}');
    const clean = wellFormedDeep(parsed) as Record<string, unknown>;
    expect(JSON.stringify(clean)).toBe('{"a\ufffd":["x\ufffd",1,true,null,{"b":"\ufffd"}],"__proto__":"y"}');
    expect(Object.hasOwn(clean, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(clean)).toBe(Object.prototype);
    expect(isWellFormed(clean)).toBe(true);
  });

  it('never cuts a surrogate pair in half when capping', () => {
    const capped = cap(`${'a'.repeat(8)}🔥🔥`, 10);
    expect(capped).toBe(`${'a'.repeat(8)}…`);
    expect(capped.isWellFormed()).toBe(true);
    expect(cap(`${'a'.repeat(9)}🔥`, 10)).toBe(`${'a'.repeat(9)}…`);
    expect(capRecord({ [`k${LONE}`]: `v${LONE}` })).toEqual({ 'k\ufffd': 'v\ufffd' });
  });

  it('makes every text field of an alert well formed', () => {
    const alert: NormalisedAlert = {
      source: 'generic',
      groupKey: `g${LONE}`,
      fingerprint: `f${LONE}`,
      status: 'firing',
      startsAt: '2026-11-20T09:00:00.000Z',
      summary: `Disk ${LONE} full`,
      description: `d${LONE}`,
      labels: { [`l${LONE}`]: `v${LONE}` },
      annotations: { a: `\udfff` },
      url: `https://grafana.example.com/${LONE}`,
    };
    const clean = capAlert(alert);
    expect(isWellFormed(clean)).toBe(true);
    expect(clean.summary).toBe('Disk \ufffd full');
  });
});

/** The firing payload of each source, with its organisation and a context that lets it parse. */
const firing: Record<string, { name: string; organisation?: Organisation }> = {
  alertmanager: { name: 'firing-v4' },
  grafana: { name: 'firing' },
  cloudwatch: {
    name: 'notification-alarm',
    organisation: {
      ...organisation,
      alertSources: {
        cloudwatch: { allowedTopicArns: ['arn:aws:sns:eu-west-1:111122223333:hotline-alarms'] },
      },
    },
  },
  datadog: { name: 'triggered' },
  pagerduty: { name: 'trigger' },
  generic: { name: 'firing' },
};

/**
 * Appends a lone surrogate to every string of the body that the alert's summary was made of (a piece of at
 * least 6 characters), looking inside strings that are JSON themselves (CloudWatch's SNS `Message`).
 */
function withLoneSurrogates(body: unknown, summary: string): { body: unknown; touched: number } {
  let touched = 0;
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (value.startsWith('{')) {
        try {
          return JSON.stringify(walk(JSON.parse(value)));
        } catch {
          // not JSON: a string like any other
        }
      }
      if (value.length >= 6 && summary.includes(value)) {
        touched += 1;
        return `${value}${LONE}`;
      }
      return value;
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return { body: walk(body), touched };
}

describe('every alert source', () => {
  it('covers the six sources', () => {
    expect([...sourceNames].sort()).toEqual(Object.keys(firing).sort());
  });

  it.each(Object.entries(firing))(
    '%s: an alert carrying a lone surrogate comes out well formed',
    async (name, c) => {
      const source = await sourceNamed(name);
      if (!source) throw new Error(`no source ${name}`);
      const context = { ...sourceContext(), ...(c.organisation ? { organisation: c.organisation } : {}) };
      const original = fixture(name, c.name);
      const [first] = source.parse(original, context).alerts;
      expect(first).toBeDefined();
      const { body, touched } = withLoneSurrogates(original, first?.summary ?? '');
      expect(touched).toBeGreaterThan(0);

      // As the ingest handler parses a delivery (and as capAlert, where every source ends, leaves its text).
      const { alerts } = parseDelivery(source, body, context);

      expect(alerts.length).toBeGreaterThan(0);
      expect(alerts[0]?.summary).toContain('\ufffd');
      for (const alert of alerts) expect(isWellFormed(alert), JSON.stringify(alert)).toBe(true);
      // The source alone makes the same of it (its alerts all end in capAlert).
      expect(source.parse(body, context).alerts).toEqual(alerts);
    },
  );
});
