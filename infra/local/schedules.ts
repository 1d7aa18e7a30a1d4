import { randomUUID } from 'node:crypto';
import type { StackModel } from './template.ts';

/**
 * AWS::Scheduler::Schedule and scheduled AWS::Events::Rule resources on local timers. Expressions follow AWS:
 * `rate(n minute(s)|hour(s)|day(s))`, `cron(min hour day-of-month month day-of-week year)` (with `?`, `*`, lists,
 * ranges, steps, names, `L`, `W`, `#`) evaluated in UTC or the schedule's time zone, and one-time `at(...)`.
 */

export interface ScheduleTarget {
  arn: string;
  /** The role the service assumes to call the target (Scheduler's RoleArn; EventBridge rules' target RoleArn). */
  roleArn?: string;
  /** The JSON text the target receives; undefined means the service's default event. */
  input?: string;
}

export interface LocalSchedule {
  logicalId: string;
  name: string;
  arn: string;
  kind: 'scheduler' | 'events';
  expression: string;
  timezone: string;
  enabled: boolean;
  startDate?: Date;
  endDate?: Date;
  targets: ScheduleTarget[];
}

type Log = (line: string) => void;
const MAX_TIMER_MS = 2_147_483_647;

export function schedulesFromTemplate(model: StackModel, log: Log): LocalSchedule[] {
  const out: LocalSchedule[] = [];
  for (const [logicalId, r] of model.resourcesOfType('AWS::Scheduler::Schedule')) {
    const p = model.resolve(r.Properties ?? {}, `${logicalId}.Properties`) as {
      ScheduleExpression: string;
      ScheduleExpressionTimezone?: string;
      State?: string;
      StartDate?: string;
      EndDate?: string;
      Target: { Arn: string; Input?: string; RoleArn?: string };
    };
    out.push({
      logicalId,
      name: model.physicalName(logicalId),
      arn: model.arn(logicalId),
      kind: 'scheduler',
      expression: p.ScheduleExpression,
      timezone: p.ScheduleExpressionTimezone ?? 'UTC',
      enabled: p.State !== 'DISABLED',
      ...(p.StartDate ? { startDate: new Date(p.StartDate) } : {}),
      ...(p.EndDate ? { endDate: new Date(p.EndDate) } : {}),
      targets: [
        {
          arn: p.Target.Arn,
          ...(p.Target.RoleArn !== undefined ? { roleArn: p.Target.RoleArn } : {}),
          ...(p.Target.Input !== undefined ? { input: p.Target.Input } : {}),
        },
      ],
    });
  }
  for (const [logicalId, r] of model.resourcesOfType('AWS::Events::Rule')) {
    if (r.Properties?.ScheduleExpression === undefined) continue;
    const p = model.resolve(r.Properties, `${logicalId}.Properties`) as {
      ScheduleExpression: string;
      State?: string;
      Targets?: Array<{
        Arn: string;
        Id: string;
        Input?: string;
        InputPath?: string;
        InputTransformer?: unknown;
      }>;
    };
    const name = model.physicalName(logicalId);
    for (const t of p.Targets ?? []) {
      if (t.InputPath !== undefined || t.InputTransformer !== undefined) {
        log(
          `[schedules] warning: ${name} target ${t.Id}: InputPath/InputTransformer are not applied locally`,
        );
      }
    }
    out.push({
      logicalId,
      name,
      arn: model.arn(logicalId),
      kind: 'events',
      expression: p.ScheduleExpression,
      timezone: 'UTC',
      enabled: p.State === undefined || p.State === 'ENABLED',
      targets: (p.Targets ?? []).map((t) => ({
        arn: t.Arn,
        ...(t.Input !== undefined ? { input: t.Input } : {}),
      })),
    });
  }
  return out;
}

/** The first time strictly after `after` at which the expression fires, or undefined if it never does again. */
export function nextFireTime(
  expression: string,
  after: Date,
  timezone = 'UTC',
  createdAt = after,
): Date | undefined {
  const rate = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(expression.trim());
  if (rate) {
    const unit = rate[2]?.startsWith('minute')
      ? 60_000
      : rate[2]?.startsWith('hour')
        ? 3_600_000
        : 86_400_000;
    const period = Number(rate[1]) * unit;
    if (period <= 0) throw new Error(`Invalid schedule expression ${expression}`);
    const elapsed = after.getTime() - createdAt.getTime();
    return new Date(createdAt.getTime() + (Math.floor(elapsed / period) + 1) * period);
  }
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression.trim());
  if (at) {
    const [, y, mo, d, h, mi, s] = at.map(Number) as number[];
    const when = wallToInstant([y ?? 0, mo ?? 1, d ?? 1, h ?? 0, mi ?? 0], timezone, s ?? 0);
    return when > after ? when : undefined;
  }
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (cron?.[1]) return nextCron(parseCron(cron[1]), after, timezone);
  throw new Error(`Invalid schedule expression ${expression}`);
}

interface Cron {
  minutes: number[];
  hours: number[];
  months: Set<number>;
  years: Set<number> | undefined;
  day: (year: number, month: number, day: number) => boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export function parseCron(text: string): Cron {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 6)
    throw new Error(`cron(${text}) needs 6 fields: minutes hours day-of-month month day-of-week year`);
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    throw new Error(`cron(${text}): exactly one of day-of-month and day-of-week must be "?"`);
  }
  const domMatch = dom === '?' ? undefined : dayOfMonthMatcher(dom, text);
  const dowMatch = dow === '?' ? undefined : dayOfWeekMatcher(dow, text);
  return {
    minutes: [...values(min, 0, 59, [], text)].sort((a, b) => a - b),
    hours: [...values(hour, 0, 23, [], text)].sort((a, b) => a - b),
    months: values(month, 1, 12, MONTHS, text),
    years: year === '*' ? undefined : values(year, 1970, 2199, [], text),
    day: (y, m, d) => (domMatch ? domMatch(y, m, d) : true) && (dowMatch ? dowMatch(y, m, d) : true),
  };
}

function values(field: string, min: number, max: number, names: string[], text: string): Set<number> {
  const out = new Set<number>();
  const num = (s: string) => {
    const named = names.indexOf(s.toUpperCase());
    const n = named >= 0 ? named + min : Number(s);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`cron(${text}): "${s}" is out of range`);
    return n;
  };
  for (const part of field.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`cron(${text}): bad step in "${part}"`);
    let from: number;
    let to: number;
    if (range === '*' || range === '?') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [from, to] = [num(a), num(b)];
    } else [from, to] = [num(range), stepText === undefined ? num(range) : max];
    // A range may wrap, as FRI-MON does.
    const span = to >= from ? to - from + 1 : max - from + 1 + (to - min + 1);
    for (let k = 0; k < span; k += step) {
      const v = from + k;
      out.add(v > max ? v - (max - min + 1) : v);
    }
  }
  return out;
}

const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const weekday = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 1;

function dayOfMonthMatcher(field: string, text: string): (y: number, m: number, d: number) => boolean {
  if (field === 'L') return (y, m, d) => d === daysIn(y, m);
  if (field === 'LW') {
    return (y, m, d) => {
      let last = daysIn(y, m);
      while ([1, 7].includes(weekday(y, m, last))) last--;
      return d === last;
    };
  }
  const nearest = /^(\d+)W$/.exec(field);
  if (nearest) {
    const target = Number(nearest[1]);
    return (y, m, d) => {
      const length = daysIn(y, m);
      let day = Math.min(target, length);
      const wd = weekday(y, m, day);
      if (wd === 7) day = day === 1 ? 3 : day - 1;
      else if (wd === 1) day = day === length ? day - 2 : day + 1;
      return d === day;
    };
  }
  const set = values(field, 1, 31, [], text);
  return (_y, _m, d) => set.has(d);
}

function dayOfWeekMatcher(field: string, text: string): (y: number, m: number, d: number) => boolean {
  const dayNumber = (s: string) => values(s, 1, 7, DAYS, text).values().next().value as number;
  const last = /^(\w+)L$/.exec(field);
  if (field === 'L') return (y, m, d) => weekday(y, m, d) === 7;
  if (last?.[1]) {
    const wd = dayNumber(last[1]);
    return (y, m, d) => weekday(y, m, d) === wd && d + 7 > daysIn(y, m);
  }
  const nth = /^(\w+)#(\d)$/.exec(field);
  if (nth?.[1]) {
    const wd = dayNumber(nth[1]);
    const n = Number(nth[2]);
    return (y, m, d) => weekday(y, m, d) === wd && Math.ceil(d / 7) === n;
  }
  const set = values(field, 1, 7, DAYS, text);
  return (y, m, d) => set.has(weekday(y, m, d));
}

function nextCron(cron: Cron, after: Date, timezone: string): Date | undefined {
  const start = wallClock(new Date(after.getTime() + 60_000 - (after.getTime() % 60_000)), timezone);
  const day = new Date(Date.UTC(start[0], start[1] - 1, start[2]));
  for (let i = 0; i < 366 * 30; i++, day.setUTCDate(day.getUTCDate() + 1)) {
    const [y, m, d] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
    if (cron.years && !cron.years.has(y)) {
      if (y > Math.max(...cron.years)) return undefined;
      continue;
    }
    if (!cron.months.has(m) || !cron.day(y, m, d)) continue;
    const today = i === 0;
    for (const h of cron.hours) {
      if (today && h < start[3]) continue;
      for (const min of cron.minutes) {
        if (today && h === start[3] && min < start[4]) continue;
        const when = wallToInstant([y, m, d, h, min], timezone);
        if (when > after) return when;
      }
    }
  }
  return undefined;
}

type Wall = [year: number, month: number, day: number, hour: number, minute: number];

function wallClock(instant: Date, timezone: string): Wall {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return [get('year'), get('month'), get('day'), get('hour'), get('minute')];
}

/** The instant at which the clock in `timezone` shows the wall time (a time skipped by DST moves forward). */
function wallToInstant([y, m, d, h, min]: Wall, timezone: string, seconds = 0): Date {
  const asUtc = Date.UTC(y, m - 1, d, h, min, seconds);
  const offset = (t: number) => {
    const [wy, wm, wd, wh, wmin] = wallClock(new Date(t), timezone);
    return Date.UTC(wy, wm - 1, wd, wh, wmin) - (t - (t % 60_000));
  };
  let instant = asUtc - offset(asUtc);
  instant = asUtc - offset(instant);
  return new Date(instant);
}

/** Runs each enabled schedule's targets at its fire times. */
export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly next = new Map<string, Date | undefined>();
  private readonly startedAt = new Date();

  constructor(
    readonly schedules: LocalSchedule[],
    private readonly fire: (schedule: LocalSchedule, target: ScheduleTarget, event: string) => Promise<void>,
    private readonly log: Log,
  ) {}

  start(): void {
    for (const schedule of this.schedules) {
      if (schedule.enabled) this.arm(schedule);
    }
  }

  list(): Array<{ name: string; expression: string; timezone: string; enabled: boolean; next?: Date }> {
    return this.schedules.map((s) => {
      const next = this.next.get(s.name);
      return {
        name: s.name,
        expression: s.expression,
        timezone: s.timezone,
        enabled: s.enabled,
        ...(next ? { next } : {}),
      };
    });
  }

  /** Fires a schedule now, as its timer would (tests and operators use this). */
  async trigger(name: string): Promise<void> {
    const schedule = this.schedules.find((s) => s.name === name || s.logicalId === name);
    if (!schedule) throw new Error(`No schedule named ${name}`);
    await this.run(schedule, new Date());
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private arm(schedule: LocalSchedule, from = new Date()): void {
    let next: Date | undefined;
    try {
      const after = schedule.startDate && schedule.startDate > from ? schedule.startDate : from;
      next = nextFireTime(schedule.expression, after, schedule.timezone, this.startedAt);
    } catch (error) {
      this.log(`[schedules] ${schedule.name}: ${(error as Error).message}; not scheduled`);
      return;
    }
    if (next && schedule.endDate && next > schedule.endDate) next = undefined;
    this.next.set(schedule.name, next);
    if (!next) return;
    const at = next;
    const wake = () => {
      const left = at.getTime() - Date.now();
      if (left > 0) {
        this.timers.set(schedule.name, setTimeout(wake, Math.min(left, MAX_TIMER_MS)).unref());
        return;
      }
      void this.run(schedule, at).finally(() => {
        if (this.timers.has(schedule.name)) this.arm(schedule, at);
      });
    };
    clearTimeout(this.timers.get(schedule.name));
    const delay = Math.min(Math.max(0, at.getTime() - Date.now()), MAX_TIMER_MS);
    this.timers.set(schedule.name, setTimeout(wake, delay).unref());
  }

  private async run(schedule: LocalSchedule, at: Date): Promise<void> {
    for (const target of schedule.targets) {
      const event =
        target.input ??
        (schedule.kind === 'events'
          ? JSON.stringify({
              version: '0',
              id: randomUUID(),
              'detail-type': 'Scheduled Event',
              source: 'aws.events',
              account: schedule.arn.split(':')[4],
              time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
              region: schedule.arn.split(':')[3],
              resources: [schedule.arn],
              detail: {},
            })
          : '{}');
      try {
        await this.fire(schedule, target, event);
        this.log(`[schedules] ${schedule.name} fired -> ${target.arn.split(':').pop()}`);
      } catch (error) {
        this.log(`[schedules] ${schedule.name} -> ${target.arn}: ${(error as Error).message}`);
      }
    }
  }
}
