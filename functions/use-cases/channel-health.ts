import {
  type ChannelHealthRecord,
  channelCheckDue,
  handoffsSince,
  type QuietChannel,
  quietChanges,
  quietChannels,
  quietChannelsOf,
  remedy,
  spendLimitHitsToday,
} from '../core/channel-health.ts';
import type { Organisation } from '../core/config.ts';
import { handoffEmail, quietChannelsEmail } from '../core/mails/channel-health.ts';
import { schedulesOf } from '../core/oncall.ts';
import type { Person } from '../core/people.ts';
import { type SweepItemFailure, sweepItemFailure } from '../core/sweeps.ts';
import type { ChannelFactsReader, ChannelHealthStore, Mailer, OverrideStore } from './ports.ts';
import { onCall } from './schedules.ts';

/**
 * Channels that go quiet (core/channel-health.ts), checked at most hourly on the every-minute sweep: one read a
 * minute of the last result, and when it is due the AWS reads, the comparison and one conditional write. What
 * changed is written with the result as still to be told, then told (the operators once per change, the person
 * who took over a schedule once per handoff) and cleared: a run that fails between the two tells it at the next
 * sweep, and two overlapping runs write one result, so nothing is told twice or lost.
 */

export interface ChannelCheckDeps {
  organisation: Pick<Organisation, 'people' | 'operators' | 'paging' | 'schedules'>;
  channelHealth: ChannelHealthStore;
  facts: ChannelFactsReader;
  mailer: Mailer;
  overrides: OverrideStore;
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
  failed: SweepItemFailure[];
}

type People = Readonly<Record<string, Person>>;

export async function checkChannels(deps: ChannelCheckDeps, timeScale = 1): Promise<ChannelCheckResult> {
  const result: ChannelCheckResult = { checked: false, quiet: [], handoffs: {}, failed: [] };
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
  const scheduleDeps = { overrides: deps.overrides, schedules, people, now: () => new Date(checkedAt) };
  const onCallNow: Record<string, string> = {};
  const until: Record<string, string> = {};
  for (const schedule of schedules) {
    try {
      const now = await onCall(scheduleDeps, schedule.id);
      onCallNow[schedule.id] = now.onCall.person.id;
      until[schedule.id] = now.onCall.end;
    } catch (error) {
      result.failed.push(sweepItemFailure(`oncall:${schedule.id}`, error));
      // Unknown this time: keep what was known, so the next check sees the handoff.
      const known = record?.onCall[schedule.id];
      if (known) onCallNow[schedule.id] = known;
    }
  }
  const changes = quietChanges(record?.quiet ?? [], quiet);
  const handoffs = Object.fromEntries(
    Object.entries(handoffsSince(record?.onCall, onCallNow))
      .filter(([id, personId]) => until[id] && Object.hasOwn(people, personId))
      .map(([id, personId]) => [id, { personId, until: until[id] ?? '' }]),
  );
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
  return result;
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
  const schedules = schedulesOf(deps.organisation);
  for (const [scheduleId, handoff] of Object.entries(pendingHandoffs ?? {})) {
    const person = Object.hasOwn(people, handoff.personId) ? people[handoff.personId] : undefined;
    const schedule = schedules.find((s) => s.id === scheduleId);
    try {
      if (person && schedule) {
        await deps.mailer.send(
          [person.email],
          handoffEmail({
            person,
            personId: handoff.personId,
            schedule,
            until: handoff.until,
            quiet: quietChannelsOf(record.quiet, handoff.personId, person),
          }),
        );
        result.handoffs[scheduleId] = handoff.personId;
      }
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
