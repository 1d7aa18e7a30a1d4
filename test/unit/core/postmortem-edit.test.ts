import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/core/errors.ts';
import {
  applyEdit,
  editFromForm,
  parsePostmortemEdit,
  provisionalDue,
  utcTime,
} from '../../../functions/core/postmortem-edit.ts';
import { completePostmortem, postmortemOf } from './postmortem-support.ts';

const context = (ids: string[] = ['01JNEW0000000000000000000A', '01JNEW0000000000000000000B']) => {
  const queue = [...ids];
  return {
    by: 'owner@example.com',
    now: new Date('2026-12-01T09:30:00.000Z'),
    newId: () => queue.shift() ?? 'exhausted',
  };
};

function refusal(body: unknown): string {
  try {
    parsePostmortemEdit(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  }
  throw new Error('the edit was accepted');
}

const action = {
  title: 'Add a canary stage to checkout deploys',
  kind: 'priority',
  category: 'prevent-future',
};

describe('the edit schema refuses bad input, naming the field', () => {
  it.each([
    [{ version: 1, fields: { leadup: 'x'.repeat(10_001) } }, 'fields.leadup: at most 10,000 bytes (UTF-8'],
    [{ version: 1, fields: { summary: 'x'.repeat(2_001) } }, 'fields.summary: at most 2,000 bytes (UTF-8'],
    [
      { version: 1, fields: { timeline: [{ at: '2026-11-30T14:30:00Z', text: 'x'.repeat(1001) }] } },
      'fields.timeline[0].text: at most 1,000 bytes (UTF-8',
    ],
    [
      { version: 1, fields: { fiveWhys: Array.from({ length: 11 }, () => 'why') } },
      'fields.fiveWhys: at most 10 whys',
    ],
    [{ version: 1, actions: Array.from({ length: 51 }, () => action) }, 'actions: at most 50 actions'],
    [
      { version: 1, fields: { rootCauseCategory: 'cosmic-rays' } },
      'fields.rootCauseCategory: must be one of bug, change, scale, architecture, dependency, unknown (or empty)',
    ],
    [
      { version: 1, actions: [{ ...action, kind: 'urgent' }] },
      'actions[0].kind: must be one of priority, improvement',
    ],
    [
      { version: 1, actions: [{ ...action, category: 'prevent' }] },
      'actions[0].category: must be one of investigate, mitigate, repair, detect, mitigate-future, prevent-future',
    ],
    [
      { version: 1, actions: [{ kind: 'priority', category: 'detect' }] },
      'actions[0].title: an action needs a title',
    ],
    [{ version: 1, actions: [{ ...action, title: '   ' }] }, 'actions[0].title: an action needs a title'],
    [{ version: 1, actions: [{ ...action, title: 'Add\nthis' }] }, 'actions[0].title: must be one line'],
    [
      { version: 1, actions: [{ ...action, trackerUrl: 'javascript:alert(1)' }] },
      'actions[0].trackerUrl: must be an http(s) URL (without spaces)',
    ],
    [
      { version: 1, actions: [{ ...action, trackerUrl: 'ftp://tracker.example.com/1' }] },
      'actions[0].trackerUrl: must be an http(s) URL (without spaces)',
    ],
    [
      { version: 1, owner: 'Eve\r\nBcc: victim@example.com' },
      'owner: must be an email address or a name: one line of at most 200 characters, no control characters',
    ],
    [{ version: 1, owner: 'not@an address' }, 'owner: is not a valid email address'],
    [
      { version: 1, fields: { timeline: [{ at: 'yesterday', text: 'Deployed' }] } },
      'fields.timeline[0].at: must be an ISO-8601 time such as 2026-11-30T14:30:00Z (UTC unless it names a zone)',
    ],
    [
      { version: 1, fields: { timeline: [{ at: '2026-02-30T10:00:00Z', text: 'Deployed' }] } },
      'fields.timeline[0].at: must be an ISO-8601 time such as 2026-11-30T14:30:00Z (UTC unless it names a zone)',
    ],
    [
      { version: 1, fields: { recurrence: { relatedIncidents: ['HOT-1', 'not a key'] } } },
      'fields.recurrence.relatedIncidents[1]: must be an incident key like HOT-42',
    ],
    [{ version: 1, fields: { sumary: 'typo' } }, 'fields: Unrecognized key: "sumary"'],
    [{ fields: {} }, 'version: the version this edit is based on is missing (a number)'],
    [{ version: 1, actions: [{ ...action, ownerTeam: 'A;B' }] }, 'actions[0].ownerTeam: must be one line'],
  ])('%#: %s', (body, message) => {
    expect(refusal(body)).toContain(message);
  });

  it('stores HTML, Markdown and script as text (pages escape it)', () => {
    const text = '<script>alert(1)</script> [x](javascript:alert(1)) # heading';
    expect(parsePostmortemEdit({ version: 1, fields: { fault: text } }).fields?.fault).toBe(text);
  });

  it('stores line ends as LF', () => {
    expect(parsePostmortemEdit({ version: 1, fields: { fault: 'a\r\nb\rc' } }).fields?.fault).toBe('a\nb\nc');
  });

  it('normalises timeline times to UTC with ms; a time without a zone is UTC', () => {
    expect(utcTime('2026-11-30T15:30:00+01:00')).toBe('2026-11-30T14:30:00.000Z');
    expect(utcTime('2026-11-30T14:30')).toBe('2026-11-30T14:30:00.000Z');
    expect(utcTime('2026-11-30 14:30:05.5 UTC')).toBe('2026-11-30T14:30:05.500Z');
    expect(utcTime('2026-11-30T09:00:00-0530')).toBe('2026-11-30T14:30:00.000Z');
    expect(utcTime('2026-11-30T24:00')).toBeUndefined();
  });

  it('accepts an owner name or address, trimmed', () => {
    expect(parsePostmortemEdit({ version: 1, owner: ' Dana Lee ' }).owner).toBe('Dana Lee');
    expect(parsePostmortemEdit({ version: 1, owner: 'dana@example.com' }).owner).toBe('dana@example.com');
  });

  it('keeps a GET shape PUT back: action status and due dates are ignored, not refused', () => {
    const pm = completePostmortem();
    const edit = parsePostmortemEdit({ version: pm.version, fields: pm.fields, actions: pm.actions });
    expect(applyEdit(pm, edit, context()).changed).toEqual([]);
  });
});

describe('applying an edit', () => {
  it('bumps the version, records who and when, and names what changed', () => {
    const pm = postmortemOf({ prefilled: ['summary', 'impact', 'timeline'] });
    const edit = parsePostmortemEdit({
      version: 1,
      owner: 'dana@example.com',
      fields: { summary: 'New words.', leadup: '', lessons: { gotLucky: 'Quiet hour.' } },
    });
    const { postmortem, changed } = applyEdit(pm, edit, context());
    expect(changed).toEqual(['owner', 'summary', 'lessons']);
    expect(postmortem).toMatchObject({
      version: 2,
      owner: 'dana@example.com',
      updatedAt: '2026-12-01T09:30:00.000Z',
      updatedBy: 'owner@example.com',
      prefilled: ['impact', 'timeline'],
    });
    expect(postmortem.fields.lessons).toEqual({ wentWell: '', couldBeBetter: '', gotLucky: 'Quiet hour.' });
    expect(pm.fields.summary).toBe('');
  });

  it('returns the postmortem as it was when nothing changed', () => {
    const pm = completePostmortem();
    const { postmortem, changed } = applyEdit(
      pm,
      parsePostmortemEdit({ version: 1, fields: { fault: pm.fields.fault } }),
      context(),
    );
    expect(changed).toEqual([]);
    expect(postmortem).toBe(pm);
  });

  it('keeps action ids, status and due dates; gives new actions an id, the owner team and status open', () => {
    const pm = completePostmortem();
    pm.actions[1] = {
      ...(pm.actions[1] as (typeof pm.actions)[number]),
      status: 'done',
      doneAt: '2026-12-01T08:00:00.000Z',
    };
    const edit = parsePostmortemEdit({
      version: 1,
      actions: [
        {
          id: pm.actions[1]?.id,
          title: 'Add alerting when checkout returns >1% errors for 5 minutes',
          kind: 'improvement',
          category: 'detect',
        },
        { ...action, trackerUrl: 'https://tracker.example.com/PAY-130' },
        {
          id: pm.actions[0]?.id,
          title: pm.actions[0]?.title,
          kind: 'priority',
          category: 'prevent-future',
          ownerTeam: 'Platform',
        },
      ],
    });
    const { postmortem, changed } = applyEdit(pm, edit, context());
    expect(changed).toEqual(['actions']);
    expect(postmortem.actions).toEqual([
      {
        id: '01JACTION000000000000000002',
        title: 'Add alerting when checkout returns >1% errors for 5 minutes',
        kind: 'improvement',
        category: 'detect',
        ownerTeam: 'Payments',
        status: 'done',
        doneAt: '2026-12-01T08:00:00.000Z',
      },
      {
        id: '01JNEW0000000000000000000A',
        title: 'Add a canary stage to checkout deploys',
        kind: 'priority',
        category: 'prevent-future',
        ownerTeam: 'Payments',
        trackerUrl: 'https://tracker.example.com/PAY-130',
        status: 'open',
      },
      {
        id: '01JACTION000000000000000001',
        title: 'Add EU card formats from all 27 member states to the tokeniser test data',
        kind: 'priority',
        category: 'prevent-future',
        ownerTeam: 'Platform',
        status: 'open',
        dueAt: '2026-12-28T15:15:05.000Z',
        dueProvisional: true,
      },
    ]);
  });

  it('refuses an id the postmortem does not have, or twice', () => {
    const pm = completePostmortem();
    expect(() =>
      applyEdit(pm, parsePostmortemEdit({ version: 1, actions: [{ ...action, id: 'NOPE' }] }), context()),
    ).toThrow('actions[0].id: this postmortem has no action NOPE (leave the id out for a new action)');
    const id = pm.actions[0]?.id;
    expect(() =>
      applyEdit(
        pm,
        parsePostmortemEdit({
          version: 1,
          actions: [
            { ...action, id },
            { ...action, id },
          ],
        }),
        context(),
      ),
    ).toThrow('actions[1].id: action 01JACTION000000000000000001 is listed twice');
  });

  it('clears the root cause category with null or empty', () => {
    const pm = completePostmortem();
    const { postmortem, changed } = applyEdit(
      pm,
      parsePostmortemEdit({ version: 1, fields: { rootCauseCategory: '' } }),
      context(),
    );
    expect(changed).toEqual(['rootCauseCategory']);
    expect(postmortem.fields.rootCauseCategory).toBeUndefined();
  });

  it('gives a provisional due date sloWeeks weeks on', () => {
    expect(provisionalDue(new Date('2026-12-01T09:30:00.000Z'), 4)).toBe('2026-12-29T09:30:00.000Z');
    expect(provisionalDue(new Date('2026-12-01T09:30:00.000Z'), 8)).toBe('2027-01-26T09:30:00.000Z');
  });
});

describe('the editor form', () => {
  const form = (pairs: [string, string][]) => new URLSearchParams(pairs);

  it('reads fields, rows in index order, and ignores blank rows and unknown names', () => {
    const edit = editFromForm(
      form([
        ['version', '3'],
        ['owner', ''],
        ['summary', 'Line one\r\nLine two'],
        ['rootCauseCategory', 'change'],
        ['recurrence[text]', 'Same as before.'],
        ['recurrence[relatedIncidents]', 'HOT-17, HOT-30'],
        ['lessons[wentWell]', 'Fast rollback.'],
        ['timeline[1][at]', '2026-11-30T14:30'],
        ['timeline[1][text]', 'Impact started.'],
        ['timeline[0][at]', '2026-11-30T14:20'],
        ['timeline[0][text]', 'Release deployed.'],
        ['timeline[2][at]', ''],
        ['timeline[2][text]', '  '],
        ['fiveWhys[0]', 'Because A.'],
        ['fiveWhys[1]', ''],
        ['fiveWhys[2]', 'Because C.'],
        ['actions[0][id]', '01JACTION000000000000000001'],
        ['actions[0][title]', 'Add a canary stage'],
        ['actions[0][kind]', 'priority'],
        ['actions[0][category]', 'prevent-future'],
        ['actions[0][ownerTeam]', 'Payments'],
        ['actions[0][trackerUrl]', ''],
        ['actions[1][id]', '01JACTION000000000000000002'],
        ['actions[1][title]', 'Old action'],
        ['actions[1][kind]', 'improvement'],
        ['actions[1][category]', 'detect'],
        ['actions[1][remove]', 'on'],
        ['actions[2][title]', ''],
        ['actions[2][kind]', 'priority'],
        ['actions[2][category]', 'prevent-future'],
        ['actions[2][ownerTeam]', 'Payments'],
        ['save', 'Save'],
      ]),
    );
    expect(edit).toEqual({
      version: 3,
      fields: {
        summary: 'Line one\nLine two',
        rootCauseCategory: 'change',
        recurrence: { text: 'Same as before.', relatedIncidents: ['HOT-17', 'HOT-30'] },
        lessons: { wentWell: 'Fast rollback.' },
        timeline: [
          { at: '2026-11-30T14:20:00.000Z', text: 'Release deployed.' },
          { at: '2026-11-30T14:30:00.000Z', text: 'Impact started.' },
        ],
        fiveWhys: ['Because A.', 'Because C.'],
      },
      actions: [
        {
          id: '01JACTION000000000000000001',
          title: 'Add a canary stage',
          kind: 'priority',
          category: 'prevent-future',
          ownerTeam: 'Payments',
        },
      ],
    });
  });

  it('leaves out what the form does not carry, and clears the category when blank', () => {
    expect(
      editFromForm(
        form([
          ['version', '1'],
          ['rootCauseCategory', ''],
        ]),
      ),
    ).toEqual({
      version: 1,
      fields: { rootCauseCategory: null },
    });
  });

  it('refuses half-filled rows and bad values, naming the form field', () => {
    expect(() =>
      editFromForm(
        form([
          ['version', '1'],
          ['timeline[0][at]', '2026-11-30T14:20'],
        ]),
      ),
    ).toThrow('fields.timeline[0].text: a timeline row needs text');
    expect(() =>
      editFromForm(
        form([
          ['version', '1'],
          ['actions[0][title]', 'Add X'],
          ['actions[0][kind]', 'soon'],
          ['actions[0][category]', 'detect'],
        ]),
      ),
    ).toThrow('actions[0].kind: must be one of priority, improvement');
    expect(() => editFromForm(form([['version', 'abc']]))).toThrow(
      'version: the version this edit is based on is missing',
    );
  });
});

describe('provisional due dates from the service SLO', () => {
  it('gives a new priority action one, removes it from an action no longer priority, keeps fixed ones', () => {
    const pm = completePostmortem();
    pm.actions.push({
      id: '01JACTION000000000000000003',
      title: 'Add a rollback button',
      kind: 'priority',
      category: 'mitigate-future',
      ownerTeam: 'Payments',
      status: 'open',
      dueAt: '2026-12-20T00:00:00.000Z',
    });
    const edit = parsePostmortemEdit({
      version: 1,
      actions: [
        { ...pm.actions[0], kind: 'improvement' },
        pm.actions[1],
        { ...pm.actions[2], kind: 'improvement' },
        { ...action },
      ],
    });
    const { postmortem } = applyEdit(pm, edit, { ...context(), sloWeeks: 4 });
    expect(postmortem.actions.map((a) => [a.kind, a.dueAt, a.dueProvisional])).toEqual([
      ['improvement', undefined, undefined],
      ['improvement', undefined, undefined],
      ['improvement', '2026-12-20T00:00:00.000Z', undefined],
      ['priority', '2026-12-29T09:30:00.000Z', true],
    ]);
  });
});
