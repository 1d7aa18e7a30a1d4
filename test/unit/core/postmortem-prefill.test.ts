import { describe, expect, it } from 'vitest';
import { checkPostmortem } from '../../../functions/core/postmortem-checks.ts';
import { applyEdit, parsePostmortemEdit } from '../../../functions/core/postmortem-edit.ts';
import {
  impactWindow,
  prefillPostmortem,
  refreshPrefill,
} from '../../../functions/core/postmortem-prefill.ts';
import {
  alertAlerts,
  alertIncident,
  alertTimeline,
  declaredIncident,
  declaredTimeline,
  people,
  postmortemOf,
} from './postmortem-support.ts';

const checkout = { serviceName: 'Checkout', ownerTeam: 'Payments' };
const related = [
  { key: 'HOT-30', openedAt: '2026-11-20T09:00:00.000Z', summary: 'Checkout latency high' },
  { key: 'HOT-17', openedAt: '2026-11-02T10:00:00.000Z', summary: 'HighErrorRate: checkout 5xx above 5%' },
];

const alertPrefill = () =>
  prefillPostmortem({
    incident: alertIncident,
    timeline: alertTimeline,
    alerts: alertAlerts,
    ...checkout,
    related,
  });

const declaredPrefill = () =>
  prefillPostmortem({
    incident: declaredIncident,
    timeline: declaredTimeline,
    alerts: [],
    ...checkout,
    related: [],
  });

describe('the pre-filled postmortem of an alert-opened incident', () => {
  it('writes the summary as the handbook words it', () => {
    expect(alertPrefill().fields.summary).toBe(
      'Between 14:30 and 15:10 UTC on 30 November 2026, customers of Checkout experienced "About 30% of EU card ' +
        'payments fail; customers see \'payment declined\'". The event was detected by the alert "HighErrorRate: ' +
        'checkout 5xx above 5%" from alertmanager at 14:32 UTC. This Sev 2 incident affected Checkout. 3 support ' +
        'cases were raised.',
    );
  });

  it('writes the impact from the description and the support cases', () => {
    expect(alertPrefill().fields.impact).toBe(
      [
        'For 40 min, between 14:30 and 15:10 UTC on 30 November 2026, customers of Checkout were affected.',
        "What they saw: About 30% of EU card payments fail; customers see 'payment declined'.",
        'Products affected: Checkout.',
        '3 support cases were raised.',
      ].join('\n\n'),
    );
  });

  it('writes the detection from the first alert, its source and the time to detect', () => {
    expect(alertPrefill().fields.detection).toBe(
      'The incident was detected when the alert "HighErrorRate: checkout 5xx above 5%" from alertmanager fired ' +
        'at 14:30 UTC; it reached the incident system at 14:32 UTC, 2 min after the impact started (time to detect).',
    );
  });

  it('writes the response from the page, the escalation, the acknowledgement and the roles, by role', () => {
    expect(alertPrefill().fields.response).toBe(
      'The incident manager was paged at 14:32 UTC. Not acknowledged in time: escalated to the backup incident ' +
        'manager (tier 1) at 14:47 UTC. The incident was acknowledged by the backup incident manager at 14:49 UTC, ' +
        '17 min after detection (time to acknowledge). Roles: an incident manager and a tech lead took part; no ' +
        'comms manager was assigned. Responders met in the chat room #hot-42. The first comms went out at 14:50 ' +
        'UTC, 18 min after detection. 1 update was posted.',
    );
  });

  it('leaves recovery and what only people know to the owner', () => {
    const { fields, prefilled } = alertPrefill();
    expect(fields.recovery).toBe('');
    expect(fields.leadup).toBe('');
    expect(fields.fiveWhys).toEqual([]);
    expect(fields.rootCauseCategory).toBeUndefined();
    expect(prefilled).toEqual(['summary', 'impact', 'detection', 'response', 'timeline', 'recurrence']);
  });

  it('builds the timeline in UTC from the events that matter, not every alert state or mail', () => {
    expect(alertPrefill().fields.timeline).toEqual([
      { at: '2026-11-30T14:30:00.000Z', text: 'Impact started.' },
      {
        at: '2026-11-30T14:32:10.000Z',
        text: 'First alert received: "HighErrorRate: checkout 5xx above 5%" from alertmanager.',
      },
      { at: '2026-11-30T14:32:10.000Z', text: 'HOT-42 opened from alertmanager as Sev 3.' },
      { at: '2026-11-30T14:32:12.000Z', text: 'Paged the incident manager.' },
      {
        at: '2026-11-30T14:45:00.000Z',
        text: 'Severity changed from Sev 3 to Sev 2: EU card payments failing.',
      },
      {
        at: '2026-11-30T14:47:20.000Z',
        text: 'Not acknowledged in time: escalated to the backup incident manager.',
      },
      {
        at: '2026-11-30T14:49:00.000Z',
        text: 'Acknowledged by the backup incident manager, who took charge as incident manager.',
      },
      { at: '2026-11-30T14:50:05.000Z', text: 'First internal and external comms sent.' },
      {
        at: '2026-11-30T15:00:00.000Z',
        text: 'Update 1 posted: Rolled back release 2026.11.30-2. Errors are falling.',
      },
      { at: '2026-11-30T15:10:00.000Z', text: 'Impact ended.' },
      { at: '2026-11-30T15:15:00.000Z', text: 'Incident resolved.' },
    ]);
  });

  it('computes the handbook metrics in minutes', () => {
    expect(alertPrefill().metrics).toEqual({
      minutesOfImpact: 40,
      timeToDetectMinutes: 2,
      timeToAcknowledgeMinutes: 17,
      timeToRecoverMinutes: 40,
    });
  });

  it('suggests related incidents, its own recurrence first, and names them', () => {
    const { recurrence } = alertPrefill().fields;
    expect(recurrence.relatedIncidents).toEqual(['HOT-17', 'HOT-30']);
    expect(recurrence.text).toBe(
      [
        'Earlier incidents of Checkout or of this alert group in the 90 days before this one:',
        '- HOT-17 on 2 November 2026: "HighErrorRate: checkout 5xx above 5%"',
        '- HOT-30 on 20 November 2026: "Checkout latency high"',
        '',
        'HOT-42 is a recurrence of HOT-17: the same alerts fired again after it was resolved.',
      ].join('\n'),
    );
  });

  it('names nobody: no configured name or address in anything it writes (blameless)', () => {
    const prefill = alertPrefill();
    const checks = checkPostmortem(
      postmortemOf({ fields: prefill.fields, prefilled: prefill.prefilled }),
      people,
    );
    expect(checks.warnings.filter((w) => w.code === 'blame')).toEqual([]);
    expect(JSON.stringify(prefill.fields)).not.toMatch(/@example\.com/);
  });
});

describe('the pre-filled postmortem of a declared incident spanning two days', () => {
  it('names both dates in the summary and the declaration as the detection', () => {
    expect(declaredPrefill().fields.summary).toBe(
      'Between 23:40 UTC on 30 November 2026 and 01:15 UTC on 1 December 2026, customers of Checkout experienced ' +
        '"Customers pay but get no order confirmation. Some pay twice". The event was detected by a manual ' +
        'declaration at 00:05 UTC. This Sev 1 incident affected Checkout and Payments. No support cases were raised.',
    );
  });

  it('says no alert fired, with the time to detect; keeps the description as typed (LF line ends)', () => {
    const { fields, metrics } = declaredPrefill();
    expect(fields.detection).toBe(
      'The incident was declared by hand at 00:05 UTC, 25 min after the impact started (time to detect). No alert fired for it.',
    );
    expect(fields.impact).toContain(
      'What they saw: Customers pay but get no order confirmation.\nSome pay twice.',
    );
    expect(fields.impact).toContain(
      'For 1 h 35 min, between 23:40 UTC on 30 November 2026 and 01:15 UTC on 1 December 2026',
    );
    expect(metrics).toEqual({
      minutesOfImpact: 95,
      timeToDetectMinutes: 25,
      timeToAcknowledgeMinutes: 4,
      timeToRecoverMinutes: 95,
    });
  });

  it('names the acknowledger by role even when they declared it, and says what is missing', () => {
    expect(declaredPrefill().fields.response).toBe(
      'The incident manager was paged at 00:05 UTC. The incident was acknowledged by an operator at 00:09 UTC, ' +
        '4 min after detection (time to acknowledge). No roles were assigned.',
    );
  });

  it('says there is no earlier incident when there is none', () => {
    expect(declaredPrefill().fields.recurrence).toEqual({
      text: 'No earlier incident of Checkout or of this alert group in the 90 days before this one.',
      relatedIncidents: [],
    });
  });

  it('keeps a timeline in time order across midnight', () => {
    expect(declaredPrefill().fields.timeline.map((r) => `${r.at} ${r.text}`)).toEqual([
      '2026-11-30T23:40:00.000Z Impact started.',
      '2026-12-01T00:05:00.000Z HOT-43 declared by hand as Sev 1.',
      '2026-12-01T00:05:02.000Z Paged the incident manager.',
      '2026-12-01T00:09:00.000Z Acknowledged by an operator, who took charge as incident manager.',
      '2026-12-01T01:15:00.000Z Impact ended.',
      '2026-12-01T01:20:00.000Z Incident resolved.',
    ]);
  });

  it('words an impact without a recorded end', () => {
    expect(impactWindow('2026-11-30T14:30:00.000Z', undefined)).toBe('since 14:30 UTC on 30 November 2026');
  });
});

describe('pre-filling again', () => {
  const opened = () => {
    const prefill = alertPrefill();
    return postmortemOf({ fields: prefill.fields, metrics: prefill.metrics, prefilled: prefill.prefilled });
  };
  const later = () =>
    prefillPostmortem({
      incident: { ...alertIncident, supportCases: 7, impactEndedAt: '2026-11-30T15:20:00.000Z' },
      timeline: alertTimeline,
      alerts: alertAlerts,
      ...checkout,
      related,
    });

  it('refreshes the fields still as pre-filled, and the metrics', () => {
    const { postmortem, changed } = refreshPrefill(opened(), later());
    expect(changed).toEqual(['summary', 'impact', 'timeline']);
    expect(postmortem.fields.summary).toContain('7 support cases were raised.');
    expect(postmortem.metrics.minutesOfImpact).toBe(50);
  });

  it('never overwrites what a person wrote', () => {
    const edit = parsePostmortemEdit({
      version: 1,
      fields: {
        summary: 'Our words.',
        timeline: [{ at: '2026-11-30T14:20:00Z', text: 'Release deployed.' }],
      },
    });
    const { postmortem: edited } = applyEdit(opened(), edit, {
      by: 'owner@example.com',
      now: new Date('2026-12-01T09:00:00Z'),
      newId: () => 'unused',
    });
    expect(edited.prefilled).toEqual(['impact', 'detection', 'response', 'recurrence']);

    const { postmortem, changed } = refreshPrefill(edited, later());
    expect(changed).toEqual(['impact']);
    expect(postmortem.fields.summary).toBe('Our words.');
    expect(postmortem.fields.timeline).toEqual([
      { at: '2026-11-30T14:20:00.000Z', text: 'Release deployed.' },
    ]);
    expect(postmortem.fields.impact).toContain('7 support cases were raised.');
  });

  it('changes nothing when nothing changed', () => {
    expect(refreshPrefill(opened(), alertPrefill()).changed).toEqual([]);
  });
});
