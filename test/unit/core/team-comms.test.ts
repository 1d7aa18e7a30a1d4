import { describe, expect, it } from 'vitest';
import { teamNoticeEmail, teamReminderEmail } from '../../../functions/core/comms.ts';
import type { Incident } from '../../../functions/core/incident.ts';
import { serviceOf } from '../../../functions/core/organisation.ts';
import { organisation } from '../../support/organisation.ts';

const incident: Incident = {
  id: '01JTEST',
  key: 'HOT-9',
  number: 9,
  status: 'new',
  severity: 3,
  service: 'checkout',
  summary: 'Disk <b>95%</b>\r\nBcc: victim@example.com',
  products: ['Checkout'],
  source: 'alertmanager',
  impactStartedAt: '2026-11-20T19:41:12.345Z',
  detectedAt: '2026-11-20T19:43:00.000Z',
  openedAt: '2026-11-20T19:43:00.000Z',
  executionName: 'HOT-9',
  updatedAt: '2026-11-20T19:43:00.000Z',
};
const service = serviceOf(organisation, 'checkout');
const viewUrl = 'https://incidents.example.com/links/v1.k1.view&x=<y>';
const acknowledgeUrl = 'https://incidents.example.com/links/v1.k1.ack"onclick="x';

describe('the sev 3 team notice', () => {
  const mail = teamNoticeEmail({
    incident,
    service,
    viewUrl,
    acknowledgeUrl,
    firingAlerts: [
      {
        summary: 'Disk <script>',
        startsAt: '2026-11-20T19:41:12.345Z',
        links: [{ label: 'Runbook', href: 'https://runbooks.example.com/disk?a=1&b=2' }],
      },
    ],
    businessHours: 'Mon-Fri 09:00-17:00 (UTC)',
    remindAt: 'Mon 23 Nov 2026 09:00 (UTC)',
  });

  it('keeps the key and severity in a header-safe subject', () => {
    expect(mail.subject).toBe(
      'HOT-9 - Sev 3 - Disk <b>95%</b> Bcc: victim@example.com - Passed to your team',
    );
    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it('says it is passed to the team for business hours, nobody paged, when the reminder comes', () => {
    expect(mail.text).toContain(
      'A Sev 3 incident for Checkout was passed to your team for resolution during business hours (Mon-Fri 09:00-17:00 (UTC)). Nobody is paged.',
    );
    expect(mail.text).toContain('Reminder: Mon 23 Nov 2026 09:00 (UTC) if not acknowledged by then');
    expect(mail.text).toContain('Service: Checkout (owner: Payments)');
  });

  it('links the acknowledge confirm page and the incident page, escaped', () => {
    expect(mail.text).toContain(`Acknowledge: Acknowledge and take charge <${acknowledgeUrl}>`);
    expect(mail.text).toContain(`Incident: HOT-9 (open the incident page) <${viewUrl}>`);
    expect(mail.html).toContain(
      '<a href="https://incidents.example.com/links/v1.k1.ack&quot;onclick=&quot;x">Acknowledge and take charge</a>',
    );
    expect(mail.html).toContain('<a href="https://incidents.example.com/links/v1.k1.view&amp;x=&lt;y&gt;">');
    expect(mail.html).toContain('<a href="https://runbooks.example.com/disk?a=1&amp;b=2">Runbook</a>');
  });

  it('escapes every piece of incident and alert text in the html part', () => {
    expect(mail.html).toContain('Disk &lt;b&gt;95%&lt;/b&gt;');
    expect(mail.html).toContain('Disk &lt;script&gt;');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<b>95%');
  });
});

describe('the sev 3 team reminder', () => {
  const mail = teamReminderEmail({
    incident,
    service,
    viewUrl,
    acknowledgeUrl,
    notifiedAt: '2026-11-20T19:43:01.000Z',
    remindAt: 'Tue 24 Nov 2026 09:00 (UTC)',
  });

  it('says nobody has acknowledged, with a fresh acknowledge link and the incident page', () => {
    expect(mail.subject).toBe(
      'HOT-9 - Sev 3 - Disk <b>95%</b> Bcc: victim@example.com - Still not acknowledged',
    );
    expect(mail.text).toContain(
      'This Sev 3 incident for Checkout was passed to your team at 2026-11-20 19:43 UTC and nobody has acknowledged it yet.',
    );
    expect(mail.text).toContain(`Acknowledge: Acknowledge and take charge <${acknowledgeUrl}>`);
    expect(mail.text).toContain(`<${viewUrl}>`);
    expect(mail.text).toContain('Next reminder: Tue 24 Nov 2026 09:00 (UTC) if still not acknowledged');
    expect(mail.html).toContain('Disk &lt;b&gt;95%&lt;/b&gt;');
    expect(mail.html).not.toContain('"onclick="');
  });
});
