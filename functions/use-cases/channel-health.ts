import { randomUUID } from 'node:crypto';
import {
  CHANNEL_CHECK_INTERVAL_MS,
  type ChannelHealthRecord,
  channelCheckDue,
  type QuietChannel,
  quietChanges,
  quietChannels,
  quietChannelsOf,
  remedy,
  spendLimitHitsToday,
} from '../core/channel-health.ts';
import type { Organisation } from '../core/config.ts';
import { handoffEmail, quietChannelsEmail } from '../core/mails/channel-health.ts';
import { handoffHorizonDays, onCallAt, type Schedule, schedulesOf } from '../core/oncall.ts';
import {
  type HandoffNotice,
  handoffsAhead,
  lastHandoffBetween,
  lookAheadMs,
} from '../core/oncall-handoffs.ts';
import { inPrecedenceOrder } from '../core/oncall-overrides.ts';
import type { Person } from '../core/people.ts';
import { type SweepItemFailure, sweepItemFailure } from '../core/sweeps.ts';
import type {
  ChannelFactsReader,
  ChannelHealthStore,
  HandoffNoticeStore,
  Mailer,
  OverrideStore,
} from './ports.ts';

/**
 * Channels that go quiet (core/channel-health.ts), checked at most hourly on the every-minute sweep: one read a
 * minute of the last result, and when it is due the AWS reads, the comparison and one conditional write. What
 * changed is written with the result as still to be told, then told (the operators once per change) and cleared:
 * a run that fails between the two tells it at the next sweep, and two overlapping runs write one result, so
 * nothing is told twice or lost. Whoever takes over a schedule is told ahead, by each check that sees the handoff
 * coming within two intervals (core/oncall-handoffs.ts), else after the fact by the check that finds it
 * happened; every notice is claimed per schedule, handoff instant and person, so it goes once.
 */

export interface ChannelCheckDeps {
  organisation: Pick<Organisation, 'people' | 'operators' | 'paging' | 'schedules'>;
  channelHealth: ChannelHealthStore;
  facts: ChannelFactsReader;
  mailer: Mailer;
  overrides: OverrideStore;
  handoffNotices: HandoffNoticeStore;
  now: () => Date;
}

export interface ChannelCheckResult {
  /** Whether this run read AWS (due), and what it found quiet. */
  checked: boolean;
  quiet: QuietChannel[];
  /** What the operators were told this run (appeared and cleared). */
  told?: { appeared: number; cleared: number };
  /** Handoff notices sent this run: schedule id -> person id. */
  handoffs: Record<string, string>;
  /** The same notices: when each shift starts, and whether it was told ahead of it. */
  notices: { scheduleId: string; personId: string; at: string; ahead: boolean }[];
  failed: SweepItemFailure[];
}

type People = Readonly<Record<string, Person>>;

export async function checkChannels(deps: ChannelCheckDeps, timeScale = 1): Promise<ChannelCheckResult> {
  const result: ChannelCheckResult = { checked: false, quiet: [], handoffs: {}, notices: [], failed: [] };
  const people: People = deps.organisation.people ?? {};
  let record = await deps.channelHealth.get();
  // What an earlier run wrote but could not tell.
  if (record) await tell(deps, record, people, result);
  if (!channelCheckDue(record, deps.now(), timeScale)) {
    result.quiet = record?.quiet ?? [];
    return result;
  }
  const checkedAt = deps.now().toISOString();
  const facts = await deps.facts.read(
    Object.values(people).map((p) => p.email),
    Object.values(people).flatMap((p) => (p.phone ? [p.phone] : [])),
  );
  const paging = { sms: !!deps.organisation.paging?.sms, voice: !!deps.organisation.paging?.voice };
  // A refusal for the month's spend limit (noted by the sender) stands until the month ends or the limit rises.
  const hits = spendLimitHitsToday(
    await deps.channelHealth.spendLimitHits(),
    facts.spendLimits,
    new Date(checkedAt),
  );
  for (const hit of hits.clear) await deps.channelHealth.settleSpendLimitHit(hit.channel, hit.at, undefined);
  for (const hit of hits.stamp)
    await deps.channelHealth.settleSpendLimitHit(hit.channel, hit.at, hit.limitUsd);
  const quiet = quietChannels(people, { ...facts, spendLimitHits: hits.standing }, paging);
  const schedules = schedulesOf(deps.organisation);
  const interval = CHANNEL_CHECK_INTERVAL_MS * timeScale;
  const onCallNow: Record<string, string> = {};
  const ahead: HandoffNotice[] = [];
  const handoffs: NonNullable<ChannelHealthRecord['pendingHandoffs']> = {};
  for (const schedule of schedules) {
    try {
      const seen = await handoffsOf(deps, schedule, record?.checkedAt, new Date(checkedAt), interval);
      onCallNow[schedule.id] = seen.onCall;
      // The first check tells nobody (a deployment, or a test's target, mails no one): the next one, an hour
      // later, sees the handoffs it would have (its window reaches two hours on), or finds them happened.
      if (record) ahead.push(...seen.ahead.filter((n) => Object.hasOwn(people, n.personId)));
      // The person on call changed since the last check (the first check is no handoff: a deployment tells
      // nobody): told after the fact, unless a check told them ahead (the claim says).
      const before = record?.onCall[schedule.id];
      if (before !== undefined && before !== seen.onCall && Object.hasOwn(people, seen.onCall)) {
        handoffs[schedule.id] = {
          personId: seen.onCall,
          until: seen.since?.until ?? '',
          since: seen.since?.personId === seen.onCall ? seen.since.at : checkedAt,
        };
      }
    } catch (error) {
      result.failed.push(sweepItemFailure(`oncall:${schedule.id}`, error));
      // Unknown this time: keep what was known, so the next check sees the handoff.
      const known = record?.onCall[schedule.id];
      if (known) onCallNow[schedule.id] = known;
    }
  }
  const changes = quietChanges(record?.quiet ?? [], quiet);
  const next: ChannelHealthRecord = {
    checkedAt,
    quiet,
    onCall: onCallNow,
    ...(changes.appeared.length + changes.cleared.length > 0 ? { pending: changes } : {}),
    ...(Object.keys(handoffs).length > 0 ? { pendingHandoffs: handoffs } : {}),
  };
  result.quiet = quiet;
  // Another run checked first: it tells what changed.
  if (!(await deps.channelHealth.replace(next, record?.checkedAt))) return result;
  result.checked = true;
  record = next;
  await tell(deps, record, people, result);
  for (const notice of ahead) await tellHandoff(deps, notice, quiet, people, result, true);
  return result;
}

const DAY_MS = 86_400_000;
/** How long a claimed notice keeps other runs out: one SES call, with room to spare. */
const NOTICE_LEASE_MS = 60_000;
/** After the fact, a handoff is looked for since the last check, but no further back than this. */
const MAX_LOOK_BACK_MS = 31 * DAY_MS;

/**
 * A schedule at the check: who is on call, the handoffs ahead (within two intervals), and the last handoff since
 * the previous check. One Query of its overrides over the whole span (sparse gsi3, as `GET .../oncall` reads).
 */
async function handoffsOf(
  deps: ChannelCheckDeps,
  schedule: Schedule,
  previousCheck: string | undefined,
  now: Date,
  interval: number,
): Promise<{ onCall: string; ahead: HandoffNotice[]; since?: HandoffNotice }> {
  // The end of a shift is looked for as far as `GET /schedules/{id}/oncall` looks for the next handoffs.
  const horizonDays = handoffHorizonDays(schedule);
  const lookAhead = lookAheadMs(interval);
  const previous = previousCheck
    ? new Date(Math.max(Date.parse(previousCheck), now.getTime() - MAX_LOOK_BACK_MS))
    : undefined;
  const from = previous && previous.getTime() < now.getTime() ? previous : now;
  const to = new Date(now.getTime() + lookAhead + horizonDays * DAY_MS);
  const overrides = inPrecedenceOrder(await deps.overrides.touching(schedule.id, from, to));
  const since = previous ? lastHandoffBetween(schedule, overrides, previous, now, horizonDays) : undefined;
  return {
    onCall: onCallAt(schedule, overrides, now),
    ahead: handoffsAhead(schedule, overrides, now, lookAhead, horizonDays),
    ...(since ? { since } : {}),
  };
}

/**
 * Mails one handoff notice once: claimed first (a notice told already, or being told by another run, is not
 * mailed), completed once sent, released when the mail failed (the next check, or sweep, tries again). Answers
 * whether nothing is left to do (sent now or before).
 */
async function tellHandoff(
  deps: ChannelCheckDeps,
  notice: HandoffNotice,
  quiet: readonly QuietChannel[],
  people: People,
  result: ChannelCheckResult,
  ahead: boolean,
): Promise<boolean> {
  const person = Object.hasOwn(people, notice.personId) ? people[notice.personId] : undefined;
  const schedule = schedulesOf(deps.organisation).find((s) => s.id === notice.scheduleId);
  if (!person || !schedule) return true;
  const owner = randomUUID();
  const label = `channels:handoff:${notice.scheduleId}`;
  let claimed = false;
  try {
    const claim = await deps.handoffNotices.claimHandoffNotice(notice, {
      owner,
      now: deps.now(),
      leaseMs: NOTICE_LEASE_MS,
    });
    if (claim.state === 'done') return true;
    if (claim.state === 'held') return false;
    claimed = true;
    await deps.mailer.send(
      [person.email],
      handoffEmail({
        person,
        personId: notice.personId,
        schedule,
        startsAt: notice.at,
        ...(notice.until ? { until: notice.until } : {}),
        ahead,
        quiet: quietChannelsOf(quiet, notice.personId, person),
      }),
    );
    await deps.handoffNotices.completeHandoffNotice(notice, owner, deps.now().toISOString());
    result.handoffs[notice.scheduleId] = notice.personId;
    result.notices.push({ scheduleId: notice.scheduleId, personId: notice.personId, at: notice.at, ahead });
    return true;
  } catch (error) {
    result.failed.push(sweepItemFailure(label, error));
    if (claimed) await deps.handoffNotices.releaseHandoffNotice(notice, owner).catch(() => false);
    return false;
  }
}

/** Tells what the record holds as still to be told, clearing each part once told. */
async function tell(
  deps: ChannelCheckDeps,
  record: ChannelHealthRecord,
  people: People,
  result: ChannelCheckResult,
): Promise<void> {
  const { pending, pendingHandoffs } = record;
  if (pending) {
    try {
      await deps.mailer.send(
        deps.organisation.operators,
        quietChannelsEmail({ ...pending, quiet: record.quiet, people, checkedAt: record.checkedAt }),
      );
      await deps.channelHealth.told(record.checkedAt, { operators: true });
      result.told = { appeared: pending.appeared.length, cleared: pending.cleared.length };
    } catch (error) {
      result.failed.push(sweepItemFailure('channels:operators', error));
    }
  }
  for (const [scheduleId, handoff] of Object.entries(pendingHandoffs ?? {})) {
    const notice: HandoffNotice = {
      scheduleId,
      personId: handoff.personId,
      // A record of an earlier version names no instant: its check's is as good (that notice is told once).
      at: handoff.since ?? record.checkedAt,
      ...(handoff.until ? { until: handoff.until } : {}),
    };
    if (!(await tellHandoff(deps, notice, record.quiet, people, result, false))) continue;
    try {
      await deps.channelHealth.told(record.checkedAt, { handoff: scheduleId });
    } catch (error) {
      result.failed.push(sweepItemFailure(`channels:handoff:${scheduleId}`, error));
    }
  }
}

/** A quiet channel as the on-call answer shows it: what is wrong and what to do. */
export interface QuietView {
  channel: QuietChannel['channel'];
  problem: QuietChannel['problem'];
  detail: string;
  remedy: string;
}

/**
 * The on-call answer with the quiet channels of the people on call now and next (from the last check: the API
 * reads one item, never AWS), and when they were checked; `channelsCheckedAt` is absent before the first check.
 */
export function withQuietChannels<
  A extends { onCall: { person: { id: string } }; next: { person: { id: string } }[] },
>(answer: A, record: ChannelHealthRecord | undefined, people: People) {
  const quietOf = (personId: string): QuietView[] => {
    const person = Object.hasOwn(people, personId) ? people[personId] : undefined;
    return quietChannelsOf(record?.quiet ?? [], personId, person).map((q) => ({
      channel: q.channel,
      problem: q.problem,
      detail: q.detail,
      remedy: remedy(q, person),
    }));
  };
  return {
    ...answer,
    onCall: { ...answer.onCall, quiet: quietOf(answer.onCall.person.id) },
    next: answer.next.map((shift) => ({ ...shift, quiet: quietOf(shift.person.id) })),
    ...(record ? { channelsCheckedAt: record.checkedAt } : {}),
  };
}
