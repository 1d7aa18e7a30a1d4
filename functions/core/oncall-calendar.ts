import ical, { ICalEventTransparency } from 'ical-generator';
import { type Override, type Schedule, type Shift, shiftsBetween } from './oncall.ts';

/**
 * A schedule's shifts as an iCalendar feed people subscribe to from their calendar. Times are written in UTC:
 * each shift's instants are already exact, and UTC needs no VTIMEZONE block a client might read differently
 * (the client shows them in the reader's own zone). A shift's UID is derived from the schedule, its start and
 * its holder, so a calendar that refreshes the feed updates the same events instead of adding copies.
 */

export interface CalendarFeedInput {
  schedule: Schedule;
  overrides: readonly Override[];
  /** Display names by person id; an id without a name shows as itself. */
  names: Readonly<Record<string, string>>;
  from: Date;
  to: Date;
  /** When the feed is generated (DTSTAMP): passed in so the function stays pure. */
  generatedAt: Date;
  /** The domain part of UIDs, e.g. the API's host, so ids are unique across installations. */
  uidDomain: string;
}

export function shiftUid(scheduleId: string, shift: Shift, uidDomain: string): string {
  const compact = shift.start.toISOString().replace(/[-:]/g, '').replace('.000', '');
  return `${scheduleId}-${compact}-${shift.personId}@${uidDomain}`;
}

export function renderScheduleCalendar(input: CalendarFeedInput): string {
  const { schedule } = input;
  const calendar = ical({
    name: `On call: ${schedule.name}`,
    prodId: { company: 'Hotline', product: 'on-call', language: 'EN' },
  });
  for (const shift of shiftsBetween(schedule, input.overrides, input.from, input.to)) {
    const name = input.names[shift.personId] ?? shift.personId;
    calendar.createEvent({
      id: shiftUid(schedule.id, shift, input.uidDomain),
      start: shift.start,
      end: shift.end,
      stamp: input.generatedAt,
      summary: `${name} on call (${schedule.name})${shift.source.kind === 'override' ? ', covering' : ''}`,
      // Being on call is not a meeting: the time stays free in the subscriber's calendar.
      transparency: ICalEventTransparency.TRANSPARENT,
    });
  }
  return calendar.toString();
}
