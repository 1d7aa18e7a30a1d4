import { describe, expect, it } from 'vitest';
import { finalExternalWording, finalInternalEmail } from '../../../functions/core/comms.ts';
import { postmortemNeed } from '../../../functions/core/incident.ts';
import { planCorrection } from '../../../functions/core/measures.ts';
import { incidentPageView, renderLinkPage } from '../../../functions/core/pages.ts';
import { createReportAccumulator } from '../../../functions/core/report.ts';
import { incident, reportOptions } from './report-support.ts';

/** How an incident ended, as every reader sees it: postmortem need, mails, the page, the status wording, the report. */

describe('kinds of resolution', () => {
  it('asks a postmortem of a sev 1-2 with impact only; a false alarm or a duplicate on request', () => {
    expect(postmortemNeed(1, false)).toBe('required');
    expect(postmortemNeed(2, false, 'false-alarm')).toBe('not-required');
    expect(postmortemNeed(1, false, 'duplicate')).toBe('not-required');
    expect(postmortemNeed(1, true, 'duplicate')).toBe('requested');
    expect(postmortemNeed(2, false, 'cleared-before-acknowledgement')).toBe('not-required');
  });

  it('promises a postmortem externally only where one will be written, and says a false alarm had no impact', () => {
    expect(finalExternalWording('Checkout')).toContain('We will publish a postmortem');
    expect(finalExternalWording('Checkout', undefined, { postmortem: false })).toBe(
      'The issues with Checkout have been resolved and service is restored.',
    );
    const falseAlarm = finalExternalWording('Checkout', 'https://x.example/status', {
      postmortem: false,
      kind: 'false-alarm',
    });
    expect(falseAlarm).toBe(
      'We looked into possible issues with Checkout: service was not affected. Status: https://x.example/status',
    );
    expect(finalExternalWording('Checkout', undefined, { kind: 'duplicate', postmortem: false })).not.toMatch(
      /postmortem|HOT-/,
    );
  });

  it('says how it ended in the resolution mail and on the incident page', () => {
    const duplicate = incident('HOT-8', {
      resolution: 'duplicate',
      duplicateOf: 'HOT-7',
      postmortem: 'not-required',
      resolvedAt: '2026-11-24T11:00:00.000Z',
      impactEndedAt: '2026-11-24T11:00:00.000Z',
    });
    const mail = finalInternalEmail({
      incident: duplicate,
      products: 'Checkout',
      viewUrl: 'https://x/links/t',
      durationText: '1 h',
    });
    expect(mail.text).toContain('The incident duplicates HOT-7');
    expect(mail.text).toContain('Postmortem: not required (duplicate; can be requested)');
    const page = renderLinkPage({
      kind: 'incident',
      view: incidentPageView(
        { incident: duplicate, timeline: [], alerts: [], comms: [] },
        'Checkout',
        'a@example.com',
        '2026-12-24T11:00:00.000Z',
      ),
    });
    expect(page).toContain('<dt>Resolution</dt><dd>duplicate of HOT-7</dd>');
  });

  it('counts false alarms and duplicates in the report without minutes of impact or TTD/TTR', () => {
    const acc = createReportAccumulator(reportOptions);
    const hour = { impactStartedAt: '2026-11-24T10:00:00.000Z', impactEndedAt: '2026-11-24T11:00:00.000Z' };
    acc.addIncident(incident('HOT-1', { ...hour, resolution: 'resolved' }));
    acc.addIncident(incident('HOT-2', { ...hour, resolution: 'false-alarm' }));
    acc.addIncident(incident('HOT-3', { ...hour, resolution: 'duplicate', duplicateOf: 'HOT-1' }));
    acc.addIncident(incident('HOT-4', hour)); // resolved before kinds existed: read as resolved
    const report = acc.result();
    expect(report.current.byResolution).toEqual({
      resolved: 2,
      'false-alarm': 1,
      duplicate: 1,
      'cleared-before-acknowledgement': 0,
    });
    expect(report.current.impactMinutes).toBe(120);
    expect(report.current.incidents).toBe(4);
    expect(report.incidentRows.rows.find((r) => r.key === 'HOT-2')).toMatchObject({
      resolution: 'false-alarm',
      impactMinutes: 0,
    });
  });
});

describe('corrections of the measures', () => {
  const base = incident('HOT-9', {
    impactStartedAt: '2026-11-08T10:00:00.000Z',
    detectedAt: '2026-11-24T10:00:00.000Z',
    impactEndedAt: '2026-11-24T11:00:00.000Z',
  });
  const now = new Date('2026-11-30T09:00:00.000Z');

  it('plans what changes, keeping the first values once', () => {
    const plan = planCorrection(base, { impactStartedAt: '2026-11-24T09:50:00Z', reason: 'Old series' }, now);
    expect(plan.changes).toEqual([
      { field: 'impactStartedAt', from: '2026-11-08T10:00:00.000Z', to: '2026-11-24T09:50:00.000Z' },
    ]);
    expect(plan.set).toMatchObject({
      impactStartedAt: '2026-11-24T09:50:00.000Z',
      measuresRecorded: {
        impactStartedAt: '2026-11-08T10:00:00.000Z',
        detectedAt: '2026-11-24T10:00:00.000Z',
      },
    });
    const again = planCorrection(
      { ...base, ...plan.set },
      { detectedAt: '2026-11-24T09:55:00Z', reason: 'Late alert' },
      now,
    );
    expect(again.set.measuresRecorded).toBeUndefined();
  });

  it.each([
    [{ reason: ' ' }, /say why/],
    [{ impactStartedAt: '2026-11-24T10:30:00Z', reason: 'x' }, /cannot start after it was detected/],
    [{ impactEndedAt: '2026-11-01T00:00:00Z', reason: 'x' }, /cannot end before it started/],
    [{ impactStartedAt: '2026-11-08T10:00:00.000Z', reason: 'x' }, /nothing to correct/],
    [{ detectedAt: '2026-12-30T00:00:00Z', reason: 'x' }, /in the future/],
    // Date.parse would read it as 2001-01-01.
    [{ impactStartedAt: '1', reason: 'x' }, /impactStartedAt must be an ISO-8601 time/],
  ])('refuses %j', (correction, message) => {
    expect(() => planCorrection(base, correction, now)).toThrow(message);
  });

  it('refuses an impact end before resolution', () => {
    expect(() =>
      planCorrection(
        { ...base, status: 'fixing' },
        { impactEndedAt: '2026-11-24T10:30:00Z', reason: 'x' },
        now,
      ),
    ).toThrow(/not resolved/);
  });
});

describe('corrections after publication', () => {
  it('are shown beside the published document, never in it, and only when made after publication', async () => {
    const { correctionsSincePublication } = await import('../../../functions/core/postmortem-document.ts');
    const { publishedPage } = await import('../../../functions/core/document-render.ts');
    const corrected = {
      impactStartedAt: '2026-11-24T09:50:00.000Z',
      detectedAt: '2026-11-24T10:00:00.000Z',
      impactEndedAt: '2026-11-24T11:00:00.000Z',
      measuresCorrectedAt: '2026-12-02T08:00:00.000Z',
    };
    expect(correctionsSincePublication(corrected, '2026-12-03T00:00:00.000Z')).toEqual([]);
    const lines = correctionsSincePublication(corrected, '2026-12-01T00:00:00.000Z');
    expect(lines[0]).toBe('Impact started: 2026-11-24 09:50 UTC');
    const markdown = '# Postmortem of HOT-9\n\nImpact started at 2026-11-08 10:00 UTC.\n';
    const page = publishedPage(markdown, 'HOT-9', lines);
    expect(page).toContain('Impact started at 2026-11-08 10:00 UTC.');
    expect(page.indexOf('Corrected since publication')).toBeGreaterThan(page.indexOf('</article>'));
    expect(publishedPage(markdown, 'HOT-9', ['<script>x</script>'])).toContain(
      '&lt;script&gt;x&lt;/script&gt;',
    );
    expect(publishedPage(markdown, 'HOT-9')).not.toContain('Corrected since publication');
  });
});
