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

/** Caps a string to max characters, marking the cut so a reader knows text is missing. */
export function cap(value: string, max: number): string {
  if (value.length <= max) return value;
  return `${value.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * Caps every value of a string map (labels, annotations) and the number of entries, into a record every key of
 * which can be stored (see records.ts).
 */
export function capRecord(
  record: Record<string, string>,
  maxEntries = 64,
  maxValue = 1024,
): Record<string, string> {
  return recordFrom(
    Object.entries(record)
      .slice(0, maxEntries)
      .map(([key, value]) => [storableKey(cap(key, 128)), cap(String(value), maxValue)] as const),
  );
}
