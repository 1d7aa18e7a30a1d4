import type { Channel, Person } from './people.ts';
import { redactPhone } from './people.ts';

/**
 * Channels that go quiet: a page that cannot arrive is found by an hourly check, never during an incident. What
 * AWS says about the account and each person's address and number (an address on the SES account suppression
 * list, a number that opted out with STOP, an SMS spend limit that lets nothing through, an account still in the
 * SES or SMS sandbox) becomes a list of quiet channels; the operators are told when one appears and when it
 * clears (a change, not every hour), the person at their next handoff, and `incident oncall` shows them.
 */

/** The opt-out list STOP replies land on when the origination identity names no other: the account's default. */
export const OPT_OUT_LIST = 'Default';

export type QuietProblem = 'suppressed' | 'opted-out' | 'spend-limit' | 'ses-sandbox' | 'sms-sandbox';

export interface QuietChannel {
  /** The person whose channel it is; none for an account-wide problem (it quiets everyone's channel). */
  personId?: string;
  channel: Channel;
  problem: QuietProblem;
  /** What AWS said, for people (no full phone number: it is shown redacted). */
  detail: string;
}

/** What the check read from AWS. A part it could not read is absent, and judges nothing. */
export interface ChannelFacts {
  /** Addresses (lower case) on the account's suppression list, with the reason SES gives (BOUNCE, COMPLAINT). */
  suppressed: Readonly<Record<string, { reason: string; since?: string | undefined }>>;
  /** Numbers (E.164) on the SMS opt-out list. */
  optedOut: readonly string[];
  /** SES production access (false: the account is in the SES sandbox); undefined when not read. */
  sesProductionAccess?: boolean | undefined;
  /** The SMS account tier (`SANDBOX`, `PRODUCTION`); undefined when SMS is not configured or not read. */
  smsAccountTier?: string | undefined;
  /**
   * The SMS and voice monthly spend limits in force (USD: the enforced limit when overridden, else the account
   * limit); absent when not read. AWS says no month-to-date spend here, so a limit reached is not seen yet.
   */
  spendLimits?: readonly { name: string; limitUsd: number }[] | undefined;
  /** Texts or calls refused for the monthly spend limit that still stand (spendLimitHitsToday). */
  spendLimitHits?: readonly StandingSpendLimitHit[] | undefined;
}

/**
 * A text or call the service refused because the month's spend limit was reached, as its sender records it (the
 * latest refusal per channel): AWS says no month-to-date spend, so a refusal is how a limit reached is known.
 * `limitUsd` is the limit in force when the check first saw it.
 */
export interface SpendLimitHit {
  at: string;
  limitUsd?: number | undefined;
}
export type SpendLimitHits = Partial<Record<'sms' | 'voice', SpendLimitHit>>;
export interface StandingSpendLimitHit extends SpendLimitHit {
  channel: 'sms' | 'voice';
}

/**
 * Which recorded spend-limit refusals still stand at `now`: one of an earlier UTC month has lapsed (AWS resets the
 * spend each month), one whose limit was raised since is cleared; the rest stand. A hit the check sees for the
 * first time is stamped with the limit in force, to tell a raise later.
 */
export function spendLimitHitsToday(
  hits: SpendLimitHits,
  limits: readonly { name: string; limitUsd: number }[] | undefined,
  now: Date,
): { standing: StandingSpendLimitHit[]; clear: StandingSpendLimitHit[]; stamp: StandingSpendLimitHit[] } {
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const out = {
    standing: [] as StandingSpendLimitHit[],
    clear: [] as StandingSpendLimitHit[],
    stamp: [] as StandingSpendLimitHit[],
  };
  for (const channel of ['sms', 'voice'] as const) {
    const hit = hits[channel];
    if (!hit) continue;
    const inForce = limits?.find((l) => SPEND_LIMIT_CHANNEL[l.name] === channel)?.limitUsd;
    if (Date.parse(hit.at) < monthStart) out.clear.push({ channel, ...hit });
    else if (hit.limitUsd !== undefined && inForce !== undefined && inForce > hit.limitUsd)
      out.clear.push({ channel, ...hit });
    else if (hit.limitUsd === undefined && inForce !== undefined) {
      out.stamp.push({ channel, at: hit.at, limitUsd: inForce });
      out.standing.push({ channel, at: hit.at, limitUsd: inForce });
    } else out.standing.push({ channel, ...hit });
  }
  return out;
}

/** The channels a person is paged on (their rules), the mail always (comms and notices go by mail too). */
function channelsOf(person: Person): Set<Channel> {
  return new Set<Channel>(['email', ...person.notificationRules.map((r) => r.channel)]);
}

const SPEND_LIMIT_CHANNEL: Record<string, Channel> = {
  TEXT_MESSAGE_MONTHLY_SPEND_LIMIT: 'sms',
  VOICE_MESSAGE_MONTHLY_SPEND_LIMIT: 'voice',
};

/**
 * The quiet channels, account-wide problems first, then each person's (by id), each once. `smsConfigured` and
 * `voiceConfigured`: whether the organisation pages by them at all (a problem of a channel nobody is paged on
 * is not one).
 */
export function quietChannels(
  people: Readonly<Record<string, Person>>,
  facts: ChannelFacts,
  paging: { sms: boolean; voice: boolean },
): QuietChannel[] {
  const found: QuietChannel[] = [];
  if (facts.sesProductionAccess === false)
    found.push({
      channel: 'email',
      problem: 'ses-sandbox',
      detail:
        'The SES account is in the sandbox: mail reaches only verified addresses and domains (request production access in the SES console).',
    });
  if (paging.sms && facts.smsAccountTier === 'SANDBOX')
    found.push({
      channel: 'sms',
      problem: 'sms-sandbox',
      detail:
        'The SMS account is in the sandbox: texts reach only verified destination numbers (request production access in the End User Messaging SMS console).',
    });
  for (const limit of facts.spendLimits ?? []) {
    const channel = SPEND_LIMIT_CHANNEL[limit.name];
    if (!channel || !paging[channel as 'sms' | 'voice']) continue;
    if (limit.limitUsd <= 0)
      found.push({
        channel,
        problem: 'spend-limit',
        detail: `The ${channel === 'sms' ? 'text' : 'voice'} message monthly spend limit is $${limit.limitUsd}: nothing can be sent. Raise it (aws pinpoint-sms-voice-v2 set-${channel === 'sms' ? 'text' : 'voice'}-message-spend-limit-override).`,
      });
  }
  for (const hit of facts.spendLimitHits ?? []) {
    const kind = hit.channel === 'sms' ? 'text' : 'voice';
    if (!paging[hit.channel] || found.some((q) => q.problem === 'spend-limit' && q.channel === hit.channel))
      continue;
    found.push({
      channel: hit.channel,
      problem: 'spend-limit',
      detail: `The ${kind} message monthly spend limit${hit.limitUsd !== undefined ? ` ($${hit.limitUsd})` : ''} was reached: ${hit.channel === 'sms' ? 'a text' : 'a call'} was refused at ${hit.at}, and nothing more goes out this month until it is raised (aws pinpoint-sms-voice-v2 set-${kind}-message-spend-limit-override).`,
    });
  }
  const suppressed = new Map(Object.entries(facts.suppressed).map(([a, v]) => [a.toLowerCase(), v]));
  const optedOut = new Set(facts.optedOut);
  for (const id of Object.keys(people).sort()) {
    const person = people[id];
    if (!person) continue;
    const channels = channelsOf(person);
    const entry = suppressed.get(person.email.toLowerCase());
    if (entry)
      found.push({
        personId: id,
        channel: 'email',
        problem: 'suppressed',
        detail: `${person.email} is on the SES account suppression list (${entry.reason.toLowerCase()}${entry.since ? ` since ${entry.since}` : ''}): SES sends it nothing.`,
      });
    if (person.phone && optedOut.has(person.phone) && (channels.has('sms') || channels.has('voice')))
      found.push({
        personId: id,
        channel: 'sms',
        problem: 'opted-out',
        detail: `${redactPhone(person.phone)} opted out (replied STOP): it gets no texts until it opts in again.`,
      });
  }
  return found;
}

/** One quiet channel's identity: the same problem found again is the same. */
export function quietId(q: Pick<QuietChannel, 'personId' | 'channel' | 'problem'>): string {
  return `${q.personId ?? '*'}|${q.channel}|${q.problem}`;
}

/** What changed since the last check: problems that appeared, and those that cleared. */
export function quietChanges(
  previous: readonly QuietChannel[],
  current: readonly QuietChannel[],
): { appeared: QuietChannel[]; cleared: QuietChannel[] } {
  const before = new Set(previous.map(quietId));
  const now = new Set(current.map(quietId));
  return {
    appeared: current.filter((q) => !before.has(quietId(q))),
    cleared: previous.filter((q) => !now.has(quietId(q))),
  };
}

/** A person's quiet channels: their own, and the account-wide ones of the channels they are paged on. */
export function quietChannelsOf(
  quiet: readonly QuietChannel[],
  personId: string,
  person?: Person,
): QuietChannel[] {
  const channels = person ? channelsOf(person) : undefined;
  return quiet.filter((q) =>
    q.personId === undefined ? (channels?.has(q.channel) ?? true) : q.personId === personId,
  );
}

/** What to do about a quiet channel: the person's part, then the operators' (the command). */
export function remedy(q: QuietChannel, person?: Pick<Person, 'email'>): string {
  switch (q.problem) {
    case 'suppressed':
      return `Check that the mailbox works, then ask an operator to remove it from the suppression list: aws sesv2 delete-suppressed-destination --email-address ${person?.email ?? 'ADDRESS'}`;
    case 'opted-out':
      return 'Text START to the number the pages come from to opt in again (an operator can also remove the number from the opt-out list: aws pinpoint-sms-voice-v2 delete-opted-out-number).';
    case 'spend-limit':
      return 'An operator raises the spend limit (a quota increase in the End User Messaging SMS console, then the override).';
    case 'ses-sandbox':
      return 'An operator requests SES production access (SES console, Account dashboard).';
    case 'sms-sandbox':
      return 'An operator moves the SMS account out of the sandbox (End User Messaging SMS console).';
  }
}

/** How often the check reads AWS (at most), unless a run is scaled (the local target's scaled time). */
export const CHANNEL_CHECK_INTERVAL_MS = 60 * 60_000;

/** The stored result of the last check (`keys.channelHealth`). */
export interface ChannelHealthRecord {
  checkedAt: string;
  quiet: QuietChannel[];
  /** Who was on call at the check, by schedule id: a change is a handoff, whose incoming person is told. */
  onCall: Record<string, string>;
  /** A change the operators are still to be told of (written with the result, cleared once the mail went). */
  pending?: { appeared: QuietChannel[]; cleared: QuietChannel[] } | undefined;
  /**
   * Handoff notices still to be sent after the fact, by schedule id: who took over, when (`since`: the notice's
   * claim, core/oncall-handoffs.ts; absent in records of earlier versions) and until when; cleared once each went
   * or was found told ahead.
   */
  pendingHandoffs?: Record<string, { personId: string; until: string; since?: string }> | undefined;
}

/** Whether the hourly check is due: never checked, or the interval (scaled) has passed. */
export function channelCheckDue(
  record: Pick<ChannelHealthRecord, 'checkedAt'> | undefined,
  now: Date,
  timeScale = 1,
): boolean {
  if (!record) return true;
  return now.getTime() - Date.parse(record.checkedAt) >= CHANNEL_CHECK_INTERVAL_MS * timeScale;
}
