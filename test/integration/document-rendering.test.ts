import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/stores.ts';
import { contentHash } from '../../functions/core/approvals.ts';
import { renderDocumentSections } from '../../functions/core/document-render.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { verifyLink } from '../../functions/core/links.ts';
import type { Postmortem } from '../../functions/core/postmortem.ts';
import { documentHtml } from '../../functions/core/postmortem-document.ts';
import type { PostmortemEditInput } from '../../functions/core/postmortem-edit.ts';
import { parsePostmortemEdit } from '../../functions/core/postmortem-edit.ts';
import {
  decideApproval,
  publishPostmortem,
  remindApprovers,
  requestApproval,
  saveEdit,
} from '../../functions/use-cases/approvals.ts';
import { sectionsOf } from '../../functions/use-cases/document-rendering.ts';
import type { Stores } from '../../functions/use-cases/ports.ts';
import { openPostmortem, type PostmortemDeps } from '../../functions/use-cases/postmortems.ts';
import { recordingMailer, testSigningKeys } from '../support/fakes.ts';
import { storedResolvedIncident } from '../support/incidents.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';
import { organisation } from '../support/organisation.ts';
import { completePostmortem } from '../support/postmortem-flow.ts';

/**
 * The postmortem's sections are rendered once per content, when approval is requested, by a function that bundles
 * markdown-it, and kept; the workflow's steps (reminders, publication) mail the kept rendering with the facts,
 * actions and approvals written around it, and bundle no Markdown renderer.
 */

let db: LocalDb;
let stores: Stores;
const { mailer, sent } = recordingMailer();
const keys = testSigningKeys();
const NOW = new Date('2026-12-01T10:00:00.000Z');
const HEAD = 'head-of-payments@example.com';

beforeAll(async () => {
  db = await startLocalDb();
  stores = dynamoStores(db.client, db.table);
});
afterAll(async () => db?.stop());

/** The use cases' dependencies: `renderer` as in the API and link functions, without as in WorkflowStep. */
function depsOf(renderer: boolean): PostmortemDeps {
  return {
    ...stores,
    mailer,
    organisation,
    baseUrl: 'https://incidents.example.com',
    now: () => NOW,
    workflow: { resume: async () => true },
    signingKeys: async () => keys,
    newId: ulid,
    ...(renderer ? { renderDocument: renderDocumentSections } : {}),
  };
}

let number = 900;
async function inReview(deps: PostmortemDeps, request = true): Promise<Incident> {
  number += 1;
  const incident = await storedResolvedIncident(stores, number);
  const { postmortem } = await openPostmortem(deps, { key: incident.key, by: 'hotline' });
  const content = completePostmortem('Add a check of connection pool sizes to the change review checklist');
  const edit = parsePostmortemEdit({ version: postmortem.version, ...content } as PostmortemEditInput);
  await saveEdit(deps, { key: incident.key, by: 'owner@example.com', edit });
  if (request) await requestApproval(deps, { key: incident.key, by: 'owner@example.com' });
  return incident;
}

/** The rendering items kept for an incident's postmortem (their sort keys). */
async function renderingsOf(incident: Incident): Promise<string[]> {
  const result = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
      ExpressionAttributeValues: { ':pk': `POSTMORTEM#${incident.id}`, ':sk': 'RENDERING#' },
    }),
  );
  return (result.Items ?? []).map((item) => String(item.sk)).sort();
}

const mailsTo = (incident: Incident, to: string) =>
  sent.filter((m) => m.to.includes(to) && m.message.subject.startsWith(`${incident.key} `));

describe('the postmortem document, rendered once per content', () => {
  it('is rendered and kept when approval is requested, and the request mails it', async () => {
    const incident = await inReview(depsOf(true));
    const postmortem = (await stores.postmortems.get(incident.id)) as Postmortem;
    const hash = contentHash(postmortem);
    expect(postmortem.approval?.contentHash).toBe(hash);
    expect(await renderingsOf(incident)).toEqual([`RENDERING#${hash}#email`, `RENDERING#${hash}#page`]);
    const kept = await stores.postmortems.rendering(incident.id, hash, 'email');
    expect(kept).toEqual(renderDocumentSections(postmortem).email);
    const [request] = mailsTo(incident, HEAD);
    expect(request?.message.html).toContain('Incident summary</h2>');
    expect(request?.message.html).toContain(
      documentHtml(
        postmortem,
        { incident, serviceName: 'Payments' },
        kept ?? { main: '', external: '' },
        'email',
      )
        .split('\n')
        .find((line) => line.includes('Priority actions')),
    );
  });

  it("the workflow's reminder and publication mail the kept rendering, without a renderer of their own", async () => {
    const incident = await inReview(depsOf(true));
    const workflow = depsOf(false);
    const before = mailsTo(incident, HEAD).length;
    await remindApprovers(workflow, { incidentId: incident.id, key: incident.key, round: 1 });
    const reminders = mailsTo(incident, HEAD).slice(before);
    expect(reminders.length).toBeGreaterThan(0);
    for (const mail of reminders) {
      expect(mail.message.html).toContain('Incident summary</h2>');
      expect(mail.message.html).not.toContain('white-space:pre-wrap');
    }

    const [link] = mailsTo(incident, HEAD)
      .flatMap((m) => [...m.message.text.matchAll(/\/links\/(v1\.[^\s>)"]+)/g)].map((x) => x[1] ?? ''))
      .map((token) => verifyLink(token, keys, NOW))
      .flatMap((v) => (v.ok && v.claims.ref?.startsWith('approved:') ? [v.claims] : []));
    if (!link) throw new Error('no approve link');
    await decideApproval(workflow, link, { contentHash: link.ref?.split(':')[1] ?? '' }, {});
    await publishPostmortem(workflow, { incidentId: incident.id, key: incident.key });
    const published = sent.find(
      (m) =>
        m.message.subject.startsWith(`${incident.key} `) &&
        m.message.subject.endsWith('Postmortem published'),
    );
    expect(published?.message.html).toContain('Incident summary</h2>');
    expect(published?.message.html).toContain('Approvals</h2>');
    expect(published?.message.html).toMatch(/Published 2026-12-01 10:00 UTC/);
    expect(published?.message.html).not.toContain('white-space:pre-wrap');
  });

  it('reads plain, and whole, where nothing was kept and no renderer is bundled (asked before 0.3.0)', async () => {
    const incident = await inReview(depsOf(false));
    expect(await renderingsOf(incident)).toEqual([]);
    const [request] = mailsTo(incident, HEAD);
    expect(request?.message.html).toContain('white-space:pre-wrap');
    expect(request?.message.html).toContain('Priority actions</h3>');
  });

  it('a page that reads it renders what was not kept without keeping it (a GET writes nothing)', async () => {
    const incident = await inReview(depsOf(false), false);
    const postmortem = (await stores.postmortems.get(incident.id)) as Postmortem;
    const sections = await sectionsOf(depsOf(true), postmortem, 'page', { keep: false });
    expect(sections).toEqual(renderDocumentSections(postmortem).page);
    expect(await renderingsOf(incident)).toEqual([]);
  });
});
