import type { TrackedAction } from '../core/actions.ts';
import type { AlertCounts, StoredAlert } from '../core/alert.ts';
import type { ApprovalDecision } from '../core/approvals.ts';
import type { ChannelFacts, ChannelHealthRecord, SpendLimitHits } from '../core/channel-health.ts';
import type { EmailMessage } from '../core/comms.ts';
import type { HeartbeatRecord } from '../core/heartbeats.ts';
import type { Incident, IncidentStatus } from '../core/incident.ts';
import type { MailTags } from '../core/mail-tags.ts';
import type { HandoffNotice } from '../core/oncall-handoffs.ts';
import type { StoredOverride } from '../core/oncall-overrides.ts';
import type { Postmortem, PostmortemStatus, PostmortemVersion, VersionSummary } from '../core/postmortem.ts';
import type { DocumentRendering, DocumentVersion, RenderedSections } from '../core/postmortem-document.ts';
import type { SloReport } from '../core/report.ts';
import type { StatusEntry, StatusUpdate } from '../core/status-page.ts';
import type { SweepName, SweepRun } from '../core/sweeps.ts';
import type { TestPageRecord } from '../core/test-pages.ts';
import type { TimelineEntry } from '../core/timeline.ts';
import type { ResumeOutput } from '../core/workflow-resume.ts';

/**
 * The narrow interfaces the use cases are written against, one per aggregate. The DynamoDB adapters implement
 * them (functions/adapters/*-repository.ts); no use case sees a table, a key or a condition expression. Every
 * create is conditional on absence and every state change on the state it leaves: the methods say which by
 * answering false or undefined when their condition did not hold.
 */

/** The dedup pointer of an alert group: which incident it feeds and who is opening it. */
export interface AlertGroupRecord {
  source: string;
  /** The state each alert of the group's incident has recorded (fingerprint -> state marker). */
  states?: Record<string, string>;
  /** When each alert was last delivered (fingerprint -> time): repeats only move this. */
  seen?: Record<string, string>;
  groupKey: string;
  incidentId: string;
  /** opening: a request holds the lease and is creating the incident; closed: its incident was resolved. */
  state: 'opening' | 'open' | 'closed';
  /** The resolved incident this group's current one recurs after. */
  previousIncidentId?: string;
  previousKey?: string;
  claimedAt: string;
  leaseOwner?: string;
  leaseUntil?: string;
  number?: number;
  incidentKey?: string;
}

/** One alert's state as the group remembers it. */
export interface AlertMarker {
  fingerprint: string;
  marker: string;
}

export interface LinkUse {
  linkId: string;
  incidentId: string;
  action: string;
  recipient: string;
  usedAt: string;
  /** 'pending' while the decision is being made (see use-cases/links.ts), then what the decision did. */
  outcome: string;
  /** Which attempt holds a pending use: only it may complete or release the use. */
  attempt?: string;
  completedAt?: string;
}

export interface CommsRecord {
  incidentId: string;
  kind: string;
  sequence: number;
  status: 'sending' | 'sent';
  recipients: string[];
  subject: string;
  startedAt: string;
  sentAt?: string;
  messageId?: string;
}

export interface IncidentView {
  incident: Incident;
  timeline: TimelineEntry[];
  alerts: StoredAlert[];
  comms: CommsRecord[];
}

/** `open` is every status but resolved. */
export type StatusFilter = IncidentStatus | 'open';

export interface ListQuery {
  service?: string;
  status?: StatusFilter;
  severity?: number;
  from?: string;
  to?: string;
  limit: number;
  cursor?: Record<string, unknown>;
}

/** Attributes a change may be made conditional on (equal to the value; null: absent). */
type Expectable =
  | 'severity'
  | 'updateCount'
  | 'nextUpdateDue'
  | 'waitsExecution'
  | 'measuresCorrectedAt'
  | 'alertsClearedAt'
  | 'commsBounceWrites';

/** A change to an incident: one conditional write. */
export interface IncidentChange {
  set?: Partial<Omit<Incident, 'id' | 'key'>>;
  remove?: (keyof Incident)[];
  /** Only from one of these states (every state change names the states it leaves). */
  statusIn?: readonly IncidentStatus[];
  /** Only while these attributes hold these values. */
  expect?: { [K in Expectable]?: Incident[K] | null };
  /** Adds one to this counter (which must exist: make it conditional on what sets it). */
  increment?: 'waitsCount';
}

export interface IncidentStore {
  /** Creates the incident; an identical retry leaves the first one as it is (false). */
  create(incident: Incident): Promise<boolean>;
  get(incidentId: string): Promise<Incident | undefined>;
  idForKey(key: string): Promise<string | undefined>;
  byKey(key: string): Promise<Incident | undefined>;
  /** Points a human key at its incident; a retry that points it at the same incident is fine. */
  putKey(key: string, incidentId: string): Promise<void>;
  /** The incident after the change, or undefined when it does not exist or a condition did not hold. */
  change(incidentId: string, change: IncidentChange): Promise<Incident | undefined>;
  /** Appends a timeline entry; the same event id at the same time is written once. */
  appendTimeline(entry: TimelineEntry): Promise<void>;
  /** The incident with everything recorded on it (one Query of its partition). */
  view(incidentId: string): Promise<IncidentView | undefined>;
  /** Newest first, by service when given. */
  list(query: ListQuery): Promise<{ incidents: Incident[]; cursor?: Record<string, unknown> }>;
  /** Incidents whose workflow start is not recorded, opened at or before `openedBefore`, oldest first. */
  awaitingWorkflow(openedBefore: string, limit: number): Promise<Incident[]>;
  /** Records that the incident's workflow runs: it leaves the list above. */
  markWorkflowStarted(incidentId: string, executionArn: string, at: string): Promise<void>;
}

/** A group's alert states (markers) as one write found them and as it left them. */
export interface RememberedStates {
  before: string[];
  after: string[];
}

export interface AlertGroupStore {
  get(source: string, groupKey: string): Promise<AlertGroupRecord | undefined>;
  /** Claims a new group for a new incident. False when another request claimed it first. */
  claim(record: AlertGroupRecord): Promise<boolean>;
  /** Claims a group whose incident was resolved for a recurrence. False when another request did first. */
  reclaimClosed(closed: AlertGroupRecord, claim: AlertGroupRecord): Promise<boolean>;
  /**
   * Remembers the states the group's incident recorded (and when each alert was seen); answers every state the
   * group held just before the write and holds after it, or undefined when the group moved on to another incident.
   */
  rememberStates(
    source: string,
    groupKey: string,
    incidentId: string,
    alerts: readonly AlertMarker[],
    seenAt: string,
  ): Promise<RememberedStates | undefined>;
  /** An incident's alert counts, from its group (undefined without alerts, or once the group moved on). */
  countsOf(incident: Pick<Incident, 'id' | 'source' | 'groupKey'>): Promise<AlertCounts | undefined>;
  /** Marks a group's incident resolved: the group's next firing alert opens a new incident. */
  close(source: string, groupKey: string, incidentId: string): Promise<boolean>;
  /** Takes over the opening of a group whose lease expired (its opener died). */
  takeOverLease(
    source: string,
    groupKey: string,
    owner: string,
    now: string,
    until: string,
  ): Promise<boolean>;
  /** Gives up an opener's lease after a failure (only the holder, only while opening). */
  releaseLease(source: string, groupKey: string, owner: string): Promise<void>;
  /** The next incident number for `owner`; a retried count answers the same number. */
  nextIncidentNumber(owner: string): Promise<number>;
  /** Records the number on the group, once, and only by the lease holder. */
  assignNumber(
    source: string,
    groupKey: string,
    owner: string,
    number: number,
    key: string,
  ): Promise<boolean>;
  /** Ends an opening: open, lease gone, with the states its incident recorded. */
  markOpen(
    source: string,
    groupKey: string,
    incidentId: string,
    alerts: readonly AlertMarker[],
    seenAt: string,
  ): Promise<void>;
}

/**
 * Sender-assigned delivery ids (replay protection). A claim is one conditional write: it holds the id while the
 * delivery is processed, so two copies of one delivery cannot both pass; a failed delivery gives the id back
 * (its sender retries), a crashed one's claim lapses after its lease, a processed one is kept for a day.
 */
export interface DeliveryStore {
  claim(source: string, deliveryId: string, owner: string, now: Date): Promise<boolean>;
  complete(source: string, deliveryId: string, owner: string, now: Date): Promise<void>;
  release(source: string, deliveryId: string, owner: string): Promise<void>;
}

/** A leased claim's terms (the one "do this once" protocol, functions/adapters/table.ts `claim`). */
export interface ClaimTerms {
  /** Unique per attempt: only this owner completes or releases the claim. */
  owner: string;
  now: Date;
  /** How long the claim keeps other attempts out; after it, the work is taken over (its holder died). */
  leaseMs: number;
}

/** What a claim found: this attempt holds it (`claimed`, or `taken-over` from a holder that died), or not. */
export type ClaimOf<T> =
  | { state: 'claimed' | 'taken-over' }
  | { state: 'done'; record: T }
  | { state: 'held'; record: T };

export interface LinkUseStore {
  /** Claims the link's single use for `use.attempt` (leased), recorded as `pending` until completed. */
  claim(use: LinkUse, leaseMs: number): Promise<ClaimOf<LinkUse>>;
  get(linkId: string): Promise<LinkUse | undefined>;
  /** Records what a pending use decided. False when the attempt no longer holds the use. */
  complete(linkId: string, attempt: string, outcome: string, at: string): Promise<boolean>;
  /** Gives a pending use back (its attempt failed): the link can be used again. */
  release(linkId: string, attempt: string): Promise<boolean>;
}

/** A send as claimed: `done` is a send already made (send nothing), `held` one another attempt is making. */
export type SendClaim = ClaimOf<CommsRecord>;

export interface CommsStore {
  /** Claims a send (leased): send only when this attempt holds it. */
  claim(record: CommsRecord, terms: ClaimTerms): Promise<SendClaim>;
  /** Records the send as made (status `sent`, its message id and time). */
  complete(
    incidentId: string,
    kind: string,
    sequence: number,
    owner: string,
    messageId: string,
    at: string,
  ): Promise<void>;
  /** Ends the lease of a send that failed, so a retry sends at once. */
  release(incidentId: string, kind: string, sequence: number, owner: string): Promise<void>;
  /** One send's record (a consistent GetItem), e.g. for a delivery event that names it. */
  get(incidentId: string, kind: string, sequence: number): Promise<CommsRecord | undefined>;
}

/** Every store, as the handlers build them. */
export interface Stores {
  incidents: IncidentStore;
  groups: AlertGroupStore;
  deliveries: DeliveryStore;
  links: LinkUseStore;
  comms: CommsStore;
  statusPage: StatusPageStore;
  postmortems: PostmortemStore;
  actions: ActionStore;
  reports: ReportStore;
  sweeps: SweepRunStore;
  heartbeats: HeartbeatStore;
  channelHealth: ChannelHealthStore;
  overrides: OverrideStore;
  pageCodes: PageCodeStore;
  pageCounts: PageCountStore;
  testPages: TestPageStore;
}

/** What the action lists filter by (`GET /actions`). */
export interface ActionQuery {
  status: 'open' | 'done';
  kind?: 'priority' | 'improvement';
  ownerTeam?: string;
  service?: string;
  /** Open ones past their due date (a key condition on the due date). */
  overdue?: boolean;
  /** Open ones due before this time (a key condition on the due date). */
  dueBefore?: string;
  now: Date;
  limit: number;
}

/** What completing an action records. */
export interface ActionDone {
  doneAt: string;
  doneBy: string;
  trackerUrl?: string;
  note?: string;
}

/**
 * Postmortem actions followed after approval: one item per action, on a sparse index of open actions by due
 * date (and one of done actions by completion time).
 */
export interface ActionStore {
  /** Writes each action's item once (a retried approval leaves the first ones as they are). */
  track(actions: readonly TrackedAction[]): Promise<void>;
  get(actionId: string): Promise<TrackedAction | undefined>;
  /** Marks an open action done; undefined when it does not exist or is no longer open. */
  complete(actionId: string, done: ActionDone): Promise<TrackedAction | undefined>;
  /** One Query of the open (or done) partition, filtered. */
  list(query: ActionQuery): Promise<TrackedAction[]>;
  /** Open actions due in [from, to) (those without a due date never), earliest first, over every page. */
  openDueBetween(from: string, to: string): Promise<TrackedAction[]>;
  /** Records a reminder of an open action as sent; false when it already was (or the action is done). */
  markReminded(actionId: string, reminder: string): Promise<boolean>;
}

/** The scheduled sweeps' last completed runs (one item per sweep). */
/** Heartbeats' last seen (written by ingest) and their silences (the sweep's), one item each (core/heartbeats.ts). */
/** The last channel check's result (`keys.channelHealth`): one item, each write conditional on the one it replaces. */
export interface ChannelHealthStore {
  get(): Promise<ChannelHealthRecord | undefined>;
  /** Replaces the record checked at `previousCheckedAt` (none: creates it); false when another run came first. */
  replace(record: ChannelHealthRecord, previousCheckedAt: string | undefined): Promise<boolean>;
  /** Clears what was told (the operators' mail, a handoff notice) from the record checked at `checkedAt`. */
  told(checkedAt: string, what: { operators?: boolean; handoff?: string }): Promise<void>;
  /** The latest text and call refused for the monthly spend limit. */
  spendLimitHits(): Promise<SpendLimitHits>;
  /** Records a refusal for the spend limit (the sender's: the latest per channel). */
  noteSpendLimitHit(channel: 'sms' | 'voice', at: string): Promise<void>;
  /** Stamps the limit in force on the hit recorded at `at`, or removes it (`undefined`); nothing if it changed. */
  settleSpendLimitHit(channel: 'sms' | 'voice', at: string, limitUsd: number | undefined): Promise<void>;
}

/**
 * The notices to people taking over a schedule (core/oncall-handoffs.ts), once per schedule, handoff instant and
 * person, on the leased claim: claimed before the mail, completed after it, released when it failed.
 */
export interface HandoffNoticeStore {
  claimHandoffNotice(notice: HandoffNotice, terms: ClaimTerms): Promise<ClaimOf<HandoffNotice>>;
  completeHandoffNotice(notice: HandoffNotice, owner: string, sentAt: string): Promise<boolean>;
  releaseHandoffNotice(notice: HandoffNotice, owner: string): Promise<boolean>;
}

/** Reads what AWS says about the channels: the suppression list, the opt-out list, the accounts' state. */
export interface ChannelFactsReader {
  read(addresses: readonly string[], numbers: readonly string[]): Promise<ChannelFacts>;
}

export interface HeartbeatStore {
  get(id: string): Promise<HeartbeatRecord | undefined>;
  /**
   * Records a beat at `at` (creating the item alive on the first): false, and nothing written, when it was
   * already seen at or after `at` less HEARTBEAT_PRECISION_MS (a duplicate, or a repeat of the last moments),
   * unless it is silent (then any later beat is its return).
   */
  beat(id: string, source: string, at: string): Promise<boolean>;
  /** Alive and last seen at `lastSeenAt` -> silent since then; false when another run (or a beat) came first. */
  markSilent(id: string, lastSeenAt: string, silentAt: string): Promise<boolean>;
  /** Records the incident a silence paged through; false when the heartbeat is no longer in that silence. */
  recordIncident(id: string, silentSince: string, incident: { id: string; key: string }): Promise<boolean>;
  /** Silent since `silentSince` -> alive again; false when it no longer is in that silence. */
  markBack(id: string, silentSince: string, backAt: string): Promise<boolean>;
}

export interface SweepRunStore {
  lastRun(sweep: SweepName): Promise<SweepRun | undefined>;
  /** Records a completed run; false (and nothing written) when a later run is recorded already. */
  recordRun(run: SweepRun): Promise<boolean>;
}

/** Each person's last test page (`keys.testPage`): one item per person, each write conditional. */
export interface TestPageStore {
  get(personId: string): Promise<TestPageRecord | undefined>;
  /**
   * Starts a test page (status `sending`) unless the last one began after `cutoff` and did not fail: false, and
   * nothing written, when one is that recent (two concurrent requests: one wins).
   */
  claim(record: TestPageRecord, cutoff: string): Promise<boolean>;
  /** Records how the test page started at `record.at` ended (`sent` or `failed`); false when it is no longer the last. */
  finish(record: TestPageRecord): Promise<boolean>;
}

/** Overrides of the schedules' rotations, kept after their end (a removed one is marked, not deleted). */
export interface OverrideStore {
  /** Creates it once: false when its id is taken (read it with `get` to compare). */
  create(override: StoredOverride): Promise<boolean>;
  get(scheduleId: string, overrideId: string): Promise<StoredOverride | undefined>;
  /** The schedule's overrides not removed that overlap `[from, to)`: one Query on their end, never a Scan. */
  touching(scheduleId: string, from: Date, to: Date): Promise<StoredOverride[]>;
  /** Marks it removed while it exists, is not removed and has not ended by `at`; the record, or undefined. */
  remove(scheduleId: string, overrideId: string, by: string, at: Date): Promise<StoredOverride | undefined>;
}

/** What a comms round publishes to the status page: public fields only. */
export interface StatusPublication {
  incidentId: string;
  openedAt: string;
  products: string[];
  update: StatusUpdate;
  /** Given by the final round: the entry is resolved from then on (and never reopened by a late retry). */
  resolvedAt?: string;
}

/**
 * The status page's public projection of each incident: one item per incident holding only what the page
 * shows, so nothing internal can reach it.
 */
export interface StatusPageStore {
  /** Adds the update to the incident's entry (creating it); an update id already recorded is kept as it is. */
  publish(publication: StatusPublication): Promise<void>;
  /** Every open entry and those resolved in the last days (one Query, no Scan). */
  current(now: Date): Promise<StatusEntry[]>;
}

/** What the postmortem lists filter by (`GET /postmortems`). */
export interface PostmortemQuery {
  status?: PostmortemStatus;
  service?: string;
  /** Only those past their due date and not yet approved. */
  overdue?: boolean;
  now: Date;
  limit: number;
}

/**
 * Postmortems: one per incident, with every saved version kept. Each save is conditional on the version it
 * edits, so two editors cannot overwrite each other: the second is told its version is stale.
 */
export interface PostmortemStore {
  /** Creates the postmortem and its first version; false when the incident already has one. */
  create(postmortem: Postmortem): Promise<boolean>;
  get(incidentId: string): Promise<Postmortem | undefined>;
  /**
   * Changes the postmortem under its optimistic lock, which counts every write (the content `version` counts
   * edits only): reads it, applies `change` to what it read (undefined: nothing to write), and writes on the
   * lock it read. A write in between (any write: an edit, a decision's outcome, an action marked done) makes it
   * read and apply `change` again, so no write is lost; after a few such rounds it throws (a retryable 5xx).
   * Answers what it read and what it wrote; undefined when there is no postmortem or `change` declined.
   */
  update(
    incidentId: string,
    change: (current: Postmortem) => PostmortemWrite | undefined,
  ): Promise<{ before: Postmortem; after: Postmortem } | undefined>;
  /** Records an approver's decision on one content, once: undefined when recorded now, else the earlier one. */
  recordDecision(incidentId: string, decision: ApprovalDecision): Promise<ApprovalDecision | undefined>;
  decisions(incidentId: string): Promise<ApprovalDecision[]>;
  putDocument(incidentId: string, document: PublishedDocument): Promise<void>;
  getDocument(incidentId: string): Promise<PublishedDocument | undefined>;
  /** Keeps the HTML of one content's sections, both versions (once: a second put changes nothing). */
  putRendering(incidentId: string, rendering: DocumentRendering): Promise<void>;
  /** The kept HTML of one content's sections in one version; undefined when it was never rendered. */
  rendering(
    incidentId: string,
    contentHash: string,
    version: DocumentVersion,
  ): Promise<RenderedSections | undefined>;
  /** Who saved each version, when, and what changed, oldest first: a projection (the content is not read). */
  history(incidentId: string): Promise<VersionSummary[]>;
  /** One saved version, whole (the base a stale edit is merged against). */
  version(incidentId: string, version: number): Promise<PostmortemVersion | undefined>;
  list(query: PostmortemQuery): Promise<Postmortem[]>;
  /** The workflow's task token the postmortem's waits keep (server side only), and which wait kept it. */
  taskTokenOf(incidentId: string): Promise<KeptToken | undefined>;
  /**
   * Keeps the workflow's task token on the postmortem (server side only), with the wait that keeps it, and,
   * given the waiting execution's name, counts the wait (`waitsCount`, from 1 again in a new execution).
   * Answers the postmortem as it is now; undefined when there is no postmortem.
   */
  keepTaskToken(
    incidentId: string,
    token: string,
    options?: { execution?: string | undefined; wait?: PostmortemWait },
  ): Promise<{ postmortem: Postmortem; waits: number } | undefined>;
  /** Records a reminder as sent (its kind and the time it was about); false when already recorded. */
  markReminded(incidentId: string, reminder: string): Promise<boolean>;
}

/** A write of the postmortem: the postmortem as it is to be, and the content version record an edit adds. */
export interface PostmortemWrite {
  postmortem: Postmortem;
  version?: PostmortemVersion;
}

/** The workflow's two postmortem waits: for the approval request (a draft), and for the approvers' outcome. */
export type PostmortemWait = 'postmortem' | 'approval';

/** A kept task token and the wait it resumes (absent on a token kept by 0.1.0). */
export interface KeptToken {
  token: string;
  wait?: PostmortemWait;
}

/** The published postmortem, as stored at publication. */
export interface PublishedDocument {
  key: string;
  markdown: string;
  /** Written by 0.1.0 only: the page renders the Markdown when read. */
  html?: string;
  publishedAt: string;
  contentHash: string;
}

/** A report run as recorded: one per period, scope and recipient set. */
export interface ReportRun {
  from: string;
  to: string;
  recipients: string[];
  /** Which report: `org`, `department:<name>` or `service:<id>`. */
  scope: string;
  startedAt: string;
  sentAt?: string;
  messageId?: string;
}

/** An on-demand SLO report run (`POST /reports/slo` of a long period): what was asked, and what came of it. */
export interface ReportJob {
  runId: string;
  request: { from: string; to: string; service?: string; department?: string };
  mail: boolean;
  requestedAt: string;
  status: 'queued' | 'done' | 'failed';
  /** When the run ended (done or failed). */
  completedAt?: string;
  /** Done: the report (stored compressed, in parts), and its mailing when it was asked for. */
  report?: SloReport;
  mailing?: { scope: string; recipients: string[]; status: string; messageId?: string };
  /** Failed: what went wrong (a run killed by a timeout or out of memory records nothing: its lease lapses). */
  error?: string;
  /** While a run holds it: until when (from the claim). */
  runningUntil?: string;
}

export type ReportJobOutcome =
  | { status: 'done'; completedAt: string; report: SloReport; mailing?: ReportJob['mailing'] }
  | { status: 'failed'; completedAt: string; error: string };

/**
 * What the SLO report reads, as streams of Query pages (a year's report must not hold every item), and its
 * runs. Incidents are read by `openedAt` (`to` exclusive); postmortems by status; actions open or done.
 */
export interface ReportStore {
  /** Incidents opened in [from, to), page by page (of one service on its index when `service` is given). */
  incidentsOpened(from: string, to: string, service?: string): AsyncIterable<Incident[]>;
  /** Postmortems of a status, page by page; `dueFrom`/`dueTo` bound the due date (a key condition) when given. */
  postmortems(status: PostmortemStatus, due?: { from?: string; to?: string }): AsyncIterable<Postmortem[]>;
  /** Open actions (all), or done actions completed at or after `doneFrom`, page by page. */
  actions(status: 'open' | 'done', doneFrom?: string): AsyncIterable<TrackedAction[]>;
  /**
   * Records an on-demand run answered later (`GET /reports/slo/{runId}`), queued: undefined when this call
   * recorded it, else the run already recorded under its id (a retry whose first reply was lost finds its own).
   */
  createJob(job: ReportJob): Promise<ReportJob | undefined>;
  /** The run as it is now, with its result once done (a consistent read; changes nothing). */
  getJob(runId: string): Promise<ReportJob | undefined>;
  /** Claims the run (leased) for the attempt that builds it. */
  claimJob(runId: string, terms: ClaimTerms): Promise<ClaimOf<ReportJob>>;
  /** Records the run's outcome (done or failed, with the report and mailing); false when no longer held. */
  completeJob(runId: string, owner: string, outcome: ReportJobOutcome): Promise<boolean>;
  /** Claims a run (leased) for its period, scope and recipients. */
  claimRun(run: ReportRun, terms: ClaimTerms): Promise<ClaimOf<ReportRun>>;
  /** Records the run's mail as sent; false when the attempt no longer held it. */
  completeRun(run: ReportRun, owner: string, messageId: string, sentAt: string): Promise<boolean>;
  /** Forgets a run whose mail failed, so the next attempt sends it. */
  abandonRun(run: ReportRun, owner: string): Promise<void>;
}

/** Sends a mail (simple content: a text and an HTML part). */
export interface Mailer {
  /** `tags` name the incident mail (core/mail-events.ts): its delivery events carry them back. */
  send(to: readonly string[], message: EmailMessage, tags?: MailTags): Promise<{ messageId: string }>;
}

/** A file attached to a mail (text content: the report's CSV files). */
export interface Attachment {
  filename: string;
  contentType: string;
  content: string;
}

/** Sends a mail with attachments, as raw MIME (SES's simple content carries none). */
export interface AttachmentMailer {
  sendWithAttachments(
    to: readonly string[],
    message: EmailMessage,
    attachments: readonly Attachment[],
  ): Promise<{ messageId: string }>;
}

/** What an execution of the workflow starts with. */
export interface WorkflowInput {
  incidentId: string;
  key: string;
  /**
   * Where the execution begins: absent for an incident's own, `postmortem` for a postmortem started alone,
   * `continue` for one that picks the incident up from an execution that waited long enough.
   */
  phase?: 'postmortem' | 'continue';
  /** The execution's name when it is not the phase's (`HOT-12-2`, see core/executions.ts). */
  name?: string;
}

export interface WorkflowStarter {
  /** Starts the incident's execution, named after its key. Idempotent: a second call starts nothing. */
  start(input: WorkflowInput): Promise<{ executionArn: string; alreadyStarted: boolean }>;
}

/** Finds the execution an incident has. */
export interface WorkflowExecutions {
  /** The incident's execution, if one was started (whatever its status now). */
  find(input: WorkflowInput): Promise<{ executionArn: string; status: string } | undefined>;
}

export interface WorkflowCallback {
  /**
   * Resumes a waiting task with one of the payloads of core/workflow-resume.ts. False when the token is no longer
   * waiting (already resumed, timed out, or its execution ended): the caller's change is recorded either way, and
   * the workflow reads it when it next looks.
   */
  resume(taskToken: string, output: ResumeOutput): Promise<boolean>;
}

/**
 * Sends a page by SMS or voice (AWS End User Messaging SMS and Voice). `to` is E.164. `context` goes to the
 * configuration set's delivery events (at most 5 entries, e.g. the incident key and the page id). Fails with
 * PageRefusedError (core/pages-sms.ts) when the service refuses the page for good (an opted-out number, an
 * invalid destination, no permission), and with RetryableError when it stayed unavailable through the retries.
 */
export interface PagerSender {
  /** One SMS: the body from smsPageText (core/pages-sms.ts). */
  sendText(to: string, body: string, context: PageContext): Promise<{ messageId: string }>;
  /** A voice call reading the text from voicePageText (core/pages-sms.ts). */
  sendVoice(to: string, text: string, context: PageContext): Promise<{ messageId: string }>;
}

/** What a page's delivery events carry back: string values, at most 5 entries (AWS's limit). */
export type PageContext = Readonly<Record<string, string>>;

/** A page's acknowledgement code, as kept (keys.ts `pageCode`). */
export interface PageCode {
  code: string;
  incidentId: string;
  key: string;
  /** The paged person (people id) and their address: who acknowledges by replying. */
  personId: string;
  address: string;
  /** E.164: the number the code was texted to; a reply from another number is ignored. */
  phone: string;
  /** UTC ISO: when it was sent, and until when a reply with it counts. */
  createdAt: string;
  expiresAt: string;
}

/** One page by phone, counted in its person's hour on its channel (core/page-storm.ts). */
export interface PageCountEntry {
  personId: string;
  channel: 'sms' | 'voice';
  /** The hour's start and end (UTC ISO): the counter's name, and when it may go. */
  hourStart: string;
  hourEnd: string;
  /** The page (incident, channel and sequence): counted once however often its step is retried. */
  pageId: string;
  /** Places kept by page (the limit and the summary): a retried page among them answers its own place again. */
  keep: number;
}

/** Pages by phone per person, channel and hour: an atomic counter, exact under concurrent pages. */
export interface PageCountStore {
  /** Counts the page (once) and answers its place in the hour: 1 for the first. */
  count(entry: PageCountEntry): Promise<number>;
}

/** Acknowledgement codes of pages sent by SMS or voice. */
export interface PageCodeStore {
  /** Keeps a new code once: false when the code is in use (draw another). */
  create(code: PageCode): Promise<boolean>;
  /** The code as kept, while it has not expired. */
  get(code: string, now: Date): Promise<PageCode | undefined>;
}
