import type { CliIo } from '../../functions/cli/incident.ts';
import { eventually } from './eventually.ts';
import type { HotlineTarget } from './hotline-target.ts';

/** What the end-to-end tests read of a mail in the local SES store. */
export type Mail = {
  subject: string;
  destination: { to: string[] };
  body: { text: string; html: string };
  attachments?: { filename: string; contentType: string; content: string }[];
};
// biome-ignore lint/suspicious/noExplicitAny: the API's JSON answers are read loosely
export type Json = Record<string, any>;

/**
 * The operator API and the sent mail of a local target, for end-to-end tests. `target` is read at call time: the
 * target starts in a `beforeAll`.
 */
export function hotlineClient(target: () => HotlineTarget) {
  const api = async (method: string, path: string, body?: unknown) => {
    const hotline = target();
    const response = await fetch(`${hotline.target.urls.api}${path}`, {
      method,
      headers: { ...hotline.operator(), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
  };
  const mails = async () =>
    ((await (await fetch(`${target().target.urls.ses}/store`)).json()) as { emails: Mail[] }).emails;
  const waitForMails = (what: string, match: (m: Mail) => boolean, count = 1) =>
    eventually(
      async () => {
        const found = (await mails()).filter(match);
        return found.length >= count ? found : undefined;
      },
      what,
      30_000,
    );
  /** The `incident` CLI's io against the target (operator token), with what it printed. */
  const cli = (extra: Partial<CliIo> = {}) => {
    const hotline = target();
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      env: { HOTLINE_URL: hotline.target.urls.api, HOTLINE_TOKEN: hotline.target.operatorToken },
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      fetch,
      ...extra,
    };
    return { io, out, err, text: () => out.join('\n'), errors: () => err.join('\n') };
  };
  return { api, mails, waitForMails, cli };
}

/** Matches a mail about incident `key` whose subject ends with `suffix`, sent to `to` when given. */
export const about =
  (key: string, suffix = '', to?: string) =>
  (m: Mail) =>
    m.subject.startsWith(`${key} - `) && m.subject.endsWith(suffix) && (!to || m.destination.to.includes(to));

/** The approve and request-changes links of an approval mail. */
export function decisionLinks(mail: Mail): { approve: string; changes: string } {
  const link = (label: string) =>
    new RegExp(`${label}: [^<\\n]*<(https?://[^>]+/links/v1\\.[^>]+)>`).exec(mail.body.text)?.[1];
  const approve = link('Approve');
  const changes = link('Request changes');
  if (!approve || !changes) throw new Error(`no decision links in "${mail.subject}":\n${mail.body.text}`);
  return { approve, changes };
}
