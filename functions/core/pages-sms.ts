import { randomInt } from 'node:crypto';
import type { Severity } from './config.ts';

/**
 * What a page says by SMS and by voice, and the acknowledgement code a reply carries back. Pure (the code's
 * randomness is injectable): the pager adapter sends these texts, the workflow stores the code with the page.
 *
 * One SMS, never two: a page is one segment, 160 GSM-7 septets, or 70 UCS-2 code units when the text needs a
 * character GSM-7 lacks. Carriers split longer texts into segments of 153/67 that may arrive out of order (or
 * not at all), and each is billed. Only the summary (user text) is ever shortened; the incident key, the severity
 * and the code always arrive whole.
 */

/** An acknowledgement code: six decimal digits, the only form replies are matched against (`ACK 123456`). */
export const ACK_CODE_DIGITS = 6;
const ACK_CODE = /^\d{6}$/;

/** One SMS segment in each encoding. */
export const GSM7_SEGMENT_SEPTETS = 160;
export const UCS2_SEGMENT_UNITS = 70;
/** SendVoiceMessage takes at most 3,000 characters of plain text; a page is far shorter. */
export const VOICE_MAX_CHARS = 3_000;
/** How much of the summary a voice call reads out: a minute of speech at most. */
const VOICE_SUMMARY_CHARS = 400;

/** GSM 03.38 basic character set (one septet each). */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** GSM 03.38 extension table: an escape plus the character, two septets each. */
const GSM7_EXTENSION = '^{}\\[~]|€\f';
const basic = new Set(GSM7_BASIC);
const extension = new Set(GSM7_EXTENSION);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** The septets a character takes in GSM-7, or undefined when GSM-7 cannot carry it. */
function septets(char: string): number | undefined {
  if (basic.has(char)) return 1;
  if (extension.has(char)) return 2;
  return undefined;
}

/** The encoding a text is sent in: GSM-7 when every character has a septet, else UCS-2. */
export function smsEncoding(text: string): SmsEncoding {
  for (const char of text) if (septets(char) === undefined) return 'UCS-2';
  return 'GSM-7';
}

/** The text's length in its encoding's units: septets for GSM-7, UTF-16 code units for UCS-2. */
export function smsLength(text: string, encoding: SmsEncoding = smsEncoding(text)): number {
  if (encoding === 'UCS-2') return text.length;
  let total = 0;
  for (const char of text) total += septets(char) ?? 2;
  return total;
}

/** Whether the text fits one SMS segment. */
export function fitsOneSegment(text: string): boolean {
  const encoding = smsEncoding(text);
  return smsLength(text, encoding) <= (encoding === 'GSM-7' ? GSM7_SEGMENT_SEPTETS : UCS2_SEGMENT_UNITS);
}

/**
 * User text made safe for a single-line message: control characters (C0 including CR, LF and tab, DEL, C1),
 * bidirectional overrides and zero-width characters become a space; runs of spaces collapse; ends trimmed.
 */
export function stripControl(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
      .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/** At most `units` of the text in the encoding, cut between characters (never inside a surrogate pair). */
function cutTo(text: string, units: number, encoding: SmsEncoding): string {
  let used = 0;
  let out = '';
  for (const char of text) {
    const size = encoding === 'UCS-2' ? char.length : (septets(char) ?? 2);
    if (used + size > units) break;
    used += size;
    out += char;
  }
  return out;
}

export interface SmsPage {
  /** The incident key, e.g. HOT-42. */
  key: string;
  severity: Severity;
  /** The incident's summary (user text: an alert's title, an operator's words). */
  summary: string;
  /** The acknowledgement code (see newAckCode). */
  code: string;
}

const ELLIPSIS = '...';

/**
 * The page as one SMS: `HOT-42 SEV1 <summary>` then, on its own line, `Reply ACK 123456`. The summary is stripped
 * of control characters and cut (with `...`) to what one segment leaves; when it needs UCS-2 and even a cut
 * summary would not fit, it is cut further in UCS-2's 70 units. The key and code are ours (validated), so the
 * frame itself is always GSM-7 and always fits.
 */
export function smsPageText(page: SmsPage): string {
  assertAckCode(page.code);
  const head = `${stripControl(page.key)} SEV${page.severity}`;
  const tail = `\nReply ACK ${page.code}`;
  const summary = stripControl(page.summary);
  const frame = (s: string) => (s === '' ? `${head}${tail}` : `${head} ${s}${tail}`);
  if (fitsOneSegment(frame(summary))) return frame(summary);
  const encoding = smsEncoding(summary);
  const limit = encoding === 'GSM-7' ? GSM7_SEGMENT_SEPTETS : UCS2_SEGMENT_UNITS;
  // The frame is GSM-7 (key, digits, letters), so its septet count is its length in either encoding.
  const room = limit - smsLength(frame(''), 'GSM-7') - 1 - ELLIPSIS.length;
  if (room <= 0) return frame('');
  const cut = cutTo(summary, room, encoding).trimEnd();
  return frame(cut === '' ? '' : `${cut}${ELLIPSIS}`);
}

/**
 * The text that follows a page whose alerts all cleared before anyone acknowledged: one GSM-7 segment, ours only
 * (no user text). `resolvesAt` is when it resolves as cleared (HH:MM UTC), absent when a person resolves it.
 */
export function smsClearedText(notice: {
  key: string;
  severity: Severity;
  resolvesAt?: string | undefined;
}): string {
  const head = `${stripControl(notice.key)} SEV${notice.severity} alerts cleared before anyone acknowledged. Escalation stopped.`;
  const at = notice.resolvesAt ? /T(\d\d:\d\d)/.exec(notice.resolvesAt)?.[1] : undefined;
  return at
    ? `${head} Resolves as cleared at ${at} UTC unless acknowledged.`
    : `${head} A person resolves it.`;
}

const SEVERITY_WORDS: Record<Severity, string> = { 1: 'one', 2: 'two', 3: 'three' };
const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** Text a speech engine reads safely as plain text or inside SSML: no markup characters at all. */
function speakable(text: string): string {
  return stripControl(text.replace(/&/g, ' and ').replace(/[<>]/g, ' '));
}

/** `HOT-42` read out: the prefix letter by letter, then the number (`H O T 42`). */
function spokenKey(key: string): string {
  const match = /^([A-Z][A-Z0-9]*)-(\d+)$/.exec(key);
  if (!match) return speakable(key);
  return `${[...(match[1] ?? '')].join(' ')} ${match[2]}`;
}

/** The code read digit by digit, in words, so no engine reads it as a number ("four hundred and eighty..."). */
export function spokenCode(code: string): string {
  assertAckCode(code);
  return [...code].map((d) => DIGIT_WORDS[Number(d)]).join(', ');
}

/**
 * The voice message: who calls, the incident, its severity in words, the summary, and the code twice, digit by
 * digit. Free of `<`, `>` and `&`, so it is safe as TEXT and would be as SSML content too.
 */
export function voicePageText(page: SmsPage): string {
  const summary = speakable(page.summary);
  const shortened =
    [...summary].length > VOICE_SUMMARY_CHARS
      ? `${[...summary].slice(0, VOICE_SUMMARY_CHARS).join('').trimEnd()}...`
      : summary;
  const code = spokenCode(page.code);
  return [
    `This is Hotline paging you. Incident ${spokenKey(page.key)}, severity ${SEVERITY_WORDS[page.severity]}.`,
    shortened === '' ? '' : `${shortened}.`,
    `To acknowledge, reply to the text message with the code ${code}.`,
    `Again, the code is ${code}.`,
  ]
    .filter((part) => part !== '')
    .join(' ');
}

/** A fresh acknowledgement code: six digits, uniformly from a cryptographic source (leading zeros kept). */
export function newAckCode(random: (max: number) => number = (max) => randomInt(max)): string {
  return String(random(10 ** ACK_CODE_DIGITS)).padStart(ACK_CODE_DIGITS, '0');
}

export function isAckCode(code: string): boolean {
  return ACK_CODE.test(code);
}

function assertAckCode(code: string): void {
  if (!isAckCode(code)) throw new Error(`an acknowledgement code is ${ACK_CODE_DIGITS} digits`);
}

/**
 * The code an SMS reply carries, or undefined when the reply is not an acknowledgement: `ACK 123456`,
 * `ack:123456`, `ack123456`, `123456` or `123 456`, any case, with surrounding whitespace and a final `.` or `!`. Anything
 * else (other words, more digits) is not a code: the caller ignores and logs it.
 */
export function parseAckReply(body: string): { code: string } | undefined {
  const match = /^\s*(?:ack\s*[:#-]?\s*)?(\d{3}) ?(\d{3})\s*[.!]?\s*$/i.exec(body);
  if (!match) return undefined;
  return { code: `${match[1]}${match[2]}` };
}

/** Why a page was refused for good (retrying the same page cannot succeed). */
export type PageRefusal =
  /** The number replied STOP (or is on the opt-out list): it gets no texts until it opts in again. */
  | 'opted-out'
  /** The destination, the text or the identity was not accepted (not E.164, a blocked country, too long). */
  | 'invalid'
  /** The pager may not send (IAM), the identity or configuration set does not exist, or a quota was hit. */
  | 'not-permitted'
  /** The month's spend limit for texts (or calls) was reached: nothing more goes out until it is raised. */
  | 'spend-limit';

/**
 * A page the messaging service refused for good: the caller records it (the page failed: escalate, and tell
 * the person at the next handoff) and does not retry. Transient failures are RetryableError instead.
 */
export class PageRefusedError extends Error {
  override name = 'PageRefusedError';
  constructor(
    readonly reason: PageRefusal,
    /** The service's error name and reason code, e.g. `ConflictException/DESTINATION_PHONE_NUMBER_OPTED_OUT`. */
    readonly detail: string,
    message: string,
  ) {
    super(message);
  }
}
