import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { expect } from 'vitest';
import { marshallOptions } from '../../functions/adapters/dynamodb.ts';
import type { NormalisedAlert } from '../../functions/core/alert.ts';
import { storableKey } from '../../functions/core/records.ts';
import { alertmanager } from '../../functions/sources/alertmanager.ts';
import { cloudwatch } from '../../functions/sources/cloudwatch.ts';
import { datadog } from '../../functions/sources/datadog.ts';
import { generic } from '../../functions/sources/generic.ts';
import { grafana } from '../../functions/sources/grafana.ts';
import { pagerduty } from '../../functions/sources/pagerduty.ts';
import type { AlertSource } from '../../functions/sources/source.ts';

/**
 * Alert bodies whose free-form maps (labels, annotations, tags, details, dimensions) carry keys named like
 * members of Object.prototype, for the unit, property and end-to-end tests of every source.
 */

/** Keys a sender may use that name a member of Object.prototype (`__proto__` is its accessor). */
export const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'toJSON',
  '__defineGetter__',
] as const;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Entries = readonly (readonly [string, Json])[];

/**
 * What is added to a source's free-form maps, by the kind of value the map holds: text (labels, annotations,
 * tags, dimensions), numbers (Grafana's query values) or any JSON (PagerDuty's custom_details, and fields of
 * fixed objects, which the schemas drop).
 */
export interface HostileMaps {
  text: Entries;
  number: Entries;
  any: Entries;
}

/** The same keys, each with a value its map accepts (text values are `<key> value`). */
export function everyHostileKey(keys: readonly string[] = HOSTILE_KEYS): HostileMaps {
  return {
    text: keys.map((key) => [key, textValue(key)] as const),
    number: keys.map((key, i) => [key, i + 0.5] as const),
    any: keys.map((key) => [key, textValue(key)] as const),
  };
}

export const textValue = (key: string) => `${key} value`;

export interface HostileSource {
  source: AlertSource;
  fixtures: readonly string[];
  /** The fixture body with `maps` added to every free-form map it has (or may have). */
  inject(body: Json, maps: HostileMaps): Json;
  /** The body as its own alert group(s), so that a delivery opens an incident instead of joining one. */
  regroup(body: Json, suffix: string): Json;
  /** The hostile keys (HOSTILE_KEYS and the like) the alerts parsed from `inject(body, maps)` must keep. */
  keeps(maps: HostileMaps, body: Json): Kept;
}

export interface Kept {
  labels: readonly string[];
  annotations: readonly string[];
}

const HOSTILE_NAMES: ReadonlySet<string> = new Set([...HOSTILE_KEYS, '(__proto__)']);

/** The hostile keys among `entries` (other generated keys may be trimmed, split or overridden by a source). */
const hostileIn = (entries: Entries) => entries.map(([key]) => key).filter((key) => HOSTILE_NAMES.has(key));

const inLabelsAndAnnotations = (maps: HostileMaps): Kept => ({
  labels: hostileIn(maps.text),
  annotations: hostileIn(maps.text),
});

type JsonObject = { [key: string]: Json };

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `map` with `entries` added as own properties (`Object.fromEntries` defines `__proto__` as data too). */
function withEntries(map: Json | undefined, entries: Entries): JsonObject {
  return Object.fromEntries([...Object.entries(isObject(map) ? map : {}), ...entries]);
}

function mapAlerts(body: JsonObject, change: (alert: JsonObject) => JsonObject): Json[] {
  return Array.isArray(body.alerts) ? body.alerts.map((a) => (isObject(a) ? change(a) : a)) : [];
}

/** Alertmanager's maps; Grafana's shape adds its query values. */
function injectAlertmanagerShape(body: Json, maps: HostileMaps, values: boolean): Json {
  if (!isObject(body)) return body;
  return {
    ...withEntries(body, maps.any),
    groupLabels: withEntries(body.groupLabels, maps.text),
    commonLabels: withEntries(body.commonLabels, maps.text),
    commonAnnotations: withEntries(body.commonAnnotations, maps.text),
    alerts: mapAlerts(body, (alert) => ({
      ...alert,
      labels: withEntries(alert.labels, maps.text),
      annotations: withEntries(alert.annotations, maps.text),
      ...(values ? { values: withEntries(alert.values, maps.number) } : {}),
    })),
  };
}

function regroupAlertmanagerShape(body: Json, suffix: string): Json {
  return isObject(body) ? { ...body, groupKey: `${String(body.groupKey)}/${suffix}` } : body;
}

const asText = (value: Json) => (typeof value === 'string' ? value : JSON.stringify(value));

/** Datadog's maps are its tag lists: `key:value` text, or an array of such tags. */
function withTags(tags: Json | undefined, entries: Entries): Json {
  const added = entries.map(([key, value]) => `${key}:${asText(value)}`);
  if (Array.isArray(tags)) return [...tags, ...added];
  return [typeof tags === 'string' ? tags : '', ...added].filter((t) => t !== '').join(',');
}

/** CloudWatch: the alarm is the SNS Message (JSON text); its dimensions are name/value pairs. */
function injectAlarm(alarm: JsonObject, maps: HostileMaps): JsonObject {
  const dimensions = (list: Json | undefined): Json[] => [
    ...(Array.isArray(list) ? list : []),
    ...maps.text.map(([name, value]) => ({ name, value })),
  ];
  const trigger = isObject(alarm.Trigger)
    ? {
        ...withEntries(alarm.Trigger, maps.any),
        Dimensions: dimensions(alarm.Trigger.Dimensions),
        ...(Array.isArray(alarm.Trigger.Metrics)
          ? {
              Metrics: alarm.Trigger.Metrics.map((input) =>
                isObject(input) && isObject(input.MetricStat) && isObject(input.MetricStat.Metric)
                  ? {
                      ...input,
                      MetricStat: {
                        ...input.MetricStat,
                        Metric: {
                          ...input.MetricStat.Metric,
                          Dimensions: dimensions(input.MetricStat.Metric.Dimensions),
                        },
                      },
                    }
                  : input,
              ),
            }
          : {}),
      }
    : undefined;
  return { ...withEntries(alarm, maps.any), ...(trigger ? { Trigger: trigger } : {}) };
}

export const hostileSources: Record<string, HostileSource> = {
  alertmanager: {
    source: alertmanager,
    fixtures: ['firing-v4', 'resolved-v4', 'unknown-service-warning-v4'],
    inject: (body, maps) => injectAlertmanagerShape(body, maps, false),
    regroup: regroupAlertmanagerShape,
    keeps: inLabelsAndAnnotations,
  },
  grafana: {
    source: grafana,
    fixtures: ['firing', 'resolved', 'test-notification'],
    inject: (body, maps) => injectAlertmanagerShape(body, maps, true),
    regroup: regroupAlertmanagerShape,
    keeps: inLabelsAndAnnotations,
  },
  datadog: {
    source: datadog,
    fixtures: ['triggered', 'recovered', 'no-data', 'loose-values'],
    inject: (body, maps) =>
      isObject(body)
        ? {
            ...withEntries(body, maps.any),
            tags: withTags(body.tags, maps.text),
            alert_scope: withTags(body.alert_scope, maps.text),
          }
        : body,
    regroup: (body, suffix) =>
      isObject(body) ? { ...body, aggreg_key: suffix, alert_id: `${String(body.alert_id)}-${suffix}` } : body,
    keeps: (maps) => ({ labels: hostileIn(maps.text), annotations: [] }),
  },
  pagerduty: {
    source: pagerduty,
    fixtures: ['trigger', 'trigger-without-dedup-key', 'acknowledge', 'resolve'],
    inject: (body, maps) =>
      isObject(body)
        ? {
            ...withEntries(body, maps.any),
            ...(isObject(body.payload)
              ? {
                  payload: {
                    ...body.payload,
                    custom_details: withEntries(body.payload.custom_details, maps.any),
                  },
                }
              : {}),
          }
        : body,
    regroup: (body, suffix) =>
      isObject(body) && typeof body.dedup_key === 'string'
        ? { ...body, dedup_key: `${body.dedup_key}/${suffix}` }
        : body,
    // Scalar custom details become labels; a trigger is the event that carries them.
    keeps: (maps, body) => ({
      labels:
        isObject(body) && body.event_action === 'trigger' && isObject(body.payload)
          ? hostileIn(maps.any.filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value)))
          : [],
      annotations: [],
    }),
  },
  generic: {
    source: generic,
    fixtures: ['firing', 'batch', 'resolved'],
    inject: (body, maps) => {
      if (!isObject(body)) return body;
      const change = (alert: JsonObject): JsonObject => ({
        ...withEntries(alert, maps.any),
        labels: withEntries(alert.labels, maps.text),
        annotations: withEntries(alert.annotations, maps.text),
      });
      return Array.isArray(body.alerts) ? { ...body, alerts: mapAlerts(body, change) } : change(body);
    },
    regroup: (body, suffix) => {
      if (!isObject(body)) return body;
      const change = (alert: JsonObject): JsonObject => ({
        ...alert,
        group: `${String(alert.group ?? alert.id ?? alert.fingerprint)}/${suffix}`,
      });
      return Array.isArray(body.alerts) ? { ...body, alerts: mapAlerts(body, change) } : change(body);
    },
    keeps: inLabelsAndAnnotations,
  },
  // Only through parse: end to end, SNS signing certificates cannot be fetched from the local target.
  cloudwatch: {
    source: cloudwatch,
    fixtures: ['notification-alarm', 'notification-ok', 'notification-metric-math', 'notification-composite'],
    inject: (body, maps) => {
      if (!isObject(body) || typeof body.Message !== 'string') return body;
      const alarm = JSON.parse(body.Message) as Json;
      return isObject(alarm) ? { ...body, Message: JSON.stringify(injectAlarm(alarm, maps)) } : body;
    },
    regroup: (body) => body,
    // Dimensions are read leniently: one that is not text drops them all rather than the alarm.
    keeps: (maps, body) => ({
      labels:
        isObject(body) &&
        typeof body.Message === 'string' &&
        body.Message.includes('"Trigger"') &&
        maps.text.every(([, value]) => typeof value === 'string')
          ? hostileIn(maps.text).map((name) => `dimension_${name}`)
          : [],
      annotations: [],
    }),
  },
};

/** What a sender puts on the wire and the function reads back: JSON text keeps `__proto__` as an own key. */
export function onTheWire<T extends Json>(body: T): T {
  return JSON.parse(JSON.stringify(body)) as T;
}

// --- generators -------------------------------------------------------------------------------------------

/** Hostile keys, the labels routing reads, a stored name that could collide, and any other string. */
export const hostileKey = fc.oneof(
  fc.constantFrom(...HOSTILE_KEYS, '(__proto__)', 'severity', 'priority', 'service', 'job'),
  fc.string(),
);

/** Text that is itself hostile as a value (`severity: constructor`), or any string. */
const hostileText = fc.oneof(fc.constantFrom<string>(...HOSTILE_KEYS), fc.string());

const anyJson = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;

/**
 * Most maps also name a routing label with a hostile value, so routing meets `severity: constructor` often:
 * routing lower-cases values, after which `constructor` and `__proto__` are the ones still named like members.
 */
const routing = fc.option(
  fc.tuple(
    fc.constantFrom('severity', 'severity', 'priority', 'service'),
    fc.constantFrom('constructor', '__proto__', 'constructor', '__proto__', ...HOSTILE_KEYS),
  ),
  { freq: 4 },
);

const dictionary = (value: fc.Arbitrary<Json>, routes = true) =>
  fc
    .tuple(fc.dictionary(hostileKey, value, { maxKeys: 8 }), routes ? routing : fc.constant(null))
    .map(([d, route]): Entries => [...Object.entries(d), ...(route ? [route] : [])]);

/**
 * Maps of hostile keys: mostly values their map accepts, sometimes any JSON (which a source must refuse with a
 * ValidationError, or drop where its documentation says so).
 */
export const hostileMaps: fc.Arbitrary<HostileMaps> = fc.record({
  text: fc.oneof(
    { weight: 3, arbitrary: dictionary(hostileText) },
    { weight: 1, arbitrary: dictionary(anyJson) },
  ),
  number: fc.oneof(
    {
      weight: 3,
      arbitrary: dictionary(
        fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null)),
        false,
      ),
    },
    { weight: 1, arbitrary: dictionary(anyJson, false) },
  ),
  any: dictionary(fc.oneof(hostileText, anyJson)),
});

// --- assertions -------------------------------------------------------------------------------------------

/** Keys a `for...in` walk sees that are not own: the SDK's serializer would send them as attributes. */
function inheritedKeys(value: unknown, path = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const found: string[] = [];
  for (const key in value) {
    const at = `${path}.${key}`;
    if (!Object.hasOwn(value, key)) found.push(at);
    else found.push(...inheritedKeys((value as Record<string, unknown>)[key], at));
  }
  return found;
}

/** The parsed alerts keep the hostile keys `keeps` names, as own data (`__proto__` under its stored name). */
export function expectKept(alerts: readonly NormalisedAlert[], kept: Kept): void {
  for (const alert of alerts) {
    for (const key of kept.labels)
      expect(Object.hasOwn(alert.labels, storableKey(key)), `label ${key}`).toBe(true);
    for (const key of kept.annotations)
      expect(Object.hasOwn(alert.annotations, storableKey(key)), `annotation ${key}`).toBe(true);
  }
}

/**
 * The value marshals the way the functions write items, into exactly its own data: no attribute the
 * serializer would pick up from a prototype, and it reads back as it was (as JSON sees it).
 */
export function expectStorable(value: object): void {
  const item = marshall({ value }, marshallOptions);
  expect(inheritedKeys(item)).toEqual([]);
  expect(JSON.stringify(unmarshall(item).value)).toBe(JSON.stringify(value));
}
