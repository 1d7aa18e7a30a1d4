import { describe, expect, it } from 'vitest';
import { renderResponderPage, responderResponse } from '../../../functions/core/html/responder-page.ts';
import type { IncidentPageView } from '../../../functions/core/pages.ts';
import {
  DONE_NOTICES,
  RESPONDER_FIELDS,
  RESPONDER_INTENTS,
  type ResponderIntent,
  type ResponderView,
} from '../../../functions/core/responder.ts';

/** The responder page a responder link opens: a pure function of the view (core/responder.ts). */

const token = 'v1.k1.eyJpZCI6InJlc3BvbmRlciJ9.c2lnbmF0dXJl';
const hostile = '<script>alert(1)</script>';
const breakout = '"><img src=x onerror=alert(1)>';

function incidentOf(more: Partial<IncidentPageView> = {}): IncidentPageView {
  return {
    key: 'HOT-7',
    summary: 'HighErrorRate: checkout 5xx above 5%',
    severity: 2,
    status: 'acknowledged',
    service: 'Checkout',
    products: ['Web shop'],
    description: 'Customers cannot pay by card.',
    roles: {
      incidentManager: 'ann@example.com',
      techLeads: ['bo@example.com'],
      commsManager: 'cy@example.com',
    },
    meeting: {
      chatChannel: 'inc-hot-7',
      chatRoomUrl: 'https://chat.example.com/inc-hot-7',
      videoUrl: 'https://meet.example.com/hot-7',
    },
    times: { impactStartedAt: '2026-11-30T02:41:00.000Z', detectedAt: '2026-11-30T02:45:00.000Z' },
    metrics: [
      { label: 'Time to detect', ms: 240_000 },
      { label: 'Time to acknowledge', ms: 180_000 },
      { label: 'Time to first comms' },
      { label: 'Time to recover' },
    ],
    alerts: [
      {
        summary: 'checkout 5xx above 5%',
        status: 'firing',
        startsAt: '2026-11-30T02:41:00.000Z',
        links: [{ label: 'Runbook', href: 'https://runbooks.example.com/checkout' }],
      },
    ],
    comms: [
      {
        what: 'First internal comms',
        subject: '[Sev 2] HOT-7 checkout errors',
        recipients: ['incidents@example.com'],
        sentAt: '2026-11-30T02:55:00.000Z',
      },
    ],
    timeline: [
      { at: '2026-11-30T02:45:00.000Z', actor: 'hotline', text: 'Incident opened from an alert' },
      { at: '2026-11-30T02:48:00.000Z', actor: 'ann@example.com', text: 'Acknowledged' },
    ],
    recipient: 'ann@example.com',
    expiresAt: '2026-12-30T02:48:00.000Z',
    ...more,
  };
}

function responderViewOf(more: Partial<ResponderView> = {}): ResponderView {
  const incident = incidentOf();
  return {
    incident,
    recipient: 'ann@example.com',
    roles: ['incident-manager'],
    forms: RESPONDER_INTENTS,
    version: 'AbCdEf0123456789',
    formAction: `./${token}`,
    expiresAt: '2026-12-30T02:48:00.000Z',
    severity: 2,
    cadenceMinutes: 30,
    postmortemOptional: false,
    current: {
      incidentManager: 'ann@example.com',
      techLeads: ['bo@example.com', 'di@example.com'],
      commsManager: 'cy@example.com',
      chatRoomUrl: 'https://chat.example.com/inc-hot-7',
      videoUrl: 'https://meet.example.com/hot-7',
    },
    ...more,
  };
}

const htmlText = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? htmlText(m[1] ?? '') : undefined;
};
const has = (tag: string, name: string) => new RegExp(`\\s${name}(\\s|>|=)`).test(tag);

/** Each form's markup, with the intent its hidden field posts. */
function formsOf(page: string): { intent: string | undefined; markup: string }[] {
  return [...page.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)].map(([markup]) => {
    const intentTag = /<input type="hidden" name="intent"[^>]*>/.exec(markup)?.[0] ?? '';
    return { intent: attr(intentTag, 'value'), markup };
  });
}

/** The fold (`<details>` or the open section) that holds a form. */
function foldOf(page: string, intent: ResponderIntent): string {
  const m = new RegExp(`<(details|section) id="form-${intent}"[^>]*>`).exec(page);
  if (!m) throw new Error(`no fold for ${intent}`);
  return m[0];
}

/** A control's value as the page fills it: an input's value attribute, or a textarea's text. */
function valueIn(markup: string, name: string): string | undefined {
  const input = new RegExp(`<input\\b[^>]*\\sname="${name}"[^>]*>`).exec(markup)?.[0];
  if (input) return attr(input, 'value');
  const area = new RegExp(`<textarea\\b[^>]*\\sname="${name}"[^>]*>\\n?([\\s\\S]*?)</textarea>`).exec(markup);
  return area ? htmlText(area[1] ?? '') : undefined;
}

describe('renderResponderPage', () => {
  it('gives the incident manager all six forms, in order, each posting its intent and version to the link', () => {
    const page = renderResponderPage(responderViewOf());

    const forms = formsOf(page);
    expect(forms.map((f) => f.intent)).toEqual([
      'update',
      'severity',
      'roles',
      'meeting',
      'resolve',
      'measures',
    ]);
    for (const { markup } of forms) {
      const open = /<form\b[^>]*>/.exec(markup)?.[0] ?? '';
      expect(attr(open, 'method')).toBe('post');
      expect(attr(open, 'action')).toBe(`./${token}`);
      expect(markup).toContain('<input type="hidden" name="version" value="AbCdEf0123456789">');
      expect(markup.match(/name="intent"/g)).toHaveLength(1);
    }
    expect(page).toContain('You are the incident manager: you can post updates, change the severity');
  });

  it('gives a tech lead only the update form, and says who does the rest', () => {
    const page = renderResponderPage(
      responderViewOf({ recipient: 'bo@example.com', roles: ['tech-lead'], forms: ['update'] }),
    );

    expect(formsOf(page).map((f) => f.intent)).toEqual(['update']);
    expect(page).not.toContain('<details');
    expect(page).toContain(
      'You are a tech lead: you can post updates here. The incident manager, ann@example.com',
    );
  });

  it('shows the update form open and the others folded, with defaults from the view', () => {
    const page = renderResponderPage(responderViewOf());
    const [update, severity, roles, meeting, resolve] = formsOf(page).map((f) => f.markup);

    expect(foldOf(page, 'update')).toMatch(/^<section/);
    for (const intent of ['severity', 'roles', 'meeting', 'resolve'] as const)
      expect(foldOf(page, intent)).not.toMatch(/\sopen/);
    expect(valueIn(update ?? '', RESPONDER_FIELDS.update.nextUpdate)).toBe('30');
    expect(update).toContain('placeholder="currently unknown"');
    expect(update).toMatch(/<textarea id="update-summary" name="summary"[^>]*maxlength="400"[^>]*required/);
    expect(update).toMatch(/name="externalText"[^>]*maxlength="280"/);
    expect(update).toContain('public status page');
    expect(update).toContain('class="primary"');
    expect(severity).toMatch(/<input type="radio"[^>]*value="2" checked>/);
    expect(severity).not.toMatch(/value="[13]" checked/);
    expect(severity).toMatch(/name="reason"[^>]*maxlength="500"[^>]*required/);
    expect(valueIn(roles ?? '', 'incidentManager')).toBe('ann@example.com');
    expect(valueIn(roles ?? '', 'techLeads')).toBe('bo@example.com, di@example.com');
    expect(valueIn(meeting ?? '', 'videoUrl')).toBe('https://meet.example.com/hot-7');
    expect(valueIn(meeting ?? '', 'stateDocumentUrl')).toBe('');
    expect(meeting).toMatch(/<input type="url"/);
    expect(resolve).toMatch(/<input type="number" id="resolve-supportCases"[^>]*required[^>]*min="0"/);
    expect(resolve).not.toContain('name="postmortem"');
    expect(resolve).toContain('class="resolve"');
  });

  it('uses the severity cadence for the next update, and offers a postmortem only when it is optional', () => {
    const page = renderResponderPage(
      responderViewOf({ severity: 3, cadenceMinutes: undefined, postmortemOptional: true }),
    );
    const [update, , , , resolve] = formsOf(page).map((f) => f.markup);

    expect(valueIn(update ?? '', 'nextUpdateMinutes')).toBe('30');
    expect(resolve).toMatch(/<input type="checkbox" id="resolve-postmortem" name="postmortem" value="yes">/);
    expect(
      renderResponderPage(responderViewOf({ cadenceMinutes: 15 })).match(
        /name="nextUpdateMinutes"[^>]*value="(\d+)"/,
      )?.[1],
    ).toBe('15');
  });

  it('fills the refused form with what was typed, opens it, and leaves the other forms at their defaults', () => {
    const typed = {
      intent: 'severity' as const,
      fields: { intent: 'severity', severity: '1', reason: 'Card payments down in every region' },
    };
    const page = renderResponderPage(
      responderViewOf({ typed, notice: { tone: 'bad', text: 'say why the severity changes' } }),
    );
    const severity = formsOf(page).find((f) => f.intent === 'severity')?.markup ?? '';

    expect(foldOf(page, 'severity')).toMatch(/\sopen>$/);
    expect(foldOf(page, 'roles')).not.toMatch(/\sopen/);
    expect(severity).toMatch(/value="1" checked>/);
    expect(severity).not.toMatch(/value="2" checked>/);
    expect(valueIn(severity, 'reason')).toBe('Card payments down in every region');
    expect(page).toContain('href="#form-severity"');
  });

  it('keeps a stale update as typed (every field), with the new version', () => {
    const fields = {
      intent: 'update',
      summary: 'Checkout fails for card payments. We rolled back.',
      status: '- rollback done\n- errors falling',
      nextSteps: 'watch errors\nclose if quiet',
      impact: 'Card payments fail in EU.',
      internalCustomers: 'unknown',
      externalCustomers: '1200',
      rootCause: 'bad deploy',
      eta: 'in 2h',
      nextUpdateMinutes: '45',
      externalText: 'Some card payments fail; we are fixing it.',
    };
    const page = renderResponderPage(
      responderViewOf({
        version: 'NewVersion000000',
        typed: { intent: 'update', fields },
        notice: { tone: 'warn', text: 'The incident changed since you opened the page.' },
      }),
    );
    const update = formsOf(page).find((f) => f.intent === 'update')?.markup ?? '';

    for (const [name, value] of Object.entries(fields))
      if (name !== 'intent') expect(valueIn(update, name), name).toBe(value);
    expect(update).toContain('name="version" value="NewVersion000000"');
    expect(page).toMatch(/<div class="box warn" role="alert"><p>The incident changed/);
  });

  it('shows a notice at the top: ok as a status, warn and bad as an alert', () => {
    const ok = renderResponderPage(responderViewOf({ notice: { tone: 'ok', text: DONE_NOTICES.update } }));
    expect(ok).toContain(`<div class="box ok" role="status"><p>${DONE_NOTICES.update}</p>`);
    expect(ok.indexOf('class="box ok"')).toBeLessThan(ok.indexOf('<form'));
    const bad = renderResponderPage(responderViewOf({ notice: { tone: 'bad', text: 'refused' } }));
    expect(bad).toContain('<div class="box bad" role="alert">');
  });

  it('is read-only once resolved: no forms, and it says so', () => {
    const page = renderResponderPage(
      responderViewOf({
        forms: [],
        incident: incidentOf({
          status: 'resolved',
          times: {
            impactStartedAt: '2026-11-30T02:41:00.000Z',
            detectedAt: '2026-11-30T02:45:00.000Z',
            resolvedAt: '2026-11-30T04:00:00.000Z',
          },
        }),
      }),
    );

    expect(page).not.toContain('<form');
    expect(page).not.toContain('<input');
    expect(page).toContain('HOT-7 is resolved (2026-11-30 04:00 UTC). This page is read-only');
  });

  it('shows the meeting links near the top, the incident below the forms, and the link note at the end', () => {
    const page = renderResponderPage(responderViewOf());

    expect(page).toMatch(/<h1>HOT-7: HighErrorRate: checkout 5xx above 5%<\/h1>/);
    const places = /<p class="places">.*<\/p>/.exec(page)?.[0] ?? '';
    expect(places).toContain('href="https://chat.example.com/inc-hot-7"');
    expect(places).toContain('>Video call</a>');
    expect(places).not.toContain('State document');
    expect(page.indexOf('class="places"')).toBeLessThan(page.indexOf('<form'));
    expect(page.lastIndexOf('</form>')).toBeLessThan(page.indexOf('<h2>Timeline (UTC)</h2>'));
    expect(page).toContain(
      'This link was sent to <strong>ann@example.com</strong> and records what you post as theirs. It works until 2026-12-30 02:48 UTC. Opening it changed nothing.',
    );
    expect(page).not.toContain('A read-only page sent to');
  });

  it('has no script, and labels every named control', () => {
    for (const view of [
      responderViewOf(),
      responderViewOf({ postmortemOptional: true, severity: 3 }),
      responderViewOf({ roles: ['tech-lead', 'comms-manager'], forms: ['update'] }),
    ]) {
      const page = renderResponderPage(view);
      expect(page).not.toMatch(/<script/i);
      expect(page).not.toMatch(/\son[a-z]+=/i);
      const labelled = new Set([...page.matchAll(/<label\b[^>]*\sfor="([^"]+)"/g)].map((m) => m[1]));
      const ids = [...page.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
      expect(new Set(ids).size).toBe(ids.length);
      const controls = [...page.matchAll(/<(input|textarea|select)\b[^>]*>/g)]
        .map(([tag]) => tag)
        .filter((tag) => has(tag, 'name') && attr(tag, 'type') !== 'hidden');
      expect(controls.length).toBeGreaterThan(0);
      for (const tag of controls) {
        const id = attr(tag, 'id');
        expect(id, tag).toBeDefined();
        expect(labelled.has(id), tag).toBe(true);
      }
    }
  });

  it('escapes hostile summaries, recipients and typed values', () => {
    const page = renderResponderPage(
      responderViewOf({
        incident: incidentOf({ summary: hostile, description: breakout }),
        recipient: breakout,
        notice: { tone: 'bad', text: hostile },
        current: { incidentManager: breakout, techLeads: [hostile] },
        typed: {
          intent: 'update',
          fields: { summary: hostile, impact: `</textarea>${hostile}`, eta: breakout },
        },
      }),
    );

    expect(page).not.toContain('<script');
    expect(page).not.toContain('<img');
    expect(page).not.toMatch(/"><img/);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('<title>HOT-7: &lt;script&gt;');
    const update = formsOf(page).find((f) => f.intent === 'update')?.markup ?? '';
    expect(valueIn(update, 'impact')).toBe(`</textarea>${hostile}`);
    expect(valueIn(update, 'eta')).toBe(breakout);
    const roles = formsOf(page).find((f) => f.intent === 'roles')?.markup ?? '';
    expect(valueIn(roles, 'incidentManager')).toBe(breakout);
  });
});

describe('responderResponse', () => {
  it.each([200, 400, 409] as const)('answers the page with status %s and the link page headers', (status) => {
    const response = responderResponse({ kind: 'responder', status, view: responderViewOf() });

    expect(response.statusCode).toBe(status);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.body).toMatch(/^<!doctype html>/);
    expect(response.body).toContain('<h1>HOT-7: ');
  });

  it('answers a save with 303 See Other back to the link, and no body', () => {
    const response = responderResponse({ kind: 'responder-saved', location: `./${token}?done=update` });

    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`./${token}?done=update`);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toBe('');
  });
});

describe('the comms lists that bounced', () => {
  const bounce = (address: string, outcome: 'bounced' | 'complained') => ({
    address,
    outcome,
    detail: 'mailbox does not exist',
    at: '2026-12-07T09:07:11.000Z',
    kind: 'update',
  });

  it('are named to the incident manager as a warning, escaped', () => {
    const page = renderResponderPage(
      responderViewOf({
        commsBounces: [bounce(`${hostile}@example.com`, 'bounced'), bounce('ops@example.com', 'complained')],
      }),
    );
    expect(page).toContain('These stakeholders did not get your updates:');
    expect(page).toContain('ops@example.com (marked it as spam: mailbox does not exist)');
    expect(page).not.toContain(hostile);
    expect(page).toContain('&lt;script&gt;');
    expect(renderResponderPage(responderViewOf())).not.toContain('did not get your updates');
  });
});
