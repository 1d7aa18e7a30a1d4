import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed links for people who answer by email (acknowledge a page, approve a postmortem...). A link carries
 * what it authorises (incident, action, recipient, expiry, a unique id) and an HMAC-SHA256 over it with a key
 * named by id, so keys rotate with no gap: a new key signs, old keys verify until their links expire. Expiry is
 * checked here, in code; single use is enforced by the caller with a conditional write on the link id.
 */

export interface LinkClaims {
  /** Unique link id: the single-use record is keyed by it. */
  id: string;
  incidentId: string;
  key: string;
  action: string;
  /** Who the link was sent to: the decision is recorded as theirs. */
  recipient: string;
  /** Expiry, Unix seconds. */
  exp: number;
  /** Optional: what the decision resumes (e.g. the page sequence being acknowledged). */
  ref?: string;
}

export interface SigningKeys {
  activeKeyId: string;
  keys: Record<string, string>;
}

export type LinkCheck =
  | { ok: true; claims: LinkClaims }
  | { ok: false; reason: 'malformed' | 'unknown-key' | 'bad-signature' }
  /** Signed by us, but past its expiry: the claims say what it was for (an expired editor link offers a fresh one). */
  | { ok: false; reason: 'expired'; claims: LinkClaims };

/** How long a responder link's signature lasts at most (a later mail to the same person carries a fresh one). */
export const RESPONDER_LINK_TTL_HOURS = 30 * 24;

const VERSION = 'v1';
const MIN_KEY_LENGTH = 32;

/** Reads the key set stored as `{"activeKeyId": "k2", "k1": "...", "k2": "..."}`. */
export function parseSigningKeys(secretJson: string): SigningKeys {
  const parsed = JSON.parse(secretJson) as Record<string, unknown>;
  const activeKeyId = parsed.activeKeyId;
  const keys: Record<string, string> = {};
  for (const [id, value] of Object.entries(parsed)) {
    if (id !== 'activeKeyId' && typeof value === 'string' && value.length >= MIN_KEY_LENGTH) keys[id] = value;
  }
  if (typeof activeKeyId !== 'string' || !keys[activeKeyId]) {
    throw new Error('link signing keys: activeKeyId must name a key of at least 32 characters');
  }
  return { activeKeyId, keys };
}

function mac(key: string, signed: string): Buffer {
  return createHmac('sha256', key).update(signed, 'utf8').digest();
}

/** `v1.<kid>.<claims base64url>.<mac base64url>`: URL-safe, no padding. */
export function signLink(claims: LinkClaims, signing: SigningKeys): string {
  const kid = signing.activeKeyId;
  const key = signing.keys[kid];
  if (!key) throw new Error(`no key ${kid}`);
  const body = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  const signed = `${VERSION}.${kid}.${body}`;
  return `${signed}.${mac(key, signed).toString('base64url')}`;
}

/** The id of the key a token names (`v1.<kid>....`), unverified: which keys to verify it with. */
export function linkKeyId(token: string): string | undefined {
  if (typeof token !== 'string' || token.length > 4096) return undefined;
  const [version, kid] = token.split('.', 3);
  return version === VERSION && kid && /^[A-Za-z0-9_-]{1,64}$/.test(kid) ? kid : undefined;
}

/** Verifies a token: signature first (constant time), then expiry. Never throws on bad input. */
export function verifyLink(token: string, signing: SigningKeys, now: Date): LinkCheck {
  if (typeof token !== 'string' || token.length > 4096) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 4) return { ok: false, reason: 'malformed' };
  const [version, kid, body, signature] = parts as [string, string, string, string];
  if (version !== VERSION || !/^[A-Za-z0-9_-]+$/.test(body) || !/^[A-Za-z0-9_-]+$/.test(signature)) {
    return { ok: false, reason: 'malformed' };
  }
  const key = Object.hasOwn(signing.keys, kid) ? signing.keys[kid] : undefined;
  if (!key) return { ok: false, reason: 'unknown-key' };
  const expected = mac(key, `${version}.${kid}.${body}`);
  const presented = Buffer.from(signature, 'base64url');
  // Only the canonical encoding is accepted, so one signature has exactly one spelling.
  if (presented.toString('base64url') !== signature) return { ok: false, reason: 'malformed' };
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return { ok: false, reason: 'bad-signature' };
  }
  let claims: LinkClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LinkClaims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (
    typeof claims !== 'object' ||
    claims === null ||
    typeof claims.id !== 'string' ||
    typeof claims.incidentId !== 'string' ||
    typeof claims.action !== 'string' ||
    typeof claims.recipient !== 'string' ||
    typeof claims.exp !== 'number'
  ) {
    return { ok: false, reason: 'malformed' };
  }
  if (claims.exp * 1000 <= now.getTime()) return { ok: false, reason: 'expired', claims };
  return { ok: true, claims };
}

export interface IssueLinkInput {
  /** Unique per link (a ULID, or derived from what it is for so a retried sender issues the same link). */
  id: string;
  incidentId: string;
  key: string;
  action: string;
  recipient: string;
  /** How long the link works, in hours (> 0). */
  ttlHours: number;
  now: Date;
  ref?: string;
}

/** Signs a link for one recipient and action with the active key; expires `ttlHours` after `now`. */
export function issueLink(signing: SigningKeys, input: IssueLinkInput): string {
  if (!(input.ttlHours > 0)) throw new Error('issueLink: ttlHours must be positive');
  const claims: LinkClaims = {
    id: input.id,
    incidentId: input.incidentId,
    key: input.key,
    action: input.action,
    recipient: input.recipient,
    exp: Math.floor(input.now.getTime() / 1000) + Math.round(input.ttlHours * 3600),
    ...(input.ref === undefined ? {} : { ref: input.ref }),
  };
  return signLink(claims, signing);
}

/** The address a signed link is opened at: `GET` shows a confirm page, `POST` decides. */
export function signedLinkUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/links/${token}`;
}

/**
 * The address of a schedule's calendar feed: the signed link, then `calendar.ics` (calendar apps subscribe to
 * it; its own route and function, so that the link pages' function carries no iCalendar code).
 */
export function scheduleFeedUrl(baseUrl: string, token: string): string {
  return `${signedLinkUrl(baseUrl, token)}/calendar.ics`;
}

/**
 * The address of the postmortem owner's editor: the signed link, then `edit` (its own route and function, so
 * that the link pages' function carries neither the editor nor the Markdown renderer). An editor link mailed
 * before it had this route (the bare signed link) is redirected here.
 */
export function postmortemEditorUrl(baseUrl: string, token: string): string {
  return `${signedLinkUrl(baseUrl, token)}/${EDITOR_PATH_SEGMENT}`;
}

/** The last path segment of the editor's route (`/links/{token}/edit`). */
export const EDITOR_PATH_SEGMENT = 'edit';
