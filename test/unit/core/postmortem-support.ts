import type { StoredAlert } from '../../../functions/core/alert.ts';
import type { Incident } from '../../../functions/core/incident.ts';
import { emptyFields, type Postmortem } from '../../../functions/core/postmortem.ts';
import type { TimelineEntry } from '../../../functions/core/timeline.ts';

/**
 * A realistic sev 2 on Checkout, opened by Alertmanager, escalated to the backup incident manager, resolved
 * 45 minutes later: its record, timeline entries (as the use cases write them) and alerts.
 */
export const alertIncident: Incident = {
  id: '01JINCIDENT0000000000000042',
  key: 'HOT-42',
  number: 42,
  status: 'resolved',
  severity: 2,
  service: 'checkout',
  summary: 'HighErrorRate: checkout 5xx above 5%',
  products: ['Checkout'],
  source: 'alertmanager',
  groupKey: '{}:{alertname="HighErrorRate"}',
  impactStartedAt: '2026-11-30T14:30:00.000Z',
  detectedAt: '2026-11-30T14:32:10.123Z',
  openedAt: '2026-11-30T14:32:10.123Z',
  executionName: 'HOT-42',
  updatedAt: '2026-11-30T15:15:00.000Z',
  description: "About 30% of EU card payments fail; customers see 'payment declined'.",
  recurrenceOf: 'HOT-17',
  roles: { incidentManager: 'carol@example.com', techLeads: ['bob@example.com'] },
  pagedAt: '2026-11-30T14:32:12.000Z',
  acknowledgedAt: '2026-11-30T14:49:00.000Z',
  acknowledgedBy: 'carol@example.com',
  pageTier: 1,
  chatChannel: 'hot-42',
  firstCommsAt: '2026-11-30T14:50:05.000Z',
  updateCount: 1,
  severityChangedAt: '2026-11-30T14:45:00.000Z',
  resolvedAt: '2026-11-30T15:15:00.000Z',
  resolvedBy: 'carol@example.com',
  impactEndedAt: '2026-11-30T15:10:00.000Z',
  supportCases: 3,
  postmortem: 'required',
};

const entry = (
  at: string,
  kind: TimelineEntry['kind'],
  text: string,
  data?: Record<string, unknown>,
  actor = 'hotline',
): TimelineEntry => ({
  incidentId: alertIncident.id,
  eventId: `${kind}-${at}`,
  at,
  kind,
  actor,
  text,
  ...(data ? { data } : {}),
});

export const alertTimeline: TimelineEntry[] = [
  entry(
    '2026-11-30T14:32:10.123Z',
    'incident.opened',
    'HOT-42 opened from alertmanager: Sev 3 on Checkout, 1 firing alert(s).',
    { severity: 3, service: 'checkout' },
    'alertmanager',
  ),
  entry(
    '2026-11-30T14:32:10.200Z',
    'alert.firing',
    'Firing: HighErrorRate',
    { fingerprint: 'f1' },
    'alertmanager',
  ),
  entry('2026-11-30T14:32:12.000Z', 'page.sent', 'Paged incident manager alice@example.com.', {
    recipients: ['alice@example.com'],
    subject: 'HOT-42 - Sev 3 - HighErrorRate',
    messageId: 'm1',
  }),
  entry('2026-11-30T14:32:12.500Z', 'status.changed', 'Status: new → paged.', { from: 'new', to: 'paged' }),
  entry(
    '2026-11-30T14:45:00.000Z',
    'severity.changed',
    'Severity Sev 3 → Sev 2 by alice@example.com: EU card payments failing',
    { from: 3, to: 2, reason: 'EU card payments failing' },
    'alice@example.com',
  ),
  entry(
    '2026-11-30T14:47:20.000Z',
    'incident.escalated',
    'Not acknowledged in time: escalated to backup incident manager carol@example.com (tier 1).',
    { recipients: ['carol@example.com'], subject: 'HOT-42', messageId: 'm2' },
  ),
  entry(
    '2026-11-30T14:49:00.000Z',
    'incident.acknowledged',
    'carol@example.com acknowledged and is in charge as incident manager. Status: → fixing.',
    { to: 'fixing', via: 'link' },
    'carol@example.com',
  ),
  entry('2026-11-30T14:49:30.000Z', 'response.started', 'Response started: chat room #hot-42.'),
  entry(
    '2026-11-30T14:50:05.000Z',
    'comms.sent',
    'Initial internal comms sent to the service list and leadership.',
  ),
  entry('2026-11-30T14:50:06.000Z', 'comms.sent', 'External comms sent: "Some card payments fail."'),
  entry(
    '2026-11-30T15:00:00.000Z',
    'update.posted',
    'Update 1 by carol@example.com: Rolled back release 2026.11.30-2.\nErrors are falling. Next update by 2026-11-30T16:00:00.000Z.',
    { recipients: ['list@example.com'] },
    'hotline',
  ),
  entry(
    '2026-11-30T15:05:00.000Z',
    'alert.resolved',
    'Resolved: HighErrorRate',
    { fingerprint: 'f1' },
    'alertmanager',
  ),
  entry(
    '2026-11-30T15:15:00.000Z',
    'incident.resolved',
    'Resolved by carol@example.com: impact 2026-11-30T14:30:00.000Z → 2026-11-30T15:10:00.000Z (40 min), 3 support case(s). Postmortem: required.',
    { from: 'fixing', to: 'resolved' },
    'carol@example.com',
  ),
  entry('2026-11-30T15:15:01.000Z', 'comms.sent', 'Final internal comms sent: resolved, no further comms.'),
];

export const alertAlerts: StoredAlert[] = [
  {
    incidentId: alertIncident.id,
    source: 'alertmanager',
    groupKey: alertIncident.groupKey ?? '',
    fingerprint: 'f1',
    status: 'resolved',
    startsAt: '2026-11-30T14:30:00.000Z',
    endsAt: '2026-11-30T15:05:00.000Z',
    summary: 'HighErrorRate: checkout 5xx above 5%',
    labels: { alertname: 'HighErrorRate', service: 'checkout' },
    annotations: {},
    firstSeenAt: '2026-11-30T14:32:10.123Z',
    lastSeenAt: '2026-11-30T15:05:00.000Z',
  },
];

/** A sev 1 declared by hand just before midnight UTC: its impact spans two days; no alert fired. */
export const declaredIncident: Incident = {
  id: '01JINCIDENT0000000000000043',
  key: 'HOT-43',
  number: 43,
  status: 'resolved',
  severity: 1,
  service: 'checkout',
  summary: 'Orders not confirmed',
  products: ['Checkout', 'Payments'],
  source: 'manual',
  impactStartedAt: '2026-11-30T23:40:00.000Z',
  detectedAt: '2026-12-01T00:05:00.000Z',
  openedAt: '2026-12-01T00:05:00.000Z',
  executionName: 'HOT-43',
  updatedAt: '2026-12-01T01:20:00.000Z',
  description: 'Customers pay but get no order confirmation.\r\nSome pay twice.',
  declaredBy: 'dave@example.com',
  pagedAt: '2026-12-01T00:05:02.000Z',
  acknowledgedAt: '2026-12-01T00:09:00.000Z',
  acknowledgedBy: 'dave@example.com',
  resolvedAt: '2026-12-01T01:20:00.000Z',
  impactEndedAt: '2026-12-01T01:15:00.000Z',
  supportCases: 0,
};

export const declaredTimeline: TimelineEntry[] = [
  {
    incidentId: declaredIncident.id,
    eventId: 'opened',
    at: '2026-12-01T00:05:00.000Z',
    kind: 'incident.declared',
    actor: 'dave@example.com',
    text: 'HOT-43 declared by dave@example.com: Sev 1 on Checkout.',
    data: { severity: 1 },
  },
  {
    incidentId: declaredIncident.id,
    eventId: 'comms-page-1',
    at: '2026-12-01T00:05:02.000Z',
    kind: 'page.sent',
    actor: 'hotline',
    text: 'Paged incident manager alice@example.com.',
    data: { recipients: ['alice@example.com'] },
  },
  {
    incidentId: declaredIncident.id,
    eventId: 'acknowledged',
    at: '2026-12-01T00:09:00.000Z',
    kind: 'incident.acknowledged',
    actor: 'dave@example.com',
    text: 'dave@example.com acknowledged and is in charge as incident manager. Status: → fixing.',
  },
  {
    incidentId: declaredIncident.id,
    eventId: 'resolved',
    at: '2026-12-01T01:20:00.000Z',
    kind: 'incident.resolved',
    actor: 'dave@example.com',
    text: 'Resolved by dave@example.com.',
  },
];

/** The people of the test organisation the blame check looks for. */
export const people = {
  names: ['Alice Smith', 'Carol', 'Dave'],
  addresses: ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com'],
};

/** A postmortem shell around fields (draft, version 1). */
export function postmortemOf(overrides: Partial<Postmortem> = {}): Postmortem {
  return {
    key: 'HOT-42',
    incidentId: alertIncident.id,
    status: 'draft',
    version: 1,
    owner: 'payments-team@example.com',
    ownerTeam: 'Payments',
    service: 'checkout',
    severity: 2,
    due: '2026-12-07T17:00:00.000Z',
    openedAt: '2026-11-30T15:15:05.000Z',
    updatedAt: '2026-11-30T15:15:05.000Z',
    updatedBy: 'hotline',
    fields: emptyFields(),
    actions: [],
    metrics: {},
    prefilled: [],
    ...overrides,
  };
}

/** A postmortem the handbook would approve: every field, five whys, well-worded actions. */
export function completePostmortem(): Postmortem {
  return postmortemOf({
    fields: {
      summary:
        'Between 14:30 and 15:10 UTC on 30 November 2026, customers of Checkout saw card payments declined. The event was detected by an alert. This Sev 2 incident affected Checkout. 3 support cases were raised.',
      leadup: 'At 14:20 UTC release 2026.11.30-2 changed the card tokeniser.',
      fault: 'The tokeniser rejected EU cards with a 3-digit issuer prefix.',
      impact: 'For 40 minutes about 30% of EU card payments failed.',
      detection: 'The HighErrorRate alert fired 2 minutes after the impact started.',
      response: 'The incident manager was paged at 14:32 UTC; the backup acknowledged at 14:49 UTC.',
      recovery: 'The release was rolled back at 15:05 UTC; errors stopped at 15:10 UTC.',
      timeline: [
        { at: '2026-11-30T14:20:00.000Z', text: 'Release 2026.11.30-2 deployed.' },
        { at: '2026-11-30T14:30:00.000Z', text: 'Impact started.' },
      ],
      fiveWhys: [
        'Payments failed because the tokeniser rejected valid cards.',
        'It rejected them because a new validation rule was wrong for 3-digit prefixes.',
        'The rule was wrong because the test data had no such cards.',
        'The test data had none because it is generated from one region.',
        'It comes from one region because nobody owns the test data set.',
      ],
      rootCause: 'Card test data covers one region only, so regional card formats are never tested.',
      rootCauseCategory: 'bug',
      backlogCheck: 'PAY-120 (multi-region test cards) was in the backlog, deprioritised in Q3.',
      recurrence: { text: 'Not the same root cause as HOT-17.', relatedIncidents: ['HOT-17'] },
      lessons: {
        wentWell: 'The rollback took 5 minutes.',
        couldBeBetter: 'The first page was not acknowledged for 17 minutes.',
        gotLucky: 'It happened outside the EU peak.',
      },
      externalSummary:
        'On 30 November from 14:30 to 15:10 UTC some card payments were declined. A change to how we check cards caused it; we undid it and now test with cards from every region.',
    },
    actions: [
      {
        id: '01JACTION000000000000000001',
        title: 'Add EU card formats from all 27 member states to the tokeniser test data',
        kind: 'priority',
        category: 'prevent-future',
        ownerTeam: 'Payments',
        trackerUrl: 'https://tracker.example.com/PAY-121',
        status: 'open',
        dueAt: '2026-12-28T15:15:05.000Z',
        dueProvisional: true,
      },
      {
        id: '01JACTION000000000000000002',
        title: 'Add alerting for all cases where this service returns >1% errors',
        kind: 'improvement',
        category: 'detect',
        ownerTeam: 'Payments',
        trackerUrl: 'https://tracker.example.com/PAY-122',
        status: 'open',
      },
    ],
  });
}
