import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decisionFormSchema, parseDecisionForm } from '../../../functions/core/approval-form.ts';
import {
  type ApprovalDecision,
  type ApprovalRequest,
  applyApproverOverrides,
  approvalFormNames,
  approvalState,
  approversFor,
  CONTENT_HASH,
  canonicalJson,
  contentHash,
  dueDatesAtApproval,
  requestRoundOf,
  settlementOf,
  withApproverChange,
} from '../../../functions/core/approvals.ts';
import { ValidationError } from '../../../functions/core/errors.ts';
import {
  actionCategories,
  actionKinds,
  type Postmortem,
  type PostmortemAction,
  rootCauseCategories,
} from '../../../functions/core/postmortem.ts';
import { completePostmortem, postmortemOf } from './postmortem-support.ts';

// --- arbitraries -----------------------------------------------------------------------------------------------

const text = fc.string({ maxLength: 20 });
const iso = fc
  .integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) })
  .map((ms) => new Date(ms).toISOString());
const actionArb: fc.Arbitrary<PostmortemAction> = fc.record(
  {
    id: fc.string({ minLength: 26, maxLength: 26 }),
    title: text,
    kind: fc.constantFrom(...actionKinds),
    category: fc.constantFrom(...actionCategories),
    ownerTeam: text,
    trackerUrl: fc.webUrl(),
    dueAt: iso,
    dueProvisional: fc.boolean(),
    status: fc.constantFrom('open' as const, 'done' as const),
  },
  { requiredKeys: ['id', 'title', 'kind', 'category', 'ownerTeam', 'status'] },
);
const postmortemArb: fc.Arbitrary<Postmortem> = fc
  .record({
    key: fc.constantFrom('HOT-1', 'HOT-42', 'OPS-7'),
    summary: text,
    leadup: text,
    fault: text,
    impact: text,
    detection: text,
    response: text,
    recovery: text,
    timeline: fc.array(fc.record({ at: iso, text }), { maxLength: 3 }),
    fiveWhys: fc.array(text, { maxLength: 3 }),
    rootCause: text,
    rootCauseCategory: fc.option(fc.constantFrom(...rootCauseCategories), { nil: undefined }),
    backlogCheck: text,
    recurrence: fc.record({
      text,
      relatedIncidents: fc.array(fc.constantFrom('HOT-1', 'HOT-2'), { maxLength: 2 }),
    }),
    lessons: fc.record({ wentWell: text, couldBeBetter: text, gotLucky: text }),
    actions: fc.array(actionArb, { maxLength: 3 }),
  })
  .map(({ key, actions, rootCauseCategory, ...fields }) =>
    postmortemOf({
      key,
      actions,
      fields: { externalSummary: '', ...fields, ...(rootCauseCategory ? { rootCauseCategory } : {}) },
    }),
  );

/** The same value with every object's keys in another order (arrays keep theirs). */
function reordered<T>(value: T, seed: number): T {
  if (Array.isArray(value)) return value.map((v, i) => reordered(v, seed + i)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const rotated = entries.map((_, i) => entries[(i + seed) % entries.length] as [string, unknown]).reverse();
  return Object.fromEntries(rotated.map(([k, v], i) => [k, reordered(v, seed + i + 1)])) as T;
}

/** Changes to what an approver approves: each returns a postmortem whose content differs from `pm`'s. */
type Change = (pm: Postmortem, s: string) => Postmortem;
const textFieldNames = [
  'summary',
  'leadup',
  'fault',
  'impact',
  'detection',
  'response',
  'recovery',
  'rootCause',
  'backlogCheck',
] as const;
const withFields = (pm: Postmortem, fields: Partial<Postmortem['fields']>): Postmortem => ({
  ...pm,
  fields: { ...pm.fields, ...fields },
});
const changes: Record<string, Change> = {
  ...Object.fromEntries(
    textFieldNames.map((name) => [
      name,
      (pm: Postmortem, s: string) => withFields(pm, { [name]: pm.fields[name] + s }),
    ]),
  ),
  'timeline row added': (pm, s) =>
    withFields(pm, { timeline: [...pm.fields.timeline, { at: '2026-01-01T00:00:00.000Z', text: s }] }),
  'timeline text': (pm, s) =>
    pm.fields.timeline.length
      ? withFields(pm, {
          timeline: pm.fields.timeline.map((r, i) => (i === 0 ? { ...r, text: r.text + s } : r)),
        })
      : withFields(pm, { timeline: [{ at: '2026-01-01T00:00:00.000Z', text: s }] }),
  'timeline time': (pm) =>
    withFields(pm, {
      timeline: [{ at: '2019-01-01T00:00:00.000Z', text: 'x' }, ...pm.fields.timeline],
    }),
  'why added': (pm, s) => withFields(pm, { fiveWhys: [...pm.fields.fiveWhys, s] }),
  'whys reordered': (pm, s) =>
    withFields(pm, { fiveWhys: [`${s}a`, `${s}b`, ...pm.fields.fiveWhys].reverse() }),
  category: (pm) =>
    withFields(pm, {
      rootCauseCategory: pm.fields.rootCauseCategory === 'bug' ? 'scale' : 'bug',
    }),
  'recurrence text': (pm, s) =>
    withFields(pm, { recurrence: { ...pm.fields.recurrence, text: pm.fields.recurrence.text + s } }),
  'related incidents': (pm) =>
    withFields(pm, {
      recurrence: {
        ...pm.fields.recurrence,
        relatedIncidents: [...pm.fields.recurrence.relatedIncidents, 'HOT-99'],
      },
    }),
  lessons: (pm, s) =>
    withFields(pm, { lessons: { ...pm.fields.lessons, gotLucky: pm.fields.lessons.gotLucky + s } }),
  'action added': (pm, s) => ({
    ...pm,
    actions: [
      ...pm.actions,
      { id: 'new', title: s, kind: 'priority', category: 'detect', ownerTeam: 'T', status: 'open' },
    ],
  }),
  'action removed or added': (pm) =>
    pm.actions.length
      ? { ...pm, actions: pm.actions.slice(1) }
      : {
          ...pm,
          actions: [
            { id: 'a', title: '', kind: 'improvement', category: 'repair', ownerTeam: '', status: 'open' },
          ],
        },
  'action title': (pm, s) => changeAction(pm, (a) => ({ ...a, title: a.title + s })),
  'action kind': (pm) =>
    changeAction(pm, (a) => ({ ...a, kind: a.kind === 'priority' ? 'improvement' : 'priority' })),
  'action category': (pm) =>
    changeAction(pm, (a) => ({ ...a, category: a.category === 'detect' ? 'repair' : 'detect' })),
  'action owner team': (pm, s) => changeAction(pm, (a) => ({ ...a, ownerTeam: a.ownerTeam + s })),
  'action tracker': (pm) =>
    changeAction(pm, (a) => ({
      ...a,
      trackerUrl: a.trackerUrl === 'https://t.example/1' ? 'https://t.example/2' : 'https://t.example/1',
    })),
  'actions reordered': (pm, s) => ({
    ...pm,
    actions: (
      [
        { id: 'x', title: `${s}1`, kind: 'priority', category: 'detect', ownerTeam: 'T', status: 'open' },
        { id: 'y', title: `${s}2`, kind: 'priority', category: 'detect', ownerTeam: 'T', status: 'open' },
        ...pm.actions,
      ] satisfies PostmortemAction[]
    ).reverse(),
  }),
  key: (pm) => ({ ...pm, key: pm.key === 'HOT-1' ? 'HOT-2' : 'HOT-1' }),
};
function changeAction(pm: Postmortem, change: (a: PostmortemAction) => PostmortemAction): Postmortem {
  const first: PostmortemAction = pm.actions[0] ?? {
    id: 'a',
    title: 't',
    kind: 'priority',
    category: 'detect',
    ownerTeam: 'T',
    status: 'open',
  };
  return { ...pm, actions: [change(first), ...pm.actions.slice(1)] };
}

// --- the content hash ------------------------------------------------------------------------------------------

describe('contentHash', () => {
  it('is the sha256 of the content as 43 base64url characters, the same every time', () => {
    const pm = completePostmortem();
    expect(contentHash(pm)).toMatch(CONTENT_HASH);
    expect(contentHash(pm)).toBe(contentHash(structuredClone(pm)));
  });

  it('does not depend on the order of keys anywhere in the postmortem', () => {
    fc.assert(
      fc.property(postmortemArb, fc.nat(50), (pm, seed) => {
        expect(contentHash(reordered(pm, seed))).toBe(contentHash(pm));
      }),
    );
  });

  it.each(Object.keys(changes))('changes when the content changes: %s', (name) => {
    const change = changes[name] as Change;
    fc.assert(
      fc.property(postmortemArb, fc.string({ minLength: 1, maxLength: 5 }), (pm, s) => {
        expect(contentHash(change(pm, s))).not.toBe(contentHash(pm));
      }),
    );
  });

  it('does not change with what is not content: owner, status, version, ids, action status and due dates, metrics', () => {
    fc.assert(
      fc.property(postmortemArb, iso, (pm, at) => {
        const other: Postmortem = {
          ...pm,
          owner: 'someone-else@example.com',
          ownerTeam: 'Other',
          status: 'in-review',
          version: pm.version + 7,
          updatedAt: at,
          updatedBy: 'x',
          metrics: { minutesOfImpact: 5 },
          prefilled: ['summary'],
          actions: pm.actions.map((a, i) => ({
            ...a,
            id: `other-${i}`,
            status: 'done',
            doneAt: at,
            dueAt: at,
            dueProvisional: !a.dueProvisional,
          })),
        };
        expect(contentHash(other)).toBe(contentHash(pm));
      }),
    );
  });

  it('reads an absent value, undefined and null the same; an empty string is content', () => {
    const pm = completePostmortem();
    const { rootCauseCategory: _, ...withoutCategory } = pm.fields;
    const a = { ...pm, fields: withoutCategory };
    const b = { ...pm, fields: { ...withoutCategory, rootCauseCategory: undefined } };
    const c = { ...pm, fields: { ...withoutCategory, rootCauseCategory: null } } as unknown as Postmortem;
    expect(contentHash(b)).toBe(contentHash(a));
    expect(contentHash(c)).toBe(contentHash(a));
    expect(contentHash(withFields(pm, { fault: '' }))).not.toBe(contentHash(pm));
  });

  it('changes when only the order of whys or actions changes', () => {
    const pm = completePostmortem();
    const whys = withFields(pm, { fiveWhys: [...pm.fields.fiveWhys].reverse() });
    const actions = { ...pm, actions: [...pm.actions].reverse() };
    expect(contentHash(whys)).not.toBe(contentHash(pm));
    expect(contentHash(actions)).not.toBe(contentHash(pm));
  });

  it('separates values that would run together (no ambiguity between fields)', () => {
    const pm = completePostmortem();
    const one = withFields(pm, { leadup: 'ab', fault: 'c' });
    const two = withFields(pm, { leadup: 'a', fault: 'bc' });
    expect(contentHash(one)).not.toBe(contentHash(two));
    expect(canonicalJson({ b: 1, a: [2, { d: 'x', c: null }] })).toBe('{"a":[2,{"d":"x"}],"b":1}');
  });
});

// --- approval state --------------------------------------------------------------------------------------------

const H1 = 'a'.repeat(43);
const H2 = 'b'.repeat(43);
const request: ApprovalRequest = {
  requestedAt: '2026-12-02T10:00:00.000Z',
  requestedBy: 'owner@example.com',
  contentHash: H1,
  version: 3,
  approvers: [
    { address: 'ann@example.com', mandatory: true },
    { address: 'ben@example.com', mandatory: true },
    { address: 'opt@example.com', mandatory: false },
  ],
};
let minute = 0;
function decision(
  approver: string,
  what: ApprovalDecision['decision'] = 'approved',
  overrides: Partial<ApprovalDecision> = {},
): ApprovalDecision {
  minute += 1;
  return {
    approver,
    mandatory: approver !== 'opt@example.com',
    decision: what,
    ...(what === 'changes-requested' ? { comment: 'Add an action for the alerting gap.' } : {}),
    at: new Date(Date.parse('2026-12-02T11:00:00.000Z') + minute * 60_000).toISOString(),
    contentHash: H1,
    version: 3,
    ...overrides,
  };
}

describe('approvalState', () => {
  it('is pending on every mandatory approver until they approve', () => {
    const state = approvalState(request, []);
    expect(state).toEqual({
      approved: false,
      pending: ['ann@example.com', 'ben@example.com'],
      undecided: ['ann@example.com', 'ben@example.com', 'opt@example.com'],
      decided: [],
      stale: [],
    });
    const one = approvalState(request, [decision('ann@example.com')]);
    expect(one.approved).toBe(false);
    expect(one.pending).toEqual(['ben@example.com']);
  });

  it('is approved when every mandatory approver approved: optional approvers are not waited for', () => {
    const ann = decision('ann@example.com');
    const ben = decision('ben@example.com', 'approved', { comment: 'Good one.' });
    const state = approvalState(request, [ben, ann]);
    expect(state.approved).toBe(true);
    expect(state.pending).toEqual([]);
    expect(state.undecided).toEqual(['opt@example.com']);
    expect(state.decided).toEqual([ann, ben]);
    expect(state.changesRequested).toBeUndefined();
  });

  it('an optional approval does not stand in for a mandatory one', () => {
    const state = approvalState(request, [decision('ann@example.com'), decision('opt@example.com')]);
    expect(state.approved).toBe(false);
    expect(state.pending).toEqual(['ben@example.com']);
  });

  it.each(['ben@example.com', 'opt@example.com'])(
    'any request for changes on the current content wins (%s)',
    (who) => {
      const changes = decision(who, 'changes-requested');
      const others = ['ann@example.com', 'ben@example.com'].filter((a) => a !== who).map((a) => decision(a));
      const state = approvalState(request, [...others, changes]);
      expect(state.changesRequested).toEqual(changes);
      expect(state.approved).toBe(false);
    },
  );

  it('decisions on another content hash are shown as stale and do not count', () => {
    const old = decision('ann@example.com', 'approved', { contentHash: H2, version: 2 });
    const oldChanges = decision('ben@example.com', 'changes-requested', { contentHash: H2, version: 2 });
    const state = approvalState(request, [old, oldChanges]);
    expect(state.stale).toEqual([old, oldChanges]);
    expect(state.changesRequested).toBeUndefined();
    expect(state.pending).toEqual(['ann@example.com', 'ben@example.com']);
    // Re-made on the current content, they count.
    const again = approvalState(request, [
      old,
      oldChanges,
      decision('ann@example.com'),
      decision('ben@example.com'),
    ]);
    expect(again.approved).toBe(true);
    expect(again.stale).toEqual([old, oldChanges]);
  });

  it('decisions before the request (an earlier round on the same content) do not count', () => {
    const earlier = decision('ben@example.com', 'changes-requested', { at: '2026-12-01T09:00:00.000Z' });
    const state = approvalState(request, [earlier, decision('ann@example.com'), decision('ben@example.com')]);
    expect(state.approved).toBe(true);
    expect(state.stale).toEqual([earlier]);
  });

  it("an approver's latest decision wins; the one it replaces is stale", () => {
    const first = decision('ann@example.com');
    const second = decision('ann@example.com', 'changes-requested');
    const state = approvalState(request, [second, first, decision('ben@example.com')]);
    expect(state.changesRequested).toEqual(second);
    expect(state.decided[0]).toEqual(second);
    expect(state.stale).toEqual([first]);
  });

  it('compares addresses without case, and ignores decisions by someone no longer asked', () => {
    const replaced = decision('gone@example.com');
    const state = approvalState(request, [
      decision('ANN@example.com'),
      decision('Ben@Example.com'),
      replaced,
    ]);
    expect(state.approved).toBe(true);
    expect(state.stale).toEqual([replaced]);
  });

  it('is never approved without an approval', () => {
    const noMandatory = { ...request, approvers: [{ address: 'opt@example.com', mandatory: false }] };
    expect(approvalState(noMandatory, []).approved).toBe(false);
    expect(approvalState(noMandatory, [decision('opt@example.com')]).approved).toBe(true);
  });
});

// --- who is asked ----------------------------------------------------------------------------------------------

const service = {
  approvers: { mandatory: ['lead@example.com', 'ops@example.com'], optional: ['sre@example.com'] },
};

describe('request rounds', () => {
  it('a decision counts only in the round it was made in, even on the same content', () => {
    const round2 = { ...request, requestRound: 2 };
    const earlier = [decision('ann@example.com'), decision('ben@example.com')];
    expect(approvalState(request, earlier).approved).toBe(true);
    const state = approvalState(round2, earlier);
    expect(state.approved).toBe(false);
    expect(state.stale).toHaveLength(2);
    const again = earlier.map((d) => ({ ...d, requestRound: 2 }));
    expect(approvalState(round2, again).approved).toBe(true);
  });

  it('a request or decision of 0.1.0 (no round) is round 1', () => {
    expect(requestRoundOf({})).toBe(1);
    expect(requestRoundOf(undefined)).toBe(1);
    expect(requestRoundOf({ requestRound: 3 })).toBe(3);
  });
});

describe('settlementOf', () => {
  const inReview = { status: 'in-review' as const, approval: request };
  it('is a pure function of status, the current request and the decisions', () => {
    expect(settlementOf({ status: 'draft' }, [])).toEqual({ outcome: 'none' });
    expect(settlementOf(inReview, [])).toEqual({
      outcome: 'pending',
      pending: ['ann@example.com', 'ben@example.com'],
    });
    expect(settlementOf(inReview, [decision('ann@example.com'), decision('ben@example.com')])).toEqual({
      outcome: 'approved',
    });
    const changes = decision('opt@example.com', 'changes-requested', { comment: 'Why?' });
    expect(settlementOf(inReview, [decision('ann@example.com'), changes])).toEqual({
      outcome: 'changes-requested',
      by: changes,
    });
    // Back in draft after the request for changes: the follow-ups may be left to do, so it still says so.
    expect(settlementOf({ status: 'draft', approval: request }, [changes]).outcome).toBe('changes-requested');
    expect(settlementOf({ status: 'approved', approval: request }, [])).toEqual({ outcome: 'approved' });
    expect(settlementOf({ status: 'published' }, [])).toEqual({ outcome: 'approved' });
  });

  it('is approved once the only undecided mandatory approver is made optional', () => {
    const changed = {
      ...request,
      approvers: request.approvers.map((a) =>
        a.address === 'ben@example.com' ? { ...a, mandatory: false } : a,
      ),
    };
    expect(settlementOf({ status: 'in-review', approval: changed }, [decision('ann@example.com')])).toEqual({
      outcome: 'approved',
    });
  });
});

describe('withApproverChange', () => {
  it('keeps the order of changes: replacing an added approver rewrites the addition', () => {
    const added = withApproverChange(undefined, { add: { address: 'dep@example.com', mandatory: true } });
    const replaced = withApproverChange(added, {
      replace: { from: 'DEP@example.com', to: 'new@example.com' },
    });
    expect(replaced).toEqual({ add: [{ address: 'new@example.com', mandatory: true }], replace: [] });
    const base = withApproverChange(replaced, {
      replace: { from: 'ann@example.com', to: 'amy@example.com' },
    });
    expect(base.replace).toEqual([{ from: 'ann@example.com', to: 'amy@example.com' }]);
  });
});

describe('approversFor', () => {
  it('asks the mandatory, then the optional approvers, once each', () => {
    expect(approversFor(service)).toEqual([
      { address: 'lead@example.com', mandatory: true },
      { address: 'ops@example.com', mandatory: true },
      { address: 'sre@example.com', mandatory: false },
    ]);
    expect(
      approversFor({
        approvers: { mandatory: ['a@example.com'], optional: ['A@example.com', 'b@example.com'] },
      }),
    ).toEqual([
      { address: 'a@example.com', mandatory: true },
      { address: 'b@example.com', mandatory: false },
    ]);
  });

  it('a replacement takes the place and the role of the one it replaces; nobody else changes', () => {
    expect(approversFor(service, { replace: [{ from: 'OPS@example.com', to: 'ops2@example.com' }] })).toEqual(
      [
        { address: 'lead@example.com', mandatory: true },
        { address: 'ops2@example.com', mandatory: true },
        { address: 'sre@example.com', mandatory: false },
      ],
    );
  });

  it('replacing by someone already asked merges them (mandatory if either was)', () => {
    expect(approversFor(service, { replace: [{ from: 'lead@example.com', to: 'sre@example.com' }] })).toEqual(
      [
        { address: 'ops@example.com', mandatory: true },
        { address: 'sre@example.com', mandatory: true },
      ],
    );
  });

  it('an addition is appended, or changes the role of someone already asked', () => {
    expect(
      approversFor(service, {
        add: [
          { address: 'vp@example.com', mandatory: true },
          { address: 'sre@example.com', mandatory: true },
        ],
      }),
    ).toEqual([
      { address: 'lead@example.com', mandatory: true },
      { address: 'ops@example.com', mandatory: true },
      { address: 'sre@example.com', mandatory: true },
      { address: 'vp@example.com', mandatory: true },
    ]);
  });

  it('overrides accumulate: a replacement then an addition, a replacement of a replacement', () => {
    const overrides = {
      replace: [
        { from: 'ops@example.com', to: 'ops2@example.com' },
        { from: 'ops2@example.com', to: 'ops3@example.com' },
      ],
      add: [{ address: 'extra@example.com', mandatory: false }],
    };
    expect(approversFor(service, overrides).map((a) => a.address)).toEqual([
      'lead@example.com',
      'ops3@example.com',
      'sre@example.com',
      'extra@example.com',
    ]);
    // Applying them to an existing list is the same rule.
    expect(applyApproverOverrides(approversFor(service), overrides)).toEqual(
      approversFor(service, overrides),
    );
  });

  it('refuses to replace someone not asked, and addresses that are not addresses', () => {
    expect(() =>
      approversFor(service, { replace: [{ from: 'nobody@example.com', to: 'x@example.com' }] }),
    ).toThrow(ValidationError);
    expect(() =>
      approversFor(service, { replace: [{ from: 'lead@example.com', to: 'not an address' }] }),
    ).toThrow(ValidationError);
    expect(() => approversFor(service, { add: [{ address: '<script>@x', mandatory: true }] })).toThrow(
      ValidationError,
    );
  });
});

// --- due dates -------------------------------------------------------------------------------------------------

describe('dueDatesAtApproval', () => {
  const approvedAt = new Date('2026-12-03T10:00:00.000Z');

  it.each([
    [4 as const, '2026-12-31T10:00:00.000Z'],
    [8 as const, '2027-01-28T10:00:00.000Z'],
  ])(
    'fixes priority actions %i weeks after approval and keeps improvement actions as they are',
    (weeks, due) => {
      const pm = completePostmortem();
      const improvement = {
        ...(pm.actions[1] as PostmortemAction),
        dueAt: '2027-06-01T00:00:00.000Z',
        dueProvisional: true,
      };
      const before = structuredClone({ ...pm, actions: [pm.actions[0] as PostmortemAction, improvement] });
      const actions = dueDatesAtApproval(before, approvedAt, weeks);
      expect(actions[0]).toEqual({
        ...(pm.actions[0] as PostmortemAction),
        dueAt: due,
        dueProvisional: undefined,
      });
      expect(actions[0]).not.toHaveProperty('dueProvisional');
      expect(actions[1]).toEqual(improvement);
      // The postmortem it was given is not changed.
      expect(before.actions[0]?.dueProvisional).toBe(true);
    },
  );

  it('sets a due date on priority actions that had none', () => {
    const pm = postmortemOf({
      actions: [
        { id: 'a', title: 'x', kind: 'priority', category: 'repair', ownerTeam: 'T', status: 'open' },
      ],
    });
    expect(dueDatesAtApproval(pm, approvedAt, 4)[0]?.dueAt).toBe('2026-12-31T10:00:00.000Z');
  });
});

// --- the decision form -----------------------------------------------------------------------------------------

describe('parseDecisionForm', () => {
  const hash = contentHash(completePostmortem());
  const approve = { decision: 'approved' as const, contentHash: hash };
  const changes = { decision: 'changes-requested' as const, contentHash: hash };

  it('names its fields as the page does', () => {
    expect(approvalFormNames).toEqual({
      decision: 'decision',
      comment: 'comment',
      contentHash: 'contentHash',
    });
  });

  it('accepts an approval with or without a comment, ignoring other fields', () => {
    expect(parseDecisionForm({ decision: 'approved', contentHash: hash, submit: 'x' }, approve)).toEqual({
      ok: true,
      form: { decision: 'approved', contentHash: hash },
    });
    expect(parseDecisionForm({ decision: 'approved', contentHash: hash, comment: '  ' }, approve)).toEqual({
      ok: true,
      form: { decision: 'approved', contentHash: hash },
    });
    expect(parseDecisionForm({ ...approve, comment: 'Fine.\r\nShip it.' }, approve)).toEqual({
      ok: true,
      form: { decision: 'approved', contentHash: hash, comment: 'Fine.\nShip it.' },
    });
  });

  it('needs a comment to request changes, keeping its line breaks', () => {
    const refused = parseDecisionForm({ ...changes, comment: ' \r\n ' }, changes);
    expect(refused).toMatchObject({ ok: false, reason: 'invalid', comment: ' \r\n ' });
    expect(refused.ok === false && refused.reason === 'invalid' && refused.message).toMatch(
      /needs a comment/,
    );
    expect(parseDecisionForm(changes, changes)).toMatchObject({ ok: false, reason: 'invalid' });
    expect(parseDecisionForm({ ...changes, comment: 'Line one\r\nLine two\u0000' }, changes)).toEqual({
      ok: true,
      form: { ...changes, comment: 'Line one\nLine two' },
    });
  });

  it('caps a comment at 2,000 characters, line ends counted once', () => {
    const max = `${'x'.repeat(1_000)}${'\r\n'.repeat(999)}y`;
    expect(parseDecisionForm({ ...changes, comment: max }, changes)).toMatchObject({ ok: true });
    expect(parseDecisionForm({ ...changes, comment: 'x'.repeat(2_001) }, changes)).toMatchObject({
      ok: false,
      reason: 'invalid',
      message: 'the comment has more than 2000 characters',
    });
  });

  it('refuses a form whose hash or decision is not what the page offered, whatever else it says', () => {
    const other = contentHash(postmortemOf());
    for (const form of [
      { ...approve, contentHash: other },
      { ...approve, contentHash: undefined },
      { ...approve, contentHash: `${hash} ` },
      { ...changes, comment: 'x' },
      { contentHash: hash, comment: 'x' },
      null,
      'decision=approved',
      [approve],
    ])
      expect(parseDecisionForm(form, approve)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('the schema refuses a malformed hash or an unknown decision', () => {
    expect(decisionFormSchema.safeParse({ decision: 'approved', contentHash: 'short' }).success).toBe(false);
    expect(decisionFormSchema.safeParse({ decision: 'maybe', contentHash: hash }).success).toBe(false);
  });
});
