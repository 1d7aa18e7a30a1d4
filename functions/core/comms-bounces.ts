/*
 * Comms lists that bounce: the stakeholders an incident's updates did not reach. A hard bounce, a reject or a
 * complaint about an incident's comms mail (the initial, update and final mails to the internal and external
 * lists; never a page, which has its own rule) is kept on the incident, one entry per address, so that the
 * incident manager's responder page warns of it and the SLO report lists it. Bounded: an item holds at most
 * MAX_COMMS_BOUNCES (the newest), far below DynamoDB's 400 KB.
 */

export type CommsBounceOutcome = 'bounced' | 'complained' | 'rejected';

export interface CommsBounce {
  address: string;
  outcome: CommsBounceOutcome;
  /** Why, in the receiving server's words (cut to 300 characters). */
  detail?: string;
  /** When (ISO), and which mail: `initial`, `update-external`... */
  at: string;
  kind: string;
}

export const MAX_COMMS_BOUNCES = 50;

const COMMS_KIND = /^(initial|update|final)(-external)?$/;

/** Whether a mail of this kind went to the service's comms lists (not a page, a notice or a postmortem mail). */
export function isCommsListMail(kind: string): boolean {
  return COMMS_KIND.test(kind);
}

/**
 * The list with one more bounce: the address's entry replaced by the newer one (one entry per address), the
 * newest MAX_COMMS_BOUNCES kept. Undefined when it changes nothing (the address is listed with that outcome).
 */
export function withCommsBounce(
  list: readonly CommsBounce[] | undefined,
  bounce: CommsBounce,
): CommsBounce[] | undefined {
  const address = bounce.address.toLowerCase();
  const current = list ?? [];
  const listed = current.find((b) => b.address.toLowerCase() === address);
  if (listed && listed.outcome === bounce.outcome) return undefined;
  const entry: CommsBounce = {
    address: bounce.address.slice(0, 320),
    outcome: bounce.outcome,
    ...(bounce.detail ? { detail: bounce.detail.slice(0, 300) } : {}),
    at: bounce.at,
    kind: bounce.kind,
  };
  return [...current.filter((b) => b.address.toLowerCase() !== address), entry]
    .sort((a, b) => a.at.localeCompare(b.at))
    .slice(-MAX_COMMS_BOUNCES);
}

const WORDS: Record<CommsBounceOutcome, string> = {
  bounced: 'bounced',
  complained: 'marked it as spam',
  rejected: 'rejected by SES',
};

/** One bounce in words: "ops@example.com (bounced: mailbox does not exist)". */
export function commsBounceWords(bounce: CommsBounce): string {
  return `${bounce.address} (${WORDS[bounce.outcome]}${bounce.detail ? `: ${bounce.detail}` : ''})`;
}
