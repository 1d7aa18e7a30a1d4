import { ulid } from 'ulid';
import type { Incident } from '../core/incident.ts';
import { issueLink, type SigningKeys, signedLinkUrl } from '../core/links.ts';
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
