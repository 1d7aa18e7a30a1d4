import { describe, expect, it } from 'vitest';
import type { NormalisedAlert } from '../../../functions/core/alert.ts';
import { ValidationError } from '../../../functions/core/errors.ts';
import { ownValue, storableKey } from '../../../functions/core/records.ts';
import { fixture } from '../../support/fixtures.ts';
import {
  everyHostileKey,
  expectStorable,
  HOSTILE_KEYS,
  hostileSources,
  type Json,
  onTheWire,
  textValue,
} from '../../support/hostile-alerts.ts';
import { sourceContext } from '../../support/source-context.ts';

/**
 * Each source's real payloads with every hostile key added to every free-form map it has: the alerts keep the
 * keys as own data (a sender does not lose an alert over a label name) and are stored as they are written.
 */

const context = sourceContext();

function expectTexts(map: Record<string, string>, keys: readonly string[], what: string): void {
  for (const key of keys) expect(ownValue(map, storableKey(key)), `${what} ${key}`).toBe(textValue(key));
}

/** Where each source keeps what was added, for one parsed alert of the given body. */
const kept: Record<string, (alert: NormalisedAlert, body: Json) => void> = {
  alertmanager: (alert) => {
    expectTexts(alert.labels, HOSTILE_KEYS, 'label');
    expectTexts(alert.annotations, HOSTILE_KEYS, 'annotation');
  },
  grafana: (alert) => {
    expectTexts(alert.labels, HOSTILE_KEYS, 'label');
    expectTexts(alert.annotations, HOSTILE_KEYS, 'annotation');
    for (const key of HOSTILE_KEYS) expect(alert.annotations.grafana_values).toContain(`${key}=`);
  },
  datadog: (alert) => expectTexts(alert.labels, HOSTILE_KEYS, 'tag'),
  pagerduty: (alert, body) => {
    const triggered = (body as { event_action?: string }).event_action === 'trigger';
    if (!triggered) return;
    expectTexts(alert.labels, HOSTILE_KEYS, 'custom detail');
    for (const key of HOSTILE_KEYS) expect(alert.description).toContain(`${key}: ${textValue(key)}`);
  },
  generic: (alert) => {
    expectTexts(alert.labels, HOSTILE_KEYS, 'label');
    expectTexts(alert.annotations, HOSTILE_KEYS, 'annotation');
  },
  cloudwatch: (alert, body) => {
    const metricAlarm = (body as { Message: string }).Message.includes('"Dimensions"');
    if (!metricAlarm) return;
    for (const key of HOSTILE_KEYS)
      expect(ownValue(alert.labels, `dimension_${key}`), key).toBe(textValue(key));
  },
};

describe.each(Object.keys(hostileSources))('%s with hostile keys in every free-form map', (name) => {
  const { source, fixtures, inject } = hostileSources[name] ?? ({} as never);

  it.each(fixtures)('%s: parses, keeps every key as own data, and the alerts store', (fixtureName) => {
    const body = onTheWire(inject(fixture<Json>(name, fixtureName), everyHostileKey()));
    expect(JSON.stringify(body)).toContain('__proto__');

    const { alerts } = source.parse(body, context);

    for (const alert of alerts) {
      kept[name]?.(alert, body);
      expectStorable(alert);
    }
  });
});

describe('a hostile key with a value its map does not take', () => {
  it.each([
    ['alertmanager', 'firing-v4', 'alerts.0.labels'],
    ['grafana', 'firing', 'alerts.0.labels'],
    ['generic', 'firing', 'labels'],
  ])('%s is refused with a ValidationError naming the key', (name, fixtureName, where) => {
    const { source, inject } = hostileSources[name] ?? ({} as never);
    const maps = { ...everyHostileKey(), text: [['__proto__', { polluted: true }] as const] };
    const body = onTheWire(inject(fixture<Json>(name, fixtureName), maps));

    const parse = () => source.parse(body, context);

    expect(parse).toThrow(ValidationError);
    expect(parse).toThrow(`${where}.__proto__:`);
  });
});
