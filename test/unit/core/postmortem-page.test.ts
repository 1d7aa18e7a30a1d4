import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blankRowsAfterAdd, formProblem } from '../../../functions/core/html/postmortem-editor/form.ts';
import { addRowIntent } from '../../../functions/core/html/postmortem-editor/model.ts';
import { linkedText } from '../../../functions/core/html/postmortem-editor/review.ts';
import { PAGE_STYLE } from '../../../functions/core/pages.ts';
import { type Postmortem, rootCauseCategories, textFields } from '../../../functions/core/postmortem.ts';
import {
  actionCategoryGuide,
  checkPostmortem,
  lessonsGuide,
  postmortemFieldGuide,
  rootCauseGuide,
} from '../../../functions/core/postmortem-checks.ts';
import { applyEdit, editFromForm } from '../../../functions/core/postmortem-edit.ts';
import {
  editorResponse,
  fieldId,
  mergeStale,
  type PostmortemEditorView,
  renderPostmortemEditor,
  valuesFromForm,
  valuesOf,
} from '../../../functions/core/postmortem-page.ts';
import { completePostmortem, people, postmortemOf } from './postmortem-support.ts';

/** The editor page a postmortem owner's link opens: a pure function of the postmortem, its checks and the form. */

const hostile = `<script>alert("x")</script>&'"`;
const token = 'v1.k1.eyJpZCI6IngifQ.c2lnbmF0dXJl';

function viewOf(pm: Postmortem, more: Partial<PostmortemEditorView> = {}): PostmortemEditorView {
  return {
    postmortem: pm,
    checks: checkPostmortem(pm, people),
    incident: {
      key: pm.key,
      summary: 'HighErrorRate: checkout 5xx above 5%',
      severity: 2,
      service: 'Checkout',
    },
    recipient: 'payments-team@example.com',
    expiresAt: '2026-12-30T15:15:05.000Z',
    formAction: `./${token}`,
    values: valuesOf(pm),
    history: [{ version: 1, by: 'hotline', at: pm.openedAt, changed: [] }],
    readOnly: false,
    measures: {
      impactStartedAt: '2026-11-30T14:00:00.000Z',
      detectedAt: '2026-11-30T14:05:00.000Z',
      version: '',
    },
    ...more,
  };
}

const htmlText = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? htmlText(m[1] ?? '') : undefined;
};
const has = (tag: string, name: string) => new RegExp(`\\s${name}(?=[\\s>=])`).test(tag);

/** What a browser submits for the page's form: its controls' names and values, in document order. */
function submitted(html: string): URLSearchParams {
  const form = /<form[^>]*>([\s\S]*?)<\/form>/.exec(html)?.[1] ?? '';
  const params = new URLSearchParams();
  const controls = /<(input|textarea|select)\b[^>]*>(?:([\s\S]*?)<\/\1>)?/g;
  for (const m of form.matchAll(controls)) {
    const [tag, kind, inner = ''] = m;
    const name = attr(tag, 'name');
    if (!name || has(tag, 'disabled')) continue;
    if (kind === 'textarea') {
      // The parser drops one newline right after the start tag.
      params.append(name, htmlText(inner.replace(/^\n/, '')));
    } else if (kind === 'select') {
      const options = [...inner.matchAll(/<option[^>]*>/g)].map((o) => o[0]);
      const chosen = options.find((o) => has(o, 'selected')) ?? options[0] ?? '';
      params.append(name, attr(chosen, 'value') ?? '');
    } else {
      const type = attr(tag, 'type') ?? 'text';
      if ((type === 'radio' || type === 'checkbox') && !has(tag, 'checked')) continue;
      params.append(name, attr(tag, 'value') ?? '');
    }
  }
  return params;
}

/** Every control that takes input: its tag, id and name. */
function controls(html: string) {
  return [...html.matchAll(/<(input|textarea|select)\b[^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => attr(tag, 'type') !== 'hidden')
    .map((tag) => ({ tag, id: attr(tag, 'id'), name: attr(tag, 'name') }));
}

const labelsFor = (html: string) =>
  new Set([...html.matchAll(/<label[^>]*\sfor="([^"]+)"/g)].map((m) => htmlText(m[1] ?? '')));

describe('the postmortem editor page', () => {
  it('labels every control it renders, and renders every field of the template by its form name', () => {
    const html = renderPostmortemEditor(viewOf(completePostmortem()));
    const labels = labelsFor(html);
    const all = controls(html);
    for (const control of all) {
      expect(control.id, control.tag).toBeDefined();
      expect(labels.has(control.id ?? ''), `label for ${control.id}`).toBe(true);
    }
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(60);
    expect(new Set(ids).size).toBe(ids.length);
    const names = new Set(all.map((c) => c.name));
    for (const name of [
      'owner',
      ...textFields,
      'rootCauseCategory',
      'recurrence[text]',
      'recurrence[relatedIncidents]',
      'lessons[wentWell]',
      'lessons[couldBeBetter]',
      'lessons[gotLucky]',
      'timeline[0][at]',
      'timeline[0][text]',
      'fiveWhys[0]',
      'actions[0][title]',
      'actions[0][kind]',
      'actions[0][category]',
      'actions[0][ownerTeam]',
      'actions[0][trackerUrl]',
      'actions[0][remove]',
    ])
      expect(names.has(name), name).toBe(true);
    // The labels say what each field is, as the handbook names it.
    for (const name of textFields) {
      expect(html).toContain(`<label for="${fieldId(name)}">${postmortemFieldGuide[name].label}</label>`);
      expect(html).toContain(postmortemFieldGuide[name].instructions);
    }
    for (const part of ['wentWell', 'couldBeBetter', 'gotLucky'] as const)
      expect(html).toContain(`${lessonsGuide[part].label}</label>`);
    expect(html).toMatch(/<form method="post" action="\.\/v1\.k1\.eyJpZCI6IngifQ\.c2lnbmF0dXJl"/);
    expect(html).toContain('<input type="hidden" name="version" value="1">');
  });

  it('submits what it shows: saving the untouched form changes nothing (times exact to the ms)', () => {
    const pm = completePostmortem();
    pm.fields.timeline.push({ at: '2026-11-30T14:32:10.123Z', text: 'Alert fired.' });
    pm.fields.leadup = '\nStarts with a blank line and ends with two\n\n';
    const form = submitted(renderPostmortemEditor(viewOf(pm)));
    const result = applyEdit(pm, editFromForm(form), {
      by: 'payments-team@example.com',
      now: new Date('2026-12-01T09:30:00.000Z'),
      newId: () => 'unused',
    });
    expect(result.changed).toEqual([]);
    // Blank rows are there to add to, and are ignored when left blank.
    expect(form.get('timeline[3][at]')).toBe('');
    expect(form.get('actions[2][title]')).toBe('');
  });

  it('offers blank rows to add timeline rows, whys and actions, without any script', () => {
    const pm = completePostmortem();
    const html = renderPostmortemEditor(viewOf(pm));
    expect(html).toContain('name="timeline[4][text]"'); // 2 rows + 3 blank
    expect(html).not.toContain('name="timeline[5][text]"');
    expect(html).toContain('name="fiveWhys[5]"'); // 5 whys + 1 blank
    expect(html).toContain('name="actions[3][title]"'); // 2 actions + 2 blank
    expect(html).not.toContain('name="actions[4][title]"');
    // A new action's kind and category are chosen, not assumed.
    expect(html).toMatch(
      /<select id="f-actions-2-kind" name="actions\[2\]\[kind\]"><option value="" selected>Choose…/,
    );
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });

  it('escapes every outside value, textarea contents included', () => {
    const pm = postmortemOf({ owner: `owner${hostile}@example.com`, updatedBy: hostile });
    for (const name of textFields) pm.fields[name] = `${name} ${hostile}\n</textarea><b>x</b>`;
    pm.fields.timeline = [{ at: '2026-11-30T14:20:00.000Z', text: hostile }];
    pm.fields.fiveWhys = [hostile];
    pm.fields.recurrence = { text: hostile, relatedIncidents: [] };
    pm.fields.lessons = { wentWell: hostile, couldBeBetter: hostile, gotLucky: hostile };
    pm.actions = [
      {
        id: '01JACTION000000000000000001',
        title: hostile,
        kind: 'priority',
        category: 'repair',
        ownerTeam: hostile,
        trackerUrl: `https://t.example.com/"><script>`,
        status: 'open',
      },
    ];
    const view = viewOf(pm, {
      incident: { key: 'HOT-42', summary: hostile, severity: 2, service: hostile },
      recipient: hostile,
      history: [{ version: 1, by: hostile, at: pm.openedAt, changed: [hostile] }],
    });
    const html = renderPostmortemEditor(view);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('</textarea><b>');
    expect(html).not.toContain(hostile);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&quot;');
    // Escaped is not lost: the browser submits exactly what was saved.
    const form = submitted(html);
    expect(form.get('summary')).toBe(`summary ${hostile}\n</textarea><b>x</b>`);
    expect(form.get('actions[0][trackerUrl]')).toBe(`https://t.example.com/"><script>`);
    // So is a stale or invalid re-render of typed text.
    const typed = new URLSearchParams({ version: '1', summary: `typed ${hostile}` });
    const again = renderPostmortemEditor(
      viewOf(pm, {
        values: valuesFromForm(typed, 1),
        notice: { kind: 'invalid', message: `summary: ${hostile}` },
      }),
    );
    expect(again).not.toMatch(/<script/i);
    expect(submitted(again).get('summary')).toBe(`typed ${hostile}`);
  });

  it('shows the root cause categories with the handbook’s definition and what to do beside each choice', () => {
    const html = renderPostmortemEditor(viewOf(completePostmortem()));
    for (const category of rootCauseCategories) {
      const g = rootCauseGuide[category];
      const id = fieldId(`rootCauseCategory-${category}`);
      const choice =
        new RegExp(`<label class="choice" for="${id}">([\\s\\S]*?)</label>`).exec(html)?.[1] ?? '';
      expect(choice).toContain(`value="${category}"`);
      expect(choice).toContain(g.label);
      expect(choice).toContain(unescapeNot(g.definition));
      expect(choice).toContain(`What to do about it: ${unescapeNot(g.whatToDo)}`);
    }
    expect(html).toMatch(
      /<input type="radio" id="f-rootCauseCategory-bug" name="rootCauseCategory" value="bug" checked>/,
    );
    // The action categories by the handbook's names, and their guide.
    for (const g of Object.values(actionCategoryGuide)) {
      expect(html).toContain(`>${g.label}</option>`);
      expect(html).toContain(g.question);
    }
    expect(html).toContain('Be sure to get at least one of these');
    expect(html).toContain('Investigate monitoring for this scenario');
  });

  it('shows the blocking checks until they are met, then says nothing blocks', () => {
    const empty = postmortemOf();
    const html = renderPostmortemEditor(viewOf(empty));
    const blocking = checkPostmortem(empty, people).blocking;
    expect(html).toContain(`<strong>Blocking (${blocking.length})</strong>`);
    expect(html).toContain('<a href="#f-summary">Incident summary is empty.</a>');
    expect(html).toContain('<a href="#f-rootCauseCategory">No root cause category.</a>');
    expect(html).toContain('<a href="#f-lessons-gotLucky">Lessons learned: Where we got lucky is empty.</a>');
    expect(html).toContain('No priority action.');
    expect(html).not.toContain('Nothing blocks approval');

    const done = completePostmortem();
    done.actions[0] = {
      ...(done.actions[0] as Postmortem['actions'][number]),
      title: 'Look into the tokeniser',
    };
    const ready = renderPostmortemEditor(viewOf(done));
    expect(ready).toContain('Nothing blocks approval');
    expect(ready).not.toContain('Blocking (');
    expect(ready).toMatch(/<strong>Warnings \(\d+\)<\/strong>/);
    expect(ready).toContain(
      '<a href="#f-actions-0-title">&quot;Look into the tokeniser&quot; is not actionable',
    );
    expect(ready).toContain('id="f-actions-0-title"');
  });

  it('after a stale save: names who saved which version and what, keeps the typed text, shows theirs beside it', () => {
    const base = completePostmortem();
    const current = completePostmortem();
    current.version = 3;
    current.fields.impact = 'Their impact, saved in version 2.';
    current.fields.summary = 'Their summary, saved in version 3.';
    const typed = submitted(renderPostmortemEditor(viewOf(base)));
    typed.set('summary', 'My summary, typed meanwhile.');
    typed.set('recovery', 'My recovery, typed meanwhile.');
    typed.set('actions[2][title]', 'Add a canary stage to checkout deploys');
    typed.set('actions[2][kind]', 'improvement');
    typed.set('actions[2][category]', 'mitigate-future');

    const merged = mergeStale(valuesFromForm(typed, 3), valuesOf(base), valuesOf(current));

    expect(merged.conflicts).toEqual(['summary']);
    expect(merged.taken).toEqual(['impact']);
    expect(merged.values).toMatchObject({
      version: '3',
      text: {
        summary: 'My summary, typed meanwhile.',
        impact: 'Their impact, saved in version 2.',
        recovery: 'My recovery, typed meanwhile.',
      },
    });
    const html = renderPostmortemEditor(
      viewOf(current, {
        values: merged.values,
        notice: {
          kind: 'stale',
          yourVersion: '1',
          others: [
            { version: 2, by: 'alice@example.com', at: '2026-12-01T09:00:00.000Z', changed: ['impact'] },
            { version: 3, by: 'bob@example.com', at: '2026-12-01T09:05:00.000Z', changed: ['summary'] },
          ],
          taken: merged.taken,
          conflicts: merged.conflicts,
        },
      }),
    );
    expect(html).toContain(
      'Not saved: this postmortem was saved by someone else while you were editing version 1.',
    );
    expect(html).toContain(
      'Version 2 saved by <strong>alice@example.com</strong> at 2026-12-01 09:00 UTC: changed Impact.',
    );
    expect(html).toContain(
      'Version 3 saved by <strong>bob@example.com</strong> at 2026-12-01 09:05 UTC: changed Incident summary.',
    );
    expect(html).toContain('You both changed <a href="#f-summary">Incident summary</a>');
    expect(html).toContain(
      'Only they changed <a href="#f-impact">Impact</a>: the form now shows their text.',
    );
    expect(html).toContain(
      'Your text is above; version 3 by bob@example.com saved:</p><p class="pre">Their summary, saved in version 3.</p>',
    );
    expect(html).toContain('Updated to version 2 by alice@example.com: you had not changed this.');
    const form = submitted(html);
    expect(form.get('summary')).toBe('My summary, typed meanwhile.');
    expect(form.get('impact')).toBe('Their impact, saved in version 2.');
    expect(form.get('recovery')).toBe('My recovery, typed meanwhile.');
    expect(form.get('actions[2][title]')).toBe('Add a canary stage to checkout deploys');
    expect(form.get('actions[2][category]')).toBe('mitigate-future');
    // The next save edits the current version: it goes through, on purpose.
    expect(form.get('version')).toBe('3');
    expect(html).toContain(`<a href="./${token}">drop your text and open version 3</a>`);
  });

  it('merges a stale save without its base version by keeping every typed part that differs', () => {
    const current = completePostmortem();
    current.fields.fault = 'Theirs';
    const typed = valuesOf(completePostmortem());
    typed.text.leadup = 'Mine';
    const merged = mergeStale(typed, undefined, { ...valuesOf(current), version: '7' });
    expect(merged.conflicts).toEqual(['leadup', 'fault']);
    expect(merged.taken).toEqual([]);
    expect(merged.values.text).toMatchObject({ leadup: 'Mine', fault: completePostmortem().fields.fault });
    expect(merged.values.version).toBe('7');
  });

  it('after an invalid save: keeps every typed value and names each bad field, pointing at the row shown', () => {
    const pm = completePostmortem();
    const typed = new URLSearchParams(submitted(renderPostmortemEditor(viewOf(pm))));
    typed.set('leadup', 'Typed leadup that must not be lost');
    typed.set('timeline[3][at]', 'yesterday afternoon');
    typed.set('timeline[3][text]', 'Deploy started');
    typed.set('actions[0][remove]', '1');
    typed.set('actions[1][title]', '');
    let message = '';
    try {
      editFromForm(typed);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('fields.timeline[2].at');
    expect(message).toContain('actions[0].title'); // the first action kept: the second row
    const html = renderPostmortemEditor(
      viewOf(pm, { values: valuesFromForm(typed, pm.version), notice: { kind: 'invalid', message } }),
    );
    expect(html).toContain('Not saved: some fields need a change.');
    // The time is asked for in the one format the placeholder and the hint show.
    expect(html).toContain(
      '<a href="#f-timeline-2-at">Timeline row 3: time</a>: needs a time in UTC written YYYY-MM-DD HH:MM, such as 2026-11-30 14:30',
    );
    expect(html).not.toContain('ISO-8601');
    expect(html).toContain('<a href="#f-actions-1-title">Action 2: title</a>: an action needs a title');
    expect(html).toMatch(
      /id="f-timeline-2-at" name="timeline\[2\]\[at\]" aria-describedby="f-timeline-hint" maxlength="40" aria-invalid="true" value="yesterday afternoon"/,
    );
    expect(html).toMatch(
      /id="f-actions-1-title" name="actions\[1\]\[title\]" maxlength="300" aria-invalid="true"/,
    );
    // The parts holding a refused field are open, and say so; the others stay folded.
    expect(html).toContain(
      '<details class="fold part" id="part-timeline" open><summary>Timeline (UTC) <span class="fold-status attention">needs a change</span>',
    );
    expect(html).toContain('<details class="fold part" id="part-actions" open>');
    expect(html).toContain('<details class="fold part" id="part-leadup">');
    const form = submitted(html);
    expect(form.get('leadup')).toBe('Typed leadup that must not be lost');
    expect(form.get('timeline[2][text]')).toBe('Deploy started');
    expect(form.get('actions[0][remove]')).toBe('1');
    expect(form.get('version')).toBe('1');
  });

  it('shows an approved postmortem read-only, with a note and nothing to submit', () => {
    const pm = { ...completePostmortem(), status: 'approved' as const };
    const html = renderPostmortemEditor(viewOf(pm, { readOnly: true }));
    expect(html).not.toMatch(/<form/);
    expect(html).not.toMatch(/<button/);
    expect(html).toContain('This postmortem is approved: it can no longer be edited.');
    for (const control of controls(html)) expect(control.tag).toMatch(/\s(readonly|disabled)[\s>]/);
    expect(html).not.toContain('name="timeline[2][at]"');
  });

  it('offers "Ask for approval" beside Save for a draft (Save first: Enter saves), and says why nothing was asked', () => {
    const pm = completePostmortem();
    const approvers = [
      { address: 'head-of-payments@example.com', mandatory: true },
      { address: 'sre-lead@example.com', mandatory: false },
    ];
    const html = renderPostmortemEditor(viewOf(pm, { approval: { approvers, changesRequested: [] } }));
    const buttons = [...html.matchAll(/<button[^>]*>[^<]*<\/button>/g)].map((m) => m[0]);
    // The first submit button is the one Enter presses: a Save (off screen), before the add-a-row buttons.
    expect(buttons[0]).toBe(
      '<button type="submit" class="default-submit" tabindex="-1" aria-hidden="true">Save</button>',
    );
    // The last is the correction of the incident's times: a form of its own, below the postmortem's.
    expect(buttons.slice(-3)).toEqual([
      '<button type="submit" class="primary">Save</button>',
      '<button type="submit" class="approve" name="intent" value="request-approval" aria-describedby="ask-hint">Ask for approval</button>',
      '<button type="submit" class="primary">Record the correction</button>',
    ]);
    expect(buttons.slice(1, -3).every((b) => b.includes('class="secondary" name="intent" value="add-'))).toBe(
      true,
    );
    expect(html).toContain('head-of-payments@example.com (mandatory), sre-lead@example.com (optional)');

    const refused = renderPostmortemEditor(
      viewOf(pm, {
        approval: { approvers, changesRequested: [] },
        notice: {
          kind: 'not-requested',
          saved: { version: 1, changed: false },
          blocking: [],
          reason: hostile,
        },
      }),
    );
    expect(refused).toContain('<strong>Not sent for approval</strong>: &lt;script&gt;');
    expect(refused).toContain('Nothing needed saving (the form matched version 1).');
    expect(refused).not.toContain(hostile);
  });

  it('shows a draft’s requests for changes (who, when, the comment) escaped, and no button in review', () => {
    const request = { at: '2026-12-01T10:00:00.000Z', by: 'payments-team@example.com', version: 3 };
    const approvers = [{ address: 'head-of-payments@example.com', mandatory: true }];
    const draft = renderPostmortemEditor(
      viewOf(completePostmortem(), {
        approval: {
          approvers,
          request,
          changesRequested: [
            {
              approver: 'head-of-payments@example.com',
              mandatory: true,
              at: '2026-12-01T11:30:00.000Z',
              version: 3,
              comment: hostile,
            },
          ],
        },
      }),
    );
    expect(draft).toContain('<strong>Changes requested.</strong>');
    expect(draft).toContain(
      'head-of-payments@example.com (mandatory approver), 2026-12-01 11:30 UTC, on version 3:',
    );
    expect(draft).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&quot;');
    expect(draft).not.toContain(hostile);

    const inReview = renderPostmortemEditor(
      viewOf(
        { ...completePostmortem(), status: 'in-review' },
        { approval: { approvers, request, changesRequested: [] } },
      ),
    );
    expect(inReview).toContain('head-of-payments@example.com</strong> (mandatory): not decided yet.');
    expect(inReview).not.toContain('Ask for approval</button>');
    expect(inReview).toContain('<button type="submit" class="primary">Save</button>');
  });

  it('is one of the pages: the shared style allowed by hash, no script, not cached, not referred', () => {
    const response = editorResponse({
      kind: 'postmortem-editor',
      status: 409,
      view: viewOf(completePostmortem()),
    });
    expect(response.statusCode).toBe(409);
    const styles = [...response.body.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
    expect(styles).toEqual([PAGE_STYLE]);
    const csp = response.headers['content-security-policy'] ?? '';
    expect(csp).toContain(`style-src 'sha256-${createHash('sha256').update(PAGE_STYLE).digest('base64')}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.body).not.toMatch(/\sstyle=/);

    const saved = editorResponse({ kind: 'postmortem-saved', location: `./${token}?saved=2` });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`./${token}?saved=2`);
    expect(saved.headers['cache-control']).toBe('no-store');
  });
});

describe('the postmortem editor, as used', () => {
  const tagOf = (html: string, id: string) =>
    new RegExp(`<(?:input|textarea)\\b[^>]*\\sid="${id}"[^>]*>`).exec(html)?.[0] ?? '';

  it('adds another action or timeline row without saving: a submit button, what was typed kept, no script', () => {
    const pm = completePostmortem();
    const html = renderPostmortemEditor(viewOf(pm));
    expect(html).toContain(
      `<button type="submit" class="secondary" name="intent" value="add-action-row" formaction="./${token}#f-actions-new" formnovalidate aria-describedby="f-actions-add">Add another action row</button>`,
    );
    expect(html).toContain('value="add-timeline-row"');
    expect(html).toContain('<div id="f-actions-new"><fieldset class="action" id="f-actions-2">');

    // The browser posts the form with the button's intent; the page comes back with one more blank row.
    const posted = submitted(html);
    posted.set('actions[2][title]', 'Typed, not saved');
    posted.set('intent', 'add-action-row');
    expect(addRowIntent(posted)).toBe('actions');
    expect(addRowIntent(new URLSearchParams({ intent: 'request-approval' }))).toBeUndefined();
    expect(blankRowsAfterAdd(posted, 'actions')).toBe(2); // 1 left blank, and one more
    const again = renderPostmortemEditor(
      viewOf(pm, {
        values: valuesFromForm(posted, pm.version),
        notice: { kind: 'row-added', list: 'actions' },
        blankRows: { actions: blankRowsAfterAdd(posted, 'actions') },
      }),
    );
    expect(again).toContain('<strong>Nothing saved yet.</strong>');
    expect(again).toContain('<details class="fold part" id="part-actions" open>');
    expect(submitted(again).get('actions[2][title]')).toBe('Typed, not saved');
    expect(again).toContain('name="actions[4][title]"');
    expect(again).not.toContain('name="actions[5][title]"');
    // Clicked again without filling anything: one more each time.
    const twice = submitted(again);
    expect(blankRowsAfterAdd(twice, 'actions')).toBe(3);
    expect(blankRowsAfterAdd(twice, 'timeline')).toBe(4);
    // Up to the cap: 50 actions, then no button.
    const many = renderPostmortemEditor(viewOf(pm, { blankRows: { actions: 60 } }));
    expect(many).toContain('name="actions[49][title]"');
    expect(many).not.toContain('name="actions[50][title]"');
    expect(many).not.toContain('Add another action row');
    expect(many).not.toMatch(/<script|\son[a-z]+=/i);
  });

  it('shows each field’s cap and enforces it with maxlength, the server’s cap (it still refuses what is over in bytes)', () => {
    const html = renderPostmortemEditor(viewOf(completePostmortem()));
    const max = (id: string) => attr(tagOf(html, id), 'maxlength');
    expect(max('f-summary')).toBe('2000');
    for (const id of ['f-leadup', 'f-rootCause', 'f-recurrence-text', 'f-lessons-wentWell'])
      expect(max(id), id).toBe('10000');
    expect(max('f-timeline-0-text')).toBe('1000');
    expect(max('f-fiveWhys-0')).toBe('1000');
    expect(max('f-actions-0-title')).toBe('300');
    expect(max('f-actions-0-ownerTeam')).toBe('100');
    expect(max('f-actions-0-trackerUrl')).toBe('2048');
    expect(max('f-owner')).toBe('200');
    expect(html).toContain(
      '<span class="limit">Up to 2,000 characters (fewer with accents or emoji).</span>',
    );
    expect(html).toContain(
      '<span class="limit">Up to 10,000 characters (fewer with accents or emoji).</span>',
    );
    expect(html).toContain('Each row: up to 1,000 characters');
    expect(html).toContain('A title takes up to 300 characters');
    // maxlength counts characters; the server counts UTF-8 bytes and says so when they are over.
    let message = '';
    try {
      editFromForm(new URLSearchParams({ version: '1', summary: 'é'.repeat(1_500) }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('summary: at most 2,000 bytes');
    const readOnly = renderPostmortemEditor(
      viewOf({ ...completePostmortem(), status: 'approved' }, { readOnly: true }),
    );
    expect(readOnly).not.toContain('maxlength=');
  });

  it('writes a timeline time one way in the placeholder, the hint and the error, and accepts it', () => {
    const pm = completePostmortem();
    const html = renderPostmortemEditor(viewOf(pm));
    expect(attr(tagOf(html, 'f-timeline-2-at'), 'placeholder')).toBe('YYYY-MM-DD HH:MM');
    expect(html).toContain('Times are UTC, written YYYY-MM-DD HH:MM, such as 2026-11-30 14:30.');
    const said = formProblem(
      'fields.timeline[0].at',
      'must be an ISO-8601 time such as 2026-11-30T14:30:00Z (UTC unless it names a zone)',
    );
    expect(said).toBe('needs a time in UTC written YYYY-MM-DD HH:MM, such as 2026-11-30 14:30');
    expect(formProblem('fields.summary', 'at most 2,000 bytes')).toBe('at most 2,000 bytes');
    const form = new URLSearchParams({
      version: '1',
      'timeline[0][at]': '2026-11-30 14:30',
      'timeline[0][text]': 'Impact started.',
    });
    expect(editFromForm(form).fields?.timeline).toEqual([
      { at: '2026-11-30T14:30:00.000Z', text: 'Impact started.' },
    ]);
  });

  it('styles Save as the primary button, not as a destructive one', () => {
    const html = renderPostmortemEditor(viewOf(completePostmortem()));
    expect(html).toContain('<button type="submit" class="primary">Save</button>');
    expect(PAGE_STYLE).toContain('button.primary{background:#1d4ed8}');
    expect(PAGE_STYLE).toMatch(/button\.secondary\{background:#fff;/);
  });

  it('shows Markdown links and bare http(s) addresses as links in the preview, nothing else', () => {
    expect(linkedText('See [the dashboard](https://grafana.example.com/d/x?a=1&b=2).').toString()).toBe(
      'See <a href="https://grafana.example.com/d/x?a=1&amp;b=2" rel="noreferrer">the dashboard</a>.',
    );
    expect(linkedText('Graph: https://grafana.example.com/d/x, then').toString()).toBe(
      'Graph: <a href="https://grafana.example.com/d/x" rel="noreferrer">https://grafana.example.com/d/x</a>, then',
    );
    // Not http(s): text as typed. A label is text, escaped.
    expect(linkedText('[x](javascript:alert(1)) [y](data:text/html,hi)').toString()).toBe(
      '[x](javascript:alert(1)) [y](data:text/html,hi)',
    );
    expect(linkedText(`[${hostile}](https://e.example/) <b>`).toString()).toBe(
      '<a href="https://e.example/" rel="noreferrer">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&quot;</a> &lt;b&gt;',
    );
    expect(linkedText('https://e.example/"><script>').toString()).not.toContain('<script>');

    const pm = completePostmortem();
    pm.fields.impact = 'See [the dashboard](https://grafana.example.com/d/x) and [not this](javascript:x).';
    const html = renderPostmortemEditor(viewOf(pm));
    expect(html).toContain('<details class="fold preview" id="preview"><summary>Preview of version 1');
    expect(html).toContain(
      '<h3>Impact</h3><p class="pre">See <a href="https://grafana.example.com/d/x" rel="noreferrer">the dashboard</a> and [not this](javascript:x).</p>',
    );
    expect(html).not.toMatch(/href="(?!https?:|#|\.\/)/);
    const readOnly = renderPostmortemEditor(viewOf({ ...pm, status: 'approved' }, { readOnly: true }));
    expect(readOnly).toContain('<details class="fold preview" id="preview" open>');
  });

  it('folds the page: every part of the template a closed fold saying where it stands, open where attention is needed', () => {
    const pm = completePostmortem();
    pm.fields.backlogCheck = '';
    const html = renderPostmortemEditor(viewOf(pm));
    const folds = [...html.matchAll(/<details class="fold part" id="part-([A-Za-z]+)"( open)?>/g)];
    expect(folds.map((m) => m[1])).toEqual([
      'summary',
      'leadup',
      'fault',
      'impact',
      'detection',
      'response',
      'recovery',
      'timeline',
      'fiveWhys',
      'rootCause',
      'rootCauseCategory',
      'backlogCheck',
      'recurrence',
      'lessons',
      'actions',
      'externalSummary',
    ]);
    expect(folds.every((m) => m[2] === undefined)).toBe(true);
    expect(html).toContain('<summary>Backlog check <span class="fold-status">empty</span></summary>');
    expect(html).toContain('<summary>Actions <span class="fold-status">2 actions</span></summary>');
    // A check's link points into a fold (the browser opens it on following the link).
    expect(html).toContain('id="f-backlogCheck"');

    // A stale save: the parts both changed, and those taken from the other edit, are open.
    const stale = renderPostmortemEditor(
      viewOf(pm, {
        notice: {
          kind: 'stale',
          yourVersion: '1',
          others: [
            { version: 2, by: 'dana@example.com', at: '2026-12-01T10:00:00.000Z', changed: ['fault'] },
          ],
          conflicts: ['fault'],
          taken: ['lessons.gotLucky'],
        },
      }),
    );
    expect(stale).toContain(
      '<details class="fold part" id="part-fault" open><summary>Fault <span class="fold-status attention">saved by someone else too</span>',
    );
    expect(stale).toContain('<details class="fold part" id="part-lessons" open>');
    expect(stale).toContain('<details class="fold part" id="part-leadup">');
  });
});

/** Guide texts are ours (no characters that need escaping), so they appear as written. */
function unescapeNot(text: string): string {
  expect(text).not.toMatch(/[<>&"']/);
  return text;
}
