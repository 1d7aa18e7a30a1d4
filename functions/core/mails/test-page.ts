/** The test page's mail (core/test-pages.ts): it says it is a test and that nothing needs doing. */
import type { Person } from '../people.ts';
import { headerSafe } from '../text.ts';
import { type EmailMessage, mailTime, type Row, render } from './layout.ts';

const CHANNEL_NAMES = { email: 'mail', sms: 'SMS', voice: 'voice call' } as const;

export function testPageEmail(input: {
  person: Pick<Person, 'name' | 'timeZone'>;
  at: string;
  /** The channels this test page goes out on (mail first). */
  channels: readonly (keyof typeof CHANNEL_NAMES)[];
  /** Which Hotline sent it (its public base URL), when known: a test page from the wrong one proves nothing. */
  sentBy?: string | undefined;
}): EmailMessage {
  const { person, at, channels, sentBy } = input;
  const rows: Row[] = [
    { label: 'Sent', value: mailTime(at, person.timeZone) },
    { label: 'Channels', value: channels.map((c) => CHANNEL_NAMES[c]).join(', ') },
    ...(sentBy ? [{ label: 'From', value: sentBy }] : []),
  ];
  const { text, html } = render(
    `Hotline test page for ${person.name}`,
    'This is a test page: there is no incident and nothing to do. An operator sent it to check that pages reach you on each of your channels. If a text or a call listed below does not arrive, tell the operators before an incident needs it.',
    rows,
    [],
  );
  return { subject: headerSafe(`Hotline test page for ${person.name}`, 250), text, html };
}
