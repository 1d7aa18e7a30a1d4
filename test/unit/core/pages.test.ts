import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type ActionWords,
  incidentPageView,
  type LinkPage,
  linkPageResponse,
  PAGE_STYLE,
  PAGE_STYLE_HASH,
  pageHeaders,
  renderLinkPage,
} from '../../../functions/core/pages.ts';

const hostile = `<script>alert("x")</script>&'"`;
const incident = { key: 'HOT-7', summary: `Checkout down ${hostile}`, severity: 1, status: 'paged' };
const action: ActionWords = {
  question: 'Acknowledge HOT-7?',
  consequence: `You take charge ${hostile}`,
  button: 'Acknowledge HOT-7',
  doneHeadline: 'You acknowledged HOT-7',
  doneDetail: 'You are in charge.',
  alreadyHeadline: 'HOT-7 was already acknowledged',
};
const token = 'v1.k1.eyJpZCI6IngifQ.c2lnbmF0dXJl';
const confirm: LinkPage = {
  kind: 'confirm',
  incident,
  action,
  recipient: `oncall+${hostile}@example.com`,
  expiresAt: '2026-11-21T10:00:00.000Z',
  formAction: `./${token}`,
};

const every: LinkPage[] = [
  confirm,
  { kind: 'done', incident, action, by: `a${hostile}@example.com`, at: '2026-11-20T10:00:00.000Z' },
  { kind: 'already-done', incident, action, by: `b${hostile}@example.com`, at: '2026-11-20T10:00:00.000Z' },
  { kind: 'in-progress', incident, action },
  { kind: 'expired' },
  { kind: 'invalid' },
  { kind: 'resolved', incident },
  { kind: 'refused', incident, reason: `not now ${hostile}` },
  { kind: 'not-found' },
  { kind: 'unavailable' },
  { kind: 'error' },
];

describe('link pages', () => {
  it.each(every.map((p) => [p.kind, p] as const))(
    '%s: escapes every outside value and has no script',
    (_, p) => {
      const html = renderLinkPage(p);
      expect(html).not.toMatch(/<script/i);
      expect(html).not.toMatch(/\son[a-z]+=/i);
      expect(html).not.toMatch(/javascript:/i);
      expect(html).not.toContain(hostile);
      expect(html).toMatch(/^<!doctype html>/);
      // Nothing is loaded from anywhere: the page is self-contained.
      expect(html).not.toMatch(/\s(src|href)=/i);
    },
  );

  it('shows the incident, the action in words and who the link is for, escaped', () => {
    const html = renderLinkPage(confirm);
    expect(html).toContain('<h1>Acknowledge HOT-7?</h1>');
    expect(html).toContain('<dd>HOT-7</dd>');
    expect(html).toContain('<dd>Sev 1</dd>');
    expect(html).toContain('Checkout down &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&quot;');
    expect(html).toContain('oncall+&lt;script&gt;');
    expect(html).toContain('2026-11-21 10:00 UTC');
    expect(html).toContain('Opening this page changed nothing.');
  });

  it('has exactly one form, which posts back to the link itself', () => {
    const html = renderLinkPage(confirm);
    const forms = html.match(/<form[^>]*>/g) ?? [];
    expect(forms).toEqual([`<form method="post" action="./${token}">`]);
    expect(new URL(`./${token}`, `https://incidents.example.com/links/${token}`).pathname).toBe(
      `/links/${token}`,
    );
    expect(html.match(/<button[^>]*>/g)).toEqual(['<button type="submit">']);
    expect(html).not.toMatch(/<input/);
  });

  it('offers no form on result pages', () => {
    for (const p of every.filter((x) => x.kind !== 'confirm')) expect(renderLinkPage(p)).not.toMatch(/<form/);
  });

  it('allows its one inline style by hash in a strict CSP', () => {
    const html = renderLinkPage(confirm);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
    expect(styles).toEqual([PAGE_STYLE]);
    const hash = createHash('sha256')
      .update(styles[0] ?? '')
      .digest('base64');
    expect(PAGE_STYLE_HASH).toBe(`sha256-${hash}`);
    expect(pageHeaders()['content-security-policy']).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
    expect(html).not.toMatch(/\sstyle=/);
  });

  it('is never cached, framed, sniffed or referred', () => {
    expect(pageHeaders()).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
    expect(renderLinkPage(confirm)).toContain('<meta name="referrer" content="no-referrer">');
  });

  it.each([
    ['confirm', 200],
    ['done', 200],
    ['already-done', 409],
    ['in-progress', 409],
    ['expired', 410],
    ['invalid', 403],
    ['resolved', 409],
    ['refused', 409],
    ['not-found', 404],
    ['unavailable', 503],
    ['error', 500],
  ] as const)('answers %s with %i', (kind, status) => {
    const p = every.find((x) => x.kind === kind) as LinkPage;
    const response = linkPageResponse(p);
    expect(response.statusCode).toBe(status);
    expect(response.headers['cache-control']).toBe('no-store');
    if (status === 503) expect(response.headers['retry-after']).toBe('2');
  });

  it('tells a person what happened in plain words', () => {
    expect(renderLinkPage({ kind: 'expired' })).toContain('This link has expired');
    expect(renderLinkPage({ kind: 'invalid' })).toContain('This link is not valid');
    const already = renderLinkPage(every[2] as LinkPage);
    expect(already).toContain('HOT-7 was already acknowledged');
    expect(already).toContain('2026-11-20 10:00 UTC');
    expect(renderLinkPage({ kind: 'resolved', incident })).toContain('HOT-7 is already resolved');
  });
});

describe('the read-only incident page of a view link', () => {
  const at = (day: number, time: string) => `2026-11-${String(day).padStart(2, '0')}T${time}.000Z`;
  const stored = {
    id: '01INCIDENT',
    key: 'HOT-7',
    number: 7,
    status: 'fixing' as const,
    severity: 2 as const,
    service: 'checkout',
    summary: `Checkout down ${hostile}`,
    products: ['Checkout'],
    source: 'alertmanager',
    impactStartedAt: at(29, '23:50:00'),
    detectedAt: at(29, '23:52:00'),
    openedAt: at(29, '23:52:00'),
    acknowledgedAt: at(30, '00:02:00'),
    executionName: 'HOT-7',
    updatedAt: at(30, '00:02:00'),
    roles: { incidentManager: `im+${hostile}@example.com` },
    chatChannel: 'hot-7',
    chatRoomUrl: 'javascript:alert(1)',
    videoUrl: 'https://meet.example.com/hot-7',
  };
  const view = incidentPageView(
    {
      incident: stored,
      timeline: [
        {
          incidentId: '01INCIDENT',
          eventId: 'b',
          at: at(30, '00:02:00'),
          kind: 'incident.acknowledged',
          actor: 'im',
          text: 'Acknowledged.',
        },
        {
          incidentId: '01INCIDENT',
          eventId: 'a',
          at: at(29, '23:52:00'),
          kind: 'incident.opened',
          actor: 'alertmanager',
          text: `Opened ${hostile}`,
        },
      ],
      alerts: [
        {
          incidentId: '01INCIDENT',
          source: 'alertmanager',
          groupKey: 'g',
          fingerprint: 'f',
          status: 'firing',
          startsAt: at(29, '23:50:00'),
          summary: 'High error rate',
          labels: {},
          annotations: {
            runbook_url: 'https://runbooks.example.com/x',
            dashboard_url: 'javascript:alert(1)',
          },
          url: 'http://prometheus.example.com/graph?g0.expr=up&x="1"',
          firstSeenAt: at(29, '23:52:00'),
          lastSeenAt: at(29, '23:52:00'),
        },
      ],
      comms: [
        {
          kind: 'page',
          subject: 'HOT-7 - Sev 2 - Paged',
          recipients: ['oncall@example.com'],
          sentAt: at(29, '23:52:01'),
        },
      ],
    },
    'Checkout',
    'oncall@example.com',
    at(30, '12:00:00'),
  );
  const html = renderLinkPage({ kind: 'incident', view });

  it('escapes every piece of recorded text', () => {
    expect(html).not.toContain('<script>');
    expect(html).toContain('Checkout down &lt;script&gt;');
    expect(html).toContain('Opened &lt;script&gt;');
    expect(html).toContain('im+&lt;script&gt;');
  });

  it('links only http(s) places and alert links, escaped', () => {
    expect(html).not.toContain('javascript:');
    expect(html).toContain('<a href="https://runbooks.example.com/x" rel="noreferrer">Runbook</a>');
    expect(html).toContain('href="http://prometheus.example.com/graph?g0.expr=up&amp;x=&quot;1&quot;"');
    expect(html).toContain('<a href="https://meet.example.com/hot-7" rel="noreferrer">Join</a>');
    expect(html).toContain('#hot-7');
  });

  it('shows the timeline oldest first under each UTC day, and the handbook measures', () => {
    const first = html.indexOf('29 November 2026');
    const second = html.indexOf('30 November 2026');
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(html.indexOf('Opened &lt;script&gt;')).toBeLessThan(html.indexOf('Acknowledged.'));
    expect(html).toContain('<dt>Time to detect</dt><dd>2 min</dd>');
    expect(html).toContain('<dt>Time to acknowledge</dt><dd>10 min</dd>');
    expect(html).toContain('<dt>Time to recover</dt><dd>-</dd>');
  });

  it('is served as a private page, and a POST of a view link gets 405 with no incident data', () => {
    const response = linkPageResponse({ kind: 'incident', view });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const refused = linkPageResponse({ kind: 'view-only' });
    expect(refused.statusCode).toBe(405);
    expect(refused.headers.allow).toBe('GET, HEAD');
    expect(refused.body).not.toContain('HOT-7');
  });
});
