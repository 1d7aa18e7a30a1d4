import { describe, expect, it } from 'vitest';
import { applyEdit, editFromForm, parsePostmortemEdit } from '../../../functions/core/postmortem-edit.ts';
import { completePostmortem } from './postmortem-support.ts';

/** Issue 22: every action can name a person as well as the team; an improvement action can have a due date. */

const context = {
  by: 'owner@example.com',
  now: new Date('2026-12-01T09:30:00.000Z'),
  newId: () => '01JNEW0000000000000000000A',
  sloWeeks: 4,
};

const improvement = {
  title: 'Document the rollback',
  kind: 'improvement',
  category: 'mitigate-future',
} as const;

describe('an action’s person and an improvement action’s due date', () => {
  it('sets them on a new action, keeps them when an edit leaves them out, clears them with null', () => {
    const pm = completePostmortem();
    const first = applyEdit(
      pm,
      parsePostmortemEdit({
        version: pm.version,
        actions: [...pm.actions, { ...improvement, owner: ' dana@example.com ', dueAt: '2027-01-31' }],
      }),
      context,
    ).postmortem;
    const added = first.actions.at(-1);
    expect(added).toMatchObject({ owner: 'dana@example.com', dueAt: '2027-01-31T00:00:00.000Z' });
    expect(added?.dueProvisional).toBeUndefined();

    const kept = applyEdit(
      first,
      parsePostmortemEdit({
        version: first.version,
        actions: first.actions.map((a) => ({ id: a.id, title: a.title, kind: a.kind, category: a.category })),
      }),
      context,
    ).postmortem;
    expect(kept.actions.at(-1)).toMatchObject({
      owner: 'dana@example.com',
      dueAt: '2027-01-31T00:00:00.000Z',
    });

    const cleared = applyEdit(
      first,
      parsePostmortemEdit({
        version: first.version,
        actions: first.actions.map((a) => ({
          id: a.id,
          title: a.title,
          kind: a.kind,
          category: a.category,
          ...(a.id === added?.id ? { owner: null, dueAt: null } : {}),
        })),
      }),
      context,
    ).postmortem;
    expect(cleared.actions.at(-1)?.owner).toBeUndefined();
    expect(cleared.actions.at(-1)?.dueAt).toBeUndefined();
  });

  it('keeps a priority action’s due date the SLO’s, whatever an edit sends', () => {
    const pm = completePostmortem();
    const edited = applyEdit(
      pm,
      parsePostmortemEdit({
        version: pm.version,
        actions: [
          { title: 'Add a canary stage', kind: 'priority', category: 'prevent-future', dueAt: '2030-01-01' },
        ],
      }),
      context,
    ).postmortem;
    expect(edited.actions[0]).toMatchObject({ dueAt: '2026-12-29T09:30:00.000Z', dueProvisional: true });
  });

  it.each([
    [{ ...improvement, dueAt: 'next week' }, /dueAt: must be a date like 2027-01-31/],
    [{ ...improvement, owner: 'a\nBcc: x@example.com' }, /owner: must be an email address or a name/],
    [{ ...improvement, owner: 'not@an@address' }, /owner: is not a valid email address/],
  ])('refuses %j naming the field', (a, message) => {
    expect(() => parsePostmortemEdit({ version: 1, actions: [a] })).toThrow(message);
  });

  it('reads them from the editor form (blank clears; a priority row’s date is not read)', () => {
    const form = new URLSearchParams({
      version: '3',
      'actions[0][title]': 'Document the rollback',
      'actions[0][kind]': 'improvement',
      'actions[0][category]': 'mitigate-future',
      'actions[0][owner]': 'dana@example.com',
      'actions[0][dueAt]': '2027-01-31',
      'actions[1][title]': 'Add a canary stage',
      'actions[1][kind]': 'priority',
      'actions[1][category]': 'prevent-future',
      'actions[1][owner]': '',
      'actions[1][dueAt]': '2030-01-01',
    });
    const edit = editFromForm(form);
    expect(edit.actions?.[0]).toMatchObject({ owner: 'dana@example.com', dueAt: '2027-01-31T00:00:00.000Z' });
    expect(edit.actions?.[1]).toMatchObject({ owner: null });
    expect(edit.actions?.[1]?.dueAt).toBeUndefined();
  });
});
