import type { OverrideView, ShiftView } from '../../core/oncall-overrides.ts';
import { CliError, type CliIo, call, withQuery } from '../api.ts';
import { AS_HELP, AS_OPTION, byOf, type Command, parse, timeArg, usageError } from '../args.ts';

/**
 * On-call schedules: `schedules` lists them, `oncall` says who is on call now (or at a time) and next,
 * `override add|list|remove` changes who covers a stretch.
 */

interface ScheduleAnswer {
  id: string;
  name: string;
  timeZone: string;
  rotation: {
    members: { id: string; name: string }[];
    handoff: { weekday?: number; time: string };
    shift: 'daily' | 'weekly' | { days: number };
    start: string;
  };
}

/** A quiet channel of the person (core/channel-health.ts): absent from an older server's answer. */
interface QuietAnswer {
  channel: string;
  problem: string;
  detail: string;
  remedy: string;
}
type ShiftAnswer = ShiftView & { quiet?: QuietAnswer[] };

interface OnCallAnswer {
  schedule: { id: string; name: string; timeZone: string };
  at: string;
  onCall: ShiftAnswer;
  next: ShiftAnswer[];
  /** When the channels were last checked (hourly); absent before the first check. */
  channelsCheckedAt?: string;
}

const JSON_OPTION = { json: { type: 'boolean' } } as const;
const WEEKDAYS = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const path = (scheduleId: string) => `/schedules/${encodeURIComponent(scheduleId)}`;

/** `2026-12-08T18:00+00:00` as `2026-12-08 18:00 (+00:00)`: what a person reads. */
const readable = (local: string) => local.replace('T', ' ').replace(/([+-]\d{2}:\d{2})$/, ' ($1)');
const who = (p: { id: string; name: string }) => `${p.name} (${p.id})`;
const sourceOf = (s: ShiftView) => (s.source === 'override' ? `override ${s.overrideId}` : 'rotation');

async function listSchedules(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, JSON_OPTION);
  if (positionals.length > 0) throw usageError('schedules', schedulesCommand, 'schedules takes no arguments');
  const result = await call(io, 'GET', '/schedules');
  if (values.json) {
    io.out(JSON.stringify(result, null, 2));
    return 0;
  }
  const schedules = result.schedules as ScheduleAnswer[];
  if (schedules.length === 0) io.out('No schedules (add them to the organisation file).');
  for (const s of schedules) {
    const { rotation: r } = s;
    const length = typeof r.shift === 'string' ? r.shift : `every ${r.shift.days} days`;
    const day = r.handoff.weekday ? `${WEEKDAYS[r.handoff.weekday]} ` : '';
    io.out(`${s.id}  ${s.name}  (${s.timeZone})`);
    io.out(`  ${length}, handoff ${day}${r.handoff.time}, from ${r.start}: ${r.members.map(who).join(', ')}`);
  }
  return 0;
}

function printOnCall(io: CliIo, answer: OnCallAnswer): void {
  const { schedule, onCall } = answer;
  io.out(`${schedule.name} (${schedule.id}, ${schedule.timeZone}) at ${answer.at}`);
  io.out(
    `  on call: ${who(onCall.person)}  ${readable(onCall.local.start)} to ${readable(onCall.local.end)}  [${sourceOf(onCall)}]`,
  );
  printQuiet(io, onCall);
  for (const next of answer.next) {
    io.out(
      `  next:    ${who(next.person)}  ${readable(next.local.start)} to ${readable(next.local.end)}  [${sourceOf(next)}]`,
    );
    printQuiet(io, next);
  }
  if (answer.next.length === 0) io.out('  next:    nobody else within the horizon');
  if (answer.channelsCheckedAt) io.out(`  channels checked ${answer.channelsCheckedAt}`);
  else if (answer.onCall.quiet) io.out('  channels not checked yet (the sweep checks them hourly)');
}

/** The person's quiet channels, each with what to do: a page on them would not arrive. */
function printQuiet(io: CliIo, shift: ShiftAnswer): void {
  for (const q of shift.quiet ?? []) {
    io.out(`           QUIET ${q.channel} (${q.problem}): ${q.detail}`);
    io.out(`             what to do: ${q.remedy}`);
  }
}

async function showOnCall(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { at: { type: 'string' }, ...JSON_OPTION });
  if (positionals.length > 1) throw usageError('oncall', oncallCommand, 'oncall takes at most one schedule');
  const at = instantArg(values.at, '--at');
  const ids =
    positionals.length === 1
      ? positionals
      : ((await call(io, 'GET', '/schedules')).schedules as ScheduleAnswer[]).map((s) => s.id);
  const answers: OnCallAnswer[] = [];
  for (const id of ids)
    answers.push((await call(io, 'GET', withQuery(`${path(id)}/oncall`, { at }))) as unknown as OnCallAnswer);
  if (values.json) {
    io.out(JSON.stringify(positionals.length === 1 ? answers[0] : { schedules: answers }, null, 2));
    return 0;
  }
  if (answers.length === 0) io.out('No schedules (add them to the organisation file).');
  for (const answer of answers) printOnCall(io, answer);
  return 0;
}

/** An ISO instant (or "now", "in 2h"), as the API takes it: with seconds and an offset. */
function instantArg(value: string | undefined, option: string): string | undefined {
  const typed = timeArg(value, 'future');
  if (typed === undefined) return undefined;
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(typed) || Number.isNaN(Date.parse(typed)))
    throw new CliError(`${option}: "${value}" is not a time with its offset (ISO, e.g. 2026-12-08T18:00Z)`);
  return new Date(typed).toISOString();
}

const WALL = /^(\d{4}-\d{2}-\d{2})[ T]([0-2]\d:[0-5]\d)$/;

/** `--from`/`--to`: a wall time in the schedule's zone (`2026-12-08 18:00`), or an instant. */
function coverArg(value: string, option: string) {
  const wall = WALL.exec(value.trim());
  if (wall) return { wall: { date: wall[1] as string, time: wall[2] as string } };
  return { instant: instantArg(value, option) as string };
}

async function addOverride(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    person: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    id: { type: 'string' },
    ...AS_OPTION,
    ...JSON_OPTION,
  });
  const command = overrideCommands.add as Command;
  const [scheduleId] = positionals;
  if (!scheduleId || positionals.length > 1)
    throw usageError('override add', command, 'override add takes one schedule');
  if (!values.person || !values.from || !values.to)
    throw usageError('override add', command, 'override add needs --person, --from and --to');
  const from = coverArg(values.from, '--from');
  const to = coverArg(values.to, '--to');
  if ('wall' in from !== 'wall' in to)
    throw usageError(
      'override add',
      command,
      'give --from and --to both as wall times (YYYY-MM-DD HH:MM) or both as ISO instants',
    );
  const times =
    'wall' in from && 'wall' in to
      ? { from: from.wall, to: to.wall }
      : {
          start: (from as { instant: string }).instant,
          end: (to as { instant: string }).instant,
        };
  const body = {
    personId: values.person,
    ...times,
    ...(values.id ? { id: values.id } : {}),
    ...byOf(values),
  };
  const result = await call(io, 'POST', `${path(scheduleId)}/overrides`, body);
  if (values.json) {
    io.out(JSON.stringify(result, null, 2));
    return 0;
  }
  const o = result.override as OverrideView;
  io.out(
    `Override ${o.id}: ${who(o.person)} covers ${readable(o.local.start)} to ${readable(o.local.end)} (${o.local.timeZone})${result.created ? '' : ', already there'}.`,
  );
  return 0;
}

async function listOverrides(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    from: { type: 'string' },
    to: { type: 'string' },
    ...JSON_OPTION,
  });
  const [scheduleId] = positionals;
  if (!scheduleId || positionals.length > 1)
    throw usageError('override list', overrideCommands.list as Command, 'override list takes one schedule');
  const query = { from: instantArg(values.from, '--from'), to: instantArg(values.to, '--to') };
  const result = await call(io, 'GET', withQuery(`${path(scheduleId)}/overrides`, query));
  if (values.json) {
    io.out(JSON.stringify(result, null, 2));
    return 0;
  }
  const overrides = result.overrides as OverrideView[];
  if (overrides.length === 0) io.out('No overrides.');
  for (const o of overrides) {
    io.out(
      `${o.id}  ${who(o.person)}  ${readable(o.local.start)} to ${readable(o.local.end)}  added by ${o.createdBy}`,
    );
  }
  return 0;
}

async function removeOverride(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { ...AS_OPTION, ...JSON_OPTION });
  if (positionals.length !== 2)
    throw usageError(
      'override remove',
      overrideCommands.remove as Command,
      'override remove takes a schedule and an override id',
    );
  const [scheduleId, overrideId] = positionals as [string, string];
  const result = await call(
    io,
    'DELETE',
    `${path(scheduleId)}/overrides/${encodeURIComponent(overrideId)}`,
    values.as === undefined ? undefined : byOf(values),
  );
  if (values.json) {
    io.out(JSON.stringify(result, null, 2));
    return 0;
  }
  const o = result.override as OverrideView;
  io.out(
    `Override ${o.id} removed (${who(o.person)}, ${readable(o.local.start)} to ${readable(o.local.end)}).`,
  );
  return 0;
}

async function scheduleFeed(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { days: { type: 'string' }, ...JSON_OPTION });
  const [scheduleId] = positionals;
  if (!scheduleId || positionals.length > 1)
    throw usageError('schedule-feed', scheduleFeedCommand, 'schedule-feed takes one schedule');
  let days: number | undefined;
  if (values.days !== undefined) {
    days = Number(values.days);
    if (!/^\d{1,3}$/.test(values.days) || days < 1 || days > 366)
      throw usageError('schedule-feed', scheduleFeedCommand, `--days: "${values.days}" is not 1 to 366`);
  }
  const result = await call(io, 'POST', `${path(scheduleId)}/feed`, days === undefined ? {} : { days });
  if (values.json) {
    io.out(JSON.stringify(result, null, 2));
    return 0;
  }
  const feed = result.feed as { scheduleId: string; url: string; expiresAt: string };
  io.out(`Calendar feed of ${feed.scheduleId}, until ${feed.expiresAt}:`);
  io.out(feed.url);
  io.out('Subscribe to it in a calendar app ("From URL"). Anyone with it can read the schedule.');
  return 0;
}

export const scheduleFeedCommand: Command = {
  synopsis: '<schedule> [--days <n>] [--json]',
  summary: "A calendar feed (iCalendar) of a schedule's shifts, to subscribe to from a calendar app.",
  help: `Options:
  --days <n>   how long the address works, 1 to 366 (default 90); run it again for a new one
  --json       the answer as the API gives it

The feed lists who is on call (rotation and overrides) from a week ago to three months ahead and is read anew
at each refresh of the calendar. The address is a credential for reading the schedule: share it only with the
people on it. Older addresses keep working until they end (or the link keys rotate).`,
  run: scheduleFeed,
};

export const schedulesCommand: Command = {
  synopsis: '[--json]',
  summary: 'List the on-call schedules: rotation, handoff and members.',
  help: `Options:
  --json   the schedules as the API answers them`,
  run: listSchedules,
};

export const oncallCommand: Command = {
  synopsis: '[<schedule>] [--at <time>] [--json]',
  summary: 'Who is on call now (or at a time) and next, on one schedule or all.',
  help: `Options:
  --at <time>   an ISO time with its offset, "now", or "in 2h" (default: now)
  --json        the answer as the API gives it

Each shift says whether it comes from the rotation or an override, in the schedule's time zone. A person's
quiet channels (an address SES suppresses, a number that texted STOP, an SMS or SES account in its sandbox, a
spend limit that lets nothing through) follow their shift as QUIET lines, with what to do: a page on them would
not arrive. They come from the last hourly check.`,
  run: showOnCall,
};

/** `override <sub>`, by sub. */
export const overrideCommands: Record<string, Command> = {
  add: {
    synopsis: '<schedule> --person <id> --from <time> --to <time> [--id <id>] [--as <person>] [--json]',
    summary: 'Cover part of a rotation (someone else is on call from --from to --to).',
    help: `Options:
  --person <id>   the person who covers (an id from the configuration's people)
  --from <time>   "YYYY-MM-DD HH:MM" on the schedule's clock, or an ISO time with its offset
  --to <time>     the same form as --from: when the cover ends
  --id <id>       your own id for it (a retry with the same id adds nothing; default: derived from the rest)
${AS_HELP}
  --json          the answer as the API gives it

An override covers at most 31 days, starts at most 90 days ahead, and must not be over already.`,
    run: addOverride,
  },
  list: {
    synopsis: '<schedule> [--from <time>] [--to <time>] [--json]',
    summary: "List a schedule's overrides (default: the current and upcoming ones).",
    help: `Options:
  --from <time>   from this time (ISO, "now"); ended overrides stay listed for the record
  --to <time>     until this time (at most 400 days after --from)
  --json          the answer as the API gives it`,
    run: listOverrides,
  },
  remove: {
    synopsis: '<schedule> <overrideId> [--as <person>] [--json]',
    summary: 'Remove an override that has not ended (the record is kept, marked removed).',
    help: `Options:
${AS_HELP}
  --json          the answer as the API gives it`,
    run: removeOverride,
  },
};
