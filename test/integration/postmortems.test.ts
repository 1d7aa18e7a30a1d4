import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/stores.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { verifyLink } from '../../functions/core/links.ts';
import type { Postmortem } from '../../functions/core/postmortem.ts';
import type { ResumeOutput } from '../../functions/core/workflow-resume.ts';
import { waitForApproval, waitForPostmortem } from '../../functions/use-cases/approvals.ts';
import type { Stores } from '../../functions/use-cases/ports.ts';
import {
  editPostmortem,
  getPostmortem,
  listPostmortems,
  openPostmortem,
  type PostmortemDeps,
  postmortemHistory,
} from '../../functions/use-cases/postmortems.ts';
import { recordingMailer, testSigningKeys } from '../support/fakes.ts';
import { storedResolvedIncident } from '../support/incidents.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';
import { organisation } from '../support/organisation.ts';

/** Postmortems on the stack's table: opened once, pre-filled, edited by version, listed by status. */

let db: LocalDb;
let stores: Stores;
const { mailer, sent } = recordingMailer();
const keys = testSigningKeys();

beforeAll(async () => {
  db = await startLocalDb();
  stores = dynamoStores(db.client, db.table);
});
afterAll(async () => db?.stop());

const deps = (now = () => new Date('2026-11-30T16:00:00.000Z')): PostmortemDeps => ({
  ...stores,
  mailer,
  organisation,
  baseUrl: 'https://incidents.example.com',
  now,
  workflow: { resume: async () => true },
  signingKeys: async () => keys,
  newId: ulid,
});

let number = 100;
/** A resolved sev 2 incident of checkout (Monday 30 November 2026, 14:30-15:10 UTC). */
async function resolvedIncident(changes: Partial<Incident> = {}): Promise<Incident> {
  number += 1;
  return storedResolvedIncident(stores, number, changes);
}

describe('opening a postmortem', () => {
  it('opens it once, pre-filled, owned by the team, due five business days after resolution, and mails the owner', async () => {
    const incident = await resolvedIncident();

    const first = await openPostmortem(deps(), { key: incident.key, by: 'hotline' });
    const again = await openPostmortem(deps(), { key: incident.key, by: 'hotline' });

    expect(first.created).toBe(true);
    expect(again).toEqual({ postmortem: first.postmortem, created: false });
    expect(first.postmortem).toMatchObject({
      key: incident.key,
      status: 'draft',
      version: 1,
      owner: 'payments-team@example.com',
      ownerTeam: 'Payments',
      // Resolved Monday 15:12 UTC: the end of the fifth business day after (Mon-Fri 09:00-17:00 UTC).
      due: '2026-12-07T17:00:00.000Z',
    });
    expect(first.postmortem.fields.summary).toContain('Between 14:30 and 15:10 UTC on 30 November 2026');
    expect(first.postmortem.fields.summary).toContain('4 support cases');
    expect(first.postmortem.fields.recovery).toBe('');
    const mails = sent.filter((m) => m.message.subject.startsWith(`${incident.key} `));
    expect(mails).toHaveLength(1);
    expect(mails[0]?.to).toEqual(['payments-team@example.com']);
    const editor =
      /Write the postmortem: Open the editor <https:\/\/incidents\.example\.com\/links\/(v1\.[^>/]+)\/edit>/.exec(
        mails[0]?.message.text ?? '',
      );
    expect(verifyLink(editor?.[1] ?? '', keys, new Date())).toMatchObject({
      ok: true,
      claims: { action: 'edit-postmortem', key: incident.key, recipient: 'payments-team@example.com' },
    });
    const view = await stores.incidents.view(incident.id);
    expect(view?.timeline.filter((e) => e.kind === 'postmortem.opened')).toHaveLength(2);
    expect(view?.timeline.filter((e) => e.eventId === 'postmortem-opened')).toHaveLength(1);
  });

  it('answers a second open while the first is still mailing the owner, and the owner gets one mail', async () => {
    const incident = await resolvedIncident();
    let release: () => void = () => undefined;
    let sending: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      sending = resolve;
    });
    const slow = {
      send: async (to: readonly string[], message: Parameters<typeof mailer.send>[1]) => {
        sending();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return mailer.send(to, message);
      },
    };
    const first = openPostmortem({ ...deps(), mailer: slow }, { key: incident.key, by: 'hotline' });
    await started;
    // The workflow's step holds the owner's mail: an operator's open answers with the postmortem, mails nothing.
    const again = await openPostmortem(deps(), { key: incident.key, by: 'payments-oncall@example.com' });
    expect(again.created).toBe(false);
    release();
    expect((await first).created).toBe(true);
    expect(sent.filter((m) => m.message.subject.startsWith(`${incident.key} `))).toHaveLength(1);
  });

  it('refuses an incident that is not resolved, and opens nothing', async () => {
    const incident = await resolvedIncident({ status: 'fixing', resolvedAt: undefined });
    await expect(openPostmortem(deps(), { key: incident.key, by: 'operator' })).rejects.toThrow(
      /not resolved/,
    );
    expect(await stores.postmortems.get(incident.id)).toBeUndefined();
  });

  it('marks a sev 3 postmortem opened on request as requested', async () => {
    const incident = await resolvedIncident({ severity: 3, postmortem: 'not-required' });
    await openPostmortem(deps(), { key: incident.key, by: 'operator', requested: true });
    expect((await stores.incidents.get(incident.id))?.postmortem).toBe('requested');
  });
});

describe('editing a postmortem', () => {
  it('saves an edit of the current version as the next, keeps every version, and refuses a stale one', async () => {
    const incident = await resolvedIncident();
    await openPostmortem(deps(), { key: incident.key, by: 'hotline' });

    const saved = await editPostmortem(deps(), {
      key: incident.key,
      by: 'alice@example.com',
      edit: { version: 1, fields: { recovery: 'We rolled back the deploy at 15:05.' } },
    });
    expect(saved.postmortem).toMatchObject({ version: 2, updatedBy: 'alice@example.com' });
    expect(saved.changed).toEqual(['recovery']);

    await expect(
      editPostmortem(deps(), {
        key: incident.key,
        by: 'bob@example.com',
        edit: { version: 1, fields: { recovery: 'Something else.' } },
      }),
    ).rejects.toMatchObject({ status: 412 });
    const current = await getPostmortem(deps(), incident.key);
    expect(current.postmortem.fields.recovery).toBe('We rolled back the deploy at 15:05.');
    expect(current.checks.blocking.length).toBeGreaterThan(0);
    // The history is a projection of the versions: who, when, what changed; never their content.
    const history = await postmortemHistory(deps(), incident.key);
    expect(history.map((v) => [v.version, v.by, v.changed])).toEqual([
      [1, 'hotline', []],
      [2, 'alice@example.com', ['recovery']],
    ]);
    expect(Object.keys(history[1] ?? {}).sort()).toEqual(['at', 'by', 'changed', 'version']);
    expect((await stores.postmortems.version(incident.id, 2))?.fields.recovery).toBe(
      'We rolled back the deploy at 15:05.',
    );
    const view = await stores.incidents.view(incident.id);
    expect(view?.timeline.find((e) => e.kind === 'postmortem.edited')?.text).toBe(
      'Postmortem version 2 saved by alice@example.com: recovery.',
    );
  });

  it('keeps the workflow token when an edit is saved', async () => {
    const incident = await resolvedIncident();
    await openPostmortem(deps(), { key: incident.key, by: 'hotline' });
    await stores.postmortems.keepTaskToken(incident.id, 'task-token-pm');
    await editPostmortem(deps(), {
      key: incident.key,
      by: 'alice@example.com',
      edit: { version: 1, fields: { leadup: 'A deploy at 14:20.' } },
    });
    const raw = await db.client.send(
      new (await import('@aws-sdk/lib-dynamodb')).GetCommand({
        TableName: db.table,
        Key: { pk: `POSTMORTEM#${incident.id}`, sk: 'POSTMORTEM' },
      }),
    );
    expect(raw.Item?.taskToken).toBe('task-token-pm');
    expect(
      (await stores.postmortems.get(incident.id)) as unknown as Record<string, unknown>,
    ).not.toHaveProperty('taskToken');
  });
});

describe('listing postmortems', () => {
  it('lists by status and the overdue ones', async () => {
    const incident = await resolvedIncident();
    await openPostmortem(deps(), { key: incident.key, by: 'hotline' });
    const drafts = await listPostmortems(deps(), {
      status: 'draft',
      now: new Date('2026-11-30T16:00:00Z'),
      limit: 100,
    });
    expect(drafts.map((p) => p.key)).toContain(incident.key);
    const soon = await listPostmortems(deps(), {
      overdue: true,
      now: new Date('2026-12-01T00:00:00Z'),
      limit: 100,
    });
    expect(soon.map((p) => p.key)).not.toContain(incident.key);
    const late = await listPostmortems(deps(), {
      overdue: true,
      now: new Date('2026-12-08T00:00:00Z'),
      limit: 100,
    });
    expect(late.find((p) => p.key === incident.key)).toMatchObject({ overdue: true, status: 'draft' });
    expect(await listPostmortems(deps(), { status: 'published', now: new Date(), limit: 100 })).toEqual([]);
  });
});

describe('the postmortem waits of the workflow', () => {
  it('resume themselves, when what they wait for came first, with the review plan the states after them read', async () => {
    const incident = await resolvedIncident();
    const { postmortem } = await openPostmortem(deps(), { key: incident.key, by: 'hotline' });
    const resumed: Array<{ token: string; output: ResumeOutput }> = [];
    const waiting: PostmortemDeps = {
      ...deps(),
      workflow: {
        resume: async (token, output) => {
          resumed.push({ token, output });
          return true;
        },
      },
    };
    const ids = { incidentId: incident.id, key: incident.key };
    const setStatus = async (status: Postmortem['status']) => {
      expect(
        await stores.postmortems.update(incident.id, (current) => ({ postmortem: { ...current, status } })),
      ).toBeTruthy();
    };

    // A draft: the postmortem wait keeps its token and waits.
    await expect(waitForPostmortem(waiting, { ...ids, token: 'draft-1' })).resolves.toEqual({
      waiting: true,
    });
    expect(resumed).toEqual([]);

    // Approval was asked for before the wait kept its token: it resumes into the approval wait with its plan
    // (WaitForApproval is bounded by `waitSeconds`, RemindApprovers counts from `round`).
    await setStatus('in-review');
    await waitForPostmortem(waiting, { ...ids, token: 'review-1' });
    // Decided before the approval wait kept its token: approved, or sent back.
    await setStatus('approved');
    await waitForApproval(waiting, { ...ids, token: 'approval-1' });
    await setStatus('draft');
    await waitForApproval(waiting, { ...ids, token: 'approval-2' });

    const plan = { round: 0, waitSeconds: expect.any(Number) };
    expect(resumed).toEqual([
      { token: 'review-1', output: { event: 'approval-requested', ...plan } },
      { token: 'approval-1', output: { event: 'approved', ...plan } },
      { token: 'approval-2', output: { event: 'changes-requested', ...plan } },
    ]);
    // Until the end of the second business day: Monday 16:00 to Wednesday 17:00 UTC.
    expect(resumed[0]?.output).toMatchObject({ waitSeconds: 49 * 3600 });
    expect(postmortem.status).toBe('draft');
  });
});
