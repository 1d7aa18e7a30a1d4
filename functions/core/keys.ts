import { createHash } from 'node:crypto';

/**
 * Every key shape of the single table lives here and nowhere else (pk/sk, gsi1 = all incidents by time,
 * gsi2 = incidents of a service by time, gsi3 = sparse lists: items waiting for something, status page entries).
 * Entity prefixes are the first segment of pk or sk.
 */

export type Key = { pk: string; sk: string };

const INCIDENT = 'INCIDENT';

export const keys = {
  incident: (incidentId: string): Key => ({ pk: `${INCIDENT}#${incidentId}`, sk: INCIDENT }),
  /** Everything of one incident (record, timeline, alerts, comms) shares its partition: one Query reads it. */
  incidentPartition: (incidentId: string): string => `${INCIDENT}#${incidentId}`,
  timelineEntry: (incidentId: string, at: string, eventId: string): Key => ({
    pk: `${INCIDENT}#${incidentId}`,
    sk: `TIMELINE#${at}#${eventId}`,
  }),
  comms: (incidentId: string, kind: string, sequence: number | string): Key => ({
    pk: `${INCIDENT}#${incidentId}`,
    sk: `COMMS#${kind}#${String(sequence).padStart(10, '0')}`,
  }),
  /** Human key (HOT-42) to incident id. */
  incidentKey: (key: string): Key => ({ pk: `KEY#${key}`, sk: 'KEY' }),
  /** The dedup pointer of an alert group: source + group key (hashed, as group keys can be long). */
  alertGroup: (source: string, groupKey: string): Key => ({
    pk: `GROUP#${source}#${digest(groupKey)}`,
    sk: 'GROUP',
  }),
  counter: (name: string): Key => ({ pk: `COUNTER#${name}`, sk: 'COUNTER' }),
  /**
   * An incident's postmortem (at most one) and each of its saved versions, in a partition of their own (the
   * incident's partition is read whole by the workflow; versions would only weigh it down).
   */
  postmortem: (incidentId: string): Key => ({ pk: `POSTMORTEM#${incidentId}`, sk: 'POSTMORTEM' }),
  /**
   * An approver's decision on one content of the postmortem in one request round: at most one per approver,
   * content hash and round. Round 1 keeps the key of 0.1.0 (which had no rounds), so its decisions read back.
   */
  approvalDecision: (incidentId: string, contentHash: string, approver: string, requestRound = 1): Key => ({
    pk: `POSTMORTEM#${incidentId}`,
    sk: `DECISION#${contentHash}#${approver.toLowerCase()}${requestRound > 1 ? `#R${requestRound}` : ''}`,
  }),
  /** The published document (Markdown and HTML), written once at publication. */
  postmortemDocument: (incidentId: string): Key => ({ pk: `POSTMORTEM#${incidentId}`, sk: 'DOCUMENT' }),
  /**
   * The HTML of one content's sections (by its content hash) in one version (`page` or `email`), rendered once
   * when it is first asked for (core/document-render.ts) and kept: a function that shows or mails the document
   * then needs no Markdown renderer.
   */
  postmortemRendering: (incidentId: string, contentHash: string, version: 'page' | 'email'): Key => ({
    pk: `POSTMORTEM#${incidentId}`,
    sk: `RENDERING#${contentHash}#${version}`,
  }),
  postmortemVersion: (incidentId: string, version: number): Key => ({
    pk: `POSTMORTEM#${incidentId}`,
    sk: `VERSION#${String(version).padStart(10, '0')}`,
  }),
  /**
   * A page's acknowledgement code (the SMS's `Reply ACK 123456`): which incident, to whom and to which number it
   * was sent. Created once (a code in use is drawn again), kept until it expires (`expiresAt`, TTL).
   */
  pageCode: (code: string): Key => ({ pk: `PAGECODE#${code}`, sk: 'PAGECODE' }),
  /** A signed link's single use: created when the link is used. */
  linkUse: (linkId: string): Key => ({ pk: `LINK#${linkId}`, sk: 'LINK' }),
  /**
   * An incident's public projection for the status page: only what the page shows (external wording, products,
   * times), so nothing internal can reach the page. Written by the comms rounds, read through `statusPage`.
   */
  statusEntry: (incidentId: string): Key => ({ pk: `STATUS#${incidentId}`, sk: 'STATUS' }),
  /** A postmortem action followed after approval (a projection of the postmortem's action list). */
  action: (actionId: string): Key => ({ pk: `ACTION#${actionId}`, sk: 'ACTION' }),
  /** A scheduled sweep's last completed run (`ActionReminders`): where its next run catches up from. */
  sweepRun: (sweep: string): Key => ({ pk: `SWEEP#${sweep}`, sk: 'LASTRUN' }),
  /**
   * A configured heartbeat (by its id in the organisation file): its last seen, and the silence it is in. One
   * item each, read by key by the sweep (a few per organisation: no list is needed).
   */
  heartbeat: (heartbeatId: string): Key => ({ pk: `HEARTBEAT#${heartbeatId}`, sk: 'HEARTBEAT' }),
  /**
   * The last check of the channels (core/channel-health.ts): the quiet channels found, who was on call, and what
   * is still to be told. One item, read by the every-minute sweep, rewritten by the hourly check.
   */
  channelHealth: (): Key => ({ pk: 'CHANNELS', sk: 'HEALTH' }),
  /** The latest text and call refused for the monthly spend limit (core/channel-health.ts SpendLimitHits). */
  spendLimitHits: (): Key => ({ pk: 'CHANNELS', sk: 'SPEND' }),
  /**
   * An SLO report run: one per period, scope (`org`, `department:<name>`, `service:<id>`) and recipient set (the
   * digest of both), claimed before the report is built and completed when its mail is sent, so a retried
   * schedule sends once and two scopes with the same recipients each get their own mail.
   */
  reportRun: (from: string, to: string, scope: string, recipients: readonly string[]): Key => ({
    pk: `REPORT#${from}#${to}`,
    sk: `RUN#${digest(
      `${scope}\n${[...recipients]
        .map((r) => r.toLowerCase())
        .sort()
        .join(',')}`,
    )}`,
  }),
  /** An on-demand report run answered later (`GET /reports/slo/{runId}`): its status and its result. */
  reportJob: (runId: string): Key => ({ pk: `REPORTJOB#${runId}`, sk: 'REPORTJOB' }),
  /** A sender-assigned delivery id already processed (replay protection); expires in code. */
  delivery: (source: string, deliveryId: string): Key => ({
    pk: `DELIVERY#${source}#${digest(deliveryId)}`,
    sk: 'DELIVERY',
  }),
  /**
   * An override of a schedule's rotation, by its id (read and removed by id). Kept after its end for the record;
   * a removed one is kept too, marked `removedAt` and out of the list (`indexes.scheduleOverrides`).
   */
  /** A person's last test page (core/test-pages.ts): one item per person, replaced by the next. */
  testPage: (personId: string): Key => ({ pk: `PERSON#${personId}`, sk: 'TESTPAGE' }),
  /**
   * How many pages a person had on one phone channel in one clock hour (core/page-storm.ts): one counter item per
   * person, channel and hour, under the person's partition; expires (`expiresAt`, TTL) a day after its hour.
   */
  pageCount: (personId: string, channel: 'sms' | 'voice', hourStart: string): Key => ({
    pk: `PERSON#${personId}`,
    sk: `PAGECOUNT#${channel}#${hourStart}`,
  }),
  scheduleOverride: (scheduleId: string, overrideId: string): Key => ({
    pk: `SCHEDULE#${scheduleId}`,
    sk: `OVERRIDE#${overrideId}`,
  }),
  /**
   * The notice to the person taking over a schedule at an instant (core/oncall-handoffs.ts): claimed before it is
   * mailed, so the checks that see one handoff ahead, and the one after it, mail it once.
   */
  handoffNotice: (scheduleId: string, at: string, personId: string): Key => ({
    pk: `SCHEDULE#${scheduleId}`,
    sk: `HANDOFF#${at}#${personId}`,
  }),
} as const;

export const indexes = {
  /** All incidents, newest first: one partition is fine at incident volumes (tens a day, not thousands a second). */
  byTime: {
    name: 'gsi1',
    pk: 'gsi1pk',
    sk: 'gsi1sk',
    partition: 'INCIDENTS',
    values: (openedAt: string, incidentId: string) => ({
      gsi1pk: 'INCIDENTS',
      gsi1sk: `${openedAt}#${incidentId}`,
    }),
  },
  byService: {
    name: 'gsi2',
    pk: 'gsi2pk',
    sk: 'gsi2sk',
    partition: (service: string) => `SERVICE#${service}`,
    values: (service: string, openedAt: string, incidentId: string) => ({
      gsi2pk: `SERVICE#${service}`,
      gsi2sk: `${openedAt}#${incidentId}`,
    }),
  },
  /**
   * Incidents whose workflow start is not yet recorded: set when the incident is created, removed when its
   * execution is known to run, so the sweep reads only the few that an interrupted request left behind.
   */
  awaitingWorkflow: {
    name: 'gsi3',
    pk: 'gsi3pk',
    sk: 'gsi3sk',
    partition: 'WORKFLOW#UNSTARTED',
    values: (openedAt: string, incidentId: string) => ({
      gsi3pk: 'WORKFLOW#UNSTARTED',
      gsi3sk: `${openedAt}#${incidentId}`,
    }),
  },
  /**
   * The status page's entries on the same sparse index: a resolved entry sorts by its resolution time, an open
   * one by `~<openedAt>` (`~` sorts after every digit), so one Query from "7 days ago" upwards reads every open
   * entry and the recently resolved ones, and older entries are never read.
   */
  statusPage: {
    name: 'gsi3',
    pk: 'gsi3pk',
    sk: 'gsi3sk',
    partition: 'STATUSPAGE',
    openSortKey: (openedAt: string) => `~${openedAt}`,
    values: (openedAt: string, resolvedAt?: string) => ({
      gsi3pk: 'STATUSPAGE',
      gsi3sk: resolvedAt ?? `~${openedAt}`,
    }),
  },
  /** Postmortems by status, due first: the lists of drafts, reviews and overdue ones read one partition. */
  postmortemsByStatus: {
    name: 'gsi3',
    pk: 'gsi3pk',
    sk: 'gsi3sk',
    partition: (status: string) => `POSTMORTEMS#${status}`,
    values: (status: string, due: string, incidentId: string) => ({
      gsi3pk: `POSTMORTEMS#${status}`,
      gsi3sk: `${due}#${incidentId}`,
    }),
  },
  /**
   * Open postmortem actions by due date (those without one, improvements, sort last as `9999`): the list and the
   * reminder sweep read one partition with a key condition on the due date. Done ones move to a partition of
   * their own, by completion time.
   */
  openActions: {
    name: 'gsi3',
    pk: 'gsi3pk',
    sk: 'gsi3sk',
    partition: 'ACTIONS#OPEN',
    values: (dueAt: string | undefined, actionId: string) => ({
      gsi3pk: 'ACTIONS#OPEN',
      gsi3sk: `${dueAt ?? '9999'}#${actionId}`,
    }),
  },
  doneActions: {
    name: 'gsi3',
    pk: 'gsi3pk',
    sk: 'gsi3sk',
    partition: 'ACTIONS#DONE',
    values: (doneAt: string, actionId: string) => ({
      gsi3pk: 'ACTIONS#DONE',
      gsi3sk: `${doneAt}#${actionId}`,
    }),
  },
  /**
   * A schedule's overrides by their end: the overrides touching a window `[from, to)` end after `from` and,
   * their length being capped, before `to` plus the cap, so one key condition on the end reads them and little
   * else. A removed override leaves this list.
   */
  scheduleOverrides: {
    name: 'gsi3',
    pk: 'gsi3pk',
    sk: 'gsi3sk',
    partition: (scheduleId: string) => `OVERRIDES#${scheduleId}`,
    values: (scheduleId: string, end: string, overrideId: string) => ({
      gsi3pk: `OVERRIDES#${scheduleId}`,
      gsi3sk: `${end}#${overrideId}`,
    }),
  },
} as const;

/** The attributes that are storage plumbing, not part of an entity. */
export const keyAttributes = [
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'gsi3pk',
  'gsi3sk',
  'expiresAt',
] as const;

export function stripKeys<T extends Record<string, unknown>>(
  item: T,
): Omit<T, (typeof keyAttributes)[number]> {
  const copy: Record<string, unknown> = { ...item };
  for (const attribute of keyAttributes) delete copy[attribute];
  return copy as Omit<T, (typeof keyAttributes)[number]>;
}

export function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 32);
}

/** A stable non-negative number for a value (for per-content sequence numbers). */
export function digestNumber(value: string): number {
  return Number.parseInt(createHash('sha256').update(value).digest('hex').slice(0, 8), 16);
}
