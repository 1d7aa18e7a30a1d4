import { describe, expect, it, vi } from 'vitest';
import { templateLines } from '../../../functions/cli/commands/postmortem-view.ts';
import { approvalPendingEmail, approvalRequestEmail } from '../../../functions/core/approval-mails.ts';
import { renderDocumentSections } from '../../../functions/core/document-render.ts';
import type { Incident } from '../../../functions/core/incident.ts';
import { actionReminderEmail } from '../../../functions/core/mails/actions.ts';
import {
  allAlertsResolvedEmail,
  finalInternalEmail,
  followUpInternalEmail,
  overdueEmail,
  workflowRecoveredEmail,
} from '../../../functions/core/mails/incident-comms.ts';
import { mailTime } from '../../../functions/core/mails/layout.ts';
import { pageEmail, teamNoticeEmail, teamReminderEmail } from '../../../functions/core/mails/paging.ts';
import {
  postmortemEditorLinkEmail,
  postmortemOpenedEmail,
  postmortemOverdueEmail,
  postmortemReminderEmail,
} from '../../../functions/core/mails/postmortem.ts';
import { reportEmail } from '../../../functions/core/mails/report.ts';
import { serviceOf } from '../../../functions/core/organisation.ts';
import { incidentPageView, renderLinkPage } from '../../../functions/core/pages.ts';
import type { Postmortem } from '../../../functions/core/postmortem.ts';
import { publishedMarkdown } from '../../../functions/core/postmortem-document.ts';
import { applyEdit, inTimeOrder, parsePostmortemEdit } from '../../../functions/core/postmortem-edit.ts';
import { postmortemToMarkdown } from '../../../functions/core/postmortem-markdown.ts';
import { prefillPostmortem } from '../../../functions/core/postmortem-prefill.ts';
import { approvalRef } from '../../../functions/use-cases/approvals.ts';
import { approvalKind } from '../../../functions/use-cases/links/approval.ts';
import type { IncidentLink, LinkDeps } from '../../../functions/use-cases/links/kind.ts';
import { organisation } from '../../support/organisation.ts';
import { alertAlerts, alertIncident, alertTimeline, completePostmortem } from './postmortem-support.ts';
import { handReport } from './report-support.ts';

const viewUrl = 'https://incidents.example.com/links/v1.k1.view.sig';

/** An incident whose latest update stated an impact other than its (alert-made) description. */
const restated: Incident = {
  ...alertIncident,
  description: 'The alert said: 5xx above 5%.',
  statedImpact: 'Every EU card payment fails at checkout.',
  statedImpactAt: '2026-11-30T14:55:00.000Z',
};

/** Every time printed in a mail: no ISO with milliseconds, no `T...Z` left raw. */
const RAW_ISO = /\d{4}-\d\d-\d\dT\d\d:\d\d/;

describe('the latest stated impact wins everywhere', () => {
  it('the resolution mail shows the stated impact, not the description', () => {
    const mail = finalInternalEmail({
      incident: restated,
      products: 'Checkout',
      viewUrl,
      durationText: '40 min',
    });
    expect(mail.text).toContain('Impact: Every EU card payment fails at checkout.');
    expect(mail.text).not.toContain('The alert said');
  });

  it('without an update, the resolution mail shows the description', () => {
    const { statedImpact: _s, statedImpactAt: _a, ...plain } = restated;
    const mail = finalInternalEmail({
      incident: plain,
      products: 'Checkout',
      viewUrl,
      durationText: '40 min',
    });
    expect(mail.text).toContain('Impact: The alert said: 5xx above 5%.');
  });

  it('the incident page labels it Impact and shows the stated impact', () => {
    const view = incidentPageView(
      { incident: restated, timeline: [], alerts: [], comms: [] },
      'Checkout',
      'ann@example.com',
      '2026-12-10T00:00:00.000Z',
    );
    expect(view.description).toBe('Every EU card payment fails at checkout.');
    const page = renderLinkPage({ kind: 'incident', view });
    expect(page).toContain('<dt>Impact</dt><dd>Every EU card payment fails at checkout.</dd>');
    expect(page).not.toContain('The alert said');
  });

  it('the postmortem pre-fill writes the stated impact in its summary and impact', () => {
    const { fields } = prefillPostmortem({
      incident: restated,
      timeline: alertTimeline,
      alerts: alertAlerts,
      serviceName: 'Checkout',
      ownerTeam: 'Payments',
      related: [],
    });
    expect(fields.impact).toContain('What they saw: Every EU card payment fails at checkout.');
    expect(fields.summary).toContain('experienced "Every EU card payment fails at checkout"');
    expect(`${fields.impact}${fields.summary}`).not.toContain('The alert said');
  });
});

describe('the postmortem timeline is in time order wherever it is shown', () => {
  const shuffled = [
    { at: '2026-11-30T15:10:00.000Z', text: 'Impact ended.' },
    { at: '2026-11-30T14:30:00.000Z', text: 'Impact started.' },
    { at: '2026-11-30T14:49:00.000Z', text: 'Acknowledged, second at 14:49.' },
    { at: '2026-11-30T14:32:00.000Z', text: 'Alert fired.' },
    { at: '2026-11-30T14:49:00.000Z', text: 'Rolled back, third at 14:49.' },
  ];
  const order = [
    'Impact started.',
    'Alert fired.',
    'Acknowledged, second at 14:49.',
    'Rolled back, third at 14:49.',
    'Impact ended.',
  ];
  const unsorted: Postmortem = {
    ...completePostmortem(),
    fields: { ...completePostmortem().fields, timeline: shuffled },
  };
  const positions = (text: string) => order.map((row) => text.indexOf(row));
  const expectInOrder = (text: string) => {
    const at = positions(text);
    expect(at.every((p) => p >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  };

  it('inTimeOrder sorts by time, rows at the same time keeping their order', () => {
    expect(inTimeOrder(shuffled).map((r) => r.text)).toEqual(order);
    // Times written differently (a zone offset) sort by the instant.
    expect(
      inTimeOrder([
        { at: '2026-11-30T16:00:00+02:00', text: 'b' },
        { at: '2026-11-30T14:30:00.000Z', text: 'a' },
      ]).map((r) => r.text),
    ).toEqual(['b', 'a']);
  });

  it('a save stores the rows in time order, whatever order they were added in', () => {
    const edit = parsePostmortemEdit({ version: 1, fields: { timeline: shuffled } });
    const { postmortem } = applyEdit(completePostmortem(), edit, {
      by: 'ann@example.com',
      now: new Date('2026-12-01T10:00:00.000Z'),
      newId: () => '01JNEW',
    });
    expect(postmortem.fields.timeline.map((r) => r.text)).toEqual(order);
  });

  it('the published document, the approval mail, the CLI view and the CLI Markdown show them in order', () => {
    expectInOrder(publishedMarkdown(unsorted, { incident: alertIncident, serviceName: 'Checkout' }));
    const mail = approvalRequestEmail({
      incident: alertIncident,
      postmortem: unsorted,
      sections: renderDocumentSections(unsorted).email,
      serviceName: 'Checkout',
      approveUrl: 'https://incidents.example.com/links/a',
      requestChangesUrl: 'https://incidents.example.com/links/c',
      viewUrl,
      approver: 'ann@example.com',
      mandatory: true,
      expiresAt: '2026-12-16T10:00:00.000Z',
    });
    expectInOrder(mail.text);
    expectInOrder(mail.html);
    expectInOrder(templateLines(unsorted).join('\n'));
    expectInOrder(postmortemToMarkdown(unsorted));
  });
});

describe('mails show times as people read them', () => {
  const service = serviceOf(organisation, 'checkout');

  it('mailTime: UTC without milliseconds, the local clock where the zone is known', () => {
    expect(mailTime('2026-12-06T03:04:05.678Z')).toBe('2026-12-06 03:04 UTC');
    expect(mailTime('2026-12-06T03:04:05.678Z', 'UTC')).toBe('2026-12-06 03:04 UTC');
    expect(mailTime('2026-12-06T03:04:05.678Z', 'Europe/Paris')).toBe(
      '2026-12-06 03:04 UTC (04:04 Europe/Paris)',
    );
    expect(mailTime('2026-12-06T03:04:05.678Z', 'America/New_York')).toBe(
      '2026-12-06 03:04 UTC (2026-12-05 22:04 America/New_York)',
    );
    expect(mailTime('2026-12-06T03:04:05.678Z', 'Not/AZone')).toBe('2026-12-06 03:04 UTC');
    expect(mailTime('soon')).toBe('soon');
  });

  it('no mail body prints a raw ISO time', () => {
    const incident = { ...restated, impactStartedAt: '2026-12-06T03:04:05.678Z' };
    const postmortem = { owner: 'ann@example.com', ownerTeam: 'Payments', due: '2026-12-13T17:00:00.000Z' };
    const action = {
      title: 'Add a canary',
      kind: 'priority' as const,
      ownerTeam: 'Payments',
      dueAt: '2027-01-01T00:00:00.000Z',
    };
    const update = {
      summary: 'Rolling back.',
      status: ['rollback running'],
      nextSteps: ['watch'],
      impact: 'payments fail',
      customers: { internal: 0, external: 'unknown' as const },
      rootCause: 'unknown',
      eta: '30 min',
      nextUpdateAt: '2026-12-06T04:00:00.000Z',
    };
    const mails = [
      finalInternalEmail({ incident, products: 'Checkout', viewUrl, durationText: '40 min' }),
      followUpInternalEmail({ incident, products: 'Checkout', viewUrl, update, sequence: 2 }),
      overdueEmail({ incident, viewUrl, dueAt: '2026-12-06T04:00:00.000Z', escalated: false }),
      overdueEmail({ incident, viewUrl, dueAt: '2026-12-06T04:00:00.000Z', escalated: true }),
      allAlertsResolvedEmail({
        incident,
        viewUrl,
        alertCount: 2,
        lastResolvedAt: '2026-12-06T05:00:00.123Z',
      }),
      workflowRecoveredEmail({ incident, viewUrl, startedAt: '2026-12-06T05:00:00.123Z' }),
      pageEmail({
        incident,
        service,
        viewUrl,
        firingAlerts: [{ summary: 'a', startsAt: incident.impactStartedAt }],
      }),
      teamNoticeEmail({
        incident,
        service,
        viewUrl,
        acknowledgeUrl: viewUrl,
        firingAlerts: [{ summary: 'a', startsAt: incident.impactStartedAt }],
        businessHours: 'Mon-Fri',
        remindAt: 'Mon 7 Dec 2026 09:00 (UTC)',
      }),
      teamReminderEmail({
        incident,
        service,
        viewUrl,
        acknowledgeUrl: viewUrl,
        notifiedAt: '2026-12-06T03:05:00.000Z',
        remindAt: 'Tue',
      }),
      postmortemOpenedEmail({ incident, postmortem, editorUrl: viewUrl, viewUrl }),
      postmortemEditorLinkEmail({
        incident,
        postmortem,
        editorUrl: viewUrl,
        viewUrl,
        expiresAt: postmortem.due,
      }),
      postmortemReminderEmail({ incident, postmortem, editorUrl: viewUrl, viewUrl, when: 'before' }),
      postmortemReminderEmail({ incident, postmortem, editorUrl: viewUrl, viewUrl, when: 'due' }),
      postmortemOverdueEmail({ incident, postmortem, viewUrl }),
      actionReminderEmail({
        incident,
        action,
        reminder: 'before',
        markDoneUrl: viewUrl,
        viewUrl,
        to: 'team',
      }),
      actionReminderEmail({
        incident,
        action,
        reminder: 'breach',
        markDoneUrl: viewUrl,
        viewUrl,
        to: 'approvers',
      }),
      approvalPendingEmail({ incident, pending: ['ann@example.com'], viewUrl, requestedAt: postmortem.due }),
    ];
    for (const mail of mails) {
      expect(mail.text, mail.subject).not.toMatch(RAW_ISO);
      expect(mail.html, mail.subject).not.toMatch(RAW_ISO);
    }
    expect(mails[0]?.text).toContain('Impact started: 2026-12-06 03:04 UTC');
    expect(mails[1]?.text).toContain('Next update: 2026-12-06 04:00 UTC');
    expect(mails[14]?.text).toContain('Due: 2027-01-01 00:00 UTC');
  });

  it('the page mail adds the local time of the service’s zone', () => {
    const paris = { ...service, businessHours: { ...service.businessHours, timeZone: 'Europe/Paris' } };
    const mail = pageEmail({ incident: restated, service: paris, viewUrl, firingAlerts: [] });
    expect(mail.text).toContain('Impact started: 2026-11-30 14:30 UTC (15:30 Europe/Paris)');
  });

  it('the page mail carries the alert’s description, and says "1 more alert" / "2 more alerts"', () => {
    const alerts = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ summary: `alert ${i}`, startsAt: '2026-11-30T14:30:00.000Z' }));
    const one = pageEmail({ incident: restated, service, viewUrl, firingAlerts: alerts(21) });
    expect(one.text).toContain('Description: The alert said: 5xx above 5%.');
    expect(one.text).toContain('- and 1 more alert\n');
    const two = teamNoticeEmail({
      incident: restated,
      service,
      viewUrl,
      acknowledgeUrl: viewUrl,
      firingAlerts: alerts(22),
      businessHours: 'Mon-Fri',
      remindAt: 'Mon',
    });
    expect(two.text).toContain('- and 2 more alerts\n');
    expect(two.text).toContain('Description: The alert said: 5xx above 5%.');
    const { description: _d, ...declared } = restated;
    expect(pageEmail({ incident: declared, service, viewUrl, firingAlerts: [] }).text).not.toContain(
      'Description:',
    );
  });

  it('the SLO report says how much of the budget is used, with thousands separated', () => {
    const report = handReport();
    const first = report.current.byService.find((s) => s.availabilityObjective !== undefined);
    if (!first) throw new Error('the hand report has a service with an objective');
    const big = {
      ...report,
      current: {
        ...report.current,
        byService: report.current.byService.map((s) =>
          s === first ? { ...s, impactMinutes: 9616.2, allowedMinutes: 10.08, budgetUsed: 953.99 } : s,
        ),
      },
    };
    const mail = reportEmail(big, {
      title: 'Weekly SLO report',
      viewUrlFor: (key) => `https://x.example/${key}`,
    });
    expect(mail.text).toContain(
      `- ${first.name} (${first.availabilityObjective}%): 9,616.2 of 10.1 minutes allowed: 95,399% of the budget used (OVER BUDGET)`,
    );
    expect(mail.html).toContain('95,399% over budget');
    expect(mail.text).not.toMatch(RAW_ISO);
  });
});

describe('the approval pages show the postmortem’s status', () => {
  const hash = 'h'.repeat(32);
  const recipient = 'ann@example.com';
  const incident = { ...alertIncident, status: 'resolved' as const };
  const link = (decision: 'approved' | 'changes-requested' = 'approved'): IncidentLink =>
    ({
      token: 'v1.k1.tok.sig',
      incident,
      claims: {
        id: '01JLINK',
        incidentId: incident.id,
        key: incident.key,
        action: 'approve-postmortem',
        recipient,
        exp: 2_000_000_000,
        ref: approvalRef(decision, hash, 1),
      },
    }) as IncidentLink;
  const request = {
    requestRound: 1,
    requestedAt: '2026-12-01T10:00:00.000Z',
    requestedBy: 'owner@example.com',
    contentHash: hash,
    version: 4,
    approvers: [{ address: recipient, mandatory: true }],
  };
  const depsFor = (postmortem: Postmortem, decisions: unknown[] = []) =>
    ({
      organisation,
      postmortems: {
        get: vi.fn(async () => postmortem),
        decisions: vi.fn(async () => decisions),
        rendering: vi.fn(async () => undefined),
      },
      renderDocument: renderDocumentSections,
    }) as unknown as LinkDeps;
  const statusOf = (page: { kind: string } & Record<string, unknown>) =>
    (page as { incident?: { status: string } }).incident?.status;

  it('refused (the postmortem is a draft again): the postmortem’s status, not "resolved"', async () => {
    const pm = { ...completePostmortem(), status: 'draft' as const, version: 5 };
    const page = await approvalKind.get(depsFor(pm), link(), {});
    expect(page.kind).toBe('refused');
    expect(statusOf(page as never)).toBe('postmortem back with its owner (a draft, version 5)');
    const html = renderLinkPage(page as never);
    expect(html).toContain('<dt>Status</dt><dd>postmortem back with its owner (a draft, version 5)</dd>');
    expect(html).not.toContain('<dd>resolved</dd>');
  });

  it('stale (edited since the link was sent): the version now in review', async () => {
    const pm = {
      ...completePostmortem(),
      status: 'in-review' as const,
      version: 6,
      approval: { ...request, contentHash: 'n'.repeat(32), version: 6 },
    };
    const page = await approvalKind.get(depsFor(pm), link(), {});
    expect(page.kind).toBe('approval-stale');
    expect(renderLinkPage(page as never)).toContain('<dd>postmortem in review (version 6)</dd>');
  });

  it('already used: the postmortem’s status (here approved)', async () => {
    const pm = { ...completePostmortem(), status: 'approved' as const, version: 4, approval: request };
    const decision = {
      approver: recipient,
      mandatory: true,
      decision: 'approved',
      at: '2026-12-01T11:00:00.000Z',
      contentHash: hash,
      version: 4,
      requestRound: 1,
    };
    const page = await approvalKind.get(depsFor(pm, [decision]), link(), {});
    expect(page.kind).toBe('already-done');
    expect(renderLinkPage(page as never)).toContain('<dd>postmortem approved (version 4)</dd>');
  });

  it('confirm: in review, with the version asked about', async () => {
    const pm = { ...completePostmortem(), status: 'in-review' as const, version: 4, approval: request };
    const page = await approvalKind.get(depsFor(pm), link(), {});
    expect(page.kind).toBe('approval-confirm');
    expect(renderLinkPage(page as never)).toContain('<dd>postmortem in review (version 4)</dd>');
  });
});
