import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { serviceFor, severityFor } from '../../../functions/core/alert.ts';
import { parseOrganisation } from '../../../functions/core/config.ts';
import { serviceOf } from '../../../functions/core/organisation.ts';
import { ownValue, recordFrom, STORED_PROTO_KEY, storableKey } from '../../../functions/core/records.ts';
import { capRecord } from '../../../functions/core/text.ts';
import { describeIssues, recordOf, stringRecord } from '../../../functions/core/validation.ts';
import { expectStorable, HOSTILE_KEYS, textValue } from '../../support/hostile-alerts.ts';
import { organisation, organisationInput } from '../../support/organisation.ts';

/** JSON text, as a sender sends it: JSON.parse makes `__proto__` an own key, unlike an object literal. */
const hostileJson = (value: (key: string) => unknown = textValue) =>
  JSON.parse(JSON.stringify(Object.fromEntries(HOSTILE_KEYS.map((key) => [key, value(key)])))) as Record<
    string,
    unknown
  >;

describe('records built from untrusted entries', () => {
  it('keep every key, prototype member names included, as an own entry', () => {
    const record = recordFrom(HOSTILE_KEYS.map((key) => [key, textValue(key)] as const));

    expect(Object.getPrototypeOf(record)).toBeNull();
    expect(Object.keys(record)).toEqual([...HOSTILE_KEYS]);
    for (const key of HOSTILE_KEYS)
      expect(Object.getOwnPropertyDescriptor(record, key)?.value).toBe(textValue(key));
  });

  it('let a later entry win, as an object literal does', () => {
    const record = recordFrom([
      ['constructor', 'first'],
      ['constructor', 'second'],
    ]);

    expect(record.constructor).toBe('second');
  });

  it('are read by own keys only: a prototype member is not a value', () => {
    const ordinary: Record<string, string> = { present: 'yes' };

    expect(ownValue(ordinary, 'constructor')).toBeUndefined();
    expect(ownValue(ordinary, 'toString')).toBeUndefined();
    expect(ownValue(ordinary, 'present')).toBe('yes');
    expect(ownValue(recordFrom([['constructor', 'data']]), 'constructor')).toBe('data');
  });

  it('store a `__proto__` key under a name a stored map can hold, every other key as it is', () => {
    expect(storableKey('__proto__')).toBe(STORED_PROTO_KEY);
    expect(STORED_PROTO_KEY).not.toBe('__proto__');
    for (const key of HOSTILE_KEYS.filter((k) => k !== '__proto__')) expect(storableKey(key)).toBe(key);
  });
});

describe('capRecord with hostile keys', () => {
  it('keeps each as own data, `__proto__` under its stored name, and marshals as the functions write', () => {
    const labels = hostileJson() as Record<string, string>;

    const capped = capRecord(labels);

    expect(Object.keys(capped)).toEqual(HOSTILE_KEYS.map(storableKey));
    for (const key of HOSTILE_KEYS) expect(ownValue(capped, storableKey(key))).toBe(textValue(key));
    expectStorable({ labels: capped });
  });

  it('is what makes a `__proto__` key storable: left as it is, the marshalled map inherits it', () => {
    const labels = hostileJson() as Record<string, string>;

    expect(() => expectStorable({ labels })).toThrow();
    expect(() => expectStorable({ labels: capRecord(labels) })).not.toThrow();
  });
});

describe('the string record schema', () => {
  it('keeps `__proto__` and the other prototype member names as own data', () => {
    const input = hostileJson();

    const result = stringRecord().safeParse(input);

    expect(result.success).toBe(true);
    const parsed = result.data ?? {};
    expect(Object.keys(parsed)).toEqual([...HOSTILE_KEYS]);
    for (const key of HOSTILE_KEYS) expect(ownValue(parsed, key)).toBe(textValue(key));
  });

  it('names the key of a value that is not a string, `__proto__` included', () => {
    const schema = z.object({ labels: stringRecord() });
    const body = JSON.parse('{"labels": {"ok": "x", "__proto__": {"polluted": true}, "constructor": 5}}');

    const result = schema.safeParse(body);

    expect(result.success).toBe(false);
    const described = result.error ? describeIssues(result.error) : '';
    expect(described).toContain('labels.__proto__:');
    expect(described).toContain('labels.constructor:');
  });

  it('refuses what is not a map', () => {
    for (const input of [null, [], 'labels', 3, undefined]) {
      expect(stringRecord().safeParse(input).success, JSON.stringify(input)).toBe(false);
    }
  });

  it('checks each value with the given schema (Grafana query values are numbers or null)', () => {
    const values = recordOf(z.nullable(z.number()));

    const kept = values.safeParse(hostileJson(() => 1));
    const refused = values.safeParse(JSON.parse('{"toString": "1"}'));

    expect(kept.success && Object.keys(kept.data)).toEqual([...HOSTILE_KEYS]);
    expect(refused.success).toBe(false);
  });
});

describe('routing on hostile label values', () => {
  it('gives the default severity for a value named like a prototype member', () => {
    for (const value of HOSTILE_KEYS) {
      const labels = recordFrom([['severity', value]]);

      const severity = severityFor(organisation, labels);

      expect(severity, value).toBe(organisation.alertRouting.defaultSeverity);
    }
  });

  it('gives the default service for such a value, and serviceOf never returns a prototype member', () => {
    for (const value of HOSTILE_KEYS) {
      expect(serviceFor(organisation, recordFrom([['service', value]])), value).toEqual({
        service: organisation.defaultService,
        matched: false,
      });
      expect(serviceOf(organisation, value), value).toBe(organisation.services[organisation.defaultService]);
    }
  });

  it('reads a routing label named like a prototype member from the alert only', () => {
    const org = parseOrganisation({
      ...organisationInput,
      alertRouting: { serviceLabels: ['constructor'], severityLabels: ['toString'] },
    });
    const labels: Record<string, string> = { unrelated: 'x' };

    expect(severityFor(org, labels)).toBe(org.alertRouting.defaultSeverity);
    expect(serviceFor(org, labels)).toEqual({ service: org.defaultService, matched: false });
    expect(severityFor(org, recordFrom([['toString', 'critical']]))).toBe(1);
    expect(serviceFor(org, recordFrom([['constructor', 'checkout-api']]))).toEqual({
      service: 'checkout',
      matched: true,
    });
  });
});
