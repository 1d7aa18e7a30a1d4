import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  publishedEmailDocument,
  publishedEmailHtml,
  publishedHtml,
  publishedPage,
  renderDocumentSections,
} from '../../../functions/core/document-render.ts';
import { PAGE_STYLE } from '../../../functions/core/pages.ts';
import type { Postmortem, PostmortemAction } from '../../../functions/core/postmortem.ts';
import {
  allowedLink,
  type DocumentContext,
  documentHtml,
  documentTitle,
  markdownBlock,
  markdownInline,
  plainSections,
  publishedMarkdown,
} from '../../../functions/core/postmortem-document.ts';
import { alertIncident, completePostmortem, postmortemOf } from './postmortem-support.ts';

// --- helpers ---------------------------------------------------------------------------------------------------

const TAG = /<\/?([a-zA-Z][a-zA-Z0-9]*)\b([^>]*)>/g;
const DOCUMENT_TAGS = new Set(['h1', 'h2', 'h3', 'p', 'ul', 'ol', 'li', 'strong', 'em', 'a', 'br']);

const decode = (html: string) =>
  html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
const textOf = (html: string) => decode(html.replace(/<[^>]*>/g, ''));

/** Every tag is one the document's structure uses; links are http(s) only; no attribute but ours. */
function expectSafe(html: string, { styles = false } = {}): void {
  for (const [tag, name = '', attributes = ''] of html.matchAll(TAG)) {
    expect(DOCUMENT_TAGS, tag).toContain(name.toLowerCase());
    if (tag.startsWith('</')) continue;
    const rest = styles ? attributes.replace(/ style="[^"<>]*"/, '') : attributes;
    if (name === 'a') expect(rest, tag).toMatch(/^ href="https?:\/\/[^"\s]+" rel="noopener noreferrer"$/);
    else expect(rest, tag).toBe('');
  }
  // Nothing that could run or load: no tag outside the list above, and no markup left half open.
  expect(html).not.toMatch(/<(script|img|svg|iframe|style|object|embed|link|meta|form|input)/i);
  expect(html.replace(TAG, '')).not.toMatch(/[<>]/);
}

/** The document's structure: its tags without paragraphs, line breaks and links (which text decides). */
const skeleton = (html: string) =>
  [...html.matchAll(TAG)].map((m) => m[0].replace(/\s.*>$/, '>')).filter((t) => !/^<\/?(p|br|a)>$/.test(t));

const context: DocumentContext = {
  incident: alertIncident,
  serviceName: 'Checkout',
  approvals: [
    { approver: 'ann@example.com', mandatory: true, at: '2026-12-03T10:00:00.000Z' },
    {
      approver: 'opt@example.com',
      mandatory: false,
      at: '2026-12-03T11:30:00.000Z',
      comment: 'Good.\nShip it.',
    },
  ],
  publishedAt: '2026-12-03T11:31:00.000Z',
};

/** A postmortem and its context with `t(n)` as every piece of text a person wrote. */
function filled(t: (n: number) => string, trackerUrl?: string): { pm: Postmortem; ctx: DocumentContext } {
  const base = completePostmortem();
  const action = (n: number, kind: PostmortemAction['kind']): PostmortemAction => ({
    id: `01JACTION00000000000000000${n}`,
    title: t(40 + n),
    kind,
    category: 'prevent-future',
    ownerTeam: t(50 + n),
    ...(trackerUrl === undefined ? {} : { trackerUrl }),
    status: 'open',
    dueAt: '2026-12-31T10:00:00.000Z',
  });
  const pm: Postmortem = {
    ...base,
    owner: t(1),
    ownerTeam: t(2),
    fields: {
      summary: t(3),
      leadup: t(4),
      fault: t(5),
      impact: t(6),
      detection: t(7),
      response: t(8),
      recovery: t(9),
      timeline: [
        { at: '2026-11-30T14:20:00.000Z', text: t(10) },
        { at: '2026-11-30T14:30:05.000Z', text: t(11) },
      ],
      fiveWhys: [t(12), t(13), t(14)],
      rootCause: t(15),
      rootCauseCategory: 'change',
      backlogCheck: t(16),
      recurrence: { text: t(17), relatedIncidents: ['HOT-17'] },
      lessons: { wentWell: t(18), couldBeBetter: t(19), gotLucky: t(20) },
      externalSummary: '',
    },
    actions: [action(1, 'priority'), action(2, 'improvement'), action(3, 'priority')],
  };
  return {
    pm,
    ctx: {
      incident: { ...alertIncident, summary: t(30), products: [t(31), t(32)] },
      serviceName: t(33),
      approvals: [
        { approver: t(34), mandatory: true, at: '2026-12-03T10:00:00.000Z', comment: t(35) },
        { approver: 'b@example.com', mandatory: false, at: '2026-12-03T10:05:00.000Z' },
      ],
    },
  };
}

const FRAGMENTS = [
  '[x](javascript:alert(1))',
  '[x](JaVaScRiPt:alert(1))',
  '[x](data:text/html;base64,PHNjcmlwdD4=)',
  '[x](vbscript:msgbox(1))',
  '[x](/relative)',
  '[x](//evil.example)',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<svg onload=alert(1)>',
  '![x](http://evil.example/pixel.png)',
  '<http://evil.example>',
  '<javascript:alert(1)>',
  '<mailto:a@b.co>',
  '<a@b.co>',
  'http://evil.example/a_b*c',
  'https://x.example/(y)).',
  'javascript:alert(1)',
  '&#106;avascript:alert(1)',
  '&lt;script&gt;',
  '[ref]: javascript:alert(1)',
  '[ref]',
  '<!-- c -->',
  '</p></li></ul>',
  '"\'',
  '\n',
  '\n\n',
  '# ',
  '## ',
  '- ',
  '* ',
  '+ ',
  '1. ',
  '2) ',
  '> ',
  '    ',
  '\t',
  '---',
  '===',
  '***',
  '```',
  '~~~',
  '~~',
  '| a | b |\n|---|---|\n| c | d |',
  '*',
  '_',
  '**',
  '__',
  '\\',
  '`',
  '   \n',
  'text',
  ' ',
];
const hostile = fc
  .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 6 })), { maxLength: 8 })
  .map((parts) => parts.join(''));
const hostileTexts = fc.array(hostile, { minLength: 60, maxLength: 60 });

/** The same document with neutral text: "x" where there was text, nothing where there was none. */
const neutral = (texts: readonly string[]) => (n: number) => ((texts[n] ?? '').trim() === '' ? '' : 'x');

// --- the Markdown ----------------------------------------------------------------------------------------------

describe('publishedMarkdown', () => {
  const pm = completePostmortem();
  const markdown = publishedMarkdown(pm, context);

  it('has a title, the facts, the template in its order, the actions by kind and the approvals', () => {
    const headings = markdown.split('\n').filter((l) => l.startsWith('#'));
    expect(headings).toEqual([
      '# Postmortem of HOT-42: HighErrorRate: checkout 5xx above 5%',
      '## Incident summary',
      '## Leadup',
      '## Fault',
      '## Impact',
      '## Detection',
      '## Response',
      '## Recovery',
      '## Timeline (UTC)',
      '## Five whys',
      '## Root cause',
      '## Backlog check',
      '## Recurrence',
      '## Lessons learned',
      '### What went well',
      '### What could have gone better',
      '### Where we got lucky',
      '## Actions',
      '### Priority actions',
      '### Improvement actions',
      '## External summary',
      '## Approvals',
    ]);
    expect(markdown).toContain('- **Severity:** Sev 2');
    expect(markdown).toContain('- **Service:** Checkout');
    expect(markdown).toContain('- **Impact:** 2026-11-30 14:30 UTC to 2026-11-30 15:10 UTC (40 min)');
    expect(markdown).toContain('- **Owner:** payments-team@example.com (Payments)');
    expect(markdown).toContain('- **Status:** Published 2026-12-03 11:31 UTC · version 1');
    expect(markdown).toContain('- **Approved by:** ann@example.com, opt@example.com');
    expect(markdown).toContain('**Category:** Bug — A change to our own code: a defect we shipped.');
    expect(markdown).toContain('**Related incidents:** HOT-17');
    expect(markdown).toContain('1. Payments failed because the tokeniser rejected valid cards.');
    expect(markdown).toContain('- **2026-11-30 14:20 UTC** Release 2026.11.30-2 deployed.');
  });

  it('is for reading, not the CLI round trip: no machine comment, no ids', () => {
    expect(markdown).not.toContain('<!--');
    expect(markdown).not.toContain('01JACTION');
    expect(markdown).not.toContain('(owner:');
  });

  it('lists each action with its category, owner team, due date, status and tracker', () => {
    expect(markdown).toContain(
      '- **Add EU card formats from all 27 member states to the tokeniser test data**\n' +
        '  Prevent future incidents · owner: Payments · provisionally due 2026-12-28 (fixed at approval) · open · tracker: <https://tracker.example.com/PAY-121>',
    );
    expect(markdown).toContain(
      '- **Add alerting for all cases where this service returns >1% errors**\n' +
        '  Detect future incidents · owner: Payments · open · tracker: <https://tracker.example.com/PAY-122>',
    );
    const approved = publishedMarkdown(
      {
        ...pm,
        actions: pm.actions.map((a) =>
          a.kind === 'priority'
            ? {
                id: a.id,
                title: a.title,
                kind: a.kind,
                category: a.category,
                ownerTeam: a.ownerTeam,
                status: 'done',
                doneAt: '2026-12-10T09:00:00.000Z',
                dueAt: '2026-12-31T10:00:00.000Z',
              }
            : a,
        ),
      },
      context,
    );
    expect(approved).toContain('· owner: Payments · due 2026-12-31 · done 2026-12-10 · no tracker');
  });

  it('lists the approvals with who, when, their role and any comment', () => {
    expect(markdown).toContain(
      '## Approvals\n\n- ann@example.com (mandatory): approved 2026-12-03 10:00 UTC\n' +
        '- opt@example.com (optional): approved 2026-12-03 11:30 UTC\n  Good.\n  Ship it.',
    );
  });

  it('before approval, says where it stands and has no approvals', () => {
    const inReview = publishedMarkdown(
      { ...pm, status: 'in-review', version: 4 },
      { incident: alertIncident, serviceName: 'Checkout' },
    );
    expect(inReview).toContain('- **Status:** In review · version 4');
    expect(inReview).not.toContain('Approved by');
    expect(inReview).not.toContain('## Approvals');
  });

  it('says what is not written, and shows the measures it has', () => {
    const empty = publishedMarkdown(
      postmortemOf({ metrics: { timeToDetectMinutes: 2, timeToRecoverMinutes: 45 } }),
      { incident: { ...alertIncident, impactEndedAt: undefined }, serviceName: 'Checkout' },
    );
    expect(empty).toContain('## Leadup\n\n*Not written.*');
    expect(empty).toContain('### Priority actions\n\n*None.*');
    expect(empty).toContain('- **Impact:** from 2026-11-30 14:30 UTC');
    expect(empty).toContain('- **Measures:** Time to detect 2 min · Time to recover 45 min');
    expect(empty).toContain('**Category:** not chosen');
  });

  it('keeps line breaks and paragraphs of a text, without its indentation', () => {
    expect(markdownBlock('one\r\ntwo\n\n\n\n    three  ')).toBe('one\ntwo\n\nthree');
  });

  it('makes a bare http(s) URL in text a link, without the punctuation around it', () => {
    expect(markdownInline('See https://grafana.example/d/1?a=b_c. (or http://x.example/(y)).')).toBe(
      'See <https://grafana.example/d/1?a=b_c>. (or <http://x.example/(y)>).',
    );
  });

  it.each([
    ['# not a heading', '\\# not a heading'],
    ['1. not a list', '1\\. not a list'],
    ['1.5 seconds', '1.5 seconds'],
    ['- not a list', '\\- not a list'],
    ['> not a quote', '\\> not a quote'],
    ['a > b', 'a > b'],
    ['snake_case and _em_', 'snake_case and \\_em\\_'],
    ['R&D &amp; &#106;', 'R&D \\&amp; \\&#106;'],
    ['~5 min, ~~strike~~', '~5 min, \\~\\~strike\\~\\~'],
    ['[x](javascript:alert(1))', '\\[x\\](javascript:alert(1))'],
    ['<script>', '\\<script>'],
    ['a | b', 'a \\| b'],
    ['`code` *b* \\', '\\`code\\` \\*b\\* \\\\'],
  ])('escapes %j as %j', (text, markdown) => {
    expect(markdownInline(text)).toBe(markdown);
  });

  it('escapes every # of a heading (a trailing one would close it)', () => {
    expect(markdownInline('Issue #12 #', true)).toBe('Issue \\#12 \\#');
    expect(documentTitle({ key: 'HOT-1', summary: 'x' })).toBe('Postmortem of HOT-1: x');
  });
});

// --- the HTML --------------------------------------------------------------------------------------------------

describe('publishedHtml', () => {
  it('renders the document with its links (and only safe attributes)', () => {
    const html = publishedHtml(publishedMarkdown(completePostmortem(), context));
    expectSafe(html);
    expect(html).toContain('<h1>Postmortem of HOT-42: HighErrorRate: checkout 5xx above 5%</h1>');
    expect(html).toContain(
      '<a href="https://tracker.example.com/PAY-121" rel="noopener noreferrer">https://tracker.example.com/PAY-121</a>',
    );
    expect(html).toContain(
      '<strong>Add alerting for all cases where this service returns &gt;1% errors</strong><br>',
    );
    expect(html).toContain('approved 2026-12-03 11:30 UTC<br>\nGood.<br>\nShip it.</li>');
  });

  it.each([
    ['[x](javascript:alert(1))'],
    ['[x](JAVASCRIPT:alert(1))'],
    ['[x]( javascript:alert(1))'],
    ['[x](java&#115;cript:alert(1))'],
    ['[x](java\\script:alert(1))'],
    ['[x](data:text/html;base64,PHNjcmlwdD4=)'],
    ['[x](data:image/png;base64,iVBORw0KGgo=)'],
    ['[x](vbscript:msgbox(1))'],
    ['[x](file:///etc/passwd)'],
    ['[x](/relative)'],
    ['[x](//evil.example)'],
    ['[x](#top)'],
    ['<javascript:alert(1)>'],
    ['[x][r]\n\n[r]: javascript:alert(1)'],
    ['![x](http://evil.example/pixel.png)'],
    ['<script>alert(1)</script>'],
    ['<img src=x onerror=alert(1)>'],
    ['<a href="javascript:alert(1)">x</a>'],
    ['<div>\n<script>alert(1)</script>\n</div>'],
  ])('even raw Markdown cannot make an unsafe link, an image or HTML: %j', (markdown) => {
    const html = publishedHtml(markdown);
    expectSafe(html);
    expect(html).not.toMatch(/href="(?!https?:)/);
  });

  it('links http(s) and mailto when the Markdown is ours', () => {
    expect(publishedHtml('[m](mailto:a@b.co) [h](https://x.example)')).toBe(
      '<p><a href="mailto:a@b.co" rel="noopener noreferrer">m</a> <a href="https://x.example" rel="noopener noreferrer">h</a></p>\n',
    );
    expect(allowedLink('HTTPS://X')).toBe(true);
    expect(allowedLink('javascript:alert(1)')).toBe(false);
    expect(allowedLink('data:image/png;base64,x')).toBe(false);
  });

  it('no text a person writes makes HTML, a non-http(s) link, or structure of its own', () => {
    fc.assert(
      fc.property(
        hostileTexts,
        fc.constantFrom(undefined, 'https://t.example/1', 'javascript:alert(1)'),
        (texts, tracker) => {
          const t = (n: number) => texts[n] ?? '';
          const { pm, ctx } = filled(t, tracker);
          const html = publishedHtml(publishedMarkdown(pm, ctx));
          expectSafe(html);
          const plain = filled(neutral(texts), tracker);
          expect(skeleton(html)).toEqual(skeleton(publishedHtml(publishedMarkdown(plain.pm, plain.ctx))));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the mail version is as safe, with inline styles only', () => {
    fc.assert(
      fc.property(hostileTexts, (texts) => {
        const { pm, ctx } = filled((n) => texts[n] ?? '');
        const markdown = publishedMarkdown(pm, ctx);
        const html = publishedEmailHtml(markdown);
        expectSafe(html, { styles: true });
        expect(skeleton(html)).toEqual(skeleton(publishedHtml(markdown)));
      }),
      { numRuns: 100 },
    );
  });

  const markdownChars = fc.constantFrom(...'ab1 \t!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'.split(''));
  const oneLine = fc
    .string({ unit: markdownChars, minLength: 1, maxLength: 30 })
    .map((s) => s.trim())
    .filter((s) => s !== '');

  it('shows what a person wrote exactly as written: in text, in a heading, in a list item, in bold', () => {
    fc.assert(
      fc.property(oneLine, (s) => {
        const { pm, ctx } = filled(() => s);
        const html = publishedHtml(publishedMarkdown(pm, ctx));
        const between = (open: string, close: string) => {
          const start = html.indexOf(open);
          expect(start, `${open} in ${html}`).toBeGreaterThanOrEqual(0);
          return textOf(html.slice(start + open.length, html.indexOf(close, start + open.length)));
        };
        // One-line places (a heading, a title) read whitespace as one space; the rest keep it.
        const oneSpaced = s.replace(/\s+/g, ' ');
        expect(between('<h2>Fault</h2>\n<p>', '</p>')).toBe(s);
        expect(between('<h1>', '</h1>')).toBe(`Postmortem of HOT-42: ${oneSpaced}`);
        expect(between('<li><strong>2026-11-30 14:20 UTC</strong> ', '</li>')).toBe(s);
        expect(between('<h2>Five whys</h2>\n<ol>\n<li>', '</li>')).toBe(s);
        expect(between('<h3>Priority actions</h3>\n<ul>\n<li><strong>', '</strong>')).toBe(oneSpaced);
      }),
      { numRuns: 500 },
    );
  });
});

// --- the document's HTML, its sections rendered once ------------------------------------------------------------

describe('documentHtml: the sections rendered once, the rest written around them', () => {
  /**
   * The same HTML whoever wrote it: markdown-it leaves an apostrophe as it is (the html tag escapes it), and
   * percent-encodes the characters of a link's address that a browser would encode anyway.
   */
  const address = (href: string) =>
    decode(href)
      .split(/(%[0-9A-Fa-f]{2})/)
      .map((part) => (/^%[0-9A-Fa-f]{2}$/.test(part) ? part.toUpperCase() : encodeURI(part)))
      .join('');
  // markdown-it shows a bare URL's text normalized (percent escapes decoded its own way, %00 as a NUL, a host in
  // Unicode); ours shows it as written, escaped. The address itself is compared above; its shown text is not.
  const same = (html: string) =>
    html
      .replace(/&#39;/g, "'")
      .replace(/href="([^"]*)"/g, (_, href: string) => `href="${address(href)}"`)
      .replace(/>https?:\/\/[^<]*<\/a>/g, '>(address)</a>');

  it('is the HTML markdown-it makes of the whole document, in the page and the mail version', () => {
    for (const ctx of [context, { incident: alertIncident, serviceName: 'Checkout' }]) {
      const pm = completePostmortem();
      const rendering = renderDocumentSections(pm);
      const markdown = publishedMarkdown(pm, ctx);
      expect(same(documentHtml(pm, ctx, rendering.page, 'page'))).toBe(same(publishedHtml(markdown)));
      expect(same(documentHtml(pm, ctx, rendering.email, 'email'))).toBe(same(publishedEmailHtml(markdown)));
    }
  });

  it('is that HTML whatever people wrote, and as safe (links: http(s) only, written or bare)', () => {
    fc.assert(
      fc.property(
        hostileTexts,
        fc.constantFrom(undefined, 'https://t.example/1', 'javascript:alert(1)'),
        (texts, tracker) => {
          const { pm, ctx } = filled((n) => texts[n] ?? '', tracker);
          const rendering = renderDocumentSections(pm);
          const html = documentHtml(pm, ctx, rendering.page, 'page');
          expectSafe(html);
          expect(same(html)).toBe(same(publishedHtml(publishedMarkdown(pm, ctx))));
          const mail = documentHtml(pm, ctx, rendering.email, 'email');
          expectSafe(mail, { styles: true });
          expect(same(mail)).toBe(same(publishedEmailHtml(publishedMarkdown(pm, ctx))));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the rendering of a content apart from what changes without it: facts, actions, approvals', () => {
    const pm = completePostmortem();
    const kept = renderDocumentSections(pm);
    const later = {
      ...pm,
      status: 'published' as const,
      actions: pm.actions.map((a) => ({ ...a, status: 'done' as const, doneAt: '2026-12-10T10:00:00.000Z' })),
    };
    // Due dates and status are not content: the same hash, the kept rendering still fits.
    expect(renderDocumentSections(later).contentHash).toBe(kept.contentHash);
    const html = documentHtml(later, context, kept.page, 'page');
    expect(same(html)).toBe(same(publishedHtml(publishedMarkdown(later, context))));
    expect(html).toContain('Published 2026-12-03 11:31 UTC');
    expect(html).toContain('done 2026-12-10');
    expect(html).toContain('<h2>Approvals</h2>');
  });

  it('reads whole, only plainer, when no rendering was kept', () => {
    const pm = completePostmortem();
    const html = documentHtml(pm, context, plainSections(pm, 'page'), 'page');
    expectSafe(html.replace(/<span style="white-space:pre-wrap">|<\/span>/g, ''));
    expect(html).toContain(pm.fields.fault);
    expect(html).toContain('<h2>Approvals</h2>');
  });
});

// --- pages and mails of the document ---------------------------------------------------------------------------

describe('the document as a page and as a mail', () => {
  const markdown = publishedMarkdown(completePostmortem(), context);

  it('is a page in the shell of every page, styled only by the hashed style sheet', () => {
    const html = publishedPage(markdown, documentTitle(alertIncident));
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain(`<style>${PAGE_STYLE}</style>`);
    expect(html).toContain(
      '<title>Postmortem of HOT-42: HighErrorRate: checkout 5xx above 5% - Hotline</title>',
    );
    expect(html).toContain('<article class="document">');
    expect(html).not.toMatch(/\sstyle=|<script|\son[a-z]+=/i);
  });

  it('is a mail-safe document: inline styles, no script, nothing remote', () => {
    const html = publishedEmailDocument(markdown, `Postmortem ${'<script>'}`);
    expect(html).toContain('<title>Postmortem &lt;script&gt;</title>');
    expect(html).toContain('<h2 style="');
    expect(html).not.toMatch(/<script|<img|<style|<link|\ssrc=|\son[a-z]+=/i);
  });
});

describe('links people write', () => {
  it('keeps [words](https://...) as a link of escaped words, as the editor preview shows it; other schemes stay text', () => {
    const html = publishedHtml(
      markdownBlock(
        'See [the *dashboard*](https://grafana.example.com/d/abc?x=1) and [bad](javascript:alert(1)) and https://x.example.com/y',
      ),
    ).toString();
    expect(html).toContain(
      '<a href="https://grafana.example.com/d/abc?x=1" rel="noopener noreferrer">the *dashboard*</a>',
    );
    expect(html).not.toContain('javascript:alert(1)"');
    expect(html).toContain('[bad](javascript:alert(1))');
    expect(html).toContain(
      '<a href="https://x.example.com/y" rel="noopener noreferrer">https://x.example.com/y</a>',
    );
  });
});
