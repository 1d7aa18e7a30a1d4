/**
 * A test page: one message on each channel a person can be paged on, sent by an operator before an incident
 * needs it, so the person knows their pages arrive. Nothing here is an incident: the texts say so.
 */
import { stripControl } from './pages-sms.ts';
import type { Channel, Person } from './people.ts';

/** One test page per person per minute: a second within it is refused (a conditional write, so concurrent requests send once). */
export const TEST_PAGE_INTERVAL_MS = 60_000;

/** A person id in a path (`/people/{id}/test-page`), as the configuration writes them. */
export const PERSON_ID = /^[a-z][a-z0-9._-]{0,62}$/;

export type TestPageOutcome = 'sent' | 'refused';

export interface TestPageChannel {
  channel: Channel;
  /** The address, or the phone number redacted (never whole in a record or an answer). */
  to: string;
  outcome: TestPageOutcome;
  messageId?: string;
  /** Why it was refused (the service's reason, e.g. `opted-out`). */
  reason?: string;
  /** The service's words for a refusal, e.g. `ConflictException/DESTINATION_PHONE_NUMBER_OPTED_OUT`. */
  detail?: string;
}

/**
 * The last test page of a person (`keys.testPage`): `sending` while one is under way, `sent` when every channel
 * answered (sent or refused), `failed` when a channel failed for now (what went out before is kept; the next
 * request may send at once).
 */
export interface TestPageRecord {
  personId: string;
  at: string;
  status: 'sending' | 'sent' | 'failed';
  channels: TestPageChannel[];
  /** Who asked (the operator's name or principal). */
  by: string;
  completedAt?: string;
}

/** The channels a person can be test-paged on: mail always; SMS and voice with a phone and that channel configured. */
export function testPageChannels(
  person: Pick<Person, 'phone'>,
  paging: { sms?: unknown; voice?: unknown } | undefined,
): Channel[] {
  const channels: Channel[] = ['email'];
  if (person.phone && paging?.sms) channels.push('sms');
  if (person.phone && paging?.voice) channels.push('voice');
  return channels;
}

/** When the person may be test-paged again after one at `at`. */
export function nextTestPageAt(at: string): string {
  return new Date(Date.parse(at) + TEST_PAGE_INTERVAL_MS).toISOString();
}

/** The claim's threshold: a test page before this instant no longer blocks a new one. */
export function testPageCutoff(now: Date): string {
  return new Date(now.getTime() - TEST_PAGE_INTERVAL_MS).toISOString();
}

const nameOf = (person: Pick<Person, 'name'>) => stripControl(person.name).slice(0, 60) || 'you';

/** The SMS: one segment for any configured name (names are capped), no code to reply with. */
export function testPageSmsText(person: Pick<Person, 'name'>): string {
  return `Hotline test page for ${nameOf(person)}: no incident, nothing to do.`;
}

/** The voice message, read out: it says twice that nothing needs doing. */
export function testPageVoiceText(person: Pick<Person, 'name'>): string {
  return `This is a Hotline test page for ${nameOf(person)}. There is no incident and nothing to do. Again: this is only a test. Goodbye.`;
}
