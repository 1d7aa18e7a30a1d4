import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMPTY, html, joinHtml, NEWLINE, raw, SafeHtml, text } from '../../../functions/core/html/html.ts';
import { PAGE_STYLE, PAGE_STYLE_HASH, pageShell } from '../../../functions/core/html/page.ts';

describe('the html tag', () => {
  it('escapes every interpolated string, number and list item', () => {
    // Arrange
    const name = `<script>alert("x" & 'y')</script>`;
    // Act
    const out = html`<p title="${name}">${name} ${42} ${[name, 'b']}</p>`.toString();
    // Assert
    const escaped = '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;';
    expect(out).toBe(`<p title="${escaped}">${escaped} 42 ${escaped}b</p>`);
  });

  it('inserts SafeHtml and lists of it as they are, and nothing for undefined, null and false', () => {
    const item = (t: string) => html`<li>${t}</li>`;
    const out = html`<ul>${['a&', 'b'].map(item)}</ul>${undefined}${null}${false}`;
    expect(out.toString()).toBe('<ul><li>a&amp;</li><li>b</li></ul>');
  });

  it('joins markup with a markup separator, and text() and raw() are what they say', () => {
    expect(joinHtml([html`<b>1</b>`, '<2>'], NEWLINE).toString()).toBe('<b>1</b>\n&lt;2&gt;');
    expect(joinHtml([]).toString()).toBe(EMPTY.toString());
    expect(text('<i>').toString()).toBe('&lt;i&gt;');
    expect(raw('<i>').toString()).toBe('<i>');
  });

  it('has no way to make SafeHtml from a string but raw() (the constructor is private)', () => {
    expect(html`x`).toBeInstanceOf(SafeHtml);
    // A string that looks like SafeHtml is still text.
    expect(html`${'<b>' as unknown as string}`.toString()).toBe('&lt;b&gt;');
  });
});

describe('the page shell', () => {
  it('serves the style sheet byte for byte, so its CSP hash stays valid', () => {
    const page = pageShell('ok', 'T & <t>', html`<p>hi</p>`);
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1];
    expect(style).toBe(PAGE_STYLE);
    expect(
      `sha256-${createHash('sha256')
        .update(style ?? '', 'utf8')
        .digest('base64')}`,
    ).toBe(PAGE_STYLE_HASH);
    expect(page).toContain('<title>T &amp; &lt;t&gt; - Hotline</title>');
    expect(page).toContain('<body class="ok">\n<main>\n<p class="brand">Hotline</p>\n<p>hi</p>\n</main>');
    expect(page.endsWith('</html>\n')).toBe(true);
  });
});
