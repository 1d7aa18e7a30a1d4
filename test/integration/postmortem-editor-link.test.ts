import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/stores.ts';
import type { EmailMessage } from '../../functions/core/comms.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { keys as tableKeys } from '../../functions/core/keys.ts';
import { type LinkClaims, parseSigningKeys, signLink } from '../../functions/core/links.ts';
import { textFields } from '../../functions/core/postmortem.ts';
import { postmortemFormNames as names } from '../../functions/core/postmortem-edit.ts';
import {
  type EditorResult,
  type EditorValues,
  type PostmortemEditorView,
  renderPostmortemEditor,
  valuesOf,
} from '../../functions/core/postmortem-page.ts';
import {
  decideEditorLink,
  decideLink,
  type LinkDeps,
  viewEditorLink,
} from '../../functions/use-cases/links.ts';
import type { Stores } from '../../functions/use-cases/ports.ts';
import { openPostmortem } from '../../functions/use-cases/postmortems.ts';
import { correctMeasures } from '../../functions/use-cases/respond.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';
import { organisation } from '../support/organisation.ts';
import { completePostmortem } from '../unit/core/postmortem-support.ts';

/**
 * The postmortem owner's editor link against the stack's own table on dynalite: the link comes from the mail
 * `openPostmortem` sends; GET shows the form and writes nothing, each POST saves one version for the link's
 * recipient, a stale or invalid save saves nothing and answers the typed values, and no other link edits.
 */

const signing = parseSigningKeys(JSON.stringify({ activeKeyId: 'k1', k1: 'e'.repeat(64) }));
const owner = 'payments-team@example.com';

let db: LocalDb;
let stores: Stores;
let number = 500;
const mails: { to: readonly string[]; message: EmailMessage }[] = [];

beforeAll(async () => {
  db = await startLocalDb();
  stores = dynamoStores(db.client, db.table);
});

afterAll(async () => {
  await db?.stop();
});

function deps(): LinkDeps {
  return {
    ...stores,
    mailer: {
      send: async (to, message) => {
        mails.push({ to, message });
        return { messageId: ulid() };
      },
    },
    workflow: { resume: async () => true },
    organisation,
    baseUrl: 'https://incidents.example.com',
    now: () => new Date(),
    keys: signing,
    signingKeys: async () => signing,
    newId: ulid,
  };
}

/** A resolved sev 2 with its postmortem opened; the editor link as the owner's mail carries it. */
async function resolvedWithPostmortem(): Promise<{ incident: Incident; token: string }> {
  number += 1;
  const resolvedAt = new Date(Date.now() - 60_000).toISOString();
  const at = new Date(Date.now() - 3_600_000).toISOString();
  const incident: Incident = {
    id: ulid(),
    key: `HOT-${number}`,
    number,
    status: 'resolved',
    severity: 2,
    service: 'checkout',
    summary: 'Checkout API 5xx rate above 5%',
    products: ['Checkout'],
    source: 'alertmanager',
    impactStartedAt: at,
    detectedAt: at,
    openedAt: at,
    executionName: `HOT-${number}`,
    updatedAt: resolvedAt,
    resolvedAt,
    impactEndedAt: resolvedAt,
    supportCases: 0,
    postmortem: 'required',
  };
  await stores.incidents.create(incident);
  await stores.incidents.putKey(incident.key, incident.id);
  await openPostmortem(deps(), { incidentId: incident.id, by: 'hotline' });
  const mail = mails.find(
    (m) => m.message.subject.startsWith(`${incident.key} - `) && m.message.subject.endsWith(' - Postmortem'),
  );
  expect(mail?.to).toEqual([owner]);
  const url = /^Write the postmortem: .*<(https:\/\/\S+)>$/m.exec(mail?.message.text ?? '')?.[1] ?? '';
  // The editor's own address: the signed link, then /edit (the PostmortemEditor function).
  const token = /\/links\/(v1\.[A-Za-z0-9_.-]+)\/edit$/.exec(url)?.[1];
  if (!token) throw new Error(`no editor link in:\n${mail?.message.text}`);
  return { incident, token };
}

const postmortemOf = async (incident: Incident) => {
  const pm = await stores.postmortems.get(incident.id);
  if (!pm) throw new Error('no postmortem');
  return pm;
};

function editor(result: unknown, status: 200 | 400 | 409): PostmortemEditorView {
  expect(result).toMatchObject({ kind: 'postmortem-editor', status });
  return (result as Extract<EditorResult, { kind: 'postmortem-editor' }>).view;
}

const form = (entries: Record<string, string>) => new URLSearchParams(entries);

/** What the browser posts for a form showing `v` (every field, as the page names it). */
function formFrom(v: EditorValues): URLSearchParams {
  const f = new URLSearchParams({ version: v.version, owner: v.owner });
  for (const name of textFields) f.set(names.text(name), v.text[name]);
  f.set(names.rootCauseCategory, v.rootCauseCategory);
  f.set(names.recurrenceText, v.recurrenceText);
  f.set(names.relatedIncidents, v.relatedIncidents);
  for (const part of ['wentWell', 'couldBeBetter', 'gotLucky'] as const)
    f.set(names.lesson(part), v.lessons[part]);
  v.timeline.forEach((row, i) => {
    f.set(names.timeline(i, 'at'), row.at);
    f.set(names.timeline(i, 'text'), row.text);
  });
  v.fiveWhys.forEach((why, i) => {
    f.set(names.why(i), why);
  });
  v.actions.forEach((a, i) => {
    if (a.id) f.set(names.action(i, 'id'), a.id);
    for (const part of ['title', 'kind', 'category', 'ownerTeam', 'trackerUrl'] as const)
      f.set(names.action(i, part), a[part]);
  });
  return f;
}

describe('the editor link: GET', () => {
  it('shows the whole postmortem for the owner and writes nothing', async () => {
    const { incident, token } = await resolvedWithPostmortem();
    const before = await db.count();
    const pm = await postmortemOf(incident);

    const view = editor(await viewEditorLink(deps(), token), 200);

    expect(view).toMatchObject({
      postmortem: { key: incident.key, version: 1, status: 'draft', owner },
      recipient: owner,
      formAction: './edit',
      incident: { key: incident.key, severity: 2, service: 'Checkout' },
      readOnly: false,
      values: { version: '1', owner },
    });
    expect(view.values.text.summary).toBe(pm.fields.summary);
    expect(view.checks.blocking.map((c) => c.code)).toContain('priority-action');
    expect(view.history.map((h) => h.version)).toEqual([1]);
    await viewEditorLink(deps(), token);
    expect(await db.count()).toBe(before);
    expect(await postmortemOf(incident)).toEqual(pm);
  });
});

describe('the editor link: POST saves, as often as needed', () => {
  it('saves a version for the link’s recipient and answers 303 back to the link, again and again', async () => {
    const { incident, token } = await resolvedWithPostmortem();

    const first = await decideEditorLink(
      deps(),
      token,
      form({
        version: '1',
        leadup: 'Release 2026.11.30-2 changed the card tokeniser.\r\nNobody saw it.',
        'actions[0][title]': 'Add EU card formats to the tokeniser test data',
        'actions[0][kind]': 'priority',
        'actions[0][category]': 'prevent-future',
        'actions[1][title]': '',
        'actions[1][kind]': '',
        'actions[1][category]': '',
        'submit-button': 'Save',
      }),
    );

    expect(first).toEqual({ kind: 'postmortem-saved', location: `./edit?saved=2` });
    const saved = await postmortemOf(incident);
    expect(saved).toMatchObject({ version: 2, updatedBy: owner });
    expect(saved.fields.leadup).toBe('Release 2026.11.30-2 changed the card tokeniser.\nNobody saw it.');
    expect(saved.actions).toMatchObject([
      { title: 'Add EU card formats to the tokeniser test data', kind: 'priority', status: 'open' },
    ]);
    const versions = await stores.postmortems.history(incident.id);
    expect(versions.find((v) => v.version === 2)).toMatchObject({
      by: owner,
      changed: ['leadup', 'actions'],
    });
    const timeline = (await stores.incidents.view(incident.id))?.timeline ?? [];
    expect(timeline.filter((e) => e.kind === 'postmortem.edited')).toMatchObject([{ actor: owner }]);

    // The redirect's GET says what was saved.
    const after = editor(await viewEditorLink(deps(), token, { saved: '2' }), 200);
    expect(after.notice).toMatchObject({ kind: 'saved', version: 2, by: owner });

    // Not single use: the same link saves the next version.
    const actionId = saved.actions[0]?.id ?? '';
    const second = await decideEditorLink(
      deps(),
      token,
      form({
        version: '2',
        owner: 'dana.lee@example.com',
        'actions[0][id]': actionId,
        'actions[0][title]': 'Add EU card formats to the tokeniser test data',
        'actions[0][kind]': 'priority',
        'actions[0][category]': 'prevent-future',
        'actions[0][trackerUrl]': 'https://tracker.example.com/PAY-121',
      }),
    );
    expect(second).toEqual({ kind: 'postmortem-saved', location: `./edit?saved=3` });
    expect(await postmortemOf(incident)).toMatchObject({
      version: 3,
      owner: 'dana.lee@example.com',
      updatedBy: owner,
      actions: [{ id: actionId, trackerUrl: 'https://tracker.example.com/PAY-121' }],
    });

    // A save that changes nothing writes nothing.
    const count = await db.count();
    const same = await decideEditorLink(deps(), token, form({ version: '3', leadup: saved.fields.leadup }));
    expect(same).toEqual({ kind: 'postmortem-saved', location: `./edit?unchanged=3` });
    expect(await db.count()).toBe(count);
  });

  it('refuses a stale save with 409: nothing saved, the typed text returned and merged with the other edit', async () => {
    const { incident, token } = await resolvedWithPostmortem();
    // Two tabs open the same version.
    const mine = editor(await viewEditorLink(deps(), token), 200).values;
    const theirs = structuredClone(mine);
    // The other tab saves first.
    theirs.text.fault = 'Their fault text.';
    theirs.text.impact = 'Their impact text.';
    expect(await decideEditorLink(deps(), token, formFrom(theirs))).toMatchObject({
      kind: 'postmortem-saved',
    });
    const current = await postmortemOf(incident);
    const count = await db.count();

    mine.text.fault = 'My fault text, typed meanwhile.';
    mine.text.recovery = 'My recovery text.';
    mine.timeline.push({ at: '2026-11-30 14:20', text: 'Release deployed' });
    const stale = editor(await decideEditorLink(deps(), token, formFrom(mine)), 409);

    expect(await db.count()).toBe(count);
    expect(await postmortemOf(incident)).toEqual(current);
    expect(stale.notice).toEqual({
      kind: 'stale',
      yourVersion: '1',
      others: [{ version: 2, by: owner, at: current.updatedAt, changed: ['fault', 'impact'] }],
      conflicts: ['fault'],
      taken: ['impact'],
    });
    expect(stale.postmortem.fields.fault).toBe('Their fault text.');
    expect(stale.values.text).toMatchObject({
      fault: 'My fault text, typed meanwhile.',
      impact: 'Their impact text.',
      recovery: 'My recovery text.',
    });
    expect(stale.values.timeline.at(-1)).toEqual({ at: '2026-11-30 14:20', text: 'Release deployed' });
    expect(stale.values.version).toBe('2');

    // Saving the merged form, on purpose, keeps both edits.
    expect(await decideEditorLink(deps(), token, formFrom(stale.values))).toMatchObject({
      kind: 'postmortem-saved',
    });
    const saved = await postmortemOf(incident);
    expect(saved.version).toBe(3);
    expect(saved.fields).toMatchObject({
      fault: 'My fault text, typed meanwhile.',
      impact: 'Their impact text.',
      recovery: 'My recovery text.',
    });
    // The added row is saved in its place in time (the timeline is kept in time order), not where it was typed.
    expect(saved.fields.timeline).toContainEqual({
      at: '2026-11-30T14:20:00.000Z',
      text: 'Release deployed',
    });
    const times = saved.fields.timeline.map((row) => row.at);
    expect(times).toEqual([...times].sort());
  });

  it('"Add another action row" answers the form as typed with one more blank row, and saves nothing', async () => {
    const { incident, token } = await resolvedWithPostmortem();
    const pm = await postmortemOf(incident);
    const count = await db.count();
    const typed = editor(await viewEditorLink(deps(), token), 200).values;
    typed.text.fault = 'Typed fault, not saved yet.';
    typed.actions.push({
      id: '',
      title: 'Add a canary stage',
      kind: 'priority',
      category: 'prevent-future',
      ownerTeam: '',
      trackerUrl: 'not a link yet',
      owner: '',
      dueAt: '',
      remove: false,
    });
    const posted = formFrom(typed);
    posted.set(names.action(typed.actions.length, 'title'), ''); // the one blank row the page had left
    posted.set('intent', 'add-action-row');

    const shown = editor(await decideEditorLink(deps(), token, posted), 200);

    // Nothing written, nothing checked (the tracker link is not one yet): the form comes back as typed.
    expect(await db.count()).toBe(count);
    expect(await postmortemOf(incident)).toEqual(pm);
    expect(shown.notice).toEqual({ kind: 'row-added', list: 'actions' });
    expect(shown.blankRows).toEqual({ actions: 2 });
    expect(shown.values.text.fault).toBe('Typed fault, not saved yet.');
    expect(shown.values.actions.at(-1)).toMatchObject({
      title: 'Add a canary stage',
      trackerUrl: 'not a link yet',
    });
    expect(shown.values.version).toBe('1');
    const html = renderPostmortemEditor(shown);
    const rows = typed.actions.length;
    expect(html).toContain(`name="${names.action(rows + 1, 'title')}"`);
    expect(html).not.toContain(`name="${names.action(rows + 2, 'title')}"`);

    // The same for the timeline; and the save that follows saves what was typed, as version 2.
    const more = formFrom(shown.values);
    more.set('intent', 'add-timeline-row');
    const again = editor(await decideEditorLink(deps(), token, more), 200);
    expect(again.blankRows).toEqual({ timeline: 3 });
    expect(await db.count()).toBe(count);
    const fixed = formFrom({
      ...again.values,
      actions: again.values.actions.map((a) => ({
        ...a,
        trackerUrl: a.trackerUrl.startsWith('not') ? '' : a.trackerUrl,
      })),
    });
    expect(await decideEditorLink(deps(), token, fixed)).toEqual({
      kind: 'postmortem-saved',
      location: `./edit?saved=2`,
    });
    const saved = await postmortemOf(incident);
    expect(saved.fields.fault).toBe('Typed fault, not saved yet.');
    expect(saved.actions.map((a) => a.title)).toContain('Add a canary stage');
  });

  it('"Add another row" on a postmortem that was saved meanwhile keeps the version typed on: the save is told', async () => {
    const { token } = await resolvedWithPostmortem();
    const mine = editor(await viewEditorLink(deps(), token), 200).values;
    const theirs = structuredClone(mine);
    theirs.text.fault = 'Their fault text.';
    expect(await decideEditorLink(deps(), token, formFrom(theirs))).toMatchObject({
      kind: 'postmortem-saved',
    });

    mine.text.fault = 'My fault text.';
    const posted = formFrom(mine);
    posted.set('intent', 'add-action-row');
    const shown = editor(await decideEditorLink(deps(), token, posted), 200);
    expect(shown.values.version).toBe('1');
    const stale = editor(await decideEditorLink(deps(), token, formFrom(shown.values)), 409);
    expect(stale.notice).toMatchObject({ kind: 'stale', conflicts: ['fault'] });
    expect(stale.values.text.fault).toBe('My fault text.');
  });

  it('refuses invalid input with 400 naming the field: nothing saved, the typed values returned', async () => {
    const { incident, token } = await resolvedWithPostmortem();
    const pm = await postmortemOf(incident);
    const count = await db.count();

    const invalid = editor(
      await decideEditorLink(
        deps(),
        token,
        form({
          version: '1',
          recovery: 'Rolled back at 15:05 UTC.',
          rootCauseCategory: 'cosmic-rays',
          'actions[0][title]': 'Add a canary stage',
          'actions[0][kind]': 'priority',
          'actions[0][category]': '',
          'actions[0][trackerUrl]': 'javascript:alert(1)',
        }),
      ),
      400,
    );

    expect(await db.count()).toBe(count);
    expect(await postmortemOf(incident)).toEqual(pm);
    expect(invalid.notice).toMatchObject({ kind: 'invalid' });
    const message = invalid.notice?.kind === 'invalid' ? invalid.notice.message : '';
    expect(message).toContain('fields.rootCauseCategory: must be one of bug');
    expect(message).toContain('actions[0].category');
    expect(message).toContain('actions[0].trackerUrl: must be an http(s) URL');
    expect(invalid.values).toMatchObject({
      version: '1',
      rootCauseCategory: 'cosmic-rays',
      text: { recovery: 'Rolled back at 15:05 UTC.' },
      actions: [{ title: 'Add a canary stage', trackerUrl: 'javascript:alert(1)' }],
    });
  });
});

describe('no other link edits a postmortem, and an approved one is read-only', () => {
  const other = (incident: Incident, action: string, recipient = owner) => {
    const claims: LinkClaims = {
      id: ulid(),
      incidentId: incident.id,
      key: incident.key,
      action,
      recipient,
      exp: Math.floor(Date.now() / 1000) + 3600,
    };
    return signLink(claims, signing);
  };
  const edit = form({ version: '1', summary: 'Overwritten by the wrong link' });

  it('a view link posted with editor fields answers 405 and saves nothing', async () => {
    const { incident } = await resolvedWithPostmortem();
    const pm = await postmortemOf(incident);
    const count = await db.count();
    expect(await decideLink(deps(), other(incident, 'view'), edit)).toEqual({ kind: 'view-only' });
    // Posted to the editor's own address, it is no editor link.
    expect(await decideEditorLink(deps(), other(incident, 'view'), edit)).toEqual({ kind: 'invalid' });
    expect(await db.count()).toBe(count);
    expect(await postmortemOf(incident)).toEqual(pm);
  });

  it('an acknowledge link posted with editor fields decides only what it was signed for', async () => {
    const { incident } = await resolvedWithPostmortem();
    const pm = await postmortemOf(incident);
    const count = await db.count();
    expect(await decideLink(deps(), other(incident, 'acknowledge'), edit)).toMatchObject({
      kind: 'resolved',
    });
    expect(await db.count()).toBe(count);
    expect(await postmortemOf(incident)).toEqual(pm);
  });

  it('an editor link of an approved postmortem shows it read-only and refuses a save', async () => {
    const { incident, token } = await resolvedWithPostmortem();
    await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: tableKeys.postmortem(incident.id),
        UpdateExpression: 'SET #s = :approved',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':approved': 'approved' },
      }),
    );
    const pm = await postmortemOf(incident);
    const shown = editor(await viewEditorLink(deps(), token), 200);
    expect(shown.readOnly).toBe(true);

    const count = await db.count();
    const refused = editor(await decideEditorLink(deps(), token, edit), 409);
    expect(refused).toMatchObject({ readOnly: true, notice: { kind: 'closed', tried: true } });
    expect(await db.count()).toBe(count);
    expect(await postmortemOf(incident)).toEqual(pm);
  });
});

describe('the editor link: Ask for approval', () => {
  const ask = { intent: 'request-approval' };
  /** The whole template filled in, as the form posts it on `version` (actions new). */
  const completeForm = (version: number) =>
    formFrom({
      ...valuesOf(completePostmortem()),
      version: String(version),
      owner,
      relatedIncidents: '',
      actions: valuesOf(completePostmortem()).actions.map((a) => ({ ...a, id: '' })),
    });
  const approvalSubject = (incident: Incident) => (m: { message: EmailMessage }) =>
    m.message.subject.startsWith(`${incident.key} - `) &&
    m.message.subject.endsWith(' - Postmortem approval requested');
  const approvalMails = (incident: Incident) => mails.filter(approvalSubject(incident));

  it('while a blocking check is unmet: 409 naming each, the typed text saved, nobody asked', async () => {
    const { incident, token } = await resolvedWithPostmortem();
    const sent = mails.length;

    const refused = editor(
      await decideEditorLink(deps(), token, form({ version: '1', leadup: 'Typed before asking.', ...ask })),
      409,
    );

    expect(refused.notice).toMatchObject({
      kind: 'not-requested',
      saved: { version: 2, changed: true },
    });
    const notice = refused.notice as Extract<PostmortemEditorView['notice'], { kind: 'not-requested' }>;
    expect(notice.blocking.map((c) => c.code)).toContain('priority-action');
    expect(notice.blocking).toEqual(refused.checks.blocking);
    expect(refused.values.text.leadup).toBe('Typed before asking.');
    expect(await postmortemOf(incident)).toMatchObject({ status: 'draft', version: 2 });
    expect((await postmortemOf(incident)).fields.leadup).toBe('Typed before asking.');
    expect(mails.slice(sent).filter(approvalSubject(incident))).toEqual([]);
    const html = renderPostmortemEditor(refused);
    expect(html).toContain('Not sent for approval:');
    expect(html).toContain('Your changes were saved as version 2.');
    expect(html).toMatch(/<a href="#f-rootCauseCategory">/);
  });

  it('a refused save asks nobody either (400, nothing saved)', async () => {
    const { incident, token } = await resolvedWithPostmortem();
    const refused = editor(
      await decideEditorLink(deps(), token, form({ version: '1', 'actions[0][title]': 'Fix it', ...ask })),
      400,
    );
    expect(refused.approvalNotAsked).toBe(true);
    expect(renderPostmortemEditor(refused)).toContain('Nobody was asked for approval.');
    expect(await postmortemOf(incident)).toMatchObject({ status: 'draft', version: 1 });
    expect(approvalMails(incident)).toEqual([]);
  });

  it('saves and asks as the link’s recipient: 303 to the page in review; asking twice asks once', async () => {
    const { incident, token } = await resolvedWithPostmortem();

    const asked = await decideEditorLink(
      deps(),
      token,
      new URLSearchParams([...completeForm(1), ...Object.entries(ask)]),
    );

    expect(asked).toEqual({ kind: 'postmortem-saved', location: `./edit?requested=2` });
    const pm = await postmortemOf(incident);
    expect(pm).toMatchObject({ status: 'in-review', version: 2, updatedBy: owner });
    expect(pm.approval).toMatchObject({ requestedBy: owner, version: 2 });
    expect(approvalMails(incident).map((m) => m.to)).toEqual([['head-of-payments@example.com']]);

    const shown = editor(await viewEditorLink(deps(), token, { requested: '2' }), 200);
    expect(shown.notice).toEqual({ kind: 'requested', version: 2 });
    expect(shown.readOnly).toBe(false);
    expect(shown.approval).toMatchObject({
      request: { by: owner, version: 2 },
      approvers: [{ address: 'head-of-payments@example.com', mandatory: true }],
      changesRequested: [],
    });
    const html = renderPostmortemEditor(shown);
    expect(html).toContain('Approval requested on version 2.');
    expect(html).toContain('<strong>In review</strong>');
    // In review the page saves (asking again), it does not ask a second time.
    expect(html).not.toContain('Ask for approval</button>');
    // Asking again with the form as shown (a double click): nothing to save, it is asked already, nobody twice.
    const values = editor(await viewEditorLink(deps(), token), 200).values;
    expect(
      await decideEditorLink(
        deps(),
        token,
        new URLSearchParams([...formFrom(values), ...Object.entries(ask)]),
      ),
    ).toEqual({ kind: 'postmortem-saved', location: `./edit?requested=2` });
    // An edit of version 2 with "Ask for approval" while in review: the save asks again on version 3, as the
    // button would, and the page says so.
    const edited = formFrom({ ...values, text: { ...values.text, recovery: 'Rolled back at 15:05 UTC.' } });
    expect(
      await decideEditorLink(deps(), token, new URLSearchParams([...edited, ...Object.entries(ask)])),
    ).toEqual({
      kind: 'postmortem-saved',
      location: `./edit?requested=3`,
    });
    expect(editor(await viewEditorLink(deps(), token, { requested: '3' }), 200).notice).toEqual({
      kind: 'requested',
      version: 3,
    });
    // A stale notice is not shown: version 2 is no longer the one asked about.
    expect(editor(await viewEditorLink(deps(), token, { requested: '2' }), 200).notice).toBeUndefined();
    // That save in review asked the approver again on version 3 (one more mail), not twice.
    expect(approvalMails(incident)).toHaveLength(2);
  });

  it('after a request for changes, the draft shows who asked, when, and the comment, escaped', async () => {
    const { incident, token } = await resolvedWithPostmortem();
    await decideEditorLink(deps(), token, new URLSearchParams([...completeForm(1), ...Object.entries(ask)]));
    const mail = approvalMails(incident)[0];
    const changes = /Request changes: [^<\n]*<(https:\/\/[^>]+)>/.exec(mail?.message.text ?? '')?.[1] ?? '';
    const changesToken = /\/links\/(v1\.[A-Za-z0-9_.-]+)$/.exec(changes)?.[1] ?? '';
    const hash = (await postmortemOf(incident)).approval?.contentHash ?? '';
    const comment = 'Name the <b>owner</b> of the test data & say "when".\nSecond line.';
    const decided = await decideLink(
      deps(),
      changesToken,
      form({ decision: 'changes-requested', contentHash: hash, comment }),
    );
    expect(decided).toMatchObject({ kind: 'done' });
    expect(await postmortemOf(incident)).toMatchObject({ status: 'draft' });

    const shown = editor(await viewEditorLink(deps(), token), 200);
    expect(shown.approval?.changesRequested).toEqual([
      expect.objectContaining({
        approver: 'head-of-payments@example.com',
        mandatory: true,
        version: 2,
        comment,
      }),
    ]);
    const html = renderPostmortemEditor(shown);
    expect(html).toContain('<strong>Changes requested.</strong>');
    expect(html).toContain(
      'Name the &lt;b&gt;owner&lt;/b&gt; of the test data &amp; say &quot;when&quot;.\nSecond line.',
    );
    expect(html).not.toContain('<b>owner</b>');
    // Back to draft: the owner can ask again.
    expect(html).toContain('Ask for approval</button>');
  });
});

describe('an expired editor link', () => {
  const later = () => new Date(Date.now() + 31 * 86_400_000);
  const expiredLater = (): LinkDeps => ({ ...deps(), now: later });
  const freshMails = (incident: Incident) =>
    mails.filter(
      (m) =>
        m.message.subject.startsWith(`${incident.key} - `) &&
        m.message.subject.endsWith(' - Postmortem editor link'),
    );

  it('offers a fresh link, mailed to the owner only, once in ten minutes, that opens the editor', async () => {
    const { incident, token } = await resolvedWithPostmortem();

    const expired = await viewEditorLink(expiredLater(), token);
    expect(expired).toMatchObject({ kind: 'editor-expired', owner, formAction: './edit' });
    // Anything but the request for a fresh link, posted to it, changes nothing.
    expect(await decideEditorLink(expiredLater(), token, form({ [names.version]: '1' }))).toMatchObject({
      kind: 'editor-expired',
    });
    expect(freshMails(incident)).toHaveLength(0);

    const sent = await decideEditorLink(expiredLater(), token, form({ intent: 'fresh-editor-link' }));
    expect(sent).toMatchObject({ kind: 'editor-link-sent', owner });
    await decideEditorLink(expiredLater(), token, form({ intent: 'fresh-editor-link' }));

    const fresh = freshMails(incident);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]?.to).toEqual([owner]);
    const url = /^Write the postmortem: .*<(https:\/\/\S+)>$/m.exec(fresh[0]?.message.text ?? '')?.[1] ?? '';
    const freshToken = /\/links\/(v1\.[A-Za-z0-9_.-]+)\/edit$/.exec(url)?.[1] ?? '';
    expect(await viewEditorLink(expiredLater(), freshToken)).toMatchObject({
      kind: 'postmortem-editor',
      status: 200,
    });
  });

  it('offers nothing once the postmortem can no longer be edited', async () => {
    const { incident, token } = await resolvedWithPostmortem();
    await stores.postmortems.update(incident.id, (current) => ({
      postmortem: { ...current, status: 'published' },
    }));
    expect(await viewEditorLink(expiredLater(), token)).toEqual({ kind: 'expired' });
    expect(
      await decideEditorLink(expiredLater(), token, form({ intent: 'fresh-editor-link' })),
    ).toMatchObject({
      kind: 'refused',
    });
    expect(freshMails(incident)).toHaveLength(0);
  });
});

describe('the measures the editor shows', () => {
  it('follow a correction of the incident’s times while the postmortem is written', async () => {
    const { incident, token } = await resolvedWithPostmortem();
    const before = editor(await viewEditorLink(deps(), token), 200).postmortem.metrics.minutesOfImpact;
    expect(before).toBe(59);
    await correctMeasures(deps(), {
      incidentId: incident.id,
      by: 'payments-oncall@example.com',
      correction: {
        impactStartedAt: new Date(Date.parse(incident.impactEndedAt ?? '') - 20 * 60_000).toISOString(),
        detectedAt: new Date(Date.parse(incident.impactEndedAt ?? '') - 18 * 60_000).toISOString(),
        reason: 'The alert carried an old start time',
      },
    });
    expect(editor(await viewEditorLink(deps(), token), 200).postmortem.metrics.minutesOfImpact).toBe(20);
    // A draft follows the correction: its metrics and the pre-filled text nobody wrote, as a new version.
    const refreshed = await postmortemOf(incident);
    expect(refreshed.metrics.minutesOfImpact).toBe(20);
    expect(refreshed.version).toBe(2);
    expect(refreshed.updatedBy).toBe('payments-oncall@example.com');
  });

  it('corrects the times from the form below the editor, as the link’s recipient, and refuses a bad or stale one', async () => {
    const { incident, token } = await resolvedWithPostmortem();
    const page = editor(await viewEditorLink(deps(), token), 200);
    expect(page.measures).toEqual({
      impactStartedAt: incident.impactStartedAt,
      detectedAt: incident.detectedAt,
      impactEndedAt: incident.impactEndedAt,
      version: '',
    });
    const html = renderPostmortemEditor(page);
    expect(html).toContain('<details class="fold part" id="measures">');
    expect(html).toContain('name="intent" value="measures"');
    const started = new Date(Date.parse(incident.impactEndedAt ?? '') - 30 * 60_000).toISOString();
    const correction = (more: Record<string, string>) =>
      form({ intent: 'measures', measuresVersion: '', reason: 'The alert fired late', ...more });

    const before = await db.count();
    const bad = editor(
      await decideEditorLink(deps(), token, correction({ impactStartedAt: 'yesterday-ish' })),
      400,
    );
    expect(bad.notice).toMatchObject({
      kind: 'measures-refused',
      message: expect.stringMatching(/impact started/),
    });
    expect(bad.measures.typed).toMatchObject({
      impactStartedAt: 'yesterday-ish',
      reason: 'The alert fired late',
    });
    expect(renderPostmortemEditor(bad)).toContain('value="yesterday-ish"');
    expect(await db.count()).toBe(before);

    const detected = new Date(Date.parse(started) + 2 * 60_000).toISOString();
    const done = await decideEditorLink(
      deps(),
      token,
      correction({ impactStartedAt: started, detectedAt: detected }),
    );
    expect(done).toEqual({ kind: 'postmortem-saved', location: `./edit?corrected=1` });
    const corrected = await stores.incidents.get(incident.id);
    expect(corrected?.impactStartedAt).toBe(started);
    const entry = (await stores.incidents.view(incident.id))?.timeline.find(
      (t) => t.kind === 'measures.corrected',
    );
    expect(entry?.actor).toBe(owner);
    const after = editor(await viewEditorLink(deps(), token, { corrected: '1' }), 200);
    expect(after.notice).toEqual({ kind: 'measures-corrected' });
    expect(after.postmortem.metrics.minutesOfImpact).toBe(30);
    expect(after.measures.version).toBe(corrected?.measuresCorrectedAt);

    // A form made before that correction is stale: told, nothing recorded.
    const count = await db.count();
    const stale = editor(
      await decideEditorLink(deps(), token, correction({ impactStartedAt: incident.impactStartedAt })),
      409,
    );
    expect(stale.notice).toMatchObject({ kind: 'measures-refused', status: 409 });
    expect(await db.count()).toBe(count);
    expect((await stores.incidents.get(incident.id))?.impactStartedAt).toBe(started);
  });
});
