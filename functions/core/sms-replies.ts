import { stripControl } from './pages-sms.ts';
import { wallTimeAt } from './zoned-time.ts';

/**
 * What Hotline texts back to an SMS reply that carried a page's acknowledgement code: who acknowledged and when,
 * in the replier's time zone. Pure. Names are user text (the organisation file, or an operator's words), so they
 * are stripped of control characters and cut; the whole answer stays within one SMS segment for a name of up to
 * 40 characters in GSM-7.
 */

const NAME_CHARS = 40;
const DAY_MS = 86_400_000;

/** `2026-12-07 03:02 Europe/London`: the instant as the replier reads a clock. */
export function clockText(iso: string, timeZone: string): string {
  const instant = Date.parse(iso);
  const { day, minute } = wallTimeAt(instant, timeZone);
  const date = new Date(day * DAY_MS).toISOString().slice(0, 10);
  const hh = String(Math.floor(minute / 60)).padStart(2, '0');
  const mm = String(minute % 60).padStart(2, '0');
  return `${date} ${hh}:${mm} ${timeZone}`;
}

function shortName(name: string): string {
  const clean = stripControl(name);
  const chars = [...clean];
  return chars.length > NAME_CHARS ? `${chars.slice(0, NAME_CHARS - 3).join('')}...` : clean;
}

export interface AcknowledgementAnswer {
  /** The incident key, e.g. HOT-42. */
  key: string;
  /** Whether the replier is the one who acknowledged (their reply did it, now or in an earlier message). */
  byReplier: boolean;
  /** Who acknowledged, as a person reads it (their name, else the address or words recorded). */
  acknowledgedBy: string;
  acknowledgedAt: string;
  /** The replier's time zone (IANA). */
  timeZone: string;
}

/** The answer to a reply whose code named an acknowledged incident. */
export function acknowledgementAnswerText(answer: AcknowledgementAnswer): string {
  const at = clockText(answer.acknowledgedAt, answer.timeZone);
  const key = stripControl(answer.key);
  return answer.byReplier
    ? `${key} acknowledged by you at ${at}.`
    : `${key} was already acknowledged by ${shortName(answer.acknowledgedBy)} at ${at}.`;
}
