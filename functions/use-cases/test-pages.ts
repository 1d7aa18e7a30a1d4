import { MailRefusedError, NotFoundError, TooManyRequestsError } from '../core/errors.ts';
import { testPageEmail } from '../core/mails/test-page.ts';
import { PageRefusedError } from '../core/pages-sms.ts';
import { type Channel, type Person, redactPhone } from '../core/people.ts';
import {
  nextTestPageAt,
  type TestPageChannel,
  type TestPageRecord,
  testPageChannels,
  testPageCutoff,
  testPageSmsText,
  testPageVoiceText,
} from '../core/test-pages.ts';
import type { Mailer, PagerSender, TestPageStore } from './ports.ts';

/**
 * A test page to one person on each of their channels (core/test-pages.ts), recorded as their last. At most one
 * a minute per person: the claim is a conditional write, so two requests at once send once. A channel refused for
 * good (an opted-out number, a channel not configured) is reported and the others still go; a transient failure
 * marks the record `failed` (keeping what went out) and fails the request, so a retry sends at once instead of
 * waiting out the minute. The retry sends every channel again: a second test message harms nobody, and a partly
 * sent test page proves nothing about the channels it did not reach.
 */

export interface TestPageDeps {
  people: Readonly<Record<string, Person>>;
  /** The organisation's `paging` section: which phone channels exist. */
  paging: { sms?: unknown; voice?: unknown } | undefined;
  testPages: TestPageStore;
  mailer: Mailer;
  pager: PagerSender;
  /** Which Hotline sends (its public base URL), named in the mail. */
  sentBy?: string | undefined;
  now: () => Date;
}

function personOf(deps: Pick<TestPageDeps, 'people'>, personId: string): Person {
  const person = Object.hasOwn(deps.people, personId) ? deps.people[personId] : undefined;
  if (!person)
    throw new NotFoundError(`no person "${personId}" in the organisation's configuration (people)`);
  return person;
}

export async function sendTestPage(
  deps: TestPageDeps,
  personId: string,
  by: string,
): Promise<TestPageRecord> {
  const person = personOf(deps, personId);
  const now = deps.now();
  const record: TestPageRecord = { personId, at: now.toISOString(), status: 'sending', channels: [], by };
  if (!(await deps.testPages.claim(record, testPageCutoff(now)))) {
    const last = await deps.testPages.get(personId);
    const since = last ? ` at ${last.at}` : '';
    const next = nextTestPageAt(last?.at ?? record.at);
    throw new TooManyRequestsError(
      `${personId} had a test page${since}; the next is allowed at ${next}`,
      (Date.parse(next) - now.getTime()) / 1000,
    );
  }
  const channels = testPageChannels(person, deps.paging);
  const results: TestPageChannel[] = [];
  try {
    for (const channel of channels)
      results.push(await sendOn(deps, channel, person, personId, record.at, channels));
  } catch (error) {
    // Releases the minute (a retry sends at once) and keeps what went out before the failure.
    await deps.testPages
      .finish({ ...record, status: 'failed', channels: results, completedAt: deps.now().toISOString() })
      .catch(() => undefined);
    throw error;
  }
  const done: TestPageRecord = {
    ...record,
    status: 'sent',
    channels: results,
    completedAt: deps.now().toISOString(),
  };
  await deps.testPages.finish(done);
  return done;
}

async function sendOn(
  deps: TestPageDeps,
  channel: Channel,
  person: Person,
  personId: string,
  at: string,
  channels: readonly Channel[],
): Promise<TestPageChannel> {
  if (channel === 'email') {
    const mail = testPageEmail({ person, at, channels, sentBy: deps.sentBy });
    try {
      const { messageId } = await deps.mailer.send([person.email], mail);
      return { channel, to: person.email, outcome: 'sent', messageId };
    } catch (error) {
      // Refused for good (an unverified address while SES is in its sandbox...): said, and the phone still tried.
      if (error instanceof MailRefusedError)
        return {
          channel,
          to: person.email,
          outcome: 'refused',
          reason: error.detail === 'MessageRejected' ? 'rejected' : 'not-permitted',
          detail: error.detail,
        };
      throw error;
    }
  }
  const phone = person.phone ?? '';
  const to = redactPhone(phone);
  // Its delivery events name no incident, so MailEvents passes them by (core/phone-events.ts).
  const context = { kind: 'test-page', person: personId };
  try {
    const { messageId } =
      channel === 'sms'
        ? await deps.pager.sendText(phone, testPageSmsText(person), context)
        : await deps.pager.sendVoice(phone, testPageVoiceText(person), context);
    return { channel, to, outcome: 'sent', messageId };
  } catch (error) {
    if (error instanceof PageRefusedError)
      return { channel, to, outcome: 'refused', reason: error.reason, detail: error.detail };
    throw error;
  }
}

/** The person's last test page, as recorded. */
export async function lastTestPage(
  deps: Pick<TestPageDeps, 'people' | 'testPages'>,
  personId: string,
): Promise<TestPageRecord> {
  personOf(deps, personId);
  const last = await deps.testPages.get(personId);
  if (!last) throw new NotFoundError(`no test page recorded for ${personId}`);
  return last;
}
