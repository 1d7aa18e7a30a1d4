import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Organisation, parseOrganisation } from '../../functions/core/config.ts';
import { synthesize } from '../../infra/local/synth.ts';
import { type Browser, newTab, shoot, startBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { fixture } from '../support/fixtures.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * The public status page end to end, on the local target: one incident opened by an alert and left open, one
 * declared and resolved, with a marker string in every internal field that can be set (the organisation's
 * service id, name, owner team, aliases, lists and meeting places; summaries, descriptions, roles, update
 * checklists, severity reason, resolution summary; alert labels, annotations and links). /status, /status.json
 * and /status.atom show the external wording and nothing else. Then the page in Chromium at 390 px.
 */

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON answers are read loosely
type Json = Record<string, any>;

/** Every internal value below contains this (any case); no public text does. */
const MARKER = 'marker';
const mark = (what: string) => `${what} MARKER-${what.toLowerCase().replace(/\W+/g, '-')}`;
const address = (who: string) => `${who}-marker@corp-marker.example`;

const SERVICE = 'svc-marker';
const TITLE = 'Acme Cloud status';
const PRODUCTS = ['Public Widgets', 'Public Gadgets'];

const organisation: Organisation = parseOrganisation({
  incidentKeyPrefix: 'HOT',
  sender: { address: address('sender'), name: mark('Sender name') },
  statusPage: { title: TITLE },
  operators: [address('operators')],
  imoc: [address('imoc')],
  leadership: [address('leadership')],
  defaultService: 'unknown',
  services: {
    [SERVICE]: {
      name: mark('Service name'),
      ownerTeam: mark('Owner team'),
      aliases: ['alias-marker'],
      products: PRODUCTS,
      comms: { internal: [address('internal-list')], external: [address('external-list')] },
      incidentManagers: { primary: [address('primary')], backup: [address('backup')] },
      approvers: { mandatory: [address('approver')] },
    },
    unknown: {
      name: mark('Unassigned'),
      ownerTeam: mark('SRE'),
      comms: { internal: [address('unassigned-list')] },
      incidentManagers: { primary: [address('imoc')] },
      approvers: { mandatory: [address('approver')] },
    },
  },
  responseLinks: {
    chatRoom: 'https://chat.marker.example/{channel}',
    video: 'https://meet.marker.example/{channel}',
    stateDocument: 'https://docs.marker.example/{key}',
  },
});

/** The only texts the status page may show: the generated wordings (about the products) and these. */
// A long unbroken word (a public link a person wrote) must not make a phone scroll sideways.
const OPEN_UPDATE =
  'Engineers are replacing a faulty network switch: https://blog.example.com/2026/replacing-the-faulty-core-network-switch-in-one-data-centre';
const RESOLVED_UPDATE = 'Sign-ins work again for most customers; we are watching closely.';

let hotline: HotlineTarget;
let browser: Browser;
let assemblyRoot: string;
let base: string;
const keys: string[] = [];

async function api(path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...hotline.operator(), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

async function ok(path: string, body?: unknown): Promise<Json> {
  const response = await api(path, body);
  expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
  return response.body;
}

/** What an update's checklist asks for, with a marker in every internal item. */
const checklist = (external: string) => ({
  summary: mark('Update summary'),
  status: [mark('Status bullet one'), mark('Status bullet two')],
  nextSteps: [mark('Next step one'), mark('Next step two')],
  impact: mark('Impact text'),
  customers: { internal: 3, external: 1200 },
  rootCause: mark('Root cause'),
  eta: 'no ETA',
  nextUpdateAt: new Date(Date.now() + 20 * 60_000).toISOString(),
  external,
});

/** Takes charge, names people with marked addresses, and posts an update with an external text. */
async function respond(key: string, external: string) {
  await eventually(
    async () => ((await api(`/incidents/${key}`)).body.incident?.status === 'paged' ? true : undefined),
    `${key} to be paged`,
    20_000,
  );
  await ok(`/incidents/${key}/acknowledge`, { incidentManager: address('incident-manager') });
  await ok(`/incidents/${key}/roles`, {
    techLeads: [address('tech-lead')],
    commsManager: address('comms-manager'),
  });
  // The initial comms go out once the workflow has started the response.
  await eventually(
    async () => ((await api(`/incidents/${key}`)).body.incident?.firstCommsAt ? true : undefined),
    `the initial comms of ${key}`,
    20_000,
  );
  await ok(`/incidents/${key}/updates`, checklist(external));
}

const statusJson = async () => (await (await fetch(`${base}/status.json`)).json()) as Json;

beforeAll(async () => {
  assemblyRoot = mkdtempSync(join(tmpdir(), 'hotline-status-assembly-'));
  // The stack built for this organisation: its names and lists are baked into the bundles, as on AWS.
  const assemblyDir = await synthesize({ outdir: join(assemblyRoot, 'cdk.out'), organisation });
  hotline = await startHotline({ assemblyDir });
  base = hotline.target.urls.api;
  browser = await startBrowser();

  // Opened by an alert, left open.
  const alert = fixture<Json>('alertmanager', 'firing-v4');
  const labels = {
    alertname: mark('Alertname').replace(/\s/g, ''),
    service: 'alias-marker',
    severity: 'high',
    instance: 'host-marker:8080',
  };
  const annotations = {
    summary: mark('Alert summary'),
    description: mark('Alert description'),
    runbook_url: 'https://runbooks.marker.example/switch',
  };
  const delivered = await fetch(`${base}/alerts/alertmanager`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${hotline.secretOf('alertmanager')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      ...alert,
      groupKey: `{}:{marker="${ulid()}"}`,
      groupLabels: labels,
      commonLabels: labels,
      commonAnnotations: annotations,
      externalURL: 'http://alertmanager.marker.example:9093',
      alerts: alert.alerts.map((a: Json, i: number) => ({
        ...a,
        labels: { ...labels, instance: `host-marker-${i}:8080` },
        annotations,
        startsAt: new Date(Date.now() - 5 * 60_000).toISOString(),
        generatorURL: 'https://prometheus.marker.example/graph',
        fingerprint: `marker${i}`,
      })),
    }),
  });
  expect(delivered.status).toBe(202);
  const opened = ((await delivered.json()) as Json).incidents[0].key as string;
  keys.push(opened);
  await respond(opened, OPEN_UPDATE);
  await ok(`/incidents/${opened}/severity`, { severity: 1, reason: mark('Severity reason') });

  // Declared by hand, then resolved.
  const declared = (
    await ok('/incidents', {
      summary: mark('Declared summary'),
      description: mark('Declared description'),
      severity: 2,
      service: SERVICE,
    })
  ).key as string;
  keys.push(declared);
  await respond(declared, RESOLVED_UPDATE);
  await ok(`/incidents/${declared}/resolve`, { supportCases: 2, summary: mark('Resolution summary') });

  // The final round publishes the resolution.
  await eventually(
    async () => {
      const incidents = (await statusJson()).incidents as Json[];
      return incidents.length === 2 && incidents.some((i) => i.status === 'resolved') ? true : undefined;
    },
    'the status page to show one open and one resolved incident',
    30_000,
  );
}, 180_000);

afterAll(async () => {
  await browser?.stop();
  await hotline?.stop();
  if (assemblyRoot) rmSync(assemblyRoot, { recursive: true, force: true });
});

const initial = `We are investigating issues with ${PRODUCTS.join(' and ')}.`;
const restored = `The issues with ${PRODUCTS.join(' and ')} have been resolved and service is restored. We will publish a postmortem with what happened and what we are changing.`;

/** Everything the status page must never show. */
function expectNothingInternal(body: string, route: string) {
  expect(body.toLowerCase(), `${route} shows an internal value`).not.toContain(MARKER);
  for (const key of keys) expect(body, `${route} shows the incident key`).not.toContain(key);
  expect(body, `${route} shows an incident key`).not.toMatch(/\bHOT-\d+\b/);
  expect(body, `${route} shows an email address`).not.toMatch(/[\w.+-]+@[\w-]+(\.[\w-]+)+/);
  expect(body, `${route} shows a signed link`).not.toContain('/links/');
  expect(body, `${route} shows a chat room, video or document link`).not.toMatch(/chat\.|meet\.|docs\./);
}

describe('the status page on the local target', () => {
  it('shows the open incident and the resolved one in their external wording, as JSON', async () => {
    const response = await fetch(`${base}/status.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('public, max-age=30');
    const body = (await response.json()) as Json;

    expect(body.title).toBe(TITLE);
    const [open, resolved] = body.incidents as Json[];
    expect(open).toMatchObject({ status: 'investigating', statusText: 'Investigating', products: PRODUCTS });
    expect(open?.updates.map((u: Json) => u.text)).toEqual([OPEN_UPDATE, initial]);
    expect(resolved).toMatchObject({ status: 'resolved', statusText: 'Resolved', products: PRODUCTS });
    expect(resolved?.resolvedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(resolved?.updates.map((u: Json) => u.text)).toEqual([restored, RESOLVED_UPDATE, initial]);
    for (const incident of [open, resolved]) {
      expect(Object.keys(incident ?? {}).sort()).toEqual(
        [
          'id',
          'products',
          'status',
          'statusText',
          'updates',
          ...(incident?.resolvedAt ? ['resolvedAt'] : []),
        ].sort(),
      );
    }
  });

  it.each(['/status', '/status.json', '/status.atom'])(
    '%s carries the external texts and nothing internal: no marker, key, address or link',
    async (route) => {
      const response = await fetch(`${base}${route}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const body = await response.text();

      for (const text of [OPEN_UPDATE, RESOLVED_UPDATE, 'We are investigating issues with Public Widgets']) {
        expect(body, route).toContain(text);
      }
      expectNothingInternal(body, route);
    },
  );

  it('the mails still say where the status page is', async () => {
    const store = (await (await fetch(`${hotline.target.urls.ses}/store`)).json()) as {
      emails: { destination: { to: string[] }; body: { text: string } }[];
    };
    const external = store.emails.filter((m) => m.destination.to.includes(address('external-list')));
    expect(external.some((m) => m.body.text.includes(`${initial} Updates: ${base}/status`))).toBe(true);
    expect(external.some((m) => m.body.text.includes(`${restored} Status: ${base}/status`))).toBe(true);
  });

  it('mails the external list the external wording alone: no marker, key, severity, address or link in subject or body', async () => {
    const store = (await (await fetch(`${hotline.target.urls.ses}/store`)).json()) as {
      emails: { destination: { to: string[] }; subject: string; body: { text: string; html: string } }[];
    };
    const external = store.emails.filter((m) => m.destination.to.includes(address('external-list')));
    // Both incidents' first round and update, and the resolved one's final round.
    expect(external.map((m) => m.subject).sort()).toEqual(
      [initial, initial, OPEN_UPDATE, RESOLVED_UPDATE, restored]
        .map((wording) => /^.*?[.!?](?=\s|$)/s.exec(wording)?.[0] ?? wording)
        .sort(),
    );
    for (const mail of external) {
      // Nothing else went to the external list with it.
      expect(mail.destination.to).toEqual([address('external-list')]);
      for (const [part, text] of Object.entries({ subject: mail.subject, ...mail.body })) {
        expectNothingInternal(text, `the external mail's ${part}`);
        expect(text, `the external mail's ${part}`).not.toMatch(/\bSev(erity)? ?\d/i);
      }
    }
  });

  it('answers HEAD without a body, and no other method', async () => {
    const head = await fetch(`${base}/status.atom`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/atom+xml');
    expect(await head.text()).toBe('');
    expect((await fetch(`${base}/status`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});

describe('the status page in Chromium', () => {
  it('reads at 390 px wide without sideways scrolling or CSP violations, showing external text only', async () => {
    const cspViolations: string[] = [];
    const tab = await newTab(browser.context, cspViolations, { width: 390, height: 844 });

    const response = await tab.goto(`${base}/status`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-/);
    await expect(tab.locator('h1').textContent()).resolves.toBe(TITLE);
    const text = await tab.locator('main').innerText();
    expect(text).toContain('1 incident under investigation.');
    expect(text).toContain(OPEN_UPDATE);
    expect(text).toContain(RESOLVED_UPDATE);
    expectNothingInternal(text, 'the rendered page');
    expect(await tab.locator('script').count()).toBe(0);
    expect(await tab.locator('section').count()).toBe(2);
    const fits = await tab.evaluate(() => {
      // Runs in the page; the project's TypeScript has no DOM types.
      const view = globalThis as unknown as {
        innerWidth: number;
        document: { documentElement: { scrollWidth: number } };
      };
      return { scrollWidth: view.document.documentElement.scrollWidth, innerWidth: view.innerWidth };
    });
    expect(fits.innerWidth).toBe(390);
    expect(fits.scrollWidth).toBeLessThanOrEqual(fits.innerWidth);
    await shoot(tab, 'status-page-390');
    expect(cspViolations).toEqual([]);
  });

  it("is a feed Chromium's XML parser reads as Atom, with one entry per published update", async () => {
    const atom = await (await fetch(`${base}/status.atom`)).text();
    const tab = await newTab(browser.context, []);
    const parsed = await tab.evaluate((source) => {
      // Runs in the page (about:blank); the project's TypeScript has no DOM types.
      type Element = { textContent: string };
      type Doc = {
        documentElement: { localName: string; namespaceURI: string };
        getElementsByTagName(name: string): { length: number };
        getElementsByTagNameNS(ns: string, name: string): ArrayLike<Element>;
      };
      const Parser = (
        globalThis as unknown as { DOMParser: new () => { parseFromString(s: string, t: string): Doc } }
      ).DOMParser;
      const doc = new Parser().parseFromString(source, 'application/xml');
      const atomNs = 'http://www.w3.org/2005/Atom';
      return {
        errors: doc.getElementsByTagName('parsererror').length,
        root: `${doc.documentElement.namespaceURI} ${doc.documentElement.localName}`,
        entries: doc.getElementsByTagNameNS(atomNs, 'entry').length,
        contents: Array.from(doc.getElementsByTagNameNS(atomNs, 'content')).map((c) => c.textContent),
      };
    }, atom);

    expect(parsed.errors).toBe(0);
    expect(parsed.root).toBe('http://www.w3.org/2005/Atom feed');
    expect(parsed.entries).toBe(5);
    expect(parsed.contents).toContain(OPEN_UPDATE);
    expect(parsed.contents).toContain(restored);
  });
});
