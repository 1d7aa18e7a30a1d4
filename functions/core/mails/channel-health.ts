/** What the operators and the people on call are told about quiet channels (core/channel-health.ts). */
import { type QuietChannel, quietChannelsOf, remedy } from '../channel-health.ts';
import type { Person } from '../people.ts';
import { headerSafe } from '../text.ts';
import { type EmailMessage, type Line, mailTime, render } from './layout.ts';

type People = Readonly<Record<string, Person>>;

const CHANNEL_NAMES = { email: 'mail', sms: 'SMS', voice: 'voice' } as const;

/** `Ana Lopez (ana): mail — detail` or `Everyone: SMS — detail`. */
export function quietLine(q: QuietChannel, people: People): string {
  const who = q.personId ? `${people[q.personId]?.name ?? q.personId} (${q.personId})` : 'Everyone';
  return `${who}: ${CHANNEL_NAMES[q.channel]} — ${q.detail}`;
}

const withRemedy = (q: QuietChannel, people: People): Line =>
  `${quietLine(q, people)} What to do: ${remedy(q, q.personId ? people[q.personId] : undefined)}`;

/**
 * To the operators, once per change: the quiet channels that appeared (with what to do), those that cleared,
 * and every channel still quiet.
 */
export function quietChannelsEmail(input: {
  appeared: readonly QuietChannel[];
  cleared: readonly QuietChannel[];
  quiet: readonly QuietChannel[];
  people: People;
  checkedAt: string;
}): EmailMessage {
  const { appeared, cleared, quiet, people, checkedAt } = input;
  const counts = [
    appeared.length > 0 ? `${appeared.length} went quiet` : '',
    cleared.length > 0 ? `${cleared.length} cleared` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const intro =
    appeared.length > 0
      ? 'Some pages would not arrive: the channels below are quiet. Fix them before an incident needs them.'
      : 'Channels that were quiet reach their people again.';
  const sections = [
    ...(appeared.length > 0
      ? [{ heading: 'Went quiet', lines: appeared.map((q) => withRemedy(q, people)) }]
      : []),
    ...(cleared.length > 0 ? [{ heading: 'Cleared', lines: cleared.map((q) => quietLine(q, people)) }] : []),
    {
      heading: 'Quiet now',
      lines: quiet.length > 0 ? quiet.map((q) => quietLine(q, people)) : ['Nothing: every channel is open.'],
    },
  ];
  const channels = (n: number) => `${n} ${n === 1 ? 'channel' : 'channels'}`;
  const heading = [
    appeared.length > 0 ? `${channels(appeared.length)} went quiet` : '',
    cleared.length > 0 ? `${channels(cleared.length)} open again` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const { text, html } = render(
    `Hotline: ${heading}`,
    intro,
    [{ label: 'Checked', value: mailTime(checkedAt) }],
    sections,
  );
  return { subject: headerSafe(`Hotline - Quiet channels: ${counts}`, 250), text, html };
}

/**
 * To the person taking over a schedule: ahead of the handoff (`ahead`) or once it happened, when their shift
 * starts and ends (in the schedule's zone), how they will be paged, and what is quiet among their channels with
 * what to do about it.
 */
export function handoffEmail(input: {
  person: Person;
  personId: string;
  schedule: { id: string; name: string; timeZone: string };
  /** ISO instant the shift starts (the handoff). */
  startsAt: string;
  /** ISO instant it ends (the next handoff), when one is known. */
  until?: string;
  ahead: boolean;
  quiet: readonly QuietChannel[];
}): EmailMessage {
  const { person, personId, schedule, until, ahead, quiet } = input;
  const mine = quietChannelsOf(quiet, personId, person);
  const rules = person.notificationRules
    .map(
      (r) => `${CHANNEL_NAMES[r.channel]}${r.afterMinutes > 0 ? ` after ${r.afterMinutes} min` : ' at once'}`,
    )
    .join(', ');
  const starts = mailTime(input.startsAt, schedule.timeZone);
  const ends = until ? mailTime(until, schedule.timeZone) : 'no handoff planned';
  const end = until ? `ends at ${ends}` : 'has no end planned yet';
  const shift = ahead
    ? `Your shift on ${schedule.name} starts at ${starts} and ${end}.`
    : `You took over ${schedule.name} at ${starts}; your shift ${end}.`;
  const { text, html } = render(
    ahead ? `You are on call soon: ${schedule.name}` : `You are on call: ${schedule.name}`,
    mine.length > 0
      ? `${shift} Some of your channels are quiet: pages on them would not reach you. Please fix them ${ahead ? 'before it starts' : 'now'}.`
      : `${shift} Every channel you are paged on is open.`,
    [
      { label: 'Schedule', value: `${schedule.name} (${schedule.id})` },
      { label: 'Starts', value: starts },
      { label: 'Ends', value: ends },
      { label: 'Paged by', value: rules || 'mail at once' },
    ],
    mine.length > 0
      ? [
          {
            heading: 'Quiet channels',
            lines: mine.map(
              (q) => `${CHANNEL_NAMES[q.channel]}: ${q.detail} What to do: ${remedy(q, person)}`,
            ),
          },
        ]
      : [],
  );
  return {
    subject: headerSafe(
      `Hotline - You are on call${ahead ? ' soon' : ''}: ${schedule.name}${mine.length > 0 ? ` - ${mine.length} quiet channel(s)` : ''}`,
      250,
    ),
    text,
    html,
  };
}
