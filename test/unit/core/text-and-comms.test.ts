import { describe, expect, it } from 'vitest';
import {
  externalEmail,
  initialExternalWording,
  pageEmail,
  subjectFor,
  workflowFailureEmail,
} from '../../../functions/core/comms.ts';
import type { Incident } from '../../../functions/core/incident.ts';
import { serviceOf } from '../../../functions/core/organisation.ts';
import { cap, escapeHtml, headerSafe } from '../../../functions/core/text.ts';
import { organisation } from '../../support/organisation.ts';

const incident: Incident = {
  id: '01JTEST',
  key: 'HOT-7',
  number: 7,
  status: 'new',
  severity: 1,
  service: 'checkout',
  summary: 'Checkout <b>down</b>\r\nBcc: victim@example.com',
  products: ['Checkout'],
  source: 'alertmanager',
  impactStartedAt: '2026-11-20T09:41:12.345Z',
  detectedAt: '2026-11-20T09:43:00.000Z',
  openedAt: '2026-11-20T09:43:00.000Z',
  executionName: 'HOT-7',
  updatedAt: '2026-11-20T09:43:00.000Z',
};

describe('text safety', () => {
  it('escapes every HTML-significant character', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('strips CR/LF and control characters from header values', () => {
    expect(headerSafe('a\r\nBcc: x@example.com\u0007')).toBe('a Bcc: x@example.com');
  });

  it('caps long text with a visible mark', () => {
    expect(cap('abcdef', 4)).toBe('abc…');
    expect(cap('abc', 4)).toBe('abc');
  });
});

describe('page email', () => {
  const message = pageEmail({
    incident,
    service: serviceOf(organisation, 'checkout'),
    viewUrl: 'https://incidents.example.com/links/v1.k1.view-token.sig',
    firingAlerts: [
      {
        summary: '<script>alert(1)</script>',
        startsAt: '2026-11-20T09:41:12.345Z',
        links: [
          { label: 'Runbook', href: 'https://runbooks.example.com/checkout?a=1&b="2"' },
          { label: 'Graph', href: 'http://prometheus.example.com:9090/graph?g0.expr=up' },
        ],
      },
    ],
  });

  it('uses the handbook subject with the key and no line breaks', () => {
    expect(message.subject).toBe('HOT-7 - Sev 1 - Checkout <b>down</b> Bcc: victim@example.com - Paged');
    expect(message.subject).not.toMatch(/[\r\n]/);
  });

  it('escapes user text in the html part and links the incident page', () => {
    expect(message.html).not.toContain('<script>');
    expect(message.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(message.html).toContain('&lt;b&gt;down&lt;/b&gt;');
    expect(message.html).toContain('href="https://incidents.example.com/links/v1.k1.view-token.sig"');
    expect(message.html).not.toContain('/incidents/HOT-7');
  });

  it("links each firing alert's runbook and graph, escaped", () => {
    expect(message.html).toContain(
      '<a href="https://runbooks.example.com/checkout?a=1&amp;b=&quot;2&quot;">Runbook</a>',
    );
    expect(message.html).toContain('<a href="http://prometheus.example.com:9090/graph?g0.expr=up">Graph</a>');
    expect(message.text).toContain('Runbook: https://runbooks.example.com/checkout?a=1&b="2"');
  });

  it('carries the same facts in the text part', () => {
    expect(message.text).toContain('HOT-7');
    expect(message.text).toContain('Checkout (owner: Payments)');
    expect(message.text).toContain('Impact started: 2026-11-20 09:41 UTC');
    expect(message.text).toContain('- <script>alert(1)</script> (since 2026-11-20 09:41 UTC) | Runbook:');
  });
});

describe('workflow failure email', () => {
  it('says what failed and that a person must act', () => {
    const message = workflowFailureEmail({ incident, error: 'States.Timeout', cause: 'task timed out' });
    expect(message.subject).toContain('Workflow failed');
    expect(message.text).toContain('States.Timeout');
    expect(message.text).toMatch(/page its incident manager by hand/);
    expect(subjectFor({ key: 'HOT-1', severity: 2, summary: 'x' })).toBe('HOT-1 - Sev 2 - x');
  });
});

describe('external email', () => {
  it('is made of the external wording alone: its first sentence the subject, the wording the body', () => {
    const wording = initialExternalWording('Checkout and Payments', 'https://status.example.com/status');
    const message = externalEmail(wording);
    expect(message.subject).toBe('We are investigating issues with Checkout and Payments.');
    expect(message.text).toContain(wording);
    expect(message.html).toContain('We are investigating issues with Checkout and Payments.');
    for (const part of [message.subject, message.text, message.html]) {
      expect(part).not.toMatch(/HOT-\d|Sev \d|Checkout &lt;b&gt;|\/links\//);
    }
  });

  it("keeps a person's external text safe: escaped in HTML, one header line in the subject", () => {
    const message = externalEmail('Payments <b>recovering</b>\r\nBcc: victim@example.com. More soon.');
    expect(message.subject).toBe('Payments <b>recovering</b> Bcc: victim@example.com.');
    expect(message.subject).not.toMatch(/[\r\n]/);
    expect(message.html).toContain('Payments &lt;b&gt;recovering&lt;/b&gt;');
    expect(message.html).not.toContain('<b>recovering');
  });

  it('caps a long wording without a sentence end in the subject', () => {
    const message = externalEmail('x'.repeat(280));
    expect(message.subject.length).toBeLessThanOrEqual(150);
    expect(message.text).toContain('x'.repeat(280));
  });
});
