import { ConflictError, NotFoundError, ValidationError } from '../../core/errors.ts';
import type { Incident } from '../../core/incident.ts';
import { serviceOf } from '../../core/organisation.ts';
import { incidentPageView, type LinkPage } from '../../core/pages.ts';
import {
  DONE_NOTICES,
  isResponderIntent,
  mayPost,
  RESPONDER_FIELDS,
  RESPONDER_INTENTS,
  RESPONDER_LINK_TTL_HOURS,
  type ResponderIntent,
  type ResponderRequest,
  type ResponderResult,
  type ResponderRole,
  type ResponderView,
  readResponderForm,
  responderClosesAt,
  responderVersion,
  rolesOf,
  typedFields,
} from '../../core/responder.ts';
import { cadenceMinutes } from '../../core/response.ts';
import { changeSeverity, correctMeasures, postUpdate, resolveIncident, setRoles } from '../respond.ts';
import { RESPONDER_ACTION } from '../view-links.ts';
import {
  expiresAtOf,
  formActionOf,
  type IncidentLink,
  type IncidentLinkKind,
  type LinkDeps,
  type LinkQuery,
  pageIncident,
} from './kind.ts';
import { onCallSectionOf } from './oncall-section.ts';

/**
 * The responder link (the incident manager's console): the incident as the view page shows it, with the forms the
 * recipient's roles allow (core/responder.ts). Every form posts the version it was made on; a stale one is refused
 * keeping what was typed; what a form does is the same use case the API calls, recorded for the link's recipient.
 */

type Refusal = { status: 400 | 409; tone: 'warn' | 'bad'; text: string; form: URLSearchParams };

/** Why the link cannot serve its recipient now (closed, or they hold no role), or nothing when it can. */
function unusable(deps: LinkDeps, link: IncidentLink): LinkPage | undefined {
  const closes = responderClosesAt(link.incident);
  if (closes !== undefined && closes <= deps.now().getTime()) return { kind: 'expired' };
  if (rolesOf(link.incident, link.claims.recipient).length === 0)
    return {
      kind: 'refused',
      incident: pageIncident(link.incident),
      reason: `${link.claims.recipient} no longer holds a role in ${link.incident.key}, so this responder link no longer works. The incident's other mails link its read-only page.`,
    };
  return undefined;
}

/** The page for the link's recipient, as the incident is now. One Query of the incident's partition. */
async function page(
  deps: LinkDeps,
  link: IncidentLink,
  incident: Incident,
  extra: Pick<ResponderView, 'notice' | 'typed'> = {},
): Promise<ResponderView | undefined> {
  const view = await deps.incidents.view(incident.id);
  if (!view) return undefined;
  const current = view.incident;
  const roles: ResponderRole[] = rolesOf(current, link.claims.recipient);
  const service = serviceOf(deps.organisation, current.service);
  const closes = responderClosesAt(current);
  const expiresAt = new Date(
    Math.min(link.claims.exp * 1000, closes ?? Number.POSITIVE_INFINITY),
  ).toISOString();
  const cadence = cadenceMinutes(service, current.severity);
  const onCall = await onCallSectionOf(deps, current.service);
  return {
    incident: {
      ...incidentPageView(view, service.name, link.claims.recipient, expiresAt),
      ...(onCall ? { onCall } : {}),
    },
    recipient: link.claims.recipient,
    roles,
    // Once resolved, only the times can be corrected (until the page closes).
    forms: RESPONDER_INTENTS.filter(
      (intent) => mayPost(roles, intent) && (current.status !== 'resolved' || intent === 'measures'),
    ),
    version: responderVersion(current),
    formAction: formActionOf(link),
    expiresAt: expiresAtOf(link.claims) < expiresAt ? expiresAtOf(link.claims) : expiresAt,
    severity: current.severity,
    ...(cadence !== undefined ? { cadenceMinutes: cadence } : {}),
    postmortemOptional: current.severity === 3,
    // The stakeholders its comms did not reach: the incident and comms managers are warned.
    ...(current.commsBounces?.length &&
    (roles.includes('incident-manager') || roles.includes('comms-manager'))
      ? { commsBounces: current.commsBounces }
      : {}),
    current: {
      ...current.roles,
      ...(current.chatRoomUrl ? { chatRoomUrl: current.chatRoomUrl } : {}),
      ...(current.videoUrl ? { videoUrl: current.videoUrl } : {}),
      ...(current.stateDocumentUrl ? { stateDocumentUrl: current.stateDocumentUrl } : {}),
    },
    ...extra,
  };
}

async function show(
  deps: LinkDeps,
  link: IncidentLink,
  query: LinkQuery,
): Promise<LinkPage | ResponderResult> {
  const closed = unusable(deps, link);
  if (closed) return closed;
  const done = query.done;
  const notice =
    done !== undefined && isResponderIntent(done)
      ? { notice: { tone: 'ok' as const, text: DONE_NOTICES[done] } }
      : {};
  const view = await page(deps, link, link.incident, notice);
  return view ? { kind: 'responder', status: 200, view } : { kind: 'not-found' };
}

/** The use case a form calls, for the link's recipient (the API's own, so the timeline reads the same). */
async function perform(
  deps: LinkDeps,
  incident: Incident,
  by: string,
  request: ResponderRequest,
): Promise<void> {
  const key = incident.key;
  switch (request.intent) {
    case 'update':
      await postUpdate(deps, { key, by, update: request.update });
      return;
    case 'severity':
      await changeSeverity(deps, { key, by, severity: request.severity, reason: request.reason });
      return;
    case 'roles':
      await setRoles(deps, { incidentId: incident.id, by, roles: request.roles });
      return;
    case 'meeting':
      await setRoles(deps, { incidentId: incident.id, by, meeting: request.meeting });
      return;
    case 'measures':
      await correctMeasures(deps, { incidentId: incident.id, by, correction: request.correction });
      return;
    case 'resolve':
      await resolveIncident(deps, {
        key,
        by,
        resolution: {
          kind: request.kind,
          ...(request.duplicateOf ? { duplicateOf: request.duplicateOf } : {}),
          supportCases: request.supportCases,
          ...(request.impactStartedAt ? { impactStartedAt: request.impactStartedAt } : {}),
          ...(request.impactEndedAt ? { impactEndedAt: request.impactEndedAt } : {}),
          ...(request.postmortem ? { postmortemRequested: true } : {}),
          ...(request.summary ? { summary: request.summary } : {}),
        },
      });
      return;
  }
}

/** A refused post: the page again, the form as typed, and why. */
async function refused(deps: LinkDeps, link: IncidentLink, intent: ResponderIntent, r: Refusal) {
  const current = (await deps.incidents.get(link.incident.id)) ?? link.incident;
  const view = await page(deps, link, current, {
    notice: { tone: r.tone, text: r.text },
    typed: { intent, fields: typedFields(r.form) },
  });
  return view ? ({ kind: 'responder', status: r.status, view } as const) : ({ kind: 'not-found' } as const);
}

async function post(
  deps: LinkDeps,
  link: IncidentLink,
  form: URLSearchParams,
): Promise<LinkPage | ResponderResult> {
  const closed = unusable(deps, link);
  if (closed) return closed;
  const { incident, claims } = link;
  const intentField = (form.get(RESPONDER_FIELDS.intent) ?? '').trim();
  if (!isResponderIntent(intentField)) {
    const view = await page(deps, link, incident, {
      notice: { tone: 'bad', text: 'The form said nothing to do: nothing was changed.' },
    });
    return view ? { kind: 'responder', status: 400, view } : { kind: 'not-found' };
  }
  const intent = intentField;
  const roles = rolesOf(incident, claims.recipient);
  if (incident.status === 'resolved' && intent !== 'measures')
    return refused(deps, link, intent, {
      status: 409,
      tone: 'warn',
      text: `${incident.key} is resolved: only its times can still be corrected from this page. Nothing was changed.`,
      form,
    });
  if (!mayPost(roles, intent))
    return refused(deps, link, intent, {
      status: 400,
      tone: 'bad',
      text: 'Your role does not include this: the incident manager changes severity and roles, and resolves. Nothing was changed.',
      form,
    });
  if ((form.get(RESPONDER_FIELDS.version) ?? '') !== responderVersion(incident))
    return refused(deps, link, intent, {
      status: 409,
      tone: 'warn',
      text: 'The incident changed since you opened this page (an update, the severity or the roles). Nothing was sent: what you typed is below. Check it against the page and send it again.',
      form,
    });
  try {
    await perform(deps, incident, claims.recipient, readResponderForm(form, deps.now()));
  } catch (error) {
    if (error instanceof ValidationError)
      return refused(deps, link, intent, { status: 400, tone: 'bad', text: error.message, form });
    if (error instanceof ConflictError)
      return refused(deps, link, intent, {
        status: 409,
        tone: 'warn',
        text: `${error.message}. Nothing was sent: what you typed is below.`,
        form,
      });
    if (error instanceof NotFoundError) return { kind: 'not-found' };
    throw error;
  }
  // Post, redirect, get: a reload shows the page again and posts nothing twice.
  return { kind: 'responder-saved', location: `${formActionOf(link)}?done=${intent}` };
}

export const responderKind: IncidentLinkKind = {
  action: RESPONDER_ACTION,
  family: 'working-page',
  incidentBound: true,
  binding:
    'the recipient (what they post is recorded as theirs; it works while they hold a role, and only for what the role allows) and the incident',
  lifetime: `signed for ${RESPONDER_LINK_TTL_HOURS} hours at most; the page closes a grace after the incident is resolved (core/responder.ts)`,
  get: show,
  post: (deps, link, form) => post(deps, link, form),
};
