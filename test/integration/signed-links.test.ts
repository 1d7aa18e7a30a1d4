import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/stores.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { issueLink, type LinkClaims, parseSigningKeys, signLink } from '../../functions/core/links.ts';
import type { ResumeOutput } from '../../functions/core/workflow-resume.ts';
import { LINK_ATTEMPT_LEASE_MS } from '../../functions/use-cases/links/single-use.ts';
import { decideLink, type LinkDeps, viewLink } from '../../functions/use-cases/links.ts';
import type { IncidentStore, Stores, WorkflowCallback } from '../../functions/use-cases/ports.ts';
import { acknowledge } from '../../functions/use-cases/respond.ts';
import { testSigningKeys } from '../support/fakes.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';
import { organisation } from '../support/organisation.ts';

/** Signed links against the stack's own table on dynalite: GET changes nothing, POST decides once. */

const keys = testSigningKeys();
const recipient = 'payments-oncall@example.com';

let db: LocalDb;
let stores: Stores;
let number = 100;
const resumed: Array<{ token: string; output: ResumeOutput }> = [];
const workflow: WorkflowCallback = {
  resume: async (token, output) => {
    resumed.push({ token, output });
    return true;
  },
};

beforeAll(async () => {
  db = await startLocalDb();
  stores = dynamoStores(db.client, db.table);
});

afterAll(async () => {
  await db?.stop();
});

function deps(overrides: Partial<LinkDeps> = {}): LinkDeps {
  return {
    ...stores,
    mailer: {
      send: async () => {
        throw new Error('links send no mail');
      },
    },
    workflow,
    organisation,
    baseUrl: 'https://incidents.example.com',
    now: () => new Date(),
    keys,
    signingKeys: async () => keys,
    newId: ulid,
    ...overrides,
  };
}

/** Acknowledged through the API (not a link): the incident manager is mailed their responder link. */
const apiDeps = (): LinkDeps => ({ ...deps(), mailer: { send: async () => ({ messageId: ulid() }) } });

async function openIncident(changes: Partial<Incident> = {}): Promise<Incident> {
  number += 1;
  const at = new Date().toISOString();
  const incident: Incident = {
    id: ulid(),
    key: `HOT-${number}`,
    number,
    status: 'paged',
    severity: 1,
    service: 'checkout',
    summary: 'Checkout API 5xx rate above 5%',
    products: ['Checkout'],
    source: 'alertmanager',
    impactStartedAt: at,
    detectedAt: at,
    openedAt: at,
    executionName: `HOT-${number}`,
    updatedAt: at,
    ...changes,
  };
  await stores.incidents.create(incident);
  await stores.incidents.putKey(incident.key, incident.id);
  return incident;
}

function linkFor(
  incident: Incident,
  changes: Partial<LinkClaims> = {},
): { token: string; claims: LinkClaims } {
  const claims: LinkClaims = {
    id: ulid(),
    incidentId: incident.id,
    key: incident.key,
    action: 'acknowledge',
    recipient,
    exp: Math.floor(Date.now() / 1000) + 3600,
    ...changes,
  };
  return { token: signLink(claims, keys), claims };
}

const stored = async (incident: Incident) => stores.incidents.get(incident.id);

describe('viewing a link (GET)', () => {
  it('shows the confirm page with the incident, the action and the recipient, and writes nothing', async () => {
    const incident = await openIncident();
    const { token } = linkFor(incident);
    const before = await db.count();
    const page = await viewLink(deps(), token);
    expect(page).toMatchObject({
      kind: 'confirm',
      incident: { key: incident.key, severity: 1, status: 'paged', summary: incident.summary },
      action: { question: `Acknowledge ${incident.key}?`, button: `Acknowledge ${incident.key}` },
      recipient,
      formAction: `./${token}`,
    });
    await viewLink(deps(), token);
    expect(await db.count()).toBe(before);
    expect(await stored(incident)).toEqual(incident);
  });

  it('shows who already did it once the incident was acknowledged', async () => {
    const incident = await openIncident();
    await acknowledge(apiDeps(), { incidentId: incident.id, by: 'alice@example.com', via: 'api' });
    const page = await viewLink(deps(), linkFor(incident).token);
    expect(page).toMatchObject({ kind: 'already-done', by: 'alice@example.com' });
  });
});

describe('the read-only view link in every mail', () => {
  const viewFor = (incident: Incident, changes: Partial<LinkClaims> = {}) =>
    linkFor(incident, {
      action: 'view',
      recipient: 'checkout-incidents@example.com, cto@example.com',
      ...changes,
    });

  it('opens the incident page with its timeline, and writes nothing', async () => {
    const incident = await openIncident({ roles: { incidentManager: 'alice@example.com' } });
    await stores.incidents.appendTimeline({
      incidentId: incident.id,
      eventId: 'opened',
      at: '2026-11-29T23:58:00.000Z',
      kind: 'incident.opened',
      actor: 'alertmanager',
      text: `${incident.key} opened <from> alertmanager`,
    });
    await stores.incidents.appendTimeline({
      incidentId: incident.id,
      eventId: 'paged',
      at: '2026-11-30T00:01:00.000Z',
      kind: 'page.sent',
      actor: 'hotline',
      text: 'Paged incident manager payments-oncall@example.com.',
    });
    const { token } = viewFor(incident);
    const before = await db.count();

    const page = await viewLink(deps(), token);

    expect(page).toMatchObject({
      kind: 'incident',
      view: {
        key: incident.key,
        summary: incident.summary,
        status: 'paged',
        service: 'Checkout',
        roles: { incidentManager: 'alice@example.com' },
        recipient: 'checkout-incidents@example.com, cto@example.com',
        timeline: [
          { at: '2026-11-29T23:58:00.000Z', text: `${incident.key} opened <from> alertmanager` },
          { at: '2026-11-30T00:01:00.000Z', text: 'Paged incident manager payments-oncall@example.com.' },
        ],
      },
    });
    expect(await db.count()).toBe(before);
  });

  it('never decides: a POST of a view link is refused and changes nothing', async () => {
    const incident = await openIncident({ ackTaskToken: 'task-token-view' });
    const before = await db.count();
    expect(await decideLink(deps(), viewFor(incident).token)).toEqual({ kind: 'view-only' });
    expect(await stored(incident)).toEqual(incident);
    expect(await db.count()).toBe(before);
    expect(resumed.filter((r) => r.token === 'task-token-view')).toEqual([]);
  });

  it('stops showing the incident the configured days after its resolution', async () => {
    const resolvedAt = new Date(Date.now() - (organisation.viewLinkDays + 1) * 86_400_000).toISOString();
    const old = await openIncident({ status: 'resolved', resolvedAt });
    expect(await viewLink(deps(), viewFor(old).token)).toEqual({ kind: 'expired' });
    const recent = await openIncident({ status: 'resolved', resolvedAt: new Date().toISOString() });
    expect(await viewLink(deps(), viewFor(recent).token)).toMatchObject({ kind: 'incident' });
  });

  it('refuses a view link whose signature, key or expiry is wrong, showing no incident data', async () => {
    const incident = await openIncident();
    const { token } = viewFor(incident);
    const tampered = `${token.slice(0, -2)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect(await viewLink(deps(), tampered)).toEqual({ kind: 'invalid' });
    expect(await viewLink(deps(), viewFor(incident, { key: 'HOT-999999' }).token)).toEqual({
      kind: 'invalid',
    });
    expect(
      await viewLink(deps(), viewFor(incident, { exp: Math.floor(Date.now() / 1000) - 1 }).token),
    ).toEqual({
      kind: 'expired',
    });
  });
});

describe('deciding with a link (POST)', () => {
  it('acknowledges once for the recipient, resumes the waiting workflow, and a second use says it was done', async () => {
    const incident = await openIncident({ ackTaskToken: 'task-token-1' });
    const { token, claims } = linkFor(incident);

    const first = await decideLink(deps(), token);
    expect(first).toMatchObject({
      kind: 'done',
      by: recipient,
      incident: { key: incident.key, status: 'fixing' },
      action: { doneHeadline: `You acknowledged ${incident.key}` },
    });
    const after = await stored(incident);
    expect(after).toMatchObject({ status: 'fixing', acknowledgedBy: recipient });
    expect(after?.roles?.incidentManager).toBe(recipient);
    expect(resumed).toContainEqual({
      token: 'task-token-1',
      output: { event: 'acknowledged', by: recipient },
    });
    expect(await stores.links.get(claims.id)).toMatchObject({
      outcome: 'done',
      recipient,
      action: 'acknowledge',
    });
    const view = await stores.incidents.view(incident.id);
    expect(view?.timeline.filter((e) => e.kind === 'incident.acknowledged')).toHaveLength(1);

    const count = await db.count();
    const again = await decideLink(deps(), token);
    expect(again).toMatchObject({ kind: 'already-done', by: recipient, at: after?.acknowledgedAt });
    expect(await viewLink(deps(), token)).toMatchObject({ kind: 'already-done', by: recipient });
    expect(await db.count()).toBe(count);
    expect(await stored(incident)).toEqual(after);
  });

  it('acknowledges once when the button is pressed twice at the same time', async () => {
    const incident = await openIncident();
    const { token } = linkFor(incident);
    const pages = await Promise.all([decideLink(deps(), token), decideLink(deps(), token)]);
    expect(pages.filter((p) => p.kind === 'done')).toHaveLength(1);
    // The second press either found the first one's use still pending or already finished.
    expect([
      ['done', 'in-progress'],
      ['already-done', 'done'],
    ]).toContainEqual(pages.map((p) => p.kind).sort());
    const view = await stores.incidents.view(incident.id);
    expect(view?.timeline.filter((e) => e.kind === 'incident.acknowledged')).toHaveLength(1);
  });

  it('refuses expired links and changes nothing', async () => {
    const incident = await openIncident();
    const { token } = linkFor(incident, { exp: Math.floor(Date.now() / 1000) - 1 });
    const before = await db.count();
    expect(await viewLink(deps(), token)).toEqual({ kind: 'expired' });
    expect(await decideLink(deps(), token)).toEqual({ kind: 'expired' });
    expect(await db.count()).toBe(before);
    expect(await stored(incident)).toEqual(incident);
  });

  it('refuses tampered links and links signed with an unknown key, and changes nothing', async () => {
    const incident = await openIncident();
    const other = await openIncident();
    const { token, claims } = linkFor(incident);
    const [v, kid, , signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, incidentId: other.id, key: other.key })).toString(
      'base64url',
    );
    const foreignKeys = parseSigningKeys(JSON.stringify({ activeKeyId: 'k9', k9: 'z'.repeat(64) }));
    const before = await db.count();
    for (const bad of [
      `${v}.${kid}.${forged}.${signature}`,
      `${token.slice(0, -2)}xx`,
      'not-a-token',
      signLink(claims, foreignKeys),
    ]) {
      expect(await viewLink(deps(), bad)).toEqual({ kind: 'invalid' });
      expect(await decideLink(deps(), bad)).toEqual({ kind: 'invalid' });
    }
    expect(await db.count()).toBe(before);
    expect(await stored(incident)).toEqual(incident);
    expect(await stored(other)).toEqual(other);
  });

  it('refuses a validly signed link for an action it does not know, or whose key and incident disagree', async () => {
    const incident = await openIncident();
    const before = await db.count();
    for (const changes of [
      { action: 'approve-postmortem' },
      { action: '__proto__' },
      { action: 'constructor' },
      { key: 'HOT-1' },
    ]) {
      const { token } = linkFor(incident, changes);
      expect(await viewLink(deps(), token)).toEqual({ kind: 'invalid' });
      expect(await decideLink(deps(), token)).toEqual({ kind: 'invalid' });
    }
    expect(await db.count()).toBe(before);
    expect(await stored(incident)).toEqual(incident);
  });

  it('says so when the incident does not exist or is resolved, and changes nothing', async () => {
    const resolved = await openIncident({ status: 'resolved' });
    const missing = { ...resolved, id: ulid() };
    const before = await db.count();
    expect(await decideLink(deps(), linkFor(missing).token)).toEqual({ kind: 'not-found' });
    expect(await viewLink(deps(), linkFor(resolved).token)).toMatchObject({ kind: 'resolved' });
    expect(await decideLink(deps(), linkFor(resolved).token)).toMatchObject({
      kind: 'resolved',
      incident: { key: resolved.key },
    });
    expect(await db.count()).toBe(before);
  });

  it('answers "already done" without using the link when someone acknowledged first', async () => {
    const incident = await openIncident();
    await acknowledge(apiDeps(), { incidentId: incident.id, by: 'alice@example.com', via: 'api' });
    const { token, claims } = linkFor(incident);
    expect(await decideLink(deps(), token)).toMatchObject({ kind: 'already-done', by: 'alice@example.com' });
    expect(await stores.links.get(claims.id)).toBeUndefined();
  });

  it('gives the use back after a transient failure, so pressing the button again works', async () => {
    const incident = await openIncident();
    const { token, claims } = linkFor(incident);
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $fault: 'client',
      $retryable: { throttling: true },
    });
    const flaky = Object.create(stores.incidents) as IncidentStore;
    flaky.change = async () => {
      throw throttled;
    };
    await expect(decideLink(deps({ incidents: flaky }), token)).rejects.toThrow(/Rate exceeded/);
    expect(await stores.links.get(claims.id)).toBeUndefined();
    expect(await stored(incident)).toEqual(incident);

    expect(await decideLink(deps(), token)).toMatchObject({ kind: 'done', by: recipient });
    expect(await stored(incident)).toMatchObject({ status: 'fixing', acknowledgedBy: recipient });
  });

  it('lets the recipient press again after a failure half way through (the incident was already changed)', async () => {
    const incident = await openIncident({ ackTaskToken: 'task-token-half' });
    const { token, claims } = linkFor(incident);
    const unreachable: WorkflowCallback = {
      resume: async () => {
        throw Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' });
      },
    };
    await expect(decideLink(deps({ workflow: unreachable }), token)).rejects.toThrow(/ECONNRESET/);
    expect(await stores.links.get(claims.id)).toBeUndefined();
    expect(await stored(incident)).toMatchObject({ status: 'fixing', acknowledgedBy: recipient });

    // The same link runs the idempotent action again instead of answering from the incident alone.
    expect(await decideLink(deps(), token)).toMatchObject({ kind: 'already-done', by: recipient });
    expect(await stores.links.get(claims.id)).toMatchObject({ outcome: 'already-done' });
  });

  it('waits for a use in progress, and takes over one whose attempt died once its lease passed', async () => {
    const incident = await openIncident();
    const { token, claims } = linkFor(incident);
    const use = {
      linkId: claims.id,
      incidentId: incident.id,
      action: 'acknowledge',
      recipient,
      outcome: 'pending',
      attempt: 'dead-attempt',
    };
    await stores.links.claim({ ...use, usedAt: new Date().toISOString() }, LINK_ATTEMPT_LEASE_MS);
    expect(await decideLink(deps(), token)).toMatchObject({ kind: 'in-progress' });
    expect(await stored(incident)).toEqual(incident);
    expect(await viewLink(deps(), token)).toMatchObject({ kind: 'confirm' });

    const later = () => new Date(Date.now() + LINK_ATTEMPT_LEASE_MS + 1000);
    expect(await decideLink(deps({ now: later }), token)).toMatchObject({ kind: 'done', by: recipient });
    expect(await stores.links.get(claims.id)).toMatchObject({ outcome: 'done' });
    expect(await stored(incident)).toMatchObject({ status: 'fixing', acknowledgedBy: recipient });
  });

  it('works with links issued by issueLink for the page emails', async () => {
    const incident = await openIncident();
    const token = issueLink(keys, {
      id: ulid(),
      incidentId: incident.id,
      key: incident.key,
      action: 'acknowledge',
      recipient,
      ttlHours: 24,
      now: new Date(),
    });
    expect(await viewLink(deps(), token)).toMatchObject({ kind: 'confirm', recipient });
    expect(await decideLink(deps(), token)).toMatchObject({ kind: 'done' });
  });
});
