import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/core/errors.ts';
import type { Postmortem } from '../../../functions/core/postmortem.ts';
import { applyEdit, parsePostmortemEdit } from '../../../functions/core/postmortem-edit.ts';
import { markdownToEdit, postmortemToMarkdown } from '../../../functions/core/postmortem-markdown.ts';
import { prefillPostmortem } from '../../../functions/core/postmortem-prefill.ts';
import {
  alertAlerts,
  alertIncident,
  alertTimeline,
  completePostmortem,
  postmortemOf,
} from './postmortem-support.ts';

const context = () => {
  let n = 0;
  return { by: 'cli@example.com', now: new Date('2026-12-01T10:00:00.000Z'), newId: () => `01JNEWID${++n}` };
};

/** What saving the Markdown back would change. */
const roundTrip = (pm: Postmortem) =>
  applyEdit(pm, markdownToEdit(postmortemToMarkdown(pm), pm.version), context()).changed;

function refusal(markdown: string): string {
  try {
    markdownToEdit(markdown, 1);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  }
  throw new Error('the Markdown was accepted');
}

describe('the postmortem as Markdown', () => {
  const markdown = postmortemToMarkdown(completePostmortem());

  it('starts with a comment saying what the CLI saves', () => {
    expect(markdown.startsWith('<!--\n  Postmortem of HOT-42, version 1. When you close the editor,')).toBe(
      true,
    );
    expect(markdown).toContain('each section below replaces its field; a section you delete is');
  });

  it('has a heading per template field, in the template order', () => {
    const headings = markdown.split('\n').filter((line) => line.startsWith('#'));
    expect(headings).toEqual([
      '# Postmortem HOT-42',
      '## Incident summary',
      '## Leadup',
      '## Fault',
      '## Impact',
      '## Detection',
      '## Response',
      '## Recovery',
      '## Timeline',
      '## Five whys',
      '## Root cause',
      '## Root cause category',
      '## Backlog check',
      '## Recurrence',
      '### Related incidents',
      '## Lessons learned',
      '### What went well',
      '### What could have gone better',
      '### Where we got lucky',
      '## Actions',
      '## External summary',
    ]);
  });

  it('writes the timeline, the whys, the category and the actions in their line forms', () => {
    expect(markdown).toContain(
      '## Timeline\n\n- 2026-11-30 14:20 UTC Release 2026.11.30-2 deployed.\n- 2026-11-30 14:30 UTC Impact started.\n',
    );
    expect(markdown).toContain(
      '## Five whys\n\n1. Payments failed because the tokeniser rejected valid cards.\n2. ',
    );
    expect(markdown).toContain('## Root cause category\n\nCategory: bug\n');
    expect(markdown).toContain('### Related incidents\n\nHOT-17\n');
    expect(markdown).toContain(
      '- [priority/prevent-future] Add EU card formats from all 27 member states to the tokeniser test data (owner: Payments; tracker: https://tracker.example.com/PAY-121; id: 01JACTION000000000000000001)',
    );
    expect(markdown).toContain('Owner: payments-team@example.com\n');
  });

  it('reads back to an edit that changes nothing (a complete, an empty and a pre-filled postmortem)', () => {
    expect(roundTrip(completePostmortem())).toEqual([]);
    expect(roundTrip(postmortemOf())).toEqual([]);
    const prefill = prefillPostmortem({
      incident: alertIncident,
      timeline: alertTimeline,
      alerts: alertAlerts,
      serviceName: 'Checkout',
      ownerTeam: 'Payments',
      related: [{ key: 'HOT-17', openedAt: '2026-11-02T10:00:00.000Z', summary: 'HighErrorRate' }],
    });
    expect(roundTrip(postmortemOf({ fields: prefill.fields, prefilled: prefill.prefilled }))).toEqual([]);
  });

  it('shows seconds and ms only when a time has them', () => {
    const pm = completePostmortem();
    pm.fields.timeline = [
      { at: '2026-11-30T14:20:05.000Z', text: 'a' },
      { at: '2026-11-30T14:20:05.120Z', text: 'b' },
    ];
    expect(postmortemToMarkdown(pm)).toContain(
      '- 2026-11-30 14:20:05 UTC a\n- 2026-11-30 14:20:05.120 UTC b\n',
    );
    expect(roundTrip(pm)).toEqual([]);
  });

  it('escapes text lines that would read as headings, and edge blank lines', () => {
    const pm = completePostmortem();
    pm.fields.fault = '\n# Not a heading\n\\backslash\n## Leadup\n\n  ';
    const out = postmortemToMarkdown(pm);
    expect(out).toContain(
      '## Fault\n\n\\\n\\# Not a heading\n\\\\backslash\n\\## Leadup\n\n\\  \n\n## Impact',
    );
    expect(roundTrip(pm)).toEqual([]);
  });
});

describe('reading edited Markdown', () => {
  const base = () => postmortemToMarkdown(completePostmortem());

  it('saves what was edited, adds new actions and removes deleted ones', () => {
    const pm = completePostmortem();
    const edited = postmortemToMarkdown(pm)
      .replace(
        'At 14:20 UTC release 2026.11.30-2 changed the card tokeniser.',
        'At 14:20 UTC a release changed the tokeniser.\n\nIt had passed review.',
      )
      .replace('Category: bug', 'Category: change')
      .replace(
        /^- \[improvement\/detect\].*$/m,
        '- [priority/mitigate-future] Add a kill switch for the new validation rule',
      );
    const { postmortem, changed } = applyEdit(pm, markdownToEdit(edited, 1), context());
    expect(changed).toEqual(['leadup', 'rootCauseCategory', 'actions']);
    expect(postmortem.fields.leadup).toBe(
      'At 14:20 UTC a release changed the tokeniser.\n\nIt had passed review.',
    );
    expect(postmortem.actions.map((a) => [a.id, a.title, a.kind, a.category, a.ownerTeam])).toEqual([
      [
        '01JACTION000000000000000001',
        'Add EU card formats from all 27 member states to the tokeniser test data',
        'priority',
        'prevent-future',
        'Payments',
      ],
      [
        '01JNEWID1',
        'Add a kill switch for the new validation rule',
        'priority',
        'mitigate-future',
        'Payments',
      ],
    ]);
  });

  it('leaves a deleted section as it was and clears an emptied one', () => {
    const pm = completePostmortem();
    const edited = postmortemToMarkdown(pm)
      .replace(/## Backlog check\n\n.*\n\n/, '')
      .replace('The rollback took 5 minutes.', '');
    const { postmortem, changed } = applyEdit(pm, markdownToEdit(edited, 1), context());
    expect(changed).toEqual(['lessons']);
    expect(postmortem.fields.backlogCheck).toBe(pm.fields.backlogCheck);
    expect(postmortem.fields.lessons.wentWell).toBe('');
  });

  it('accepts CRLF line ends from the editor', () => {
    expect(
      applyEdit(completePostmortem(), markdownToEdit(base().replaceAll('\n', '\r\n'), 1), context()).changed,
    ).toEqual([]);
  });

  it.each([
    [
      '## Postmortem thoughts',
      /^line \d+: unknown heading "## Postmortem thoughts" \(the sections are "## Incident summary", /,
    ],
    ['### Related incidents', /^line \d+: unknown heading "### Related incidents" here$/],
  ])('refuses the unknown heading %s, naming the line', (heading, message) => {
    expect(refusal(base().replace('## Fault', heading))).toMatch(message);
  });

  it('names the line of a malformed timeline row, why, category or action', () => {
    const lineOf = (markdown: string, text: string) => markdown.split('\n').indexOf(text) + 1;
    let md = base().replace('- 2026-11-30 14:30 UTC Impact started.', '- 30/11 14:30 Impact started.');
    expect(refusal(md)).toBe(
      `line ${lineOf(md, '- 30/11 14:30 Impact started.')}: a timeline row reads "- YYYY-MM-DD HH:MM UTC what happened"`,
    );
    md = base().replace('Category: bug', 'Category: gremlins');
    expect(refusal(md)).toBe(
      `line ${lineOf(md, 'Category: gremlins')}: unknown root cause category "gremlins" (one of bug, change, scale, architecture, dependency, unknown, or empty)`,
    );
    md = base().replace('- [improvement/detect]', '- [urgent/detect]');
    expect(refusal(md)).toMatch(/^line \d+: unknown action kind "urgent" \(priority or improvement\)$/);
    md = base().replace('- [improvement/detect]', '- [improvement/watch]');
    expect(refusal(md)).toMatch(/^line \d+: unknown action category "watch" \(one of investigate, /);
    md = base().replace('1. Payments failed', 'One: Payments failed');
    expect(refusal(md)).toMatch(/^line \d+: a why reads "1. why it happened"$/);
    md = base().replace('HOT-17\n', 'HOT-17, yesterday\n');
    expect(refusal(md)).toMatch(/^line \d+: "yesterday" is not an incident key \(like HOT-42\)$/);
    expect(refusal(`stray text\n${base()}`)).toMatch(/^line 1: unexpected text before the first section/);
  });

  it('names the line and the field when a value breaks the edit rules', () => {
    const md = base().replace(
      '(owner: Payments; tracker: https://tracker.example.com/PAY-121;',
      '(owner: Payments; tracker: javascript:alert(1);',
    );
    expect(refusal(md)).toMatch(/^line \d+ \(actions\[0\]\.trackerUrl\): must be an http\(s\) URL/);
    const long = base().replace('The tokeniser rejected', `${'x'.repeat(10_001)} The tokeniser rejected`);
    expect(refusal(long)).toMatch(/^line \d+ \(fields\.fault\): at most 10,000 bytes \(UTF-8/);
  });
});

describe('round trip property', () => {
  // Arbitrary text, including Markdown and HTML syntax, newlines (LF, CRLF, CR), edge blanks and unicode.
  const piece = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.constantFrom(
      '#',
      '## Leadup',
      '### Related incidents',
      '-',
      '- 2026-11-30 14:30 UTC x',
      '1. ',
      '\\',
      '\n',
      '\r\n',
      '\r',
      '  ',
      '\t',
      '<script>alert(1)</script>',
      '[x](javascript:alert(1))',
      '<!--',
      '-->',
      'Category: bug',
      '(owner: x; id: y)',
      '🔥',
      'é',
      '\u2028',
    ),
  );
  const text = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(''));
  const oneLine = text.map((t) => t.replace(/[\r\n\u2028\u2029]/g, ' ')).filter((t) => t.trim() !== '');
  const time = fc
    .integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) })
    .map((ms) => new Date(ms).toISOString());
  const actionEdit = fc.record({
    title: oneLine,
    kind: fc.constantFrom('priority', 'improvement'),
    category: fc.constantFrom(
      'investigate',
      'mitigate',
      'repair',
      'detect',
      'mitigate-future',
      'prevent-future',
    ),
    // A team name is one line without control characters, ";" or ":" (the schema refuses the rest).
    ownerTeam: oneLine
      // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing them is the point
      .map((t) => t.replace(/[;:]/g, ',').replace(/[\u0000-\u001f\u007f]/g, ' '))
      .filter((t) => t.trim() !== '' && t.length <= 100),
    trackerUrl: fc.option(fc.webUrl(), { nil: undefined }),
  });

  it('markdownToEdit(postmortemToMarkdown(pm)) applied to pm changes nothing', () => {
    fc.assert(
      fc.property(
        fc.record({
          summary: text,
          leadup: text,
          fault: text,
          impact: text,
          detection: text,
          response: text,
          recovery: text,
          rootCause: text,
          backlogCheck: text,
          rootCauseCategory: fc.constantFrom(
            null,
            'bug',
            'change',
            'scale',
            'architecture',
            'dependency',
            'unknown',
          ),
          timeline: fc.array(fc.record({ at: time, text: oneLine }), { maxLength: 4 }),
          fiveWhys: fc.array(oneLine, { maxLength: 5 }),
          recurrence: fc.record({
            text,
            relatedIncidents: fc.uniqueArray(
              fc.integer({ min: 1, max: 999 }).map((n) => `HOT-${n}`),
              { maxLength: 3 },
            ),
          }),
          lessons: fc.record({ wentWell: text, couldBeBetter: text, gotLucky: text }),
        }),
        fc.array(actionEdit, { maxLength: 4 }),
        (fields, actions) => {
          // The postmortem as an edit leaves it: stored text is what the schema makes of what was typed.
          const edit = parsePostmortemEdit({
            version: 1,
            fields,
            actions: actions.map((a) =>
              a.trackerUrl && /\s/.test(a.trackerUrl) ? { ...a, trackerUrl: undefined } : a,
            ),
          });
          const { postmortem } = applyEdit(postmortemOf(), edit, context());
          const markdown = postmortemToMarkdown(postmortem);
          const back = markdownToEdit(markdown, postmortem.version);
          const { changed } = applyEdit(postmortem, back, context());
          expect(changed).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
