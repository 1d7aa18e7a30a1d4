/**
 * String maps whose keys come from outside (alert labels, annotations, tags, details). A sender may name a key
 * anything, `constructor` and `__proto__` included, and must not lose an alert over it: such a map has no
 * prototype, so every key is an own entry and no lookup finds a method of Object.prototype instead of data.
 */

/** A record from untrusted entries; a later entry for the same key wins, as in an object literal. */
export function recordFrom<T = string>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const record: Record<string, T> = Object.create(null);
  for (const [key, value] of entries) record[key] = value;
  return record;
}

/** The value of a key that came from data or configuration; what Object.prototype has is not a value. */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * What a stored map calls a `__proto__` key. The DynamoDB document client builds each map with
 * `map[key] = value`, which turns that one key into the map's prototype, and the request then fails
 * (ValidationException); renamed, the entry and its alert are kept.
 */
export const STORED_PROTO_KEY = '(__proto__)';

/** A key as a stored map can hold it. */
export function storableKey(key: string): string {
  return key === '__proto__' ? STORED_PROTO_KEY : key;
}
