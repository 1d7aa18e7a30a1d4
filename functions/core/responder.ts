import { createHash } from 'node:crypto';
import { sameAddress } from './approvals.ts';
import type { CommsBounce } from './comms-bounces.ts';
import type { Severity } from './config.ts';
import { ValidationError } from './errors.ts';
import { type Incident, isIncidentKey, type Roles } from './incident.ts';
import type { MeasuresCorrection } from './measures.ts';
import type { IncidentPageView } from './pages.ts';
import { typedTime } from './times.ts';
import { type IncidentUpdate, parseUpdate } from './updates.ts';

/**
 * The responder page (the incident manager's console): who may do what from their signed link, the version a
 * form is made on, and how its forms read. The link kind is use-cases/links/responder.ts; the page is
 * core/html/responder-page.ts. The page calls the same use cases as the API (use-cases/respond.ts).
 */

/** The roles a link's recipient can hold on an incident. */
export type ResponderRole = 'incident-manager' | 'tech-lead' | 'comms-manager';

/** What a responder page's forms do: each form posts one intent. */
export const RESPONDER_INTENTS = ['update', 'severity', 'roles', 'meeting', 'resolve', 'measures'] as const;
export type ResponderIntent = (typeof RESPONDER_INTENTS)[number];

/** Who may post which form: the incident manager everything; a tech lead and the comms manager updates. */
const ALLOWED: Record<ResponderRole, readonly ResponderIntent[]> = {
  'incident-manager': RESPONDER_INTENTS,
  'tech-lead': ['update'],
  'comms-manager': ['update'],
};

// How long a responder link's signature lasts: with the link rules (links.ts), so that a mail naming the page
// does not bring the responder page's rules.
export { RESPONDER_LINK_TTL_HOURS } from './links.ts';
/** After resolution the page still opens this long (read, correct the measures), then it closes. */
export const RESPONDER_GRACE_HOURS = 72;

/** The roles `address` holds on the incident now (a link stops working when its recipient holds none). */
export function rolesOf(incident: Pick<Incident, 'roles'>, address: string): ResponderRole[] {
  const roles = incident.roles ?? {};
  const out: ResponderRole[] = [];
  if (roles.incidentManager && sameAddress(roles.incidentManager, address)) out.push('incident-manager');
  if (roles.techLeads?.some((t) => sameAddress(t, address))) out.push('tech-lead');
  if (roles.commsManager && sameAddress(roles.commsManager, address)) out.push('comms-manager');
  return out;
}

/** Whether one holding `roles` may post `intent`. */
export function mayPost(roles: readonly ResponderRole[], intent: ResponderIntent): boolean {
  return roles.some((role) => ALLOWED[role].includes(intent));
}

/** When the page closes: the grace after resolution, else never before the signature's expiry. */
export function responderClosesAt(incident: Pick<Incident, 'resolvedAt'>): number | undefined {
  return incident.resolvedAt
    ? Date.parse(incident.resolvedAt) + RESPONDER_GRACE_HOURS * 3_600_000
    : undefined;
}

/**
 * The version a form is made on: what the forms show and decide from (severity, status, updates posted, roles,
 * meeting places). A form posted on another version is refused as stale, keeping what was typed; what the
 * workflow changes by itself (due times, reminders, counters) does not make a form stale.
 */
export function responderVersion(incident: Incident): string {
  const shown = [
    incident.status === 'resolved' ? 'resolved' : 'open',
    incident.severity,
    incident.updateCount ?? 0,
    incident.roles?.incidentManager ?? '',
    [...(incident.roles?.techLeads ?? [])],
    incident.roles?.commsManager ?? '',
    incident.chatRoomUrl ?? '',
    incident.videoUrl ?? '',
    incident.stateDocumentUrl ?? '',
    incident.measuresCorrectedAt ?? '',
  ];
  return createHash('sha256').update(JSON.stringify(shown)).digest('base64url').slice(0, 16);
}

/** Form field names, one place (the page writes them, `readResponderForm` reads them). */
export const RESPONDER_FIELDS = {
  intent: 'intent',
  version: 'version',
  update: {
    summary: 'summary',
    status: 'status',
    nextSteps: 'nextSteps',
    impact: 'impact',
    internal: 'internalCustomers',
    external: 'externalCustomers',
    rootCause: 'rootCause',
    eta: 'eta',
    nextUpdate: 'nextUpdateMinutes',
    externalText: 'externalText',
  },
  severity: { severity: 'severity', reason: 'reason' },
  roles: { incidentManager: 'incidentManager', techLeads: 'techLeads', commsManager: 'commsManager' },
  meeting: { chatRoomUrl: 'chatRoomUrl', videoUrl: 'videoUrl', stateDocumentUrl: 'stateDocumentUrl' },
  resolve: {
    supportCases: 'supportCases',
    impactStartedAt: 'impactStartedAt',
    impactEndedAt: 'impactEndedAt',
    postmortem: 'postmortem',
    summary: 'resolutionSummary',
    kind: 'kind',
    duplicateOf: 'duplicateOf',
  },
  measures: {
    impactStartedAt: 'impactStartedAt',
    detectedAt: 'detectedAt',
    impactEndedAt: 'impactEndedAt',
    reason: 'reason',
  },
} as const;

/** Meeting places: http(s) links (an empty field clears one). */
export interface MeetingPlaces {
  chatRoomUrl?: string | null;
  videoUrl?: string | null;
  stateDocumentUrl?: string | null;
}

/** What one posted form asks for, read and checked: the input of the use case it calls. */
export type ResponderRequest =
  | { intent: 'update'; update: IncidentUpdate }
  | { intent: 'severity'; severity: Severity; reason: string }
  | { intent: 'roles'; roles: Roles }
  | { intent: 'meeting'; meeting: MeetingPlaces }
  | { intent: 'measures'; correction: MeasuresCorrection }
  | {
      intent: 'resolve';
      kind: 'resolved' | 'false-alarm' | 'duplicate';
      duplicateOf?: string;
      supportCases: number;
      impactStartedAt?: string;
      impactEndedAt?: string;
      postmortem: boolean;
      summary?: string;
    };

const value = (form: URLSearchParams, name: string) => (form.get(name) ?? '').trim();
const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => l.replace(/^\s*[-*\u2022]\s*/, '').trim())
    .filter(Boolean);
const people = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((p) => p.trim())
    .filter(Boolean);
const count = (text: string, who: string): number | 'unknown' => {
  if (text === '' || /^unknown$/i.test(text)) return 'unknown';
  if (!/^\d{1,9}$/.test(text)) throw new ValidationError(`${who} customers must be a number or "unknown"`);
  return Number(text);
};

/** A time typed in a field: ISO, "now", "in 2h", "30 minutes ago"; checked to be one. */
function timeField(text: string, what: string, bare: 'past' | 'future', now: Date): string {
  const typed = typedTime(text, bare, now.getTime());
  const at = Date.parse(typed);
  if (Number.isNaN(at))
    throw new ValidationError(`${what}: "${text}" is not a time (ISO, "now", "in 2h", "30 minutes ago")`);
  return new Date(at).toISOString();
}

function urlField(text: string, what: string): string | null {
  if (text === '') return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationError(`${what} must be an https:// or http:// link`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ValidationError(`${what} must be an https:// or http:// link`);
  if (text.length > 500) throw new ValidationError(`${what} is longer than 500 characters`);
  return url.toString();
}

/**
 * Reads a posted form into the request it makes; a ValidationError names what is wrong (the page shows it beside
 * the form, keeping what was typed). `now` turns typed relative times into times.
 */
export function readResponderForm(form: URLSearchParams, now: Date): ResponderRequest {
  const intent = value(form, RESPONDER_FIELDS.intent);
  switch (intent) {
    case 'update': {
      const f = RESPONDER_FIELDS.update;
      const minutes = value(form, f.nextUpdate);
      if (!/^\d{1,4}$/.test(minutes) || Number(minutes) < 1)
        throw new ValidationError('the next update time is missing (minutes from now)');
      const eta = value(form, f.eta);
      const externalText = value(form, f.externalText);
      const update = parseUpdate({
        summary: value(form, f.summary),
        status: lines(value(form, f.status)),
        nextSteps: lines(value(form, f.nextSteps)),
        impact: value(form, f.impact),
        customers: {
          internal: count(value(form, f.internal), 'internal'),
          external: count(value(form, f.external), 'external'),
        },
        rootCause: value(form, f.rootCause) || 'currently unknown',
        eta: eta === '' || /^no eta$/i.test(eta) ? 'no ETA' : timeField(eta, 'ETA', 'future', now),
        nextUpdateAt: new Date(now.getTime() + Number(minutes) * 60_000).toISOString(),
        ...(externalText ? { external: externalText } : {}),
      });
      return { intent, update };
    }
    case 'severity': {
      const level = value(form, RESPONDER_FIELDS.severity.severity);
      if (level !== '1' && level !== '2' && level !== '3')
        throw new ValidationError('choose a severity: 1, 2 or 3');
      const reason = value(form, RESPONDER_FIELDS.severity.reason);
      if (reason === '')
        throw new ValidationError('say why the severity changes (the reason is recorded and mailed)');
      if (reason.length > 500) throw new ValidationError('the reason is longer than 500 characters');
      return { intent, severity: Number(level) as Severity, reason };
    }
    case 'roles': {
      const f = RESPONDER_FIELDS.roles;
      const incidentManager = value(form, f.incidentManager);
      const techLeads = people(value(form, f.techLeads));
      const commsManager = value(form, f.commsManager);
      for (const person of [incidentManager, commsManager, ...techLeads])
        if (person.length > 200) throw new ValidationError('a name or address is longer than 200 characters');
      if (techLeads.length > 10) throw new ValidationError('at most 10 tech leads');
      const roles: Roles = {
        ...(incidentManager ? { incidentManager } : {}),
        ...(techLeads.length ? { techLeads } : {}),
        ...(commsManager ? { commsManager } : {}),
      };
      if (Object.keys(roles).length === 0) throw new ValidationError('name at least one person');
      return { intent, roles };
    }
    case 'meeting': {
      const f = RESPONDER_FIELDS.meeting;
      return {
        intent,
        meeting: {
          chatRoomUrl: urlField(value(form, f.chatRoomUrl), 'the chat room'),
          videoUrl: urlField(value(form, f.videoUrl), 'the video call'),
          stateDocumentUrl: urlField(value(form, f.stateDocumentUrl), 'the state document'),
        },
      };
    }
    case 'resolve': {
      const f = RESPONDER_FIELDS.resolve;
      const cases = value(form, f.supportCases);
      if (!/^\d{1,9}$/.test(cases))
        throw new ValidationError('support cases is missing (the number raised about it, 0 if none)');
      const started = value(form, f.impactStartedAt);
      const ended = value(form, f.impactEndedAt);
      const summary = value(form, f.summary);
      if (summary.length > 1000)
        throw new ValidationError('the resolution summary is longer than 1,000 characters');
      const kind = value(form, f.kind) || 'resolved';
      if (kind !== 'resolved' && kind !== 'false-alarm' && kind !== 'duplicate')
        throw new ValidationError('choose how it ended: resolved, a false alarm or a duplicate');
      const duplicateOf = value(form, f.duplicateOf).toUpperCase();
      if (kind === 'duplicate' && !isIncidentKey(duplicateOf))
        throw new ValidationError('a duplicate names the incident it duplicates (like HOT-42)');
      return {
        intent,
        kind,
        ...(kind === 'duplicate' ? { duplicateOf } : {}),
        supportCases: Number(cases),
        ...(started ? { impactStartedAt: timeField(started, 'impact started', 'past', now) } : {}),
        ...(ended ? { impactEndedAt: timeField(ended, 'impact ended', 'past', now) } : {}),
        postmortem: form.get(f.postmortem) === 'yes',
        ...(summary ? { summary } : {}),
      };
    }
    case 'measures': {
      const f = RESPONDER_FIELDS.measures;
      const reason = value(form, f.reason);
      if (reason.length > 500) throw new ValidationError('the reason is longer than 500 characters');
      const at = (name: string, what: string) => {
        const typed = value(form, name);
        return typed ? timeField(typed, what, 'past', now) : undefined;
      };
      const impactStartedAt = at(f.impactStartedAt, 'impact started');
      const detectedAt = at(f.detectedAt, 'detected');
      const impactEndedAt = at(f.impactEndedAt, 'impact ended');
      if (!impactStartedAt && !detectedAt && !impactEndedAt)
        throw new ValidationError('give at least one corrected time');
      return {
        intent,
        correction: {
          reason,
          ...(impactStartedAt ? { impactStartedAt } : {}),
          ...(detectedAt ? { detectedAt } : {}),
          ...(impactEndedAt ? { impactEndedAt } : {}),
        },
      };
    }
    default:
      throw new ValidationError('the form says nothing to do');
  }
}

/** What a responder page shows: the incident as the view page shows it, and the forms its recipient may post. */
export interface ResponderView {
  incident: IncidentPageView;
  /** The link's recipient: what they post is recorded as theirs. */
  recipient: string;
  /** Their roles now (never empty: a link whose recipient holds none answers a page saying so). */
  roles: readonly ResponderRole[];
  /** The forms shown (empty once resolved: the page is then read-only until it closes). */
  forms: readonly ResponderIntent[];
  /** The form's version (hidden field), and where the forms post (`./<token>`). */
  version: string;
  formAction: string;
  /** Until when this link works (ISO). */
  expiresAt: string;
  severity: Severity;
  /** The severity's update cadence in minutes, for the next update's default; none for a sev 3 without one. */
  cadenceMinutes?: number;
  /** A sev 3 may ask for a postmortem when resolved (sev 1-2 always get one). */
  postmortemOptional: boolean;
  /** The current roles and meeting places, for the forms' defaults. */
  current: Roles & { chatRoomUrl?: string; videoUrl?: string; stateDocumentUrl?: string };
  /** What was just done (after a save's redirect), or why a post was refused. */
  notice?: { tone: 'ok' | 'warn' | 'bad'; text: string };
  /** The comms lists' addresses its comms mails did not reach (shown to the incident and comms managers). */
  commsBounces?: readonly CommsBounce[];
  /** A refused or stale post: which form, and its fields as typed (shown again, nothing lost). */
  typed?: { intent: ResponderIntent; fields: Readonly<Record<string, string>> };
}

/** The notice after a save's redirect (`?done=<intent>`): what happened, in words. */
export const DONE_NOTICES: Record<ResponderIntent, string> = {
  update:
    'Your update was sent to the internal lists (and the external one, with its public text). The next one is due when you said.',
  severity: 'The severity was changed; the cadence and the next comms follow it.',
  roles: 'The roles were set; each person named was mailed their link.',
  measures:
    'The correction is recorded on the timeline; the report and a draft postmortem use the corrected times.',
  meeting: 'The meeting places were saved; every later mail shows them.',
  resolve:
    'The incident is resolved. The final comms go out now; the page stays open for corrections until it closes.',
};

/** The fields a form posted, as typed (to show again when it is refused). */
export function typedFields(form: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of form) if (name !== RESPONDER_FIELDS.version) out[name] = v.slice(0, 5000);
  return out;
}

export function isResponderIntent(value: string): value is ResponderIntent {
  return (RESPONDER_INTENTS as readonly string[]).includes(value);
}

/** What the responder link answers: its page (200; 400 a refused form; 409 a stale one), or a save's redirect. */
export type ResponderResult =
  | { kind: 'responder'; status: 200 | 400 | 409; view: ResponderView }
  | { kind: 'responder-saved'; location: string };

export function isResponderResult(value: { kind: string }): value is ResponderResult {
  return value.kind === 'responder' || value.kind === 'responder-saved';
}
