/** Text safety for anything that came from outside (alerts, operators) before it reaches mail or HTML. */

import { recordFrom, storableKey } from './records.ts';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

// Deliberately matches control characters: they have no place in a mail header.
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/** Header values (subject, display names) must not carry CR/LF: that is how header injection works. */
export function headerSafe(value: string, max = 200): string {
  return cap(value.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(CONTROL_CHARACTERS, ''), max).trim();
}

/**
 * Text as Unicode: each lone UTF-16 surrogate (half of a pair, which JSON can carry as `\ud800` but no UTF-8
 * encoder, mail or strict JSON tool accepts) becomes U+FFFD. Applied where text enters from outside: alerts,
 * declarations, the responders' inputs.
 */
export function wellFormed(value: string): string {
  return value.isWellFormed() ? value : value.toWellFormed();
}

/** Every string of a parsed JSON value (and every object key) made well formed; other values as they are. */
export function wellFormedDeep<T>(value: T): T {
  if (typeof value === 'string') return wellFormed(value) as T;
  if (Array.isArray(value)) return value.map((item) => wellFormedDeep(item)) as T;
  if (value !== null && typeof value === 'object' && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty: a `__proto__` key stays a key, as JSON.parse made it.
      Object.defineProperty(out, wellFormed(key), {
        value: wellFormedDeep(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out as T;
  }
  return value;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Caps a string to max characters, marking the cut so a reader knows text is missing. A cut never splits a
 * surrogate pair (that would leave a lone half).
 */
export function cap(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = Math.max(0, max - 1);
  const last = value.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${value.slice(0, end)}…`;
}

/**
 * Caps every value of a string map (labels, annotations) and the number of entries, into a record every key of
 * which can be stored (see records.ts); keys and values made well formed.
 */
export function capRecord(
  record: Record<string, string>,
  maxEntries = 64,
  maxValue = 1024,
): Record<string, string> {
  return recordFrom(
    Object.entries(record)
      .slice(0, maxEntries)
      .map(
        ([key, value]) =>
          [storableKey(cap(wellFormed(key), 128)), cap(wellFormed(String(value)), maxValue)] as const,
      ),
  );
}

const encoder = new TextEncoder();
/** How many bytes `text` takes in UTF-8 (DynamoDB's item limit and SES's message size count these). */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** An http(s) link: the only kind a page or a mail shows as a link (never `javascript:` or `data:`). */
export function isWebLink(value: string | undefined): value is string {
  return value !== undefined && /^https?:\/\/\S+$/i.test(value);
}
