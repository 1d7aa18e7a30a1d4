import type { Incident } from '../../core/incident.ts';
import type { LinkClaims, SigningKeys } from '../../core/links.ts';
import type { LinkPage, PageIncident } from '../../core/pages.ts';
import type { EditorResult } from '../../core/postmortem-page.ts';
import type { ResponderResult } from '../../core/responder.ts';
import type { ActionStore, LinkUseStore, OverrideStore, PostmortemStore } from '../ports.ts';
import type { PostmortemDeps } from '../postmortems.ts';
import type { ResponseDeps } from '../respond.ts';

/**
 * What one kind of signed link is (`/links/{token}`): every kind is one `LinkKind` in its own module, listed once
 * in `registry.ts`; the one dispatch (dispatch.ts, used by index.ts) verifies the token, looks its action up
 * there, binds it and calls the kind's `get` or `post`. Nothing else dispatches on a link's action. The
 * postmortem editor, served at `/links/{token}/edit` by a function of its own, is dispatched the same way over
 * its kind alone (editor-route.ts); the registry's entry for it redirects there (editor-link.ts).
 */

export interface LinkDeps extends ResponseDeps {
  links: LinkUseStore;
  /** The postmortem owner's editor link reads and saves the postmortem. */
  postmortems: PostmortemStore;
  /** A reminder's "mark done" link completes a postmortem action. */
  actions: ActionStore;
  keys: SigningKeys;
  /** Attempt ids (ULIDs). */
  newId: () => string;
  /** Renders a content's sections once (the editor asks approvers; see PostmortemDeps.renderDocument). */
  renderDocument?: PostmortemDeps['renderDocument'];
  /** The schedules' overrides, for the incident pages' "On call" section (none: the pages show no section). */
  overrides?: OverrideStore;
}

/** What a link page answers: a page (core/pages.ts), the postmortem editor or the responder page. */
export type LinkResult = LinkPage | EditorResult | ResponderResult;

/** A GET's query string: read by the kinds that show something after a redirect (the editor's `?saved=`). */
export type LinkQuery = Readonly<Record<string, string | undefined>>;

/** Who sent a POST, recorded where a decision keeps it (an approval). */
export interface LinkMeta {
  userAgent?: string;
  sourceIp?: string;
}

/** A verified, unexpired link of a known kind. */
export interface SignedLink {
  token: string;
  claims: LinkClaims;
}

/** A verified link of an incident-bound kind, with its incident (whose key matched the signed one). */
export interface IncidentLink extends SignedLink {
  incident: Incident;
}

/** What a kind may do with a link that is signed by us but past its expiry (the editor offers a fresh link). */
export interface ExpiredHandler {
  /** GET (and a POST `post` does not answer): the page shown instead of "expired". Reads only. */
  get(deps: LinkDeps, link: SignedLink): Promise<LinkResult>;
  /** POST: answers the expired link's one form, or `undefined` when the form is not that (then `get` answers). */
  post(deps: LinkDeps, link: SignedLink, form: URLSearchParams): Promise<LinkResult | undefined>;
}

interface KindDeclaration<Link extends SignedLink> {
  /** The `action` claim this kind is signed with. */
  action: string;
  /** Which family of the design it is: a single-use decision, a working page (many saves), or a read-only view. */
  family: 'decision' | 'working-page' | 'view';
  /** What binds it besides its signature (recipient, content hash, request round, an action id...), in words. */
  binding: string;
  /** How long it lasts and who decides that, in words (the signer sets `exp`; some pages close earlier). */
  lifetime: string;
  /** GET: what the link shows. Never writes (mail scanners prefetch every link in a mail). */
  get(deps: LinkDeps, link: Link, query: LinkQuery): Promise<LinkResult>;
  /** POST: what the link decides or saves, from the form where the kind reads one. */
  post(deps: LinkDeps, link: Link, form: URLSearchParams, meta: LinkMeta): Promise<LinkResult>;
  onExpired?: ExpiredHandler;
}

/** A kind tied to one incident: the dispatcher loads the incident and refuses a key that does not match. */
export interface IncidentLinkKind extends KindDeclaration<IncidentLink> {
  incidentBound: true;
}

/** A kind tied to no incident (a schedule's calendar feed): its claims' incident fields are not read. */
export interface UnboundLinkKind extends KindDeclaration<SignedLink> {
  incidentBound: false;
}

export type LinkKind = IncidentLinkKind | UnboundLinkKind;

/** The incident as every link page shows it. */
export function pageIncident(incident: Incident): PageIncident {
  return {
    key: incident.key,
    summary: incident.summary,
    severity: incident.severity,
    status: incident.status,
  };
}

/** Until when a link works, as its pages show it. */
export function expiresAtOf(claims: LinkClaims): string {
  return new Date(claims.exp * 1000).toISOString();
}

/** Where a link page's form posts: the link itself, relative to /links/<token>, wherever the API is mounted. */
export function formActionOf(link: SignedLink): string {
  return `./${link.token}`;
}
