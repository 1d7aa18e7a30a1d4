import { describe, expect, it } from 'vitest';
import type { Override, Schedule } from '../../../functions/core/oncall.ts';
import { renderScheduleCalendar } from '../../../functions/core/oncall-calendar.ts';

interface ParsedEvent {
  uid: string;
  start: Date;
  end: Date;
  summary: string;
}

/** Reads VEVENTs back from the feed's text (unfolding continuation lines, as RFC 5545 3.1 says). */
function parseEvents(ics: string): ParsedEvent[] {
  const lines = ics.replace(/\r\n[ \t]/g, '').split('\r\n');
  const events: ParsedEvent[] = [];
  let current: Record<string, string> | undefined;
  for (const line of lines) {
    if (line === 'BEGIN:VEVENT') current = {};
    else if (line === 'END:VEVENT' && current) {
      events.push({
        uid: current.UID ?? '',
        start: utc(current.DTSTART ?? ''),
        end: utc(current.DTEND ?? ''),
        summary: current.SUMMARY ?? '',
      });
      current = undefined;
    } else if (current) {
      const colon = line.indexOf(':');
      current[line.slice(0, colon)] = line.slice(colon + 1);
    }
  }
  return events;
}

function utc(value: string): Date {
  if (!/^\d{8}T\d{6}Z$/.test(value)) throw new Error(`not a UTC date-time: ${value}`);
  const v = value;
  return new Date(
    `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}T${v.slice(9, 11)}:${v.slice(11, 13)}:${v.slice(13, 15)}Z`,
  );
}

const schedule: Schedule = {
  id: 'primary',
  name: 'Primary',
  timeZone: 'Europe/London',
  rotation: { members: ['ada', 'grace'], handoff: { time: '09:00' }, shift: 'daily', start: '2026-03-01' },
};
const names = { ada: 'Ada Lovelace', grace: 'Grace Hopper' };
const feed = (overrides: readonly Override[], from: string, to: string) =>
  renderScheduleCalendar({
    schedule,
    overrides,
    names,
    from: new Date(from),
    to: new Date(to),
    generatedAt: new Date('2026-03-01T00:00:00Z'),
    uidDomain: 'hotline.example',
  });
const hours = (e: ParsedEvent) => (e.end.getTime() - e.start.getTime()) / 3_600_000;

describe('schedule calendar feed', () => {
  it('is a calendar with one event per shift, named for the person, with the DST days 23 and 25 hours', () => {
    const ics = feed([], '2026-03-27T12:00:00Z', '2026-03-30T12:00:00Z');
    expect(ics.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(ics).toContain('PRODID:-//Hotline//on-call//EN');
    const events = parseEvents(ics);
    expect(events.map((e) => [e.summary, e.start.toISOString(), hours(e)])).toEqual([
      ['Ada Lovelace on call (Primary)', '2026-03-27T09:00:00.000Z', 24],
      ['Grace Hopper on call (Primary)', '2026-03-28T09:00:00.000Z', 23],
      ['Ada Lovelace on call (Primary)', '2026-03-29T08:00:00.000Z', 24],
      ['Grace Hopper on call (Primary)', '2026-03-30T08:00:00.000Z', 24],
    ]);
    const autumn = parseEvents(feed([], '2026-10-24T12:00:00Z', '2026-10-25T12:00:00Z'));
    expect(autumn.map(hours)).toEqual([25, 24]);
  });

  it('keeps a shift UID whatever window asked for it, so refreshing updates events instead of adding copies', () => {
    const wide = parseEvents(feed([], '2026-03-20T00:00:00Z', '2026-04-10T00:00:00Z'));
    const narrow = parseEvents(feed([], '2026-03-29T10:00:00Z', '2026-03-29T11:00:00Z'));
    expect(narrow).toHaveLength(1);
    expect(wide).toContainEqual(narrow[0]);
    expect(new Set(wide.map((e) => e.uid)).size).toBe(wide.length);
    // An override of two days is one whole event in a window that sees only its first hour.
    const cover: Override = {
      id: 'o1',
      personId: 'linus',
      start: '2026-03-29T10:00:00Z',
      end: '2026-03-31T10:00:00Z',
    };
    const [, covering] = parseEvents(feed([cover], '2026-03-29T10:00:00Z', '2026-03-29T11:00:00Z'));
    expect(covering?.end.toISOString()).toBe('2026-03-31T10:00:00.000Z');
    expect(parseEvents(feed([cover], '2026-03-30T12:00:00Z', '2026-04-02T00:00:00Z'))).toContainEqual(
      covering,
    );
  });

  it('shows an override as its own event, marked as cover', () => {
    const cover: Override = {
      id: 'o1',
      personId: 'grace',
      start: '2026-03-29T17:00:00Z',
      end: '2026-03-29T20:00:00Z',
    };
    const events = parseEvents(feed([cover], '2026-03-29T10:00:00Z', '2026-03-29T11:00:00Z'));
    expect(events.map((e) => [e.summary, e.start.toISOString(), e.end.toISOString()])).toEqual([
      ['Ada Lovelace on call (Primary)', '2026-03-29T08:00:00.000Z', '2026-03-29T17:00:00.000Z'],
      ['Grace Hopper on call (Primary)\\, covering', '2026-03-29T17:00:00.000Z', '2026-03-29T20:00:00.000Z'],
      ['Ada Lovelace on call (Primary)', '2026-03-29T20:00:00.000Z', '2026-03-30T08:00:00.000Z'],
    ]);
  });

  it('OneUptime #1890: a summer shift of a schedule started in winter is listed at the summer local time', () => {
    const winterStart = { ...schedule, rotation: { ...schedule.rotation, start: '2026-01-05' } };
    const ics = renderScheduleCalendar({
      schedule: winterStart,
      overrides: [],
      names,
      from: new Date('2026-07-01T12:00:00Z'),
      to: new Date('2026-07-01T13:00:00Z'),
      generatedAt: new Date('2026-01-05T00:00:00Z'),
      uidDomain: 'hotline.example',
    });
    // 09:00 in London in July is 08:00 UTC, not the 09:00 UTC a January offset would give.
    expect(parseEvents(ics).map((e) => e.start.toISOString())).toEqual(['2026-07-01T08:00:00.000Z']);
  });
});
