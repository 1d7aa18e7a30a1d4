import { addBusinessDays } from '../core/business-hours.ts';
import {
  postmortemEditorLinkEmail,
  postmortemOpenedEmail,
  postmortemOverdueEmail,
  postmortemReminderEmail,
} from '../core/comms.ts';
import type { Organisation } from '../core/config.ts';
import { ConflictError, NotFoundError, PreconditionFailedError, RetryableError } from '../core/errors.ts';
import type { Incident } from '../core/incident.ts';
import { issueLink, postmortemEditorUrl } from '../core/links.ts';
import { serviceOf } from '../core/organisation.ts';
import { everyAddressOf } from '../core/page-targets.ts';
import {
  nextReminder,
  type Postmortem,
  type PostmortemChecks,
  type PostmortemReminder,
  reminderAfter,
  type VersionSummary,
} from '../core/postmortem.ts';
import { checkPostmortem } from '../core/postmortem-checks.ts';
import type { DocumentRendering } from '../core/postmortem-document.ts';
import { applyEdit, type PostmortemEdit } from '../core/postmortem-edit.ts';
import { IDLE_WAIT_SECONDS, isEmailAddress } from '../core/response.ts';
import type { ActionStore, PostmortemQuery, PostmortemStore, WorkflowStarter } from './ports.ts';
import { prefillFor } from './postmortem-prefill.ts';
import { incidentOrThrow, type ResponseDeps } from './respond.ts';
import { sendOnce } from './send-once.ts';

/** What the postmortem use cases need: the response's dependencies and the postmortems. */
export interface PostmortemDeps extends ResponseDeps {
  postmortems: PostmortemStore;
  /** The actions of an approved postmortem, followed until done. */
  actions: ActionStore;
  newId: () => string;
  /** Starts a postmortem's own execution (reminders) when the incident's has ended without one (API, CLI). */
  starter?: WorkflowStarter;
  /**
   * Renders a content's sections (markdown-it, core/document-render.ts): given only to the functions that ask
   * approvers, which render each content once and keep it; the others read what was kept (document-rendering.ts).
   * The functions load it on first use (adapters/document-renderer.ts), hence the promise.
   */
  renderDocument?: (postmortem: Postmortem) => DocumentRendering | Promise<DocumentRendering>;
}

/** The handbook: "within 24-48 hours ... not more than five business days" after resolution. */
export const POSTMORTEM_DUE_BUSINESS_DAYS = 5;
/** The statuses in which a person may still edit (an edit in review asks the approvers again: next issue). */
export const EDITABLE = ['draft', 'in-review'] as const;

/** A postmortem with what blocks its approval and what is worth fixing. */
export interface PostmortemView {
  postmortem: Postmortem;
  checks: PostmortemChecks;
}

/** The people a blameless postmortem refers to by role: the organisation's addresses and the incident's roles. */
export function peopleOf(org: Organisation, incident?: Incident) {
  const addresses = new Set<string>([...everyAddressOf(org, org.imoc), ...org.operators, ...org.leadership]);
  for (const service of Object.values(org.services)) {
    for (const list of [
      everyAddressOf(org, service.incidentManagers.primary),
      everyAddressOf(org, service.incidentManagers.backup),
      service.approvers.mandatory,
      service.approvers.optional,
    ]) {
      for (const address of list) addresses.add(address);
    }
  }
  const roles = incident?.roles ?? {};
  for (const person of [roles.incidentManager, roles.commsManager, ...(roles.techLeads ?? [])]) {
    if (person) addresses.add(person);
  }
  // A personal address's local part is often the name (jane.doe@ -> "jane doe"); list addresses are not names.
  const names = [...addresses]
    .map((a) => a.split('@', 1)[0] ?? '')
    .filter((local) => /^[a-z]+[._][a-z]+$/i.test(local))
    .map((local) => local.replace(/[._]/, ' '));
  // The people who can be paged are named in the configuration.
  for (const person of Object.values(org.people ?? {})) names.push(person.name);
  return { names, addresses: [...addresses] };
}

export function viewOf(deps: Pick<PostmortemDeps, 'organisation'>, postmortem: Postmortem): PostmortemView {
  return { postmortem, checks: checkPostmortem(postmortem, peopleOf(deps.organisation)) };
}

async function postmortemOrThrow(deps: PostmortemDeps, incident: Incident): Promise<Postmortem> {
  const postmortem = await deps.postmortems.get(incident.id);
  if (!postmortem) throw new NotFoundError(`${incident.key} has no postmortem`);
  return postmortem;
}

/**
 * Opens the incident's postmortem, pre-filled from what the system knows, owned by the faulty service's team
 * (its address until a person is assigned), due five business days after resolution; mails the owner an editor
 * link and the incident's view link. Idempotent: a retried step or a second request finds the first one.
 */
export async function openPostmortem(
  deps: PostmortemDeps,
  input: { key?: string; incidentId?: string; by: string; requested?: boolean },
): Promise<{ postmortem: Postmortem; created: boolean }> {
  const incident = await incidentOrThrow(deps, input);
  if (incident.status !== 'resolved' || !incident.resolvedAt) {
    throw new ConflictError(`${incident.key} is not resolved yet: the postmortem opens at resolution`);
  }
  const existing = await deps.postmortems.get(incident.id);
  if (existing) {
    // The owner's mail once: another sender holding it right now (the workflow's step opening it at resolution)
    // sends it, or gives it back for its own retry to send; this request, which only asked for the postmortem,
    // has it.
    await announce(deps, incident, existing).catch((error: unknown) => {
      if (!(error instanceof RetryableError)) throw error;
    });
    return { postmortem: existing, created: false };
  }
  const service = serviceOf(deps.organisation, incident.service);
  const { fields, metrics, prefilled } = await prefillFor(deps, incident);
  const now = deps.now().toISOString();
  const postmortem: Postmortem = {
    key: incident.key,
    incidentId: incident.id,
    status: 'draft',
    version: 1,
    owner: service.team ?? service.comms.internal[0] ?? service.ownerTeam,
    ownerTeam: service.ownerTeam,
    service: incident.service,
    severity: incident.severity,
    due: addBusinessDays(
      service.businessHours,
      new Date(incident.resolvedAt),
      POSTMORTEM_DUE_BUSINESS_DAYS,
    ).toISOString(),
    openedAt: now,
    updatedAt: now,
    updatedBy: input.by,
    fields,
    actions: [],
    metrics,
    prefilled,
  };
  const created = await deps.postmortems.create(postmortem);
  const current = created ? postmortem : await postmortemOrThrow(deps, incident);
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: 'postmortem-opened',
    at: current.openedAt,
    kind: 'postmortem.opened',
    actor: input.by,
    text: `Postmortem opened for ${service.ownerTeam} (owner ${current.owner}), due ${current.due}.`,
    data: { owner: current.owner, due: current.due },
  });
  if (input.requested && incident.postmortem === 'not-required' && deps.starter) {
    await deps.incidents.change(incident.id, { set: { postmortem: 'requested', updatedAt: now } });
    // The incident's execution ended without a postmortem (a sev 3): one of its own follows it up, and its
    // first step mails the owner (mailing here too could mail twice, both sends racing).
    await deps.starter.start({ incidentId: incident.id, key: incident.key, phase: 'postmortem' });
  } else {
    if (input.requested && incident.postmortem === 'not-required') {
      await deps.incidents.change(incident.id, { set: { postmortem: 'requested', updatedAt: now } });
    }
    await announce(deps, incident, current);
  }
  return { postmortem: current, created };
}

/** The owner's mail: the editor link (many saves until it expires) and the incident's view link. Once. */
async function announce(deps: PostmortemDeps, incident: Incident, postmortem: Postmortem): Promise<void> {
  const editorUrl = await editorUrlFor(deps, incident, postmortem);
  await sendOnce(deps, {
    incidentId: incident.id,
    incidentKey: incident.key,
    kind: 'postmortem-opened',
    sequence: 1,
    recipients: [postmortem.owner],
    message: (viewUrl) => postmortemOpenedEmail({ incident, postmortem, editorUrl, viewUrl }),
    timelineKind: 'postmortem.opened',
    timelineText: `Mailed the postmortem's editor link to ${postmortem.owner}.`,
    now: deps.now,
  });
}

/** How long an editor link works: its own setting (`postmortems.editorLinkDays`), not the view link's. */
const editorLinkDays = (deps: Pick<PostmortemDeps, 'organisation'>) =>
  deps.organisation.postmortems?.editorLinkDays ?? 30;

/** A fresh editor link is mailed at most once in this window: a double click or a retry mails once. */
const EDITOR_LINK_WINDOW_MS = 10 * 60_000;

/**
 * Mails the owner a fresh editor link (API, CLI, and the page an expired editor link opens): to the postmortem's
 * owner only, whoever asks, so asking reveals nothing. Refused (409) once the postmortem can no longer be
 * edited. At most once per ten minutes.
 */
export async function mailEditorLink(
  deps: PostmortemDeps,
  input: { key?: string; incidentId?: string; by: string },
): Promise<{ owner: string; expiresAt: string; alreadySent: boolean }> {
  const incident = await incidentOrThrow(deps, input);
  const postmortem = await postmortemOrThrow(deps, incident);
  if (!(EDITABLE as readonly string[]).includes(postmortem.status)) {
    throw new ConflictError(
      `the postmortem of ${incident.key} is ${postmortem.status}: it can no longer be edited`,
    );
  }
  const editorUrl = await editorUrlFor(deps, incident, postmortem);
  const expiresAt = new Date(deps.now().getTime() + editorLinkDays(deps) * 86_400_000).toISOString();
  const sent = await sendOnce(deps, {
    incidentId: incident.id,
    incidentKey: incident.key,
    kind: 'postmortem-editor-link',
    sequence: Math.floor(deps.now().getTime() / EDITOR_LINK_WINDOW_MS),
    recipients: [postmortem.owner],
    message: (viewUrl) => postmortemEditorLinkEmail({ incident, postmortem, editorUrl, viewUrl, expiresAt }),
    timelineKind: 'postmortem.opened',
    timelineText: `Mailed a fresh editor link to ${postmortem.owner} (asked by ${input.by}).`,
    now: deps.now,
  });
  return { owner: postmortem.owner, expiresAt, alreadySent: sent.alreadySent };
}

/**
 * The owner's editor link: many saves until it expires, well after the due date (a late one must be writable).
 * Its address is the editor's own route (`<link>/edit`, the PostmortemEditor function).
 */
export async function editorUrlFor(
  deps: PostmortemDeps,
  incident: Incident,
  postmortem: Postmortem,
): Promise<string> {
  const token = issueLink(await deps.signingKeys(), {
    id: deps.newId(),
    incidentId: incident.id,
    key: incident.key,
    action: 'edit-postmortem',
    recipient: postmortem.owner,
    ttlHours: editorLinkDays(deps) * 24,
    now: deps.now(),
  });
  return postmortemEditorUrl(deps.baseUrl, token);
}

export async function getPostmortem(deps: PostmortemDeps, key: string): Promise<PostmortemView> {
  const incident = await incidentOrThrow(deps, { key });
  return viewOf(deps, await postmortemOrThrow(deps, incident));
}

/** Who saved each version of the postmortem, when, and what changed (oldest first). */
export async function postmortemHistory(deps: PostmortemDeps, key: string): Promise<VersionSummary[]> {
  const incident = await incidentOrThrow(deps, { key });
  await postmortemOrThrow(deps, incident);
  return deps.postmortems.history(incident.id);
}

/**
 * Saves an edit made on `edit.version`. A stale version is refused (412) with the current postmortem, so the
 * editor can show the other edit and keep what was typed; every saved version is kept and goes on the timeline.
 */
export async function editPostmortem(
  deps: PostmortemDeps,
  input: { key?: string; incidentId?: string; by: string; edit: PostmortemEdit },
): Promise<PostmortemView & { changed: string[] }> {
  const incident = await incidentOrThrow(deps, input);
  let changed: string[] = [];
  let unchanged: Postmortem | undefined;
  // Under the lock: a write that is not an edit (a decision's outcome, an action marked done) meanwhile makes
  // the edit apply again to what is there now; another edit meanwhile moves the content version: 412.
  const written = await deps.postmortems.update(incident.id, (current) => {
    if (!(EDITABLE as readonly string[]).includes(current.status)) {
      throw new ConflictError(
        `the postmortem of ${incident.key} is ${current.status}: it can no longer be edited`,
      );
    }
    if (input.edit.version !== current.version) {
      throw new PreconditionFailedError(
        `version ${input.edit.version} is not the current one (${current.version}, saved by ${current.updatedBy} at ${current.updatedAt}): reload and apply your change again`,
      );
    }
    const edited = applyEdit(current, input.edit, {
      by: input.by,
      now: deps.now(),
      newId: deps.newId,
      sloWeeks: serviceOf(deps.organisation, current.service).actionSloWeeks,
    });
    changed = edited.changed;
    if (changed.length === 0) {
      unchanged = current;
      return undefined;
    }
    const postmortem = edited.postmortem;
    return {
      postmortem,
      version: {
        key: postmortem.key,
        version: postmortem.version,
        at: postmortem.updatedAt,
        by: input.by,
        changed,
        fields: postmortem.fields,
        actions: postmortem.actions,
        owner: postmortem.owner,
      },
    };
  });
  if (unchanged) return { ...viewOf(deps, unchanged), changed: [] };
  if (!written) throw new NotFoundError(`${incident.key} has no postmortem`);
  const postmortem = written.after;
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: `postmortem-v${postmortem.version}`,
    at: postmortem.updatedAt,
    kind: 'postmortem.edited',
    actor: input.by,
    text: `Postmortem version ${postmortem.version} saved by ${input.by}: ${changed.join(', ')}.`,
    data: { version: postmortem.version, changed },
  });
  // A new owner is told, with their own editor link (the link follows the owner: the old one's keeps working
  // until it expires, recorded as theirs).
  if (changed.includes('owner') && isEmailAddress(postmortem.owner)) {
    const editorUrl = await editorUrlFor(deps, incident, postmortem);
    await sendOnce(deps, {
      incidentId: incident.id,
      incidentKey: incident.key,
      kind: 'postmortem-owner',
      sequence: postmortem.version,
      recipients: [postmortem.owner],
      message: (viewUrl) => postmortemOpenedEmail({ incident, postmortem, editorUrl, viewUrl }),
      timelineKind: 'postmortem.opened',
      timelineText: `${postmortem.owner} now owns the postmortem (named by ${input.by}): mailed their editor link.`,
      now: deps.now,
    });
  }
  return { ...viewOf(deps, postmortem), changed };
}

export async function listPostmortems(deps: PostmortemDeps, query: PostmortemQuery) {
  const postmortems = await deps.postmortems.list(query);
  return postmortems.map((p) => ({
    key: p.key,
    status: p.status,
    service: p.service,
    severity: p.severity,
    owner: p.owner,
    ownerTeam: p.ownerTeam,
    due: p.due,
    overdue: p.due < query.now.toISOString() && (EDITABLE as readonly string[]).includes(p.status),
    version: p.version,
    updatedAt: p.updatedAt,
  }));
}

/** What the postmortem's wait in the workflow plans: the next reminder, or a long wait without one. */
export interface PostmortemPlan {
  reminder: PostmortemReminder | 'none';
  waitSeconds: number;
}

/** A postmortem wait with no reminder ahead: a long wait that comes round again. */
export const quietly = (): PostmortemPlan => ({ reminder: 'none', waitSeconds: IDLE_WAIT_SECONDS });

/** Workflow step: opens the postmortem (idempotent) and plans its first reminder. */
export async function openPostmortemStep(
  deps: PostmortemDeps,
  input: { incidentId: string; key: string },
): Promise<PostmortemPlan> {
  const { postmortem } = await openPostmortem(deps, { incidentId: input.incidentId, by: 'hotline' });
  return nextReminder(postmortem.due, deps.now()) ?? quietly();
}

/**
 * Workflow step: the wait ran out at a reminder's time. A draft's owner is reminded the day before and at the
 * due time (with a fresh editor link); a day after, the service's approvers are told it is overdue. Once each.
 */
export async function remindPostmortem(
  deps: PostmortemDeps,
  input: { incidentId: string; key: string; reminder: PostmortemReminder | 'none' },
): Promise<PostmortemPlan> {
  const incident = await incidentOrThrow(deps, input);
  const postmortem = await postmortemOrThrow(deps, incident);
  if (input.reminder === 'none') return quietly();
  if (postmortem.status === 'draft') {
    if (input.reminder === 'overdue') {
      const service = serviceOf(deps.organisation, postmortem.service);
      const approvers = [...new Set([...service.approvers.mandatory, ...service.approvers.optional])];
      await sendOnce(deps, {
        incidentId: incident.id,
        incidentKey: incident.key,
        kind: 'postmortem-overdue',
        sequence: 1,
        recipients: approvers,
        message: (viewUrl) => postmortemOverdueEmail({ incident, postmortem, viewUrl }),
        timelineKind: 'postmortem.reminded',
        timelineText: `The postmortem is overdue (due ${postmortem.due}): told its approvers ${approvers.join(', ')}.`,
        now: deps.now,
      });
    } else {
      const editorUrl = await editorUrlFor(deps, incident, postmortem);
      const when = input.reminder;
      await sendOnce(deps, {
        incidentId: incident.id,
        incidentKey: incident.key,
        kind: 'postmortem-reminder',
        sequence: when === 'before' ? 1 : 2,
        recipients: [postmortem.owner],
        message: (viewUrl) => postmortemReminderEmail({ incident, postmortem, editorUrl, viewUrl, when }),
        timelineKind: 'postmortem.reminded',
        timelineText:
          when === 'before'
            ? `Reminded ${postmortem.owner}: the postmortem is due tomorrow.`
            : `Reminded ${postmortem.owner}: the postmortem is due now.`,
        now: deps.now,
      });
    }
  }
  return reminderAfter(postmortem.due, input.reminder) ?? quietly();
}
