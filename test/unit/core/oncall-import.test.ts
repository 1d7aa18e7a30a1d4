import { describe, expect, it } from 'vitest';
import { onCallAt, type Schedule } from '../../../functions/core/oncall.ts';
import { renderScheduleCalendar } from '../../../functions/core/oncall-calendar.ts';
import { CalendarImportError, rotationFromCalendar } from '../../../functions/core/oncall-import.ts';

const people = {
  ada: { name: 'Ada Lovelace', email: 'ada@example.com' },
  grace: { name: 'Grace Hopper', email: 'grace@example.com' },
  alan: { name: 'Alan Turing', email: 'alan@example.com' },
};

const calendar = (...events: string[][]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...events.flat(), 'END:VCALENDAR'].join('\r\n');
const event = (uid: string, ...lines: string[]) => [
  'BEGIN:VEVENT',
  `UID:${uid}`,
  'DTSTAMP:20260101T000000Z',
  ...lines,
  'END:VEVENT',
];
const read = (text: string, timeZone = 'Europe/London') =>
  rotationFromCalendar(text, { scheduleId: 'payments', timeZone, people });

/** Who the schedule says is on call at each hour of a span: what a rotation means, whatever its spelling. */
function holders(schedule: Schedule, from: string, days: number): string[] {
  const start = Date.parse(from);
  return Array.from({ length: days * 24 }, (_, h) => onCallAt(schedule, [], new Date(start + h * 3_600_000)));
}

describe('rotationFromCalendar', () => {
  it('reads a weekly rotation of three recurring events (RRULE every 3 weeks), by ATTENDEE and by summary', () => {
    const text = calendar(
      event(
        'a',
        'DTSTART;TZID=Europe/London:20260105T090000',
        'DTEND;TZID=Europe/London:20260112T090000',
        'RRULE:FREQ=WEEKLY;INTERVAL=3',
        'SUMMARY:On call',
        'ATTENDEE;CN=Ada:mailto:ADA@example.com',
      ),
      event(
        'g',
        'DTSTART;TZID=Europe/London:20260112T090000',
        'DTEND;TZID=Europe/London:20260119T090000',
        'RRULE:FREQ=WEEKLY;INTERVAL=3',
        'SUMMARY:Grace Hopper (primary)',
      ),
      event(
        't',
        'DTSTART;TZID=Europe/London:20260119T090000',
        'DURATION:P7D',
        'RRULE:FREQ=WEEKLY;INTERVAL=3',
        'SUMMARY:alan',
      ),
    );
    expect(read(text)).toEqual({
      members: ['ada', 'grace', 'alan'],
      handoff: { weekday: 1, time: '09:00' },
      shift: 'weekly',
      start: '2026-01-05',
    });
  });

  it('reads its own feed back (UTC instants across both changes): the same people on call at every hour', () => {
    for (const [timeZone, time] of [
      ['America/New_York', '08:00'],
      ['Australia/Adelaide', '09:30'],
      ['Australia/Lord_Howe', '02:00'],
    ] as const) {
      const schedule: Schedule = {
        id: 'sre',
        name: 'SRE on call',
        timeZone,
        rotation: {
          members: ['alan', 'grace', 'ada'],
          handoff: { time },
          shift: 'daily',
          start: '2026-01-05',
        },
      };
      const feed = renderScheduleCalendar({
        schedule,
        overrides: [],
        names: { ada: 'Ada Lovelace', grace: 'Grace Hopper', alan: 'Alan Turing' },
        from: new Date('2026-02-20T00:00:00Z'),
        to: new Date('2026-11-20T00:00:00Z'),
        generatedAt: new Date('2026-02-20T00:00:00Z'),
        uidDomain: 'hotline.example',
      });
      const rotation = rotationFromCalendar(feed, { scheduleId: 'sre', timeZone, people });
      expect(rotation.handoff).toEqual({ time });
      expect(rotation.shift).toBe('daily');
      const imported = { ...schedule, rotation };
      // Both hemispheres' changes (New York in March and November, Adelaide in April and October).
      expect(holders(imported, '2026-02-21T00:00:00Z', 270)).toEqual(
        holders(schedule, '2026-02-21T00:00:00Z', 270),
      );
    }
  });

  it('keeps a handoff at its local time across a change, and shifts of N days', () => {
    const text = calendar(
      event(
        'a',
        'DTSTART;TZID=Europe/Berlin:20260320T180000',
        'DTEND;TZID=Europe/Berlin:20260324T180000',
        'RRULE:FREQ=DAILY;INTERVAL=8',
        'SUMMARY:Ada Lovelace',
      ),
      event(
        'g',
        'DTSTART;TZID=Europe/Berlin:20260324T180000',
        'DTEND;TZID=Europe/Berlin:20260328T180000',
        'RRULE:FREQ=DAILY;INTERVAL=8',
        'SUMMARY:Grace Hopper',
      ),
    );
    const rotation = read(text, 'Europe/Berlin');
    expect(rotation).toEqual({
      members: ['ada', 'grace'],
      handoff: { time: '18:00' },
      shift: { days: 4 },
      start: '2026-03-20',
    });
    const schedule: Schedule = { id: 'x', name: 'x', timeZone: 'Europe/Berlin', rotation };
    // 2026-03-29 is the change in Berlin: the handoff of 2026-04-01 is at 18:00 CEST (16:00 UTC).
    expect(onCallAt(schedule, [], new Date('2026-04-01T15:59:00Z'))).toBe('ada');
    expect(onCallAt(schedule, [], new Date('2026-04-01T16:00:00Z'))).toBe('grace');
  });

  it.each([
    [
      'an overlap',
      [
        event(
          'a',
          'DTSTART:20260105T090000Z',
          'DTEND:20260106T100000Z',
          'RRULE:FREQ=DAILY;INTERVAL=2',
          'SUMMARY:ada',
        ),
        event(
          'g',
          'DTSTART:20260106T090000Z',
          'DTEND:20260107T090000Z',
          'RRULE:FREQ=DAILY;INTERVAL=2',
          'SUMMARY:grace',
        ),
      ],
      /Ada Lovelace's shift from 2026-01-05T09:00Z overlaps|overlaps Ada Lovelace's shift/,
    ],
    [
      'a gap',
      [
        event(
          'a',
          'DTSTART:20260105T090000Z',
          'DTEND:20260106T080000Z',
          'RRULE:FREQ=DAILY;INTERVAL=2',
          'SUMMARY:ada',
        ),
        event(
          'g',
          'DTSTART:20260106T090000Z',
          'DTEND:20260107T090000Z',
          'RRULE:FREQ=DAILY;INTERVAL=2',
          'SUMMARY:grace',
        ),
      ],
      /nobody is on call from 2026-01-06T08:00Z to 2026-01-06T09:00Z/,
    ],
    [
      'someone not in the configuration',
      [
        event(
          'm',
          'DTSTART:20260105T090000Z',
          'DTEND:20260106T090000Z',
          'RRULE:FREQ=DAILY',
          'SUMMARY:Mallory',
        ),
      ],
      /event "Mallory" names none of the people/,
    ],
    [
      'a modified occurrence',
      [
        event('a', 'DTSTART:20260105T090000Z', 'DTEND:20260106T090000Z', 'RRULE:FREQ=DAILY', 'SUMMARY:ada'),
        event(
          'a',
          'RECURRENCE-ID:20260107T090000Z',
          'DTSTART:20260107T090000Z',
          'DTEND:20260107T180000Z',
          'SUMMARY:ada',
        ),
      ],
      /RECURRENCE-ID.*override/,
    ],
    [
      'shifts of different lengths',
      [
        event('a1', 'DTSTART:20260105T090000Z', 'DTEND:20260106T090000Z', 'SUMMARY:ada'),
        event('g1', 'DTSTART:20260106T090000Z', 'DTEND:20260107T090000Z', 'SUMMARY:grace'),
        event('a2', 'DTSTART:20260107T090000Z', 'DTEND:20260108T090000Z', 'SUMMARY:ada'),
        event('g2', 'DTSTART:20260108T090000Z', 'DTEND:20260110T090000Z', 'SUMMARY:grace'),
      ],
      /lasts 2 days, the others 1/,
    ],
    [
      'no repetition',
      [
        event('a', 'DTSTART:20260105T090000Z', 'DTEND:20260106T090000Z', 'SUMMARY:ada'),
        event('g', 'DTSTART:20260106T090000Z', 'DTEND:20260107T090000Z', 'SUMMARY:grace'),
      ],
      /do not repeat in a fixed order/,
    ],
    [
      'a zone that is not IANA',
      [
        event(
          'a',
          'DTSTART;TZID=GMT Standard Time:20260105T090000',
          'DURATION:P1D',
          'RRULE:FREQ=DAILY',
          'SUMMARY:ada',
        ),
      ],
      /TZID "GMT Standard Time" is not an IANA time zone/,
    ],
    ['no events', [], /no events/],
  ])('refuses %s, saying what does not fit', (_, events, message) => {
    expect(() => read(calendar(...events))).toThrow(CalendarImportError);
    expect(() => read(calendar(...events))).toThrow(message);
  });

  it('refuses what is not iCalendar', () => {
    expect(() => read('hello')).toThrow(/not an iCalendar file/);
    expect(() => read('BEGIN:VCARD\r\nEND:VCARD')).toThrow(/not an iCalendar file/);
  });
});
