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
 * To the person taking over a schedule: they are on call (until when), how they will be paged, and what is
 * quiet among their channels with what to do about it.
 */
export function handoffEmail(input: {
  person: Person;
  personId: string;
  schedule: { id: string; name: string };
  until: string;
  quiet: readonly QuietChannel[];
}): EmailMessage {
  const { person, personId, schedule, until, quiet } = input;
  const mine = quietChannelsOf(quiet, personId, person);
  const rules = person.notificationRules
    .map(
      (r) => `${CHANNEL_NAMES[r.channel]}${r.afterMinutes > 0 ? ` after ${r.afterMinutes} min` : ' at once'}`,
    )
    .join(', ');
  const { text, html } = render(
    `You are on call: ${schedule.name}`,
    mine.length > 0
      ? `You are on call for ${schedule.name} until ${mailTime(until, person.timeZone)}. Some of your channels are quiet: pages on them would not reach you. Please fix them now.`
      : `You are on call for ${schedule.name} until ${mailTime(until, person.timeZone)}. Every channel you are paged on is open.`,
    [
      { label: 'Schedule', value: `${schedule.name} (${schedule.id})` },
      { label: 'Until', value: mailTime(until, person.timeZone) },
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
      `Hotline - You are on call: ${schedule.name}${mine.length > 0 ? ` - ${mine.length} quiet channel(s)` : ''}`,
      250,
    ),
    text,
    html,
  };
}
