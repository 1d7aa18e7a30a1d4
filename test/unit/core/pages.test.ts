import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type ActionWords,
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
    ['already-done', 200],
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
