import type { Capability, PortFactory } from '../adapters/capabilities.ts';

/*
 * Every function of the system, by its construct id in the stack, with the handler file it runs and the
 * capabilities its code uses. This table is the one source of each function's environment and IAM grants (the
 * stack binds from it), of the adapters its handler may build (`linkedTo`), and so of what the local target
 * lets it call. No side effects: the stack imports it.
 */

/** API handlers answer within API Gateway's 30 s integration limit; workflow steps may take longer. */
export type FunctionKind = 'api' | 'workflow';

export interface FunctionDeclaration {
  /** File name under `functions/handlers/`, without `.ts`. */
  readonly handlerFile: string;
  readonly kind: FunctionKind;
  readonly uses: readonly Capability[];
  /** Memory (MB; Lambda gives CPU in proportion, 1,769 MB = 1 vCPU): 512 unless measured otherwise. */
  readonly memoryMb?: number;
  /** Timeout (s): the kind's (29 API, 60 workflow) unless the function needs longer. */
  readonly timeoutSeconds?: number;
  /**
   * X-Ray active tracing, on unless turned off here: a trace shows where an HTTP request or a workflow step spent
   * its time, but a sweep that runs every minute or hour and mostly finds nothing would record ~43,000 traces a
   * month that show nothing (its log says what it did).
   */
  readonly tracing?: boolean;
}

export const functionDeclarations = {
  // Opens incidents and starts their executions, wakes the comms loop when every alert resolved, releases a
  // delivery it claimed when processing fails; checks each source's credential.
  IngestAlert: {
    handlerFile: 'ingest-alert',
    kind: 'api',
    uses: [
      'table',
      'table:get',
      'table:write',
      'table:delete',
      'workflow:start',
      'workflow:callback',
      'secrets:alertSources',
    ],
  },
  // Lists incidents by time, or a service's.
  ListIncidents: {
    handlerFile: 'list-incidents',
    kind: 'api',
    uses: ['table', 'table:index:gsi1', 'table:index:gsi2'],
  },
  // The incident with its timeline, alerts and comms (one partition).
  GetIncident: { handlerFile: 'get-incident', kind: 'api', uses: ['table', 'table:get', 'table:query'] },
  DeclareIncident: {
    handlerFile: 'declare-incident',
    kind: 'api',
    uses: ['table', 'table:get', 'table:write', 'workflow:start'],
  },
  // Acknowledge, updates, severity, roles, resolve: comms with signed view links; resumes the waits.
  RespondToIncident: {
    handlerFile: 'respond-to-incident',
    kind: 'api',
    // Queries: a correction of the measures pre-fills a draft postmortem again (the incident's items, and the
    // earlier incidents of its service).
    uses: [
      'table',
      'table:get',
      'table:query',
      'table:index:gsi2',
      'table:write',
      'mail',
      'links',
      'workflow:callback',
    ],
  },
  // Signed links: acknowledgements and approval decisions resume the waits; a change request's comment mails; a
  // failed decision releases the link use it claimed. The service index: the responder page's correction of the
  // measures pre-fills a draft postmortem again. gsi3: the schedules' overrides, for who is on call now and next
  // on the incident pages. The postmortem editor is PostmortemEditor's (an editor link is redirected there).
  LinkDecision: {
    handlerFile: 'handle-link',
    kind: 'api',
    uses: [
      'table',
      'table:get',
      'table:query',
      'table:index:gsi2',
      'table:index:gsi3',
      'table:write',
      'table:delete',
      'mail',
      'links',
      'workflow:callback',
    ],
  },
  // The postmortem owner's editor (GET and POST /links/{token}/edit): reads the postmortem, its versions and
  // decisions (its partition), saves versions; "Ask for approval" and a save in review mail the approvers and
  // resume the postmortem's wait; the correction of the incident's times pre-fills the draft again (the service
  // index); an expired link mails a fresh one to the owner. No link uses, no gsi3, nothing deleted.
  PostmortemEditor: {
    handlerFile: 'postmortem-editor',
    kind: 'api',
    uses: [
      'table',
      'table:get',
      'table:query',
      'table:index:gsi2',
      'table:write',
      'mail',
      'links',
      'workflow:callback',
    ],
  },
  // The public status page: one Query of its entries; names its own URL in the Atom feed.
  StatusPage: {
    handlerFile: 'status-page',
    kind: 'api',
    uses: ['table', 'table:index:gsi3', 'publicBaseUrl'],
  },
  // Opens (a sev 3's postmortem gets an execution of its own; related incidents of the service), edits, lists by
  // status, asks the approvers (mail) and resumes the postmortem wait.
  Postmortems: {
    handlerFile: 'postmortems',
    kind: 'api',
    uses: [
      'table',
      'table:get',
      'table:query',
      'table:index:gsi2',
      'table:index:gsi3',
      'table:write',
      'mail',
      'links',
      'workflow:start',
      'workflow:callback',
    ],
  },
  // Lists actions (the sparse open/done lists), completes one.
  Actions: {
    handlerFile: 'actions',
    kind: 'api',
    uses: ['table', 'table:get', 'table:index:gsi3', 'table:write'],
  },
  // On-call schedules (from the configuration) and their overrides: created once (PutItem on absence), removed
  // by marking (UpdateItem, the record stays), listed by end on the sparse gsi3, read by id.
  OnCall: {
    handlerFile: 'schedules',
    kind: 'api',
    uses: ['table', 'table:get', 'table:index:gsi3', 'table:put', 'table:update'],
  },
  // A schedule's calendar feed (POST /schedules/{id}/feed signs a link; GET and HEAD /links/{token}/calendar.ics
  // answer it): the overrides on the sparse gsi3 and the link keys, nothing else.
  ScheduleFeed: {
    handlerFile: 'schedule-feed',
    kind: 'api',
    uses: ['table', 'table:index:gsi3', 'links'],
  },
  // Test pages (POST and GET /people/{id}/test-page): one message on each of a person's channels, the claim and the
  // record in the person's one item (PutItem, UpdateItem, GetItem). A function of its own so that the schedule
  // routes cannot mail or page. Its mail names no incident, so no link keys: the mail names the deployment that
  // sent it instead (`publicBaseUrl`).
  TestPages: {
    handlerFile: 'test-pages',
    kind: 'api',
    uses: ['table', 'table:get', 'table:write', 'mail', 'publicBaseUrl', 'pager'],
  },
  // The on-demand SLO report over the incident, postmortem and action lists, mailed as raw MIME when asked (each
  // time: no run is recorded); an incident the report names is linked to its page (its id read by key). A long
  // period is recorded as a run (the record is the hand-off: the table's stream starts RunSloReport); its GET
  // reads the run's partition. 1,024 MB: up to 31 days (about a third of the year's reads) is ~8 s at 1,024 MB, ~14 s at 512
  // (scaled from the year's CPU time, below), against API Gateway's 30 s.
  Reports: {
    handlerFile: 'reports',
    kind: 'api',
    uses: [
      'table',
      'table:get',
      'table:query',
      'table:index:gsi1',
      'table:index:gsi2',
      'table:index:gsi3',
      'table:put',
      'mail:raw',
      'links',
    ],
    memoryMb: 1024,
  },
  // Builds an on-demand report of a long period (claimed once per run), mails it when asked, and stores it in the
  // run's partition for GET /reports/slo/{runId}; started by the table's stream for each new run record. Sized from `npm run bench -- report`: the year of the bench's
  // data set (230,000 items) took 11.1 s of CPU here, ~17 s at 1,769 MB (one vCPU; more does not help one
  // thread), ~44 s at 512 MB; 120 s leaves room for slower data and a cold start.
  RunSloReport: {
    handlerFile: 'run-slo-report',
    kind: 'workflow',
    uses: [
      'table',
      'table:get',
      'table:query',
      'table:index:gsi1',
      'table:index:gsi2',
      'table:index:gsi3',
      'table:write',
      'mail:raw',
      'links',
      'reports:runs',
    ],
    memoryMb: 1769,
    timeoutSeconds: 120,
  },
  // Every step: pages and comms with signed links (the postmortem's related incidents of the service); a wait
  // that finds its event already happened resumes itself; an execution that waited enough starts the next.
  WorkflowStep: {
    handlerFile: 'workflow-step',
    kind: 'workflow',
    // gsi3: the overrides of a schedule a tier pages through (who covers now); pager: SMS and voice pages.
    uses: [
      'table',
      'table:get',
      'table:query',
      'table:index:gsi2',
      'table:index:gsi3',
      'table:write',
      'mail',
      'pager',
      'links',
      'workflow:start',
      'workflow:callback',
    ],
  },
  RecordWorkflowFailure: {
    handlerFile: 'record-workflow-failure',
    kind: 'workflow',
    uses: ['table', 'table:get', 'table:write', 'mail', 'links'],
  },
  // Starts the workflow of an incident an interrupted request left unstarted (looking first), tells the
  // operators, and counts it (and any incident it failed to handle) in the metric the operators' alarm watches.
  // Then the heartbeats (no schedule of their own): reads each one's item (GetItem), opens a silent one's
  // incident as a declaration (the alert group and incident reads and writes of an opening) and tells the
  // operators when it is back (the incident read, the mail). Then the channels, at most hourly: the last check's
  // item (GetItem, a conditional PutItem, an UpdateItem once told), AWS's facts (`channels:check`), who is on call
  // (the schedules' overrides on gsi3), the mail to the operators and to whoever takes over a schedule (ahead of
  // the handoff, each notice a leased claim: UpdateItem, GetItem).
  SweepUnstartedWorkflows: {
    handlerFile: 'sweep-unstarted-workflows',
    kind: 'workflow',
    uses: [
      'table',
      'table:get',
      'table:index:gsi3',
      'table:write',
      'workflow:start',
      'workflow:executions',
      'mail',
      'links',
      'metrics',
      'channels:check',
    ],
    tracing: false,
  },
  // Reminds open actions (each reminder once), catching up from its last completed run (read and recorded), and
  // counts the reminders that failed in the metric the operators' alarm watches.
  SweepActionReminders: {
    handlerFile: 'sweep-action-reminders',
    kind: 'workflow',
    uses: ['table', 'table:get', 'table:index:gsi3', 'table:write', 'mail', 'links', 'metrics'],
    tracing: false,
  },
  // The weekly SLO reports: each run claimed once per period, scope and recipients (released when its mail
  // fails); an incident a report names is linked to its page.
  SendSloReports: {
    handlerFile: 'send-slo-reports',
    kind: 'workflow',
    uses: [
      'table',
      'table:get',
      'table:index:gsi1',
      'table:index:gsi2',
      'table:index:gsi3',
      'table:update',
      'table:delete',
      'mail:raw',
      'links',
    ],
    // A week's report per scope (org and each department) is ~2.5 s at one vCPU, ~9 s at 512 MB (scaled from
    // the year's CPU time): one vCPU and 300 s hold many departments; each scope is claimed on its own.
    memoryMb: 1769,
    timeoutSeconds: 300,
  },
  // Replies to the pages' texts (the two-way SMS topic): a code from the paged number acknowledges its incident
  // (read the code and the incident, change it, resume the wait) and is answered by SMS; the reply's message id
  // is claimed (PutItem) and completed (UpdateItem) so a second delivery acts once. No DeleteItem: a claim left
  // by a failed attempt lapses before Lambda's retry takes it over.
  SmsReplies: {
    handlerFile: 'sms-replies',
    kind: 'workflow',
    uses: ['table', 'table:get', 'table:write', 'workflow:callback', 'pager:text', 'sms:replies'],
  },
  // The configuration set's mail events (the mail events topic): each recorded once on its incident's timeline
  // (read the incident, write the entry); a page that reached nobody resumes the acknowledgement wait at once
  // (the incident's partition read in one Query).
  MailEvents: {
    handlerFile: 'mail-events',
    kind: 'workflow',
    uses: ['table', 'table:get', 'table:query', 'table:write', 'workflow:callback', 'mail:events'],
  },
  // Replies to the page mails (the mail replies topic, from the SES receipt rule): a reply saying "ack" from an
  // address the incident paged acknowledges it (read the incident, change it, resume the wait); the mail's SES
  // message id is claimed (PutItem) and completed (UpdateItem) so a second delivery acts once.
  MailReplies: {
    handlerFile: 'mail-replies',
    kind: 'workflow',
    uses: ['table', 'table:get', 'table:write', 'workflow:callback', 'mail:replies'],
  },
} as const satisfies Record<string, FunctionDeclaration>;

export type FunctionId = keyof typeof functionDeclarations;
// Pure: a bundle that does not use the list leaves the table out (see linkedTo).
export const functionIds = /* @__PURE__ */ Object.keys(functionDeclarations) as FunctionId[];
export type CapabilityOf<Id extends FunctionId> = (typeof functionDeclarations)[Id]['uses'][number];

export class UndeclaredCapabilityError extends Error {
  override name = 'UndeclaredCapabilityError';
}

/**
 * The port builder of one function: it gives only the adapters of the capabilities the function declares. Using
 * another is a type error, and an error when the handler module loads (handlers link their ports at the top),
 * as using a resource that is not linked is in SST. The adapter itself is built on first use and kept for the
 * life of the execution environment, so loading the module reads no environment and creates no client.
 */
export function linkedTo<Id extends FunctionId>(id: Id) {
  // A function's bundle carries its own declaration (the stack defines it, infra/constructs/incident-function.ts),
  // so this table, every function's, is left out of it; run from the sources (tests, the CLI), the table is read.
  const declared: readonly Capability[] =
    process.env.HOTLINE_BUNDLED_CAPABILITIES === undefined
      ? functionDeclarations[id].uses
      : (JSON.parse(process.env.HOTLINE_BUNDLED_CAPABILITIES) as Capability[]);
  return <C extends CapabilityOf<Id>, T>(factory: PortFactory<C, T>): (() => T) => {
    if (!declared.includes(factory.capability)) {
      throw new UndeclaredCapabilityError(
        `${id} uses "${factory.capability}" but does not declare it in functions/handlers/capabilities.ts`,
      );
    }
    let built: { value: T } | undefined;
    return () => {
      built ??= { value: factory.build() };
      return built.value;
    };
  };
}

/** What the declarations must hold together (checked at synth and by a test). */
export function declarationProblems(): string[] {
  const problems: string[] = [];
  for (const id of functionIds) {
    const uses: readonly Capability[] = functionDeclarations[id].uses;
    // A mail that names no incident (a test page) links no page, and names the deployment instead.
    if (
      (uses.includes('mail') || uses.includes('mail:raw')) &&
      !uses.includes('links') &&
      !uses.includes('publicBaseUrl')
    )
      problems.push(`${id} mails but does not declare "links": every mail links the incident's page`);
    const access = uses.filter((c) => c.startsWith('table:'));
    if (uses.includes('table') !== access.length > 0)
      problems.push(`${id}: declare "table" (the repositories) together with the table calls it makes`);
    if (new Set(uses).size !== uses.length) problems.push(`${id} declares a capability twice`);
  }
  return problems;
}
