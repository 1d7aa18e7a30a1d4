/**
 * The postmortem, as the handbook's template has it: what happened (summary, leadup, fault, impact, detection,
 * response, recovery, timeline), why (Five Whys, root cause and its category, backlog check, recurrence), what
 * we learnt, and the actions that fix the root cause (priority) or improve things (improvement). Pure data and
 * rules: the pre-fill is in postmortem-prefill.ts, the checks in postmortem-checks.ts.
 */

export const postmortemStatuses = ['draft', 'in-review', 'approved', 'published'] as const;
export type PostmortemStatus = (typeof postmortemStatuses)[number];

export const rootCauseCategories = [
  'bug',
  'change',
  'scale',
  'architecture',
  'dependency',
  'unknown',
] as const;
export type RootCauseCategory = (typeof rootCauseCategories)[number];

export const actionKinds = ['priority', 'improvement'] as const;
export type ActionKind = (typeof actionKinds)[number];

export const actionCategories = [
  'investigate',
  'mitigate',
  'repair',
  'detect',
  'mitigate-future',
  'prevent-future',
] as const;
export type ActionCategory = (typeof actionCategories)[number];

export interface TimelineRow {
  /** UTC ISO-8601. */
  at: string;
  text: string;
}

/** The template's fields: text a person writes (pre-filled from what the system knows where it can be). */
export interface PostmortemFields {
  summary: string;
  leadup: string;
  fault: string;
  impact: string;
  detection: string;
  response: string;
  recovery: string;
  timeline: TimelineRow[];
  fiveWhys: string[];
  rootCause: string;
  rootCauseCategory?: RootCauseCategory;
  backlogCheck: string;
  recurrence: { text: string; relatedIncidents: string[] };
  lessons: { wentWell: string; couldBeBetter: string; gotLucky: string };
  /**
   * What customers are told when the postmortem is published, in external wording (no internal names, systems
   * or links): shown on the status page and its feeds. Absent on postmortems saved before it existed (read as '').
   */
  externalSummary: string;
}

/** The text fields of the template, in the template's order (pages, Markdown, checks walk them in it). */
export const textFields = [
  'summary',
  'leadup',
  'fault',
  'impact',
  'detection',
  'response',
  'recovery',
  'rootCause',
  'backlogCheck',
  'externalSummary',
] as const;
export type TextField = (typeof textFields)[number];

export interface PostmortemAction {
  /** ULID, stable across edits. */
  id: string;
  title: string;
  kind: ActionKind;
  category: ActionCategory;
  ownerTeam: string;
  /** Where the work is tracked (an issue tracker's URL), http(s) only. */
  trackerUrl?: string;
  /** The person who does it (an address or a name), besides the team that owns it. */
  owner?: string;
  /**
   * Priority actions: due from the owning service's SLO (4 or 8 weeks), fixed at approval. An improvement action
   * may carry a due date of its own (set in the editor, the CLI or the API).
   */
  dueAt?: string;
  /** True until the postmortem is approved: the due date is what it would be if approved now. */
  dueProvisional?: boolean;
  status: 'open' | 'done';
  doneAt?: string;
  doneBy?: string;
}

/** The handbook's measures of the incident, fixed when the postmortem opens. */
export interface PostmortemMetrics {
  minutesOfImpact?: number;
  timeToDetectMinutes?: number;
  timeToAcknowledgeMinutes?: number;
  timeToRecoverMinutes?: number;
}

export interface Check {
  /** Stable code, e.g. `field-empty`, `root-cause-category`, `priority-action`, `action-not-actionable`. */
  code: string;
  /** Where: a field name, `actions[2].title`... */
  field?: string;
  /** As the handbook words it. */
  message: string;
}

export interface PostmortemChecks {
  /** Approval cannot be requested while any of these is unmet. */
  blocking: Check[];
  /** Worth fixing; they do not block. */
  warnings: Check[];
}

export interface Approver {
  address: string;
  mandatory: boolean;
}

/** A request for approval: who was asked, on what content. A re-request (after an edit) is a new request. */
export interface ApprovalRequest {
  /**
   * Which request this is, from 1: every request for approval (a first one, one after changes were requested,
   * one after an edit in review) is a new round, even on unchanged content. Decisions, links, mails and the
   * timeline are keyed by it; absent on a request of 0.1.0, which reads as round 1 (`requestRoundOf`).
   */
  requestRound?: number;
  /** UTC ISO-8601 with ms. */
  requestedAt: string;
  requestedBy: string;
  contentHash: string;
  version: number;
  approvers: Approver[];
}

export interface Postmortem {
  /** The incident's key (HOT-42) and id. */
  key: string;
  incidentId: string;
  status: PostmortemStatus;
  /**
   * The content version: +1 per saved edit; an edit names the version it edits. Not the optimistic lock, which
   * counts every write (status, approvers, actions done...) and stays server side (the repository's `update`).
   */
  version: number;
  /** Who writes it: the owner team's address until a person is assigned. */
  owner: string;
  ownerTeam: string;
  service: string;
  severity: number;
  /** 5 business days after resolution, in the service's business hours. */
  due: string;
  openedAt: string;
  updatedAt: string;
  updatedBy: string;
  fields: PostmortemFields;
  actions: PostmortemAction[];
  metrics: PostmortemMetrics;
  /** Fields still as the pre-fill wrote them: pre-filling again may refresh these, never what a person wrote. */
  prefilled: string[];
  /** The current approval request: who is asked, on which content (absent before the first request). */
  approval?: ApprovalRequest;
  /** Approvers an operator added or replaced for this postmortem (the service's list otherwise). */
  approverChanges?: {
    add: { address: string; mandatory: boolean }[];
    replace: { from: string; to: string }[];
  };
  approvedAt?: string;
  publishedAt?: string;
}

/** A saved version: who changed what, when (the record keeps every version). */
export interface PostmortemVersion {
  key: string;
  version: number;
  at: string;
  by: string;
  /** Names of the fields (and `actions`, `owner`) that changed from the version before. */
  changed: string[];
  fields: PostmortemFields;
  actions: PostmortemAction[];
  owner: string;
}

/** What a list of versions shows: who saved which version, when, and what changed (not its content). */
export type VersionSummary = Pick<PostmortemVersion, 'version' | 'at' | 'by' | 'changed'>;

/**
 * Caps of what a person writes, so one field cannot blow up items, pages or mails. Text caps are UTF-8 bytes
 * (`text`, `summary`, `timelineText`, `why`, `actionTitle`); `contentBytes` caps the whole (fields and actions
 * as JSON): the postmortem's item, each version's and the published document (Markdown, up to twice the text
 * with its escaping, plus the approvals and measures) then each stay inside DynamoDB's 400 KB item.
 */
export const postmortemLimits = {
  contentBytes: 150_000,
  text: 10_000,
  summary: 2_000,
  externalSummary: 1_000,
  timelineRows: 200,
  timelineText: 1_000,
  whys: 10,
  why: 1_000,
  actions: 50,
  actionTitle: 300,
  ownerTeam: 100,
  url: 2_048,
  relatedIncidents: 50,
} as const;

export function emptyFields(): PostmortemFields {
  return {
    summary: '',
    leadup: '',
    fault: '',
    impact: '',
    detection: '',
    response: '',
    recovery: '',
    timeline: [],
    fiveWhys: [],
    rootCause: '',
    backlogCheck: '',
    recurrence: { text: '', relatedIncidents: [] },
    lessons: { wentWell: '', couldBeBetter: '', gotLucky: '' },
    externalSummary: '',
  };
}

/** The postmortem's reminders, in order: to the owner a day before and at the due time, then to the approvers. */
export const postmortemReminders = ['before', 'due', 'overdue'] as const;
export type PostmortemReminder = (typeof postmortemReminders)[number];

/** When each reminder is due: a day before, at, and a day after the due time. */
export function reminderTime(due: string, reminder: PostmortemReminder): number {
  const offsets: Record<PostmortemReminder, number> = { before: -86_400_000, due: 0, overdue: 86_400_000 };
  return Date.parse(due) + offsets[reminder];
}

/**
 * The next reminder after `now` and how long until it; undefined when every reminder's time has passed (the
 * workflow then waits without reminding, for the approval request).
 */
export function nextReminder(
  due: string,
  now: Date,
): { reminder: PostmortemReminder; waitSeconds: number } | undefined {
  for (const reminder of postmortemReminders) {
    const at = reminderTime(due, reminder);
    if (at > now.getTime())
      return { reminder, waitSeconds: Math.max(1, Math.ceil((at - now.getTime()) / 1000)) };
  }
  return undefined;
}

/**
 * The reminder after `sent`, timed from when `sent` was due rather than from now: a reminder's wait runs out at
 * its own time (locally, with waits scaled down, long before it), and the next is always one step later.
 */
export function reminderAfter(
  due: string,
  sent: PostmortemReminder,
): { reminder: PostmortemReminder; waitSeconds: number } | undefined {
  const next = postmortemReminders[postmortemReminders.indexOf(sent) + 1];
  if (!next) return undefined;
  return {
    reminder: next,
    waitSeconds: Math.ceil((reminderTime(due, next) - reminderTime(due, sent)) / 1000),
  };
}
