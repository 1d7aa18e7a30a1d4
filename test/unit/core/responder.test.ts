import { describe, expect, it } from 'vitest';
import type { Incident } from '../../../functions/core/incident.ts';
import {
  mayPost,
  readResponderForm,
  responderClosesAt,
  responderVersion,
  rolesOf,
  typedFields,
} from '../../../functions/core/responder.ts';

const NOW = new Date('2026-12-06T03:00:00.000Z');

const incident = (over: Partial<Incident> = {}): Incident => ({
  id: '01JINCIDENT',
  key: 'HOT-7',
  number: 7,
  status: 'fixing',
  severity: 2,
  service: 'checkout',
  summary: 'Checkout errors',
  products: [],
  source: 'alertmanager',
  impactStartedAt: '2026-12-06T02:40:00.000Z',
  detectedAt: '2026-12-06T02:41:00.000Z',
  openedAt: '2026-12-06T02:41:00.000Z',
  executionName: 'HOT-7',
  updatedAt: '2026-12-06T02:50:00.000Z',
  roles: {
    incidentManager: 'im@example.com',
    techLeads: ['Lead@Example.com'],
    commsManager: 'comms@example.com',
  },
  ...over,
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields);

describe('who may do what from a responder link', () => {
  it('knows the roles an address holds, whatever its case', () => {
    expect(rolesOf(incident(), 'IM@example.com')).toEqual(['incident-manager']);
    expect(rolesOf(incident(), 'lead@example.com')).toEqual(['tech-lead']);
    expect(rolesOf(incident(), 'someone@example.com')).toEqual([]);
  });

  it('lets the incident manager do everything and the tech lead and comms manager post updates only', () => {
    for (const intent of ['update', 'severity', 'roles', 'meeting', 'resolve', 'measures'] as const)
      expect(mayPost(['incident-manager'], intent)).toBe(true);
    expect(mayPost(['tech-lead'], 'update')).toBe(true);
    expect(mayPost(['comms-manager'], 'update')).toBe(true);
    for (const intent of ['severity', 'roles', 'meeting', 'resolve', 'measures'] as const) {
      expect(mayPost(['tech-lead'], intent)).toBe(false);
      expect(mayPost(['comms-manager'], intent)).toBe(false);
    }
    expect(mayPost([], 'update')).toBe(false);
  });

  it('closes the page a grace after resolution, and never while open', () => {
    expect(responderClosesAt(incident())).toBeUndefined();
    expect(responderClosesAt(incident({ resolvedAt: '2026-12-06T04:00:00.000Z' }))).toBe(
      Date.parse('2026-12-09T04:00:00.000Z'),
    );
  });

  it('makes a form stale on what it shows, not on what the workflow changes by itself', () => {
    const v = responderVersion(incident());
    expect(responderVersion(incident({ nextUpdateDue: '2026-12-06T03:30:00.000Z', missedUpdates: 1 }))).toBe(
      v,
    );
    expect(responderVersion(incident({ updatedAt: '2026-12-06T02:59:00.000Z', status: 'paged' }))).toBe(v);
    expect(responderVersion(incident({ updateCount: 1 }))).not.toBe(v);
    expect(responderVersion(incident({ severity: 1 }))).not.toBe(v);
    expect(responderVersion(incident({ roles: { incidentManager: 'other@example.com' } }))).not.toBe(v);
    expect(responderVersion(incident({ videoUrl: 'https://meet.example.com/x' }))).not.toBe(v);
    expect(responderVersion(incident({ status: 'resolved' }))).not.toBe(v);
  });
});

describe('reading a responder form', () => {
  const update = {
    intent: 'update',
    summary: 'Checkout fails for some cards. We found the cause.',
    status: '- Rolling back\r\n* Errors falling\n\n',
    nextSteps: 'Finish rollback\nWatch errors',
    impact: '8% of card payments fail',
    internalCustomers: '',
    externalCustomers: '1200',
    rootCause: '',
    eta: 'in 2h',
    nextUpdateMinutes: '30',
  };

  it('reads an update: bullets by line, an empty count as unknown, times from now', () => {
    const request = readResponderForm(form(update), NOW);
    expect(request).toEqual({
      intent: 'update',
      update: {
        summary: update.summary,
        status: ['Rolling back', 'Errors falling'],
        nextSteps: ['Finish rollback', 'Watch errors'],
        impact: update.impact,
        customers: { internal: 'unknown', external: 1200 },
        rootCause: 'currently unknown',
        eta: '2026-12-06T05:00:00.000Z',
        nextUpdateAt: '2026-12-06T03:30:00.000Z',
      },
    });
  });

  it.each([
    [{ ...update, status: 'only one' }, /current status needs 2-4 bullets/],
    [{ ...update, externalCustomers: 'many' }, /external customers must be a number/],
    [{ ...update, nextUpdateMinutes: '' }, /next update time is missing/],
    [{ ...update, eta: 'soonish' }, /ETA: "soonish" is not a time/],
    [{ ...update, summary: '' }, /summary is missing/],
    [{ intent: 'severity', severity: '4', reason: 'x' }, /choose a severity/],
    [{ intent: 'severity', severity: '2', reason: ' ' }, /say why/],
    [{ intent: 'roles' }, /name at least one person/],
    [{ intent: 'meeting', videoUrl: 'javascript:alert(1)' }, /video call must be an https/],
    [{ intent: 'resolve', supportCases: '-1' }, /support cases is missing/],
    [{ intent: 'resolve', supportCases: '0', impactEndedAt: 'yesterday-ish' }, /impact ended/],
    [{ intent: 'delete-everything' }, /says nothing to do/],
  ])('refuses %j naming the problem', (fields, message) => {
    expect(() => readResponderForm(form(fields as Record<string, string>), NOW)).toThrow(message);
  });

  it('reads severity, roles (split on commas and spaces), meeting places (empty clears) and resolution', () => {
    expect(readResponderForm(form({ intent: 'severity', severity: '1', reason: 'All cards' }), NOW)).toEqual({
      intent: 'severity',
      severity: 1,
      reason: 'All cards',
    });
    expect(
      readResponderForm(
        form({ intent: 'roles', techLeads: 'a@example.com, b@example.com c@example.com' }),
        NOW,
      ),
    ).toEqual({ intent: 'roles', roles: { techLeads: ['a@example.com', 'b@example.com', 'c@example.com'] } });
    expect(
      readResponderForm(
        form({ intent: 'meeting', chatRoomUrl: 'https://chat.example.com/r', videoUrl: '' }),
        NOW,
      ),
    ).toEqual({
      intent: 'meeting',
      meeting: { chatRoomUrl: 'https://chat.example.com/r', videoUrl: null, stateDocumentUrl: null },
    });
    expect(
      readResponderForm(
        form({ intent: 'resolve', supportCases: '3', impactEndedAt: '10 minutes ago', postmortem: 'yes' }),
        NOW,
      ),
    ).toEqual({
      intent: 'resolve',
      kind: 'resolved',
      supportCases: 3,
      impactEndedAt: '2026-12-06T02:50:00.000Z',
      postmortem: true,
    });
  });

  it('reads how it ended (a duplicate names its incident) and a correction of the times', () => {
    expect(
      readResponderForm(
        form({ intent: 'resolve', supportCases: '0', kind: 'duplicate', duplicateOf: 'hot-3' }),
        NOW,
      ),
    ).toMatchObject({ kind: 'duplicate', duplicateOf: 'HOT-3' });
    expect(() =>
      readResponderForm(form({ intent: 'resolve', supportCases: '0', kind: 'duplicate' }), NOW),
    ).toThrow(/names the incident it duplicates/);
    expect(() =>
      readResponderForm(form({ intent: 'resolve', supportCases: '0', kind: 'gone' }), NOW),
    ).toThrow(/choose how it ended/);
    expect(
      readResponderForm(
        form({ intent: 'measures', impactStartedAt: '2h ago', reason: 'Alert fired late' }),
        NOW,
      ),
    ).toEqual({
      intent: 'measures',
      correction: { impactStartedAt: '2026-12-06T01:00:00.000Z', reason: 'Alert fired late' },
    });
    expect(() => readResponderForm(form({ intent: 'measures', reason: 'x' }), NOW)).toThrow(/at least one/);
  });

  it('keeps what was typed (but the version) to show it again', () => {
    expect(typedFields(form({ intent: 'update', version: 'abc', summary: 'x'.repeat(6000) }))).toEqual({
      intent: 'update',
      summary: 'x'.repeat(5000),
    });
  });
});
