import type { Organisation } from '../../../functions/core/config.ts';
import type { Incident } from '../../../functions/core/incident.ts';
import { emptyFields, type Postmortem, type RootCauseCategory } from '../../../functions/core/postmortem.ts';
import {
  createReportAccumulator,
  type ReportAction,
  type ReportOptions,
  type SloReport,
} from '../../../functions/core/report.ts';
import { organisation } from '../../support/organisation.ts';

/**
 * A small data set for the SLO report whose every figure is worked out by hand in the tests. Periods: the week
 * of 23 Nov 2026 (current) and the week before; the report is made on Monday 30 Nov at 09:00 UTC. Checkout has
 * an availability objective of 99.9% (a future configuration field: zod strips it, so it is added after parsing).
 */
export const reportOrganisation: Organisation = {
  ...organisation,
  services: {
    ...organisation.services,
    checkout: {
      ...(organisation.services.checkout as Organisation['services'][string]),
      availabilityObjective: 99.9,
    },
  } as Organisation['services'],
};

export const reportOptions: ReportOptions = {
  from: '2026-11-23T00:00:00.000Z',
  to: '2026-11-30T00:00:00.000Z',
  previous: { from: '2026-11-16T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' },
  organisation: reportOrganisation,
  now: '2026-11-30T09:00:00.000Z',
};

export function incident(key: string, fields: Partial<Incident>): Incident {
  const number = Number(key.split('-')[1]);
  return {
    id: `id-${key}`,
    key,
    number,
    status: 'resolved',
    severity: 2,
    service: 'checkout',
    summary: `Incident ${key}`,
    products: [],
    source: 'alertmanager',
    impactStartedAt: '2026-11-24T10:00:00.000Z',
    detectedAt: '2026-11-24T10:00:00.000Z',
    openedAt: '2026-11-24T10:00:00.000Z',
    executionName: key,
    updatedAt: '2026-11-24T10:00:00.000Z',
    ...fields,
  };
}

export function postmortem(
  key: string,
  fields: Partial<Postmortem> & { category?: RootCauseCategory },
): Postmortem {
  const { category, ...rest } = fields;
  return {
    key,
    incidentId: `id-${key}`,
    status: 'draft',
    version: 1,
    owner: 'payments-team@example.com',
    ownerTeam: 'Payments',
    service: 'checkout',
    severity: 2,
    due: '2026-12-01T17:00:00.000Z',
    openedAt: '2026-11-24T11:00:00.000Z',
    updatedAt: '2026-11-24T11:00:00.000Z',
    updatedBy: 'hotline',
    fields: { ...emptyFields(), ...(category ? { rootCauseCategory: category } : {}) },
    actions: [],
    metrics: {},
    prefilled: [],
    ...rest,
  };
}

export function action(id: string, fields: Partial<ReportAction>): ReportAction {
  return {
    id,
    title: `Action ${id}`,
    kind: 'priority',
    category: 'prevent-future',
    ownerTeam: 'Payments',
    status: 'open',
    service: 'checkout',
    incidentKey: 'HOT-11',
    severity: 1,
    ...fields,
  };
}

/** Current period: HOT-11 (sev 1), HOT-12 (sev 2), HOT-13 (sev 3, unknown service), HOT-14 (sev 2, open). */
export const incidents: Incident[] = [
  incident('HOT-11', {
    severity: 1,
    impactStartedAt: '2026-11-24T10:00:00.000Z',
    detectedAt: '2026-11-24T10:05:00.000Z',
    openedAt: '2026-11-24T10:05:00.000Z',
    pagedAt: '2026-11-24T10:05:00.000Z',
    acknowledgedAt: '2026-11-24T10:08:00.000Z',
    firstCommsAt: '2026-11-24T10:20:00.000Z',
    missedUpdates: 0,
    impactEndedAt: '2026-11-24T11:05:00.000Z',
    resolvedAt: '2026-11-24T11:05:00.000Z',
  }),
  incident('HOT-12', {
    severity: 2,
    impactStartedAt: '2026-11-25T12:00:00.000Z',
    detectedAt: '2026-11-25T12:10:00.000Z',
    openedAt: '2026-11-25T12:10:00.000Z',
    pagedAt: '2026-11-25T12:10:00.000Z',
    acknowledgedAt: '2026-11-25T12:30:00.000Z',
    firstCommsAt: '2026-11-25T12:50:00.000Z',
    missedUpdates: 1,
    impactEndedAt: '2026-11-25T14:00:00.000Z',
    resolvedAt: '2026-11-25T14:00:00.000Z',
  }),
  incident('HOT-13', {
    severity: 3,
    service: 'unknown',
    impactStartedAt: '2026-11-26T09:00:00.000Z',
    detectedAt: '2026-11-26T09:30:00.000Z',
    openedAt: '2026-11-26T09:30:00.000Z',
    teamNotifiedAt: '2026-11-26T09:31:00.000Z',
    acknowledgedAt: '2026-11-26T10:00:00.000Z',
    firstCommsAt: '2026-11-26T10:10:00.000Z',
    impactEndedAt: '2026-11-26T11:00:00.000Z',
    resolvedAt: '2026-11-26T11:00:00.000Z',
    recurrenceOf: 'HOT-11',
  }),
  incident('HOT-14', {
    status: 'fixing',
    severity: 2,
    impactStartedAt: '2026-11-29T23:00:00.000Z',
    detectedAt: '2026-11-29T23:02:00.000Z',
    openedAt: '2026-11-29T23:02:00.000Z',
    pagedAt: '2026-11-29T23:02:00.000Z',
    acknowledgedAt: '2026-11-29T23:05:00.000Z',
  }),
  // Previous period.
  incident('HOT-9', {
    severity: 2,
    impactStartedAt: '2026-11-18T08:00:00.000Z',
    detectedAt: '2026-11-18T08:20:00.000Z',
    openedAt: '2026-11-18T08:20:00.000Z',
    pagedAt: '2026-11-18T08:20:00.000Z',
    acknowledgedAt: '2026-11-18T08:25:00.000Z',
    firstCommsAt: '2026-11-18T08:30:00.000Z',
    missedUpdates: 0,
    impactEndedAt: '2026-11-18T09:00:00.000Z',
    resolvedAt: '2026-11-18T09:00:00.000Z',
  }),
  // Neither period.
  incident('HOT-1', { openedAt: '2026-10-01T00:00:00.000Z' }),
];

export const postmortems: Postmortem[] = [
  postmortem('HOT-11', {
    severity: 1,
    status: 'approved',
    openedAt: '2026-11-24T11:05:00.000Z',
    due: '2026-12-01T17:00:00.000Z',
    approvedAt: '2026-11-27T10:00:00.000Z',
    category: 'change',
  }),
  postmortem('HOT-12', {
    status: 'in-review',
    openedAt: '2026-11-25T14:00:00.000Z',
    due: '2026-12-02T17:00:00.000Z',
    category: 'bug',
  }),
  postmortem('HOT-9', {
    status: 'published',
    openedAt: '2026-11-18T09:00:00.000Z',
    due: '2026-11-25T17:00:00.000Z',
    approvedAt: '2026-11-26T12:00:00.000Z',
    publishedAt: '2026-11-26T13:00:00.000Z',
  }),
];

export const actions: ReportAction[] = [
  action('a1', { dueAt: '2026-12-03T09:00:00.000Z', incidentOpenedAt: '2026-11-24T10:05:00.000Z' }),
  action('a2', {
    ownerTeam: 'Platform',
    dueAt: '2026-11-25T09:00:00.000Z',
    incidentOpenedAt: '2026-11-24T10:05:00.000Z',
  }),
  action('a3', {
    incidentKey: 'HOT-12',
    severity: 2,
    dueAt: '2026-11-26T00:00:00.000Z',
    status: 'done',
    doneAt: '2026-11-25T12:00:00.000Z',
    incidentOpenedAt: '2026-11-25T12:10:00.000Z',
  }),
  action('a4', {
    incidentKey: 'HOT-12',
    severity: 2,
    dueAt: '2026-12-28T00:00:00.000Z',
    dueProvisional: true,
    incidentOpenedAt: '2026-11-25T12:10:00.000Z',
  }),
  action('a5', {
    incidentKey: 'HOT-9',
    severity: 2,
    dueAt: '2026-11-20T00:00:00.000Z',
    status: 'done',
    doneAt: '2026-11-21T00:00:00.000Z',
  }),
  action('a6', {
    incidentKey: 'HOT-13',
    severity: 3,
    service: 'unknown',
    ownerTeam: 'SRE',
    dueAt: '2026-12-20T00:00:00.000Z',
  }),
  action('a7', { kind: 'improvement', category: 'detect' }),
];

export const HOSTILE = '<script>alert(1)</script>';

/** The hand-computed report; `hostile` adds an incident and an action whose text tries to break out. */
export function handReport(extra: { hostile?: boolean } = {}): SloReport {
  const acc = createReportAccumulator(reportOptions);
  for (const i of incidents) acc.addIncident(i);
  for (const p of postmortems) acc.addPostmortem(p);
  for (const a of actions) acc.addAction(a);
  if (extra.hostile) {
    acc.addIncident(
      incident('HOT-15', {
        service: `svc"${HOSTILE}`,
        summary: `=HYPERLINK("http://evil.example","click"), ${HOSTILE}\r\nnext line`,
        openedAt: '2026-11-27T10:00:00.000Z',
      }),
    );
    acc.addAction(
      action('a8', {
        incidentKey: 'HOT-15',
        service: `svc"${HOSTILE}`,
        ownerTeam: `@team ${HOSTILE}`,
        title: '-2+3 "quoted", with comma',
        dueAt: '2026-11-01T00:00:00.000Z',
      }),
    );
  }
  return acc.result();
}
