import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/stores.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { type LinkClaims, verifyLink } from '../../functions/core/links.ts';
import type { Postmortem } from '../../functions/core/postmortem.ts';
import type { PostmortemEditInput } from '../../functions/core/postmortem-edit.ts';
import { parsePostmortemEdit } from '../../functions/core/postmortem-edit.ts';
import type { ResumeOutput } from '../../functions/core/workflow-resume.ts';
import { completeAction } from '../../functions/use-cases/actions.ts';
import {
  changeApprovers,
  decideApproval,
  publishPostmortem,
  remindApprovers,
  requestApproval,
  saveEdit,
  waitForApproval,
} from '../../functions/use-cases/approvals.ts';
import type { Stores } from '../../functions/use-cases/ports.ts';
import { openPostmortem, type PostmortemDeps } from '../../functions/use-cases/postmortems.ts';
import { recordingMailer, testSigningKeys } from '../support/fakes.ts';
import { storedResolvedIncident } from '../support/incidents.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';
import { organisation } from '../support/organisation.ts';
import { completePostmortem } from '../support/postmortem-flow.ts';

/**
 * Approval settles from the postmortem's state on every path (a decision and its retry after a failure, a change
 * of approvers, the reminder, the workflow's wait); asking again works on unchanged content; and no write of the
 * postmortem is lost to another (the optimistic lock counts every write; the content version, edits only).
 */

let db: LocalDb;
let stores: Stores;
const { mailer, sent } = recordingMailer();
const keys = testSigningKeys();
const NOW = new Date('2026-12-01T10:00:00.000Z');
const HEAD = 'head-of-payments@example.com';
const DEPUTY = 'deputy-head@example.com';

beforeAll(async () => {
  db = await startLocalDb();
  stores = dynamoStores(db.client, db.table);
});
afterAll(async () => db?.stop());

/** The workflow as the use cases see it: every resume recorded. */
function harness(storesUsed: Stores = stores) {
  const resumed: Array<{ token: string; output: ResumeOutput }> = [];
  const deps: PostmortemDeps = {
    ...storesUsed,
    mailer,
    organisation,
    baseUrl: 'https://incidents.example.com',
    now: () => NOW,
    workflow: {
      resume: async (token, output) => {
        resumed.push({ token, output });
        return true;
      },
    },
    signingKeys: async () => keys,
    newId: ulid,
  };
  return { deps, resumed };
}

let number = 700;
async function resolvedIncident(): Promise<Incident> {
  number += 1;
  return storedResolvedIncident(stores, number);
}

/** A postmortem with every blocking check met, still a draft; optionally a second approver first. */
async function readyPostmortem(
  deps: PostmortemDeps,
  options: { deputy?: boolean } = {},
): Promise<{ incident: Incident; postmortem: Postmortem }> {
  const incident = await resolvedIncident();
  const { postmortem } = await openPostmortem(deps, { key: incident.key, by: 'hotline' });
  const content = completePostmortem('Add a check of connection pool sizes to the change review checklist');
  const edit = parsePostmortemEdit({ version: postmortem.version, ...content } as PostmortemEditInput);
  await saveEdit(deps, { key: incident.key, by: 'owner@example.com', edit });
  if (options.deputy)
    await changeApprovers(deps, { key: incident.key, by: 'ops', add: { address: DEPUTY, mandatory: true } });
  return { incident, postmortem: (await stores.postmortems.get(incident.id)) as Postmortem };
}

/** The decision links mailed to `approver` for `incident`, newest last, with their claims. */
function decisionLinks(incident: Incident, approver: string, decision: 'approved' | 'changes-requested') {
  const links: LinkClaims[] = [];
  for (const mail of sent) {
    if (!mail.to.includes(approver) || !mail.message.subject.startsWith(`${incident.key} `)) continue;
    for (const match of mail.message.text.matchAll(/\/links\/(v1\.[^\s>)"]+)/g)) {
      const verified = verifyLink(match[1] ?? '', keys, NOW);
      if (verified.ok && verified.claims.ref?.startsWith(`${decision}:`)) links.push(verified.claims);
    }
  }
  return links;
}

const hashOf = (claims: LinkClaims | undefined) => (claims?.ref ?? '').split(':')[1] ?? '';

async function decide(
  deps: PostmortemDeps,
  claims: LinkClaims | undefined,
  comment?: string,
): Promise<Awaited<ReturnType<typeof decideApproval>>> {
  if (!claims) throw new Error('no link');
  return decideApproval(deps, claims, { contentHash: hashOf(claims), ...(comment ? { comment } : {}) }, {});
}

/** Keeps `token` as the approval wait's, as the workflow's WaitForApproval step does. */
async function atApprovalWait(incident: Incident, token: string) {
  await stores.postmortems.keepTaskToken(incident.id, token, { wait: 'approval' });
}

/** The head of payments' approval of the current request, recorded as a decision that stopped before settling. */
async function approvedUnsettled(incident: Incident) {
  const postmortem = (await stores.postmortems.get(incident.id)) as Postmortem;
  await stores.postmortems.recordDecision(incident.id, {
    approver: HEAD,
    mandatory: true,
    decision: 'approved',
    at: NOW.toISOString(),
    contentHash: postmortem.approval?.contentHash ?? '',
    version: postmortem.version,
    requestRound: 1,
  });
}

/** Stores whose postmortem writes fail `times` times once `when` says so: a failure after a decision is recorded. */
function failingWrites(when: (next: Postmortem) => boolean, times = 1): Stores {
  let left = times;
  return {
    ...stores,
    postmortems: Object.assign(Object.create(Object.getPrototypeOf(stores.postmortems)), stores.postmortems, {
      update: (incidentId: string, change: Parameters<Stores['postmortems']['update']>[1]) =>
        stores.postmortems.update(incidentId, (current) => {
          const write = change(current);
          if (write && left > 0 && when(write.postmortem)) {
            left -= 1;
            throw new Error('injected: the function stopped before the outcome was written');
          }
          return write;
        }),
    }),
  };
}

describe('approval settles from the state, on every path', () => {
  it('a decision whose outcome failed after it was recorded is settled by the retry of the same link', async () => {
    const { deps } = harness();
    const { incident } = await readyPostmortem(deps);
    await requestApproval(deps, { key: incident.key, by: 'owner@example.com' });
    await atApprovalWait(incident, 'approval-token-1');
    const failing = harness(failingWrites((next) => next.status === 'approved'));
    const link = decisionLinks(incident, HEAD, 'approved').at(-1);

    await expect(decide(failing.deps, link)).rejects.toThrow(/injected/);
    expect((await stores.postmortems.get(incident.id))?.status).toBe('in-review');
    expect(await stores.postmortems.decisions(incident.id)).toHaveLength(1);

    const retry = harness();
    const again = await decide(retry.deps, link);

    expect(again.kind).toBe('already-decided');
    const postmortem = (await stores.postmortems.get(incident.id)) as Postmortem;
    expect(postmortem.status).toBe('approved');
    expect(postmortem.actions.find((a) => a.kind === 'priority')?.dueAt).toBe('2026-12-29T10:00:00.000Z');
    expect(retry.resumed).toEqual([
      { token: 'approval-token-1', output: expect.objectContaining({ event: 'approved' }) },
    ]);
    // Each action of the approved postmortem is followed from now on.
    for (const action of postmortem.actions) expect(await stores.actions.get(action.id)).toBeDefined();
  });

  it('a change request whose return to draft failed is completed by the retry: draft, owner mailed, wait resumed', async () => {
    const { deps } = harness();
    const { incident } = await readyPostmortem(deps);
    await requestApproval(deps, { key: incident.key, by: 'owner@example.com' });
    await atApprovalWait(incident, 'approval-token-2');
    const link = decisionLinks(incident, HEAD, 'changes-requested').at(-1);
    const failing = harness(failingWrites((next) => next.status === 'draft'));

    await expect(decide(failing.deps, link, 'Say why the pool was lowered.')).rejects.toThrow(/injected/);
    const ownerMails = () =>
      sent.filter((m) => m.to.includes('payments-team@example.com') && /changes/i.test(m.message.subject));
    expect(ownerMails().filter((m) => m.message.subject.startsWith(`${incident.key} `))).toHaveLength(0);

    const retry = harness();
    expect((await decide(retry.deps, link, 'Say why the pool was lowered.')).kind).toBe('already-decided');

    expect((await stores.postmortems.get(incident.id))?.status).toBe('draft');
    expect(ownerMails().filter((m) => m.message.subject.startsWith(`${incident.key} `))).toHaveLength(1);
    expect(retry.resumed).toEqual([
      { token: 'approval-token-2', output: expect.objectContaining({ event: 'changes-requested' }) },
    ]);
  });

  it('making the only undecided mandatory approver optional approves it', async () => {
    const { deps, resumed } = harness();
    const { incident } = await readyPostmortem(deps, { deputy: true });
    await requestApproval(deps, { key: incident.key, by: 'owner@example.com' });
    await atApprovalWait(incident, 'approval-token-3');
    const outcome = await decide(deps, decisionLinks(incident, HEAD, 'approved').at(-1));
    expect(outcome).toMatchObject({ kind: 'decided', outcome: 'pending' });

    await changeApprovers(deps, { key: incident.key, by: 'ops', add: { address: DEPUTY, mandatory: false } });

    expect((await stores.postmortems.get(incident.id))?.status).toBe('approved');
    expect(resumed.map((r) => r.output)).toEqual([expect.objectContaining({ event: 'approved' })]);
  });

  it('replacing the undecided approver by one who approved approves it', async () => {
    const { deps } = harness();
    const { incident } = await readyPostmortem(deps, { deputy: true });
    await requestApproval(deps, { key: incident.key, by: 'owner@example.com' });
    await decide(deps, decisionLinks(incident, HEAD, 'approved').at(-1));

    await changeApprovers(deps, { key: incident.key, by: 'ops', replace: { from: DEPUTY, to: HEAD } });

    expect((await stores.postmortems.get(incident.id))?.status).toBe('approved');
  });

  it('the reminder settles a review where nobody is pending any more, and reminds nobody', async () => {
    const { deps, resumed } = harness();
    const { incident } = await readyPostmortem(deps);
    await requestApproval(deps, { key: incident.key, by: 'owner@example.com' });
    // Recorded, and then the function stopped: nothing settled it.
    await approvedUnsettled(incident);
    await atApprovalWait(incident, 'approval-token-4');
    const mailsBefore = sent.length;

    await remindApprovers(deps, { incidentId: incident.id, key: incident.key, round: 0 });

    expect((await stores.postmortems.get(incident.id))?.status).toBe('approved');
    expect(sent.slice(mailsBefore).filter((m) => m.message.subject.startsWith(`${incident.key} `))).toEqual(
      [],
    );
    expect(resumed.map((r) => r.output)).toEqual([expect.objectContaining({ event: 'approved' })]);
  });

  it("the workflow's approval wait settles a decision made before it kept its token", async () => {
    const { deps, resumed } = harness();
    const { incident } = await readyPostmortem(deps);
    await requestApproval(deps, { key: incident.key, by: 'owner@example.com' });
    await approvedUnsettled(incident);

    const waited = await waitForApproval(deps, {
      incidentId: incident.id,
      key: incident.key,
      token: 'approval-token-5',
    });

    expect(waited).toEqual({ waiting: false });
    expect((await stores.postmortems.get(incident.id))?.status).toBe('approved');
    expect(resumed).toEqual([
      { token: 'approval-token-5', output: expect.objectContaining({ event: 'approved' }) },
    ]);
  });
});

describe('asking again', () => {
  it('request, change request, request again without an edit, approve from the new mail', async () => {
    const { deps } = harness();
    const { incident } = await readyPostmortem(deps);
    await requestApproval(deps, { key: incident.key, by: 'owner@example.com' });
    const first = decisionLinks(incident, HEAD, 'changes-requested').at(-1);
    expect(first?.ref).toMatch(/:1$/);
    expect((await decide(deps, first, 'Name the review checklist owner.')).kind).toBe('decided');
    expect((await stores.postmortems.get(incident.id))?.status).toBe('draft');

    // The owner disagrees and asks again on the same content.
    await requestApproval(deps, { key: incident.key, by: 'owner@example.com' });

    const second = decisionLinks(incident, HEAD, 'approved');
    expect(second).toHaveLength(2);
    expect(second.at(-1)?.ref).toMatch(/:2$/);
    expect(hashOf(second.at(-1))).toBe(hashOf(first));
    // The links of the first round decide nothing now: that round was decided (changes requested).
    expect(await decide(deps, second[0])).toMatchObject({
      kind: 'already-decided',
      decision: { decision: 'changes-requested', requestRound: 1 },
    });
    expect((await stores.postmortems.get(incident.id))?.status).toBe('in-review');
    expect(await decide(deps, second.at(-1))).toMatchObject({ kind: 'decided', outcome: 'approved' });
    expect((await stores.postmortems.get(incident.id))?.status).toBe('approved');
    const view = await stores.incidents.view(incident.id);
    const requests = view?.timeline.filter(
      (e) => e.kind === 'postmortem.approval-requested' && e.eventId.startsWith('approval-requested-r'),
    );
    expect(requests?.map((e) => e.eventId.slice(0, 21))).toEqual([
      'approval-requested-r1',
      'approval-requested-r2',
    ]);
  });

  it('a retried request that stopped before its mails sends them, and still answers that it was requested', async () => {
    const { deps } = harness();
    const { incident } = await readyPostmortem(deps);
    const brokenMailer = {
      send: async () => {
        throw new Error('injected: SES throttled');
      },
    };
    await expect(
      requestApproval({ ...deps, mailer: brokenMailer }, { key: incident.key, by: 'owner@example.com' }),
    ).rejects.toThrow(/throttled/);
    expect(decisionLinks(incident, HEAD, 'approved')).toHaveLength(0);

    await expect(requestApproval(deps, { key: incident.key, by: 'owner@example.com' })).rejects.toThrow(
      /already requested/,
    );

    expect(decisionLinks(incident, HEAD, 'approved')).toHaveLength(1);
  });
});

/**
 * A document client that, before the first conditional write of a whole postmortem, lets another operation run
 * to its end: the write then races a write that landed after its read, as two functions would.
 */
function interleaved(other: () => Promise<unknown>): Stores {
  let done = false;
  const client = {
    send: async (command: { input?: Record<string, unknown> }) => {
      const input = command.input ?? {};
      const key = input.Key as { sk?: string } | undefined;
      if (
        !done &&
        key?.sk === 'POSTMORTEM' &&
        typeof input.ConditionExpression === 'string' &&
        // The conditional write of the whole postmortem (on its lock; in 0.1.0 on its content version).
        /#lock|#version/.test(input.ConditionExpression)
      ) {
        done = true;
        await other();
      }
      return db.client.send(command as never);
    },
  } as unknown as DynamoDBDocumentClient;
  return dynamoStores(client, db.table);
}

describe('no lost update on the postmortem', () => {
  it('publication and an action marked done meanwhile: published, and the action stays done', async () => {
    const { deps } = harness();
    const { incident } = await readyPostmortem(deps);
    await requestApproval(deps, { key: incident.key, by: 'owner@example.com' });
    await decide(deps, decisionLinks(incident, HEAD, 'approved').at(-1));
    const approved = (await stores.postmortems.get(incident.id)) as Postmortem;
    const action = approved.actions[0] as Postmortem['actions'][number];
    const racing = harness(
      interleaved(() =>
        completeAction(
          { ...stores, now: () => NOW },
          { actionId: action.id, by: 'dev@example.com', via: 'api' },
        ),
      ),
    );

    await publishPostmortem(racing.deps, { incidentId: incident.id, key: incident.key });

    const after = (await stores.postmortems.get(incident.id)) as Postmortem;
    expect(after.status).toBe('published');
    expect(after.actions.find((a) => a.id === action.id)?.status).toBe('done');
  });

  it('an edit and a change of approvers meanwhile: both kept, and only the edit moves the content version', async () => {
    const { deps } = harness();
    const { incident, postmortem } = await readyPostmortem(deps);
    const racing = harness(
      interleaved(() =>
        changeApprovers(deps, { key: incident.key, by: 'ops', add: { address: DEPUTY, mandatory: false } }),
      ),
    );
    const edit = parsePostmortemEdit({
      version: postmortem.version,
      fields: { backlogCheck: 'PAY-77 covered pool sizing and was never scheduled.' },
    } as PostmortemEditInput);

    const saved = await saveEdit(racing.deps, { key: incident.key, by: 'owner@example.com', edit });

    const after = (await stores.postmortems.get(incident.id)) as Postmortem;
    expect(saved.changed).toEqual(['backlogCheck']);
    expect(after.fields.backlogCheck).toBe('PAY-77 covered pool sizing and was never scheduled.');
    expect(after.approverChanges?.add).toEqual([{ address: DEPUTY, mandatory: false }]);
    expect(after.version).toBe(postmortem.version + 1);
  });

  it('an approval and a change of approvers meanwhile: approved, and the change kept', async () => {
    const { deps } = harness();
    const { incident } = await readyPostmortem(deps);
    await requestApproval(deps, { key: incident.key, by: 'owner@example.com' });
    const racing = harness(
      interleaved(() =>
        changeApprovers(deps, { key: incident.key, by: 'ops', add: { address: DEPUTY, mandatory: false } }),
      ),
    );

    await decide(racing.deps, decisionLinks(incident, HEAD, 'approved').at(-1));

    const after = (await stores.postmortems.get(incident.id)) as Postmortem;
    expect(after.status).toBe('approved');
    expect(after.approval?.approvers.map((a) => a.address)).toEqual([HEAD, DEPUTY]);
  });

  it('an edit against another edit meanwhile is refused as stale (412), not merged silently', async () => {
    const { deps } = harness();
    const { incident, postmortem } = await readyPostmortem(deps);
    const other = parsePostmortemEdit({
      version: postmortem.version,
      fields: { backlogCheck: 'Written by someone else first.' },
    } as PostmortemEditInput);
    const racing = harness(
      interleaved(() => saveEdit(deps, { key: incident.key, by: 'other@example.com', edit: other })),
    );
    const mine = parsePostmortemEdit({
      version: postmortem.version,
      fields: { rootCause: 'The pool was sized for a quieter week.' },
    } as PostmortemEditInput);

    await expect(
      saveEdit(racing.deps, { key: incident.key, by: 'owner@example.com', edit: mine }),
    ).rejects.toMatchObject({ status: 412 });
    expect((await stores.postmortems.get(incident.id))?.fields.backlogCheck).toBe(
      'Written by someone else first.',
    );
  });
});
