import { describe, expect, it } from 'vitest';
import {
  actionCategories,
  type PostmortemAction,
  rootCauseCategories,
} from '../../../functions/core/postmortem.ts';
import {
  actionCategoryGuide,
  actionWordingGuide,
  blameIn,
  checkPostmortem,
  notActionable,
  notBounded,
  rootCauseGuide,
  tooBroad,
} from '../../../functions/core/postmortem-checks.ts';
import { completePostmortem, people, postmortemOf } from './postmortem-support.ts';

const noPeople = { names: [], addresses: [] };

function withAction(title: string, extra: Partial<PostmortemAction> = {}) {
  const pm = completePostmortem();
  pm.actions = [...pm.actions, { ...(pm.actions[0] as PostmortemAction), id: 'NEW', title, ...extra }];
  return checkPostmortem(pm, noPeople).warnings.filter((w) => w.field === `actions[2].title`);
}

const codes = (checks: { code: string }[]) => checks.map((c) => c.code);

describe('blocking checks', () => {
  it('a complete, well-worded postmortem passes with no warning', () => {
    expect(checkPostmortem(completePostmortem(), people)).toEqual({ blocking: [], warnings: [] });
  });

  it('an empty template blocks on every field, the category and the actions, in template order', () => {
    const { blocking } = checkPostmortem(postmortemOf(), noPeople);
    expect(blocking.map((c) => `${c.code}:${c.field}`)).toEqual([
      'field-empty:summary',
      'field-empty:leadup',
      'field-empty:fault',
      'field-empty:impact',
      'field-empty:detection',
      'field-empty:response',
      'field-empty:recovery',
      'timeline-empty:timeline',
      'five-whys:fiveWhys',
      'field-empty:rootCause',
      'root-cause-category:rootCauseCategory',
      'field-empty:backlogCheck',
      'field-empty:recurrence.text',
      'field-empty:lessons.wentWell',
      'field-empty:lessons.couldBeBetter',
      'field-empty:lessons.gotLucky',
      'priority-action:actions',
      'future-action:actions',
    ]);
  });

  it('words the messages as the handbook does', () => {
    const { blocking } = checkPostmortem(postmortemOf(), noPeople);
    const message = (code: string, field?: string) =>
      blocking.find((c) => c.code === code && (!field || c.field === field))?.message;
    expect(message('field-empty', 'detection')).toBe(
      'Detection is empty. How and when was the incident detected? How could the time to detect be improved: how would you cut it in half?',
    );
    expect(message('future-action')).toContain('Be sure to get at least one of these.');
    expect(message('five-whys')).toBe(
      'Five whys: none written; at least 3 are needed (the handbook asks for five). Start from the impact and ask why it happened, then why that happened, and so on: five times, until you reach the root cause.',
    );
    expect(message('field-empty', 'lessons.gotLucky')).toMatch(
      /^Lessons learned: Where we got lucky is empty\./,
    );
  });

  it('treats whitespace as empty', () => {
    const pm = completePostmortem();
    pm.fields.fault = '  \n ';
    pm.fields.timeline = [{ at: '2026-11-30T14:30:00.000Z', text: ' ' }];
    expect(codes(checkPostmortem(pm, noPeople).blocking)).toEqual(['field-empty', 'timeline-empty']);
  });

  it('blocks below 3 whys and warns below 5', () => {
    const pm = completePostmortem();
    pm.fields.fiveWhys = ['a', 'b', ' '];
    expect(checkPostmortem(pm, noPeople).blocking[0]?.message).toMatch(
      /^Five whys: only 2 written; at least 3/,
    );
    pm.fields.fiveWhys = ['a', 'b', 'c'];
    const checks = checkPostmortem(pm, noPeople);
    expect(checks.blocking).toEqual([]);
    expect(checks.warnings).toEqual([
      {
        code: 'five-whys-short',
        field: 'fiveWhys',
        message:
          'Five whys: 3 written. The handbook asks "why" five times: keep asking until you reach the root cause.',
      },
    ]);
  });

  it('needs a priority action, and one that mitigates or prevents future incidents', () => {
    const pm = completePostmortem();
    pm.actions = pm.actions.map((a) => ({ ...a, kind: 'improvement', category: 'detect' }));
    expect(codes(checkPostmortem(pm, noPeople).blocking)).toEqual(['priority-action', 'future-action']);
    pm.actions = pm.actions.map((a, i) => (i === 1 ? { ...a, category: 'mitigate-future' } : a));
    expect(codes(checkPostmortem(pm, noPeople).blocking)).toEqual(['priority-action']);
  });
});

describe('action wording (the handbook: actionable, specific, bounded)', () => {
  it.each(actionWordingGuide.examples)(
    'flags the weak "$weak" and passes the strong "$strong"',
    ({ weak, strong }) => {
      expect(withAction(weak).length).toBeGreaterThan(0);
      expect(withAction(strong)).toEqual([]);
    },
  );

  it('flags "Investigate monitoring for this scenario" as not actionable, with the better wording', () => {
    expect(withAction('Investigate monitoring for this scenario')).toEqual([
      {
        code: 'action-not-actionable',
        field: 'actions[2].title',
        message:
          '"Investigate monitoring for this scenario" is not actionable: it opens with "investigate", which describes a process, not an outcome. Actionable: a sentence that starts with a verb and ends in a useful outcome, not a process. For example "Add alerting for all cases where this service returns >1% errors", not "Investigate monitoring for this scenario".',
      },
    ]);
  });

  it('passes "Add alerting for all cases where this service returns >1% errors": a threshold bounds "all"', () => {
    expect(notActionable('Add alerting for all cases where this service returns >1% errors')).toBeUndefined();
    expect(notBounded('Add alerting for all cases where this service returns >1% errors')).toBeUndefined();
    expect(tooBroad('Add alerting for all cases where this service returns >1% errors')).toBe(false);
  });

  it('flags "Make sure engineer checks that database schema can be parsed before updating"', () => {
    expect(
      codes(withAction('Make sure engineer checks that database schema can be parsed before updating')),
    ).toEqual(['action-not-actionable']);
    expect(
      notActionable('Make sure engineer checks that database schema can be parsed before updating'),
    ).toBe(
      'it opens with "make sure", which asks for a standing behaviour, not a change that can be finished',
    );
  });

  it.each([
    ['Look into the retry storm', ['action-not-actionable']],
    ['Try to reduce deploy frequency', ['action-not-actionable']],
    ['Consider a circuit breaker for the payment provider', ['action-not-actionable']],
    ['Ensure backups are restorable', ['action-not-actionable']],
    ['Be more careful when deploying', ['action-not-actionable']],
    ['The runbook for failover', ['action-not-actionable']],
    ['Continue to monitor error rates', ['action-not-actionable', 'action-not-bounded']],
    ['Run ongoing load tests of checkout', ['action-not-bounded']],
    ['Always run the schema check before deploys', ['action-not-actionable', 'action-not-bounded']],
    ['Add tests for all cases', ['action-not-bounded']],
    ['Update every dependency', ['action-not-bounded']],
    ['Make the service more reliable', ['action-too-broad']],
    ['Improve monitoring', ['action-too-broad']],
    ['Fix the issue that caused the outage', ['action-too-broad']],
    ['Improve architecture to be more reliable', ['action-too-broad']],
  ])('"%s" gets %j', (title, expected) => {
    expect(codes(withAction(title))).toEqual(expected);
  });

  it.each([
    'Add a redundant node so the service no longer has a single point of failure',
    'Update every dependency of checkout-api to its latest patch release',
    'Add a 2 s timeout to each call to the payments provider',
    'Re-enable the canary stage for checkout deploys',
    'Enumerate the list of critical dependencies',
    'Handle invalid postal code in user address form input safely',
    'Monitor disk usage on db-1 and alert at 80%',
  ])('passes "%s"', (title) => {
    expect(withAction(title)).toEqual([]);
  });

  it('warns when an action is not tracked', () => {
    const pm = completePostmortem();
    pm.actions = pm.actions.map(({ trackerUrl: _t, ...a }) => a);
    expect(checkPostmortem(pm, noPeople).warnings.map((w) => `${w.code}:${w.field}`)).toEqual([
      'action-not-tracked:actions[0].trackerUrl',
      'action-not-tracked:actions[1].trackerUrl',
    ]);
  });
});

describe('blame', () => {
  it.each([
    'It was human error.',
    'The engineer should have checked the config.',
    'A careless deploy broke it.',
    'It was the fault of the release team.',
    'Nobody is to blame, but...',
    'The on-call failed to respond.',
    'The reviewer forgot to run the tests.',
  ])('flags "%s" and advises roles', (text) => {
    const pm = completePostmortem();
    pm.fields.response = text;
    const blame = checkPostmortem(pm, noPeople).warnings.filter((w) => w.code === 'blame');
    expect(blame).toHaveLength(1);
    expect(blame[0]?.field).toBe('response');
    expect(blame[0]?.message).toContain('refer to individuals by role');
  });

  it('does not flag systems that fail or the word blameless', () => {
    expect(blameIn('The service failed to connect to the database.', noPeople)).toEqual([]);
    expect(blameIn('This is a blameless postmortem.', noPeople)).toEqual([]);
  });

  it('flags configured names (case-insensitive, whole words) and addresses', () => {
    expect(blameIn('alice smith restarted the pods', people)).toEqual(['Alice Smith']);
    expect(blameIn('Paged CAROL at 14:32', people)).toEqual(['Carol']);
    expect(blameIn('Caroline restarted the pods; daveyjones too', people)).toEqual([]);
    expect(blameIn('Mail went to bob@example.com.', people)).toEqual(['bob@example.com']);
    expect(blameIn('Mail went to bob@example.com.au', people)).toEqual([]);
  });

  it('looks everywhere a person writes: timeline rows, whys, lessons, recurrence and action titles', () => {
    const pm = completePostmortem();
    pm.fields.timeline[1] = { at: '2026-11-30T14:30:00.000Z', text: 'Dave deployed the release.' };
    pm.fields.fiveWhys[2] = 'Because of human error.';
    pm.fields.lessons.couldBeBetter = 'carol@example.com should have escalated.';
    pm.fields.recurrence.text = 'Same as HOT-17: careless config change.';
    pm.actions[0] = {
      ...(pm.actions[0] as PostmortemAction),
      title: 'Add a review step for Dave to the deploy',
    };
    const blame = checkPostmortem(pm, people).warnings.filter((w) => w.code === 'blame');
    expect(blame.map((w) => w.field)).toEqual([
      'timeline[1].text',
      'fiveWhys[2]',
      'recurrence.text',
      'lessons.couldBeBetter',
      'actions[0].title',
    ]);
    expect(blame[2]?.message).toBe(
      `Recurrence reads as blame ("careless"). Postmortems are blameless: refer to individuals by role (the on-call engineer, the incident manager), not by name, and ask why the system let it happen or made it look like the right thing to do, not who did it.`,
    );
    expect(blame[3]?.message).toMatch(
      /^What could have gone better reads as blame \("carol@example.com", "should have"\)\./,
    );
  });
});

describe('pre-filled text', () => {
  it('warns that a field is still as the pre-fill wrote it, with what the handbook asks beyond it', () => {
    const pm = completePostmortem();
    pm.prefilled = ['detection', 'timeline'];
    expect(checkPostmortem(pm, noPeople).warnings).toEqual([
      {
        code: 'field-prefilled',
        field: 'detection',
        message:
          'Detection is as the pre-fill wrote it from the incident: add how the time to detect could be improved (how would you cut it in half?).',
      },
      {
        code: 'field-prefilled',
        field: 'timeline',
        message:
          'Timeline is as the pre-fill wrote it from the incident: add the leadup, the decisions and the changes made.',
      },
    ]);
  });
});

describe('guide texts shown beside the choices', () => {
  it('has a definition and what to do for every root cause category', () => {
    for (const category of rootCauseCategories) {
      expect(rootCauseGuide[category].definition).not.toBe('');
      expect(rootCauseGuide[category].whatToDo).not.toBe('');
    }
    expect(rootCauseGuide.unknown.whatToDo).toMatch(/observability/);
  });

  it('has the handbook question for every action category', () => {
    for (const category of actionCategories) expect(actionCategoryGuide[category].question).toMatch(/\?$/);
    expect(actionCategoryGuide['prevent-future'].label).toBe('Prevent future incidents');
  });
});
