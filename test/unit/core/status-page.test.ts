import { describe, expect, it } from 'vitest';
import {
  finalExternalWording,
  initialExternalWording,
  MAX_EXTERNAL_CHARS,
  withoutStatusPageLink,
} from '../../../functions/core/comms.ts';
import { parseOrganisation } from '../../../functions/core/config.ts';
import { PAGE_CSP } from '../../../functions/core/pages.ts';
import {
  currentEntries,
  publicStatusId,
  renderStatusAtom,
  renderStatusHtml,
  renderStatusJson,
  type StatusEntry,
  type StatusPageModel,
  statusPageTitle,
  statusPageUrl,
  statusResponse,
} from '../../../functions/core/status-page.ts';
import { organisationInput } from '../../support/organisation.ts';
import { childrenNamed, only, parseXml, type XmlElement } from '../../support/xml.ts';

const now = new Date('2026-11-20T12:00:00.000Z');
const hostile = `<script>alert("x")</script> & 'quotes' ]]> \u0001`;

const open: StatusEntry = {
  publicId: publicStatusId('01JOPEN'),
  openedAt: '2026-11-20T10:00:00.000Z',
  products: ['Checkout', 'Payments <EU>'],
  updates: [
    { id: 'initial-1', at: '2026-11-20T10:05:00.000Z', text: 'We are investigating issues with Checkout.' },
    { id: 'update-1', at: '2026-11-20T10:40:00.000Z', text: hostile },
  ],
};
const resolved: StatusEntry = {
  publicId: publicStatusId('01JRESOLVED'),
  openedAt: '2026-11-18T08:00:00.000Z',
  resolvedAt: '2026-11-18T09:30:00.000Z',
  products: ['Search'],
  updates: [
    { id: 'initial-1', at: '2026-11-18T08:10:00.000Z', text: 'We are investigating issues with Search.' },
    {
      id: 'final-1',
      at: '2026-11-18T09:31:00.000Z',
      text: 'The issues with Search have been resolved and service is restored.',
    },
  ],
};
const model = (entries: StatusEntry[], title = 'Acme "status" & <co>'): StatusPageModel => ({
  title,
  pageUrl: 'https://status.example.com/status',
  now: now.toISOString(),
  entries,
});

describe('which entries the status page shows', () => {
  const entry = (id: string, changes: Partial<StatusEntry>): StatusEntry => ({
    ...open,
    publicId: id,
    ...changes,
  });

  it('shows every open entry whatever its age, and resolved ones of the last 7 days, open first', () => {
    const entries = [
      entry('resolved-8-days', { resolvedAt: '2026-11-12T11:59:59.999Z' }),
      entry('resolved-7-days', { resolvedAt: '2026-11-13T12:00:00.000Z' }),
      entry('resolved-yesterday', { resolvedAt: '2026-11-19T12:00:00.000Z' }),
      entry('open-a-month', { openedAt: '2026-10-20T12:00:00.000Z' }),
      entry('open-today', { openedAt: '2026-11-20T11:00:00.000Z' }),
      entry('nothing-said', { updates: [] }),
    ];

    const shown = currentEntries(entries, now).map((e) => e.publicId);

    expect(shown).toEqual(['open-today', 'open-a-month', 'resolved-yesterday', 'resolved-7-days']);
  });
});

describe('the public id', () => {
  it('is stable, differs per incident and does not contain the incident id', () => {
    expect(publicStatusId('01JOPEN')).toBe(publicStatusId('01JOPEN'));
    expect(publicStatusId('01JOPEN')).not.toBe(publicStatusId('01JOPEN2'));
    expect(publicStatusId('01JOPEN')).not.toContain('01JOPEN');
    expect(publicStatusId('01JOPEN')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });
});

describe('the title and the URL', () => {
  it("is the organisation's statusPage.title, else `<sender name> status`", () => {
    const configured = parseOrganisation({ ...organisationInput, statusPage: { title: ' Acme status ' } });
    expect(statusPageTitle(configured)).toBe('Acme status');
    expect(statusPageTitle(parseOrganisation(organisationInput))).toBe('Incidents status');
  });

  it('refuses an empty title, naming the field', () => {
    expect(() => parseOrganisation({ ...organisationInput, statusPage: { title: '  ' } })).toThrow(
      /statusPage\.title/,
    );
  });

  it('is <base>/status, and nothing without a base URL', () => {
    expect(statusPageUrl('https://x.example.com/')).toBe('https://x.example.com/status');
    expect(statusPageUrl('')).toBeUndefined();
  });
});

describe('the external wording and the status page URL', () => {
  const url = 'https://incidents.example.com/status';

  it('says where updates are when the URL is known, and keeps the old wording without it', () => {
    expect(initialExternalWording('Checkout and Payments', url)).toBe(
      `We are investigating issues with Checkout and Payments. Updates: ${url}`,
    );
    expect(initialExternalWording('Checkout and Payments')).toBe(
      'We are investigating issues with Checkout and Payments and will provide updates here soon.',
    );
    expect(finalExternalWording('Search', url)).toBe(
      `The issues with Search have been resolved and service is restored. We will publish a postmortem with what happened and what we are changing. Status: ${url}`,
    );
  });

  it('stays within the external limit however many products there are, keeping the URL whole', () => {
    const products = Array.from({ length: 40 }, (_, i) => `Product ${i}`).join(', ');
    for (const wording of [
      initialExternalWording(products, url),
      finalExternalWording(products, url),
      initialExternalWording(products),
    ]) {
      expect(wording.length).toBeLessThanOrEqual(MAX_EXTERNAL_CHARS);
    }
    expect(initialExternalWording(products, url).endsWith(` Updates: ${url}`)).toBe(true);
  });

  it('is published to the status page without the link to the page itself', () => {
    expect(withoutStatusPageLink(initialExternalWording('Checkout', url))).toBe(
      'We are investigating issues with Checkout.',
    );
    expect(withoutStatusPageLink(finalExternalWording('Search', url))).toBe(finalExternalWording('Search'));
    // A person's own text is left as it is, links included.
    expect(withoutStatusPageLink('Fixed. Details: https://blog.example.com/post')).toBe(
      'Fixed. Details: https://blog.example.com/post',
    );
  });
});

describe('the HTML page', () => {
  const html = renderStatusHtml(model(currentEntries([resolved, open], now)));

  it('escapes every piece of text', () => {
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;');
    expect(html).toContain('Acme &quot;status&quot; &amp; &lt;co&gt;');
    expect(html).toContain('Payments &lt;EU&gt;');
  });

  it('shows the title, each incident with its products, status in words, updates newest first with UTC times', () => {
    expect(html).toContain('<h1>Acme &quot;status&quot; &amp; &lt;co&gt;</h1>');
    expect(html).toContain('1 incident under investigation.');
    expect(html).toContain('<h2>Checkout and Payments &lt;EU&gt;</h2>');
    expect(html).toContain('<dt>Status</dt><dd>Investigating</dd>');
    expect(html).toContain('<dt>Status</dt><dd>Resolved</dd>');
    expect(html).toContain('<dt>Resolved</dt><dd>2026-11-18 09:30 UTC</dd>');
    expect(html).toContain('2026-11-20 10:05 UTC');
    expect(html).toContain('<dt>Since</dt><dd>2026-11-20 10:05 UTC</dd>');
    expect(html.indexOf('datetime="2026-11-20T10:40')).toBeLessThan(
      html.indexOf('datetime="2026-11-20T10:05'),
    );
    // Open incidents come before the resolved ones.
    expect(html.indexOf('Investigating')).toBeLessThan(html.indexOf('<dd>Resolved</dd>'));
    expect(html).toContain(`id="incident-${open.publicId}"`);
    expect(html).toContain('href="status.atom"');
    expect(html).toContain('href="status.json"');
    expect(html).toContain('class="warn"');
  });

  it('lets a very long word in a heading break, so a phone does not scroll sideways', () => {
    const long = 'W'.repeat(40);
    const page = renderStatusHtml(model([{ ...open, products: [`${long}<`] }], `Status of ${long}`));
    expect(page).toContain(`<h1>Status of ${'W'.repeat(16)}<wbr>${'W'.repeat(16)}<wbr>${'W'.repeat(8)}</h1>`);
    expect(page).toContain(`<h2>${'W'.repeat(16)}<wbr>${'W'.repeat(16)}<wbr>${'W'.repeat(8)}&lt;</h2>`);
  });

  it('says when there is nothing to report, in the calm colour', () => {
    const calm = renderStatusHtml(model([]));
    expect(calm).toContain('No incidents right now.');
    expect(calm).toContain('class="ok"');
    expect(calm).not.toContain('<section');
  });

  it('has no script, no inline handler and no third-party asset', () => {
    expect(html).not.toMatch(/<script|\son\w+=|src=|https?:\/\/(?!status\.example\.com)/i);
  });
});

describe('the JSON', () => {
  it('has the title, the newest update time, and each incident with its public fields only', () => {
    const body = JSON.parse(renderStatusJson(model(currentEntries([resolved, open], now))));

    expect(body).toEqual({
      title: 'Acme "status" & <co>',
      updatedAt: '2026-11-20T10:40:00.000Z',
      incidents: [
        {
          id: open.publicId,
          status: 'investigating',
          statusText: 'Investigating',
          products: ['Checkout', 'Payments <EU>'],
          updates: [
            { at: '2026-11-20T10:40:00.000Z', text: hostile },
            { at: '2026-11-20T10:05:00.000Z', text: 'We are investigating issues with Checkout.' },
          ],
        },
        {
          id: resolved.publicId,
          status: 'resolved',
          statusText: 'Resolved',
          products: ['Search'],
          resolvedAt: '2026-11-18T09:30:00.000Z',
          updates: [
            {
              at: '2026-11-18T09:31:00.000Z',
              text: 'The issues with Search have been resolved and service is restored.',
            },
            { at: '2026-11-18T08:10:00.000Z', text: 'We are investigating issues with Search.' },
          ],
        },
      ],
    });
  });

  it('is an empty list with no time when nothing happened', () => {
    expect(JSON.parse(renderStatusJson(model([])))).toEqual({
      title: 'Acme "status" & <co>',
      updatedAt: null,
      incidents: [],
    });
  });
});

describe('the Atom feed (RFC 4287)', () => {
  const feed = parseXml(renderStatusAtom(model(currentEntries([resolved, open], now))));
  const text = (element: XmlElement, name: string) => only(element, name).text;
  const entries = childrenNamed(feed, 'entry');

  it('is a well-formed Atom feed with the required elements', () => {
    expect(feed.name).toBe('feed');
    expect(feed.attributes.xmlns).toBe('http://www.w3.org/2005/Atom');
    expect(text(feed, 'id')).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(text(feed, 'title')).toBe('Acme "status" & <co>');
    expect(text(only(feed, 'author'), 'name')).toBe('Acme "status" & <co>');
    // The feed changed when its newest update was published.
    expect(text(feed, 'updated')).toBe('2026-11-20T10:40:00.000Z');
    const links = childrenNamed(feed, 'link').map((l) => l.attributes);
    expect(links).toEqual([
      { rel: 'self', type: 'application/atom+xml', href: 'https://status.example.com/status.atom' },
      { rel: 'alternate', type: 'text/html', href: 'https://status.example.com/status' },
    ]);
  });

  it('has one entry per update, newest first, each with a unique id, its time, a title and its text', () => {
    expect(entries).toHaveLength(4);
    expect(entries.map((e) => text(e, 'updated'))).toEqual([
      '2026-11-20T10:40:00.000Z',
      '2026-11-20T10:05:00.000Z',
      '2026-11-18T09:31:00.000Z',
      '2026-11-18T08:10:00.000Z',
    ]);
    const ids = entries.map((e) => text(e, 'id'));
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(entries.map((e) => text(e, 'title'))).toEqual([
      'Investigating: Checkout and Payments <EU>',
      'Investigating: Checkout and Payments <EU>',
      'Resolved: Search',
      'Investigating: Search',
    ]);
    const [newest] = entries;
    expect(only(newest as XmlElement, 'content').attributes.type).toBe('text');
    // The text round-trips, minus the one character XML cannot carry.
    expect(text(newest as XmlElement, 'content')).toBe(hostile.replace('\u0001', ''));
    expect(only(newest as XmlElement, 'link').attributes.href).toBe(
      `https://status.example.com/status#incident-${open.publicId}`,
    );
  });

  it('keeps entry ids stable between renders', () => {
    const again = parseXml(renderStatusAtom(model(currentEntries([open, resolved], now))));
    expect(childrenNamed(again, 'entry').map((e) => text(e, 'id'))).toEqual(
      entries.map((e) => text(e, 'id')),
    );
  });

  it('is still a valid feed with no entries and no known URL', () => {
    const empty = parseXml(renderStatusAtom({ title: 'Acme', now: now.toISOString(), entries: [] }));
    expect(text(empty, 'updated')).toBe(now.toISOString());
    expect(childrenNamed(empty, 'entry')).toEqual([]);
    expect(childrenNamed(empty, 'link')).toEqual([]);
  });
});

describe('the responses', () => {
  it.each([
    ['html', 'text/html; charset=utf-8'],
    ['json', 'application/json'],
    ['atom', 'application/atom+xml'],
  ] as const)('%s: %s, publicly cached for 30 s, not sniffed', (format, contentType) => {
    const response = statusResponse(format, model([open]));
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'content-type': contentType,
      'cache-control': 'public, max-age=30',
      'x-content-type-options': 'nosniff',
    });
  });

  it('gives the HTML the strict CSP of every page', () => {
    const { headers } = statusResponse('html', model([open]));
    expect(headers['content-security-policy']).toBe(PAGE_CSP);
    expect(headers['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-/);
    expect(headers['x-frame-options']).toBe('DENY');
  });
});

describe('the XML check these tests rely on', () => {
  it.each([
    ['an unclosed element', '<feed><entry></feed>'],
    ['a raw ampersand', '<feed>a & b</feed>'],
    ['a raw <', '<feed a="<"/>'],
    ['an unquoted attribute', '<feed a=b/>'],
    ['a duplicate attribute', '<feed a="1" a="2"/>'],
    ['an unknown entity', '<feed>&nbsp;</feed>'],
    ['a control character', '<feed>\u0001</feed>'],
    ['two roots', '<feed/><feed/>'],
  ])('refuses %s', (_, xml) => {
    expect(() => parseXml(xml)).toThrow();
  });
});
