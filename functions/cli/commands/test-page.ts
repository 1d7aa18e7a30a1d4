import type { TestPageChannel } from '../../core/test-pages.ts';
import { type CliIo, call } from '../api.ts';
import { type Command, parse, usageError } from '../args.ts';

/** `test-page <person>`: one test message on each of the person's channels, and what went out on each. */

const CHANNEL_NAMES: Record<string, string> = { email: 'mail', sms: 'SMS', voice: 'voice' };

async function testPage(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' }, last: { type: 'boolean' } });
  const [personId] = positionals;
  if (!personId || positionals.length > 1)
    throw usageError('test-page', testPageCommand, 'test-page takes one person id');
  const path = `/people/${encodeURIComponent(personId)}/test-page`;
  const answer = await call(io, values.last ? 'GET' : 'POST', path);
  if (values.json) {
    io.out(JSON.stringify(answer, null, 2));
    return 0;
  }
  const page = answer.testPage as {
    personId: string;
    at: string;
    status?: string;
    channels: TestPageChannel[];
  };
  const state = page.status && page.status !== 'sent' ? ` (${page.status})` : '';
  io.out(`Test page to ${page.personId} at ${page.at}${state}:`);
  for (const c of page.channels) {
    const name = (CHANNEL_NAMES[c.channel] ?? c.channel).padEnd(6);
    const what =
      c.outcome === 'sent'
        ? `sent${c.messageId ? ` (${c.messageId})` : ''}`
        : `REFUSED: ${c.reason ?? 'refused'}${c.detail ? ` (${c.detail})` : ''}`;
    io.out(`  ${name} to ${c.to}: ${what}`);
  }
  if (page.channels.some((c) => c.outcome === 'refused'))
    io.out('A refused channel will not reach this person in an incident either: fix it before one needs it.');
  return 0;
}

export const testPageCommand: Command = {
  synopsis: '<person> [--last] [--json]',
  summary: 'Send a test page to a person on each of their channels, and say what went out.',
  help: `Sends one message on each channel the person can be paged on (mail always; SMS and a voice call when they
have a phone number and the organisation's paging configures that channel). Each says it is a test and that
nothing needs doing. One test page per person a minute; the last one is recorded.

Options:
  --last   show the last test page recorded for the person instead of sending one
  --json   the answer as the API gives it`,
  run: testPage,
};
