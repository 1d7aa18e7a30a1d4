import { describe, expect, it } from 'vitest';
import {
  approvalPendingEmail,
  approvalRequestEmail,
  changesRequestedEmail,
  DOCUMENT_MAIL_CHARS,
  postmortemPublishedEmail,
} from '../../../functions/core/approval-mails.ts';
import { contentHash } from '../../../functions/core/approvals.ts';
import { MAX_BODY_CHARS } from '../../../functions/core/comms.ts';
import { renderDocumentSections } from '../../../functions/core/document-render.ts';
import {
  type ApprovalConfirmView,
  type LinkPage,
  linkPageResponse,
  PAGE_CSP,
  renderLinkPage,
} from '../../../functions/core/pages.ts';
import { documentHtml, publishedMarkdown } from '../../../functions/core/postmortem-document.ts';
import { alertIncident, completePostmortem } from './postmortem-support.ts';

const hostile = `<script>alert("x")</script>&'"`;
const incident = { ...alertIncident, summary: `Checkout down ${hostile}\r\nBcc: victim@example.com` };
const pm = completePostmortem();
const hostilePm = {
  ...pm,
  version: 3,
  fields: {
    ...pm.fields,
    fault: `[x](javascript:alert(1)) <img src=x onerror=alert(1)> ![x](http://evil.example/p.png) ${hostile}`,
  },
};
const approveUrl = 'https://incidents.example.com/links/v1.k1.approve.sig?a=1&b=2';
const requestChangesUrl = 'https://incidents.example.com/links/v1.k1.changes.sig';
const viewUrl = 'https://incidents.example.com/links/v1.k1.view.sig';

/** The HTML of a mail may link only to http(s) addresses, and runs or loads nothing. */
function expectMailSafe(html: string): void {
  expect(html).not.toMatch(/<(script|img|svg|iframe|style|link|object|embed|form)\b/i);
  expect(tagsOf(html).filter((tag) => /\s(on[a-z]+|src)\s*=/i.test(tag))).toEqual([]);
  for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^https?:\/\//);
}

/** The tags of some HTML (user text in it is escaped, so `onerror=` in text is not in a tag). */
const tagsOf = (html: string) => html.match(/<[^>]*>/g) ?? [];

describe('approvalRequestEmail', () => {
  const mail = approvalRequestEmail({
    incident,
    postmortem: hostilePm,
    sections: renderDocumentSections(hostilePm).email,
    serviceName: 'Checkout',
    approveUrl,
    requestChangesUrl,
    viewUrl,
    approver: 'ann@example.com',
    mandatory: true,
    expiresAt: '2026-12-16T10:00:00.000Z',
  });

  it('keeps the subject of every mail: key, severity, summary, on one line', () => {
    expect(mail.subject).toBe(
      `HOT-42 - Sev 2 - Checkout down ${hostile} Bcc: victim@example.com - Postmortem approval requested`,
    );
    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it('carries both decision links and the view link, escaped in html and plain in text', () => {
    expect(mail.html).toContain(`href="${approveUrl.replace('&', '&amp;')}"`);
    expect(mail.html).toContain(`href="${requestChangesUrl}"`);
    expect(mail.html).toContain(`href="${viewUrl}"`);
    expect(mail.text).toContain(`Approve: Approve version 3 <${approveUrl}>`);
    expect(mail.text).toContain(`Request changes: Request changes (with a comment) <${requestChangesUrl}>`);
    expect(mail.text).toContain('Links work until: 2026-12-16 10:00 UTC');
    expect(mail.text).toContain('You are: ann@example.com, mandatory approver');
  });

  it('includes the whole postmortem: its Markdown as text, its HTML in the html part', () => {
    const markdown = publishedMarkdown(hostilePm, { incident, serviceName: 'Checkout' });
    expect(mail.text).toContain(markdown.trimEnd());
    expect(mail.html).toContain('<h2 style="');
    expect(mail.html).toContain('>Five whys</h2>');
    expect(mail.html).toContain('Add EU card formats from all 27 member states to the tokeniser test data');
    expect(mail.html).toContain('<strong>Status:</strong> Draft · version 3');
  });

  it('escapes every piece of user text, and links only to http(s)', () => {
    expectMailSafe(mail.html);
    expect(mail.html).not.toContain(hostile);
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(mail.html).toContain('[x](javascript:alert(1))');
    // The image became text and a link: nothing is loaded.
    // Image syntax makes no image (a mail loads nothing remote): the "!" stays text before an http(s) link.
    expect(mail.html).toContain('!<a href="http://evil.example/p.png"');
    expect(mail.html).not.toContain('<img');
  });

  it('says what the decision means, and how an optional approver counts', () => {
    expect(mail.text).toContain(
      'a mandatory approver: it is approved once every mandatory approver has approved it',
    );
    expect(mail.text).toContain(
      'agree with the root cause and that the priority actions are an acceptable way',
    );
    const optional = approvalRequestEmail({
      incident,
      postmortem: pm,
      sections: renderDocumentSections(pm).email,
      approveUrl,
      requestChangesUrl,
      viewUrl,
      approver: 'opt@example.com',
      mandatory: false,
      expiresAt: '2026-12-16T10:00:00.000Z',
      reminder: true,
    });
    expect(optional.text).toContain('an optional approver: it does not wait for you');
    expect(optional.subject).toMatch(/ - Postmortem approval reminder$/);
    expect(optional.text).toMatch(/^HOT-42: the postmortem still waits for your decision/);
    // Without a service name the document names the service by its id.
    expect(optional.text).toContain('- **Service:** checkout');
  });

  it('replaces a document too long for a mail by a note, never cutting the mail mid-document', () => {
    const long = { ...pm, fields: { ...pm.fields, leadup: 'word '.repeat(DOCUMENT_MAIL_CHARS / 5 + 10) } };
    const big = approvalRequestEmail({
      incident,
      postmortem: long,
      sections: renderDocumentSections(long).email,
      approveUrl,
      requestChangesUrl,
      viewUrl,
      approver: 'ann@example.com',
      mandatory: true,
      expiresAt: '2026-12-16T10:00:00.000Z',
    });
    expect(big.text).toContain(
      'The postmortem is too long to include in an email: open the approve link to read it.',
    );
    expect(big.html.length).toBeLessThan(MAX_BODY_CHARS);
    expect(big.html).toMatch(/<\/body><\/html>$/);
  });
});

describe('changesRequestedEmail', () => {
  const mail = changesRequestedEmail({
    incident,
    postmortem: { version: 3, owner: 'owner@example.com', ownerTeam: 'Payments' },
    approver: 'ann@example.com',
    comment: `Add an action for the alert gap.\r\n${hostile}\nThanks`,
    editorUrl: 'https://incidents.example.com/links/v1.k1.editor.sig',
    viewUrl,
  });

  it('tells the owner who asked, what they wrote (line breaks kept, escaped) and where to edit', () => {
    expect(mail.subject).toMatch(/^HOT-42 - Sev 2 - .* - Postmortem changes requested$/);
    expect(mail.text).toContain('Comment from ann@example.com:\n> Add an action for the alert gap.\n> ');
    expect(mail.text).toContain('> Thanks');
    expect(mail.html).toContain(
      'Add an action for the alert gap.<br>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&quot;<br>Thanks',
    );
    expect(mail.html).toContain('href="https://incidents.example.com/links/v1.k1.editor.sig"');
    expect(mail.text).toContain('asked for changes to version 3 of the postmortem, which is a draft again');
    expectMailSafe(mail.html);
  });

  it('caps the comment', () => {
    const long = changesRequestedEmail({
      incident,
      postmortem: { version: 3, owner: 'o@example.com', ownerTeam: 'P' },
      approver: 'a@example.com',
      comment: 'x'.repeat(50_000),
      editorUrl: viewUrl,
      viewUrl,
    });
    expect(long.text.length).toBeLessThan(3_000);
  });
});

describe('approvalPendingEmail', () => {
  it('names who is still pending, escaped', () => {
    const mail = approvalPendingEmail({
      incident,
      pending: ['ann@example.com', `ben${hostile}@example.com`],
      viewUrl,
      requestedAt: '2026-12-02T10:00:00.000Z',
    });
    expect(mail.subject).toMatch(/ - Postmortem approval pending$/);
    expect(mail.text).toContain('Still pending:\n- ann@example.com\n- ben<script>');
    expect(mail.text).toContain('requested 2026-12-02 10:00 UTC');
    expect(mail.html).toContain('<li>ben&lt;script&gt;');
    expectMailSafe(mail.html);
  });
});

describe('postmortemPublishedEmail', () => {
  const publishedContext = {
    incident,
    serviceName: 'Checkout',
    approvals: [{ approver: 'ann@example.com', mandatory: true, at: '2026-12-03T10:00:00.000Z' }],
    publishedAt: '2026-12-03T10:01:00.000Z',
  };
  const markdown = publishedMarkdown(hostilePm, publishedContext);
  const mail = postmortemPublishedEmail({
    incident,
    documentText: markdown,
    documentHtml: documentHtml(hostilePm, publishedContext, renderDocumentSections(hostilePm).email, 'email'),
    viewUrl,
  });

  it('mails the whole document: Markdown as text, mail-safe HTML with inline styles', () => {
    expect(mail.subject).toMatch(/^HOT-42 - Sev 2 - .* - Postmortem published$/);
    expect(mail.text).toContain(markdown.trimEnd());
    expect(mail.html).toContain('<h1 style="');
    expect(mail.html).toContain('Published 2026-12-03 10:01 UTC');
    expect(mail.html).toContain('href="https://tracker.example.com/PAY-121"');
    expect(mail.html).not.toContain(' class=');
    expectMailSafe(mail.html);
  });
});

// --- pages -----------------------------------------------------------------------------------------------------

const token = 'v1.k1.eyJpZCI6IngifQ.c2lnbmF0dXJl';
const view: ApprovalConfirmView = {
  incident: { key: 'HOT-42', summary: `Checkout down ${hostile}`, severity: 2, status: 'resolved' },
  decision: 'approved',
  approver: `ann+${hostile}@example.com`,
  mandatory: true,
  expiresAt: '2026-12-16T10:00:00.000Z',
  formAction: `./${token}`,
  contentHash: contentHash(hostilePm),
  version: 3,
  document: documentHtml(
    hostilePm,
    { incident, serviceName: 'Checkout' },
    renderDocumentSections(hostilePm).page,
    'page',
  ),
};
const confirm: LinkPage = { kind: 'approval-confirm', view };

describe('the approval confirm page', () => {
  it('shows the whole document read-only, who decides, their role and until when', () => {
    const html = renderLinkPage(confirm);
    expect(html).toContain('<h1>Approve the postmortem of HOT-42?</h1>');
    expect(html).toContain(view.document);
    expect(html).toContain(
      'ann+&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&quot;@example.com',
    );
    expect(html).toContain('<strong>mandatory</strong> approver');
    expect(html).toContain('until 2026-12-16 10:00 UTC');
    expect(html).toContain('Opening this page changed nothing.');
    expect(html).not.toContain(hostile);
  });

  it('has one form that posts the link’s decision and content hash back to the link', () => {
    const html = renderLinkPage(confirm);
    expect(html.match(/<form[^>]*>/g)).toEqual([`<form method="post" action="./${token}">`]);
    expect(html.match(/<input[^>]*>/g)).toEqual([
      '<input type="hidden" name="decision" value="approved">',
      `<input type="hidden" name="contentHash" value="${view.contentHash}">`,
    ]);
    expect(html).toContain('<textarea id="comment" name="comment" rows="6" maxlength="2000"></textarea>');
    expect(html.match(/<button[^>]*>[^<]*<\/button>/g)).toEqual([
      '<button type="submit" class="approve">Approve version 3</button>',
    ]);
  });

  it('requires a comment to request changes', () => {
    const html = renderLinkPage({
      kind: 'approval-confirm',
      view: { ...view, decision: 'changes-requested' },
    });
    expect(html).toContain('<h1>Request changes to the postmortem of HOT-42?</h1>');
    expect(html).toContain('<input type="hidden" name="decision" value="changes-requested">');
    expect(html).toContain('maxlength="2000" required></textarea>');
    expect(html).toContain('<button type="submit">Request changes</button>');
  });

  it('a refused post shows the form again with why and the comment as typed, escaped, answered 400', () => {
    const refused: LinkPage = {
      kind: 'approval-confirm',
      view: {
        ...view,
        decision: 'changes-requested',
        error: `needs a comment ${hostile}`,
        comment: `</textarea>${hostile}`,
      },
    };
    const response = linkPageResponse(refused);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('role="alert"><p>needs a comment &lt;script&gt;');
    expect(response.body).toContain(
      'aria-invalid="true" aria-describedby="comment-error">&lt;/textarea&gt;&lt;script&gt;',
    );
    expect(response.body.match(/<\/textarea>/g)).toHaveLength(1);
  });

  it('names an optional approver as such', () => {
    const html = renderLinkPage({ kind: 'approval-confirm', view: { ...view, mandatory: false } });
    expect(html).toContain('<strong>optional</strong> approver: the postmortem does not wait for you');
  });

  it('is answered 200 with the strict headers of every link page, and no script or inline style', () => {
    const response = linkPageResponse(confirm);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.body).not.toMatch(/<script|<img/i);
    expect(tagsOf(response.body).filter((tag) => /\s(on[a-z]+|style|src)\s*=/i.test(tag))).toEqual([]);
    for (const [, href] of response.body.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^https?:\/\//);
    expect(response.body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  });
});

describe('the stale approval page', () => {
  it('says the document changed and a new mail was sent; answered 409', () => {
    const response = linkPageResponse({
      kind: 'approval-stale',
      incident: view.incident,
      recipient: `ann+${hostile}@example.com`,
    });
    expect(response.statusCode).toBe(409);
    expect(response.body).toContain('<h1>The postmortem changed since you were asked</h1>');
    expect(response.body).toContain(
      'A new email with links for the new version was sent to <strong>ann+&lt;script&gt;',
    );
    expect(response.body).toContain('Nothing was changed.');
    expect(response.body).not.toMatch(/<form|<script/);
    expect(response.body).not.toContain(hostile);
  });
});
