import { ulid } from 'ulid';
import type { Incident } from '../core/incident.ts';
import { issueLink, RESPONDER_LINK_TTL_HOURS, type SigningKeys, signedLinkUrl } from '../core/links.ts';
import { cap } from '../core/text.ts';

/** What signing a link needs: the keys, where the API is, and the time. */
export interface LinkSigning {
  signingKeys: () => Promise<SigningKeys>;
  baseUrl: string;
  now: () => Date;
}

/** The read-only link in every mail that names an incident: it shows the incident, never decides. */
export const VIEW_ACTION = 'view';

/**
 * How long a view link's signature lasts at most. The page itself stops showing the incident a configured
 * number of days after its resolution (`viewLinkDays`), which a signature made at the start cannot know.
 */
export const VIEW_LINK_TTL_HOURS = 366 * 24;

/**
 * A signed, read-only link to the incident's page for the recipients of one mail (a person or a list): opening
 * it shows the incident and changes nothing; it can never decide anything.
 */
export async function viewUrlFor(
  deps: LinkSigning,
  incident: Pick<Incident, 'id' | 'key'>,
  recipients: readonly string[],
): Promise<string> {
  const token = issueLink(await deps.signingKeys(), {
    id: ulid(),
    incidentId: incident.id,
    key: incident.key,
    action: VIEW_ACTION,
    recipient: cap(recipients.join(', '), 300),
    ttlHours: VIEW_LINK_TTL_HOURS,
    now: deps.now(),
  });
  return signedLinkUrl(deps.baseUrl, token);
}

/** The responder link: the incident's page with the forms its recipient's roles allow (links/responder.ts). */
export const RESPONDER_ACTION = 'respond';

/**
 * A signed link to the responder page for one person holding a role on the incident: what they post there is
 * recorded as theirs. It stops working when they no longer hold a role, and after the incident's grace.
 */
export async function responderUrlFor(
  deps: LinkSigning,
  incident: Pick<Incident, 'id' | 'key'>,
  recipient: string,
): Promise<string> {
  const token = issueLink(await deps.signingKeys(), {
    id: ulid(),
    incidentId: incident.id,
    key: incident.key,
    action: RESPONDER_ACTION,
    recipient,
    ttlHours: RESPONDER_LINK_TTL_HOURS,
    now: deps.now(),
  });
  return signedLinkUrl(deps.baseUrl, token);
}
