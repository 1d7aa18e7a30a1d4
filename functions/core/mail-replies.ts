/**
 * Acknowledging by replying to a page mail: the rules, pure. Each page mail's Reply-To names its incident
 * (`ack-hot-42-<incident id>@<replies domain>`); the incident id is a ULID, whose 80 random bits make the address
 * unguessable, and the key makes it readable. A reply acknowledges when SES's verdicts pass (SPF and DKIM; DMARC
 * and the virus scan not failing), its From is an address the incident paged, and its first line says "ack".
 */

/** The local part's prefix: the replies domain may receive other mail, which the rule's function ignores. */
const PREFIX = 'ack';
const KEY = '[a-z][a-z0-9]{1,9}-[0-9]{1,12}';
/** A ULID: Crockford base 32 (no I, L, O, U), 26 characters. */
const ULID = '[0-9a-hjkmnp-tv-z]{26}';

/** The Reply-To of an incident's page mails. */
export function replyAddress(domain: string, incident: { id: string; key: string }): string {
  return `${PREFIX}-${incident.key.toLowerCase()}-${incident.id.toLowerCase()}@${domain.toLowerCase()}`;
}

/**
 * The incident a reply address names, when it is one at `domain` (any case, as mail systems may change it), else
 * undefined.
 */
export function parseReplyAddress(
  address: string,
  domain: string,
): { key: string; incidentId: string } | undefined {
  const match = new RegExp(`^${PREFIX}-(${KEY})-(${ULID})@(.+)$`, 'i').exec(address.trim());
  if (!match?.[1] || !match[2] || match[3]?.toLowerCase() !== domain.toLowerCase()) return undefined;
  return { key: match[1].toUpperCase(), incidentId: match[2].toUpperCase() };
}

/** A reply's text when it has only HTML: tags dropped, blocks and breaks made lines, common entities decoded. */
export function textOfHtml(html: string): string {
  return html
    .replace(/<(style|script|head)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<(br|\/p|\/div|\/li|\/h[1-6]|\/tr|\/blockquote)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;|&apos;/gi, "'")
    .replace(/&amp;/gi, '&');
}

/** The first line of a reply with any text on it (what the person typed above the quoted page), trimmed. */
export function firstLine(text: string): string {
  for (const line of text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)) {
    const trimmed = line.trim();
    if (trimmed.length > 0) return trimmed.slice(0, 500);
  }
  return '';
}

/** Whether a first line says "ack" (also ack'd, acked, acknowledge, acknowledged), as a word, in any case. */
export function saysAck(line: string): boolean {
  return /(^|[^a-z0-9])(ack|ack'd|acked|acknowledged?)(?![a-z0-9])/i.test(line);
}

/** SES's verdicts on a received mail (`receipt.*Verdict.status`). */
export interface ReceiptVerdicts {
  spf?: string | undefined;
  dkim?: string | undefined;
  dmarc?: string | undefined;
  virus?: string | undefined;
}

export type VerdictProblem = 'spf' | 'dkim' | 'dmarc' | 'virus';

/**
 * Why SES's verdicts do not let a reply act, or undefined when they do: SPF and DKIM must pass (the sending
 * domain vouches for the envelope and the message); DMARC (the From domain's alignment) and the virus scan must
 * not fail. GRAY and PROCESSING_FAILED are not a pass.
 */
export function verdictProblem(verdicts: ReceiptVerdicts): VerdictProblem | undefined {
  if (verdicts.spf?.toUpperCase() !== 'PASS') return 'spf';
  if (verdicts.dkim?.toUpperCase() !== 'PASS') return 'dkim';
  if (verdicts.dmarc?.toUpperCase() === 'FAIL') return 'dmarc';
  if (verdicts.virus?.toUpperCase() === 'FAIL') return 'virus';
  return undefined;
}

/** The line a page mail ends with when replies are on: how to acknowledge by replying. */
export const REPLY_HINT =
  'Or reply to this mail with "ack" on the first line to acknowledge and take charge.';
