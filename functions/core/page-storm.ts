import {
  fitsOneSegment,
  GSM7_SEGMENT_SEPTETS,
  type SmsPage,
  smsEncoding,
  smsLength,
  stripControl,
  voicePageText,
} from './pages-sms.ts';

/**
 * Pages to one person during an alert storm: at most `maxPerHour` texts (and as many calls) in a clock hour, then
 * one summary, then mail only until the hour ends. Pure: the workflow counts each page in the person's hour (an
 * atomic counter, `PageCountStore`) and asks here what its place in the count means.
 *
 * A page's place is 1 for the first text of the hour. Up to the limit it is sent as usual; the first past it is
 * sent as the summary (the page itself, saying that more pages this hour come by mail only); every one after is
 * held: not sent, written on its incident's timeline, and the page goes on by mail. Nothing is dropped silently.
 */

/** The message id a held page's comms record carries: neither sent nor failed ("reached nobody" skips it). */
export const HELD_MESSAGE_ID = 'held';

export type StormDecision = 'send' | 'summary' | 'hold';

/**
 * The storm limit of a channel: texts `sms.maxPerHour`; calls `voice.maxPerHour`, else the texts' (a limit set
 * once covers both, each counted apart). Undefined: no limit.
 */
export function stormLimit(
  paging:
    | { sms?: { maxPerHour?: number | undefined }; voice?: { maxPerHour?: number | undefined } }
    | undefined,
  channel: 'sms' | 'voice',
): number | undefined {
  return channel === 'voice'
    ? (paging?.voice?.maxPerHour ?? paging?.sms?.maxPerHour)
    : paging?.sms?.maxPerHour;
}

/** What the page at `place` in its hour does under `maxPerHour` (no limit: always sent). */
export function stormDecision(maxPerHour: number | undefined, place: number): StormDecision {
  if (maxPerHour === undefined || place <= maxPerHour) return 'send';
  return place === maxPerHour + 1 ? 'summary' : 'hold';
}

/** How many page places an hour's count keeps by page (to answer a retried page the same): the limit and the summary. */
export function placesKept(maxPerHour: number): number {
  return maxPerHour + 1;
}

/** The clock hour (UTC) a page falls in: its start (the count's name) and its end (when texts resume). */
export function hourWindow(now: Date): { start: string; end: string } {
  const start = new Date(now);
  start.setUTCMinutes(0, 0, 0);
  return {
    start: start.toISOString(),
    end: new Date(start.getTime() + 3_600_000).toISOString(),
  };
}

/** `15:00 UTC` for a window's end. */
export function untilWords(end: string): string {
  return `${end.slice(11, 16)} UTC`;
}

const ELLIPSIS = '...';

/**
 * The summary text: the page itself (key, severity, as much of its summary as fits, the acknowledgement code) with
 * a line saying the person is paged more than `maxPerHour` times this hour and that further pages until the hour
 * ends come by mail only. One GSM-7 segment: the frame is ours (GSM-7); the user's summary is stripped of control
 * characters and cut to what is left, or left out when it needs UCS-2 (the frame alone would not fit 70 units).
 */
export function smsStormSummaryText(page: SmsPage & { maxPerHour: number; until: string }): string {
  const head = `${stripControl(page.key)} SEV${page.severity}`;
  const tail = `\nOver ${page.maxPerHour} texts this hour: more pages by mail only until ${untilWords(page.until)}.\nReply ACK ${page.code}`;
  const frame = (s: string) => (s === '' ? `${head}${tail}` : `${head} ${s}${tail}`);
  const summary = stripControl(page.summary);
  if (fitsOneSegment(frame(summary))) return frame(summary);
  if (smsEncoding(summary) !== 'GSM-7') return frame('');
  const room = GSM7_SEGMENT_SEPTETS - smsLength(frame(''), 'GSM-7') - 1 - ELLIPSIS.length;
  let used = 0;
  let cut = '';
  for (const char of summary) {
    const size = smsLength(char, 'GSM-7');
    if (used + size > room) break;
    used += size;
    cut += char;
  }
  cut = cut.trimEnd();
  return frame(cut === '' ? '' : `${cut}${ELLIPSIS}`);
}

/** The summary call: the page as a call reads it, then what the summary text says. */
export function voiceStormSummaryText(page: SmsPage & { maxPerHour: number; until: string }): string {
  const until = untilWords(page.until).replace(' UTC', ', U T C');
  return `${voicePageText(page)} You are paged by phone more than ${page.maxPerHour} times this hour: until ${until}, further pages come by mail only.`;
}

/**
 * The timeline's words for a held page: who, why, and until when they get mail only (the phone number redacted
 * by the caller): `Text to incident manager Ada Lovelace (+44********23) held: more than 10 texts this hour; mail
 * only until 15:00 UTC.`
 */
export function heldWords(held: {
  channel: 'sms' | 'voice';
  who: string;
  maxPerHour: number;
  until: string;
}): string {
  const [noun, plural] = held.channel === 'sms' ? ['Text', 'texts'] : ['Call', 'calls'];
  return `${noun} to ${held.who} held: more than ${held.maxPerHour} ${plural} this hour; mail only until ${untilWords(held.until)}.`;
}

/** The timeline's words for the summary page. */
export function summaryWords(summary: {
  channel: 'sms' | 'voice';
  who: string;
  maxPerHour: number;
  until: string;
}): string {
  const [verb, plural] = summary.channel === 'sms' ? ['Texted', 'texts'] : ['Called', 'calls'];
  return `${verb} ${summary.who} with the storm summary: more than ${summary.maxPerHour} ${plural} this hour; further pages by mail only until ${untilWords(summary.until)}.`;
}
