import type { FunctionId } from '../../infra/hotline-stack.ts';

/*
 * The AWS calls each function's code makes, as the IAM actions AWS authorises them by, beside its own logs and
 * X-Ray tracing (which every function has). Read from the code: the handler, the use cases it calls and the
 * adapters it builds. test/infra/functions.test.ts asserts that the synthesized template grants each function
 * exactly these, no more and no less. Kept by hand for now: a later issue derives it from the handlers' declared
 * capabilities.
 */

const get = 'dynamodb:GetItem';
const query = 'dynamodb:Query';
const put = 'dynamodb:PutItem';
const update = 'dynamodb:UpdateItem';
const del = 'dynamodb:DeleteItem';
/** SES v2 SendEmail with simple content. */
const mail = 'ses:SendEmail';
/** SES v2 SendEmail with `Content.Raw` (MIME with attachments), which IAM authorises as SendRawEmail. */
const rawMail = 'ses:SendRawEmail';
const start = 'states:StartExecution';
/** The sweep looks for an incident's execution before it starts one. */
const describe = 'states:DescribeExecution';
const resume = 'states:SendTaskSuccess';
const secret = 'secretsmanager:GetSecretValue';

export interface FunctionGrants {
  /** Item calls on the table (Query on the indexes comes with any access). */
  table: string[];
  /** Other calls, on the mail identity, the state machine and the secrets. */
  calls: string[];
  /** Why, in a word, for the reader of a failure. */
  why: string;
}

export const grantsOf: Record<FunctionId, FunctionGrants> = {
  IngestAlert: {
    table: [get, query, put, update, del],
    calls: [start, resume, secret],
    why: 'opens incidents and starts their executions; wakes the comms loop when every alert resolved; releases a delivery it claimed; reads the source credentials',
  },
  ListIncidents: { table: [get, query], calls: [], why: 'reads' },
  GetIncident: { table: [get, query], calls: [], why: 'reads' },
  DeclareIncident: {
    table: [get, query, put, update],
    calls: [start],
    why: 'opens an incident and starts its execution',
  },
  RespondToIncident: {
    table: [get, query, put, update],
    calls: [mail, resume, secret],
    why: 'acknowledge, updates, severity, roles, resolve: mails comms with signed view links, resumes the waits',
  },
  LinkDecision: {
    table: [get, query, put, update, del],
    calls: [mail, resume, secret],
    why: "verifies tokens; acknowledgements and approval decisions resume the waits; a change request's comment, the editor's ask for approval and a save in review mail; a failed decision releases its link use",
  },
  StatusPage: { table: [get, query], calls: [], why: 'reads its entries' },
  Postmortems: {
    table: [get, query, put, update],
    calls: [mail, start, resume, secret],
    why: "opens (a sev 3's own execution), edits, asks the approvers (mail) and resumes the postmortem wait",
  },
  Actions: { table: [get, query, put, update], calls: [], why: 'lists and completes actions' },
  Reports: {
    table: [get, query, put, update, del],
    calls: [rawMail, secret],
    why: 'the on-demand SLO report, mailed as raw MIME with signed view links',
  },
  WorkflowStep: {
    table: [get, query, put, update],
    calls: [mail, resume, secret],
    why: 'every step: pages and comms with signed links, a wait that finds its event already happened resumes itself',
  },
  RecordWorkflowFailure: {
    table: [get, query, put, update],
    calls: [mail, secret],
    why: 'records the failure and mails the operators with the view link',
  },
  SweepUnstartedWorkflows: {
    table: [get, query, put, update],
    calls: [start, describe, mail, secret],
    why: 'starts what was left unstarted and tells the operators',
  },
  SweepActionReminders: {
    table: [get, query, put, update],
    calls: [mail, secret],
    why: 'reminds action owners with signed mark-done links',
  },
  SendSloReports: {
    table: [get, query, put, update, del],
    calls: [rawMail, secret],
    why: 'the weekly SLO report, mailed as raw MIME with signed view links',
  },
};

/** The functions whose code sends mail, simple or raw (each mail links a page: PUBLIC_BASE_URL and the keys). */
export const mailingFunctions = (Object.keys(grantsOf) as FunctionId[]).filter((id) =>
  grantsOf[id].calls.some((c) => c.startsWith('ses:')),
);
