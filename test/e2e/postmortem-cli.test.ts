import { existsSync } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, editorCommand, run } from '../../functions/cli/incident.ts';
import { eventually } from '../support/eventually.ts';
import { hotlineClient } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * The `incident postmortem ...` and `incident postmortems` commands on the local target, driven through `run`
 * with an injected editor: open, show with its checks, set, add-action, edit (saved, unchanged, unreadable,
 * refused, stale) and list.
 */

let hotline: HotlineTarget;
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

const { cli } = hotlineClient(() => hotline);

/** Runs a command that must succeed; returns what it printed. */
async function ok(args: string[], extra: Partial<CliIo> = {}): Promise<string> {
  const c = cli(extra);
  const code = await run(args, c.io);
  expect(code, `${args.join(' ')}: ${c.errors()}`).toBe(0);
  return c.text();
}

interface Answer {
  postmortem: {
    version: number;
    owner: string;
    updatedBy: string;
    fields: {
      leadup: string;
      fault: string;
      recovery: string;
      rootCause: string;
      rootCauseCategory?: string;
    };
    actions: { id: string; title: string; kind: string; category: string; trackerUrl?: string }[];
  };
}

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${hotline.target.urls.api}${path}`, {
    method,
    headers: { ...hotline.operator(), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function current(key: string): Promise<Answer['postmortem']> {
  const response = await api('GET', `/incidents/${key}/postmortem`);
  expect(response.status).toBe(200);
  return ((await response.json()) as Answer).postmortem;
}

/** Declares a sev 2 through the CLI, acknowledges and resolves it: its key. */
async function resolvedSev2(summary: string): Promise<string> {
  const declared = await ok([
    'declare',
    '--summary',
    summary,
    '--impact',
    'About 30% of EU card payments fail at checkout.',
    '--severity',
    '2',
    '--service',
    'checkout',
  ]);
  const key = /^Declared (HOT-\d+)$/.exec(declared)?.[1] ?? '';
  expect(key).not.toBe('');
  await ok(['acknowledge', key, '--as', 'payments-oncall@example.com']);
  expect(await ok(['resolve', key, '--support-cases', '0'])).toMatch(/postmortem required$/);
  return key;
}

/** A resolved sev 2 with its postmortem opened through the CLI (version 1): its key. */
async function withPostmortem(summary: string): Promise<string> {
  const key = await resolvedSev2(summary);
  await ok(['postmortem', 'open', key]);
  return key;
}

/** An editor that rewrites the file it is given, and remembers where it was and how private. */
function editor(rewrite: (text: string) => string | Promise<string>) {
  const seen = { path: '', mode: 0 };
  const edit = async (path: string) => {
    seen.path = path;
    seen.mode = (await stat(path)).mode & 0o777;
    await writeFile(path, await rewrite(await readFile(path, 'utf8')));
  };
  return { edit, seen };
}

describe('the postmortem CLI', () => {
  it('opens the postmortem of a resolved sev 2 and shows its checks and template', async () => {
    const key = await resolvedSev2('Card payments failing in the EU');

    // Opening is idempotent: the first opens it (or finds the one the workflow opened), a second finds it.
    expect(await ok(['postmortem', 'open', key])).toMatch(
      new RegExp(`^(Opened the postmortem of ${key}|${key} already has a postmortem)`),
    );
    expect(await ok(['postmortem', 'open', key])).toMatch(
      new RegExp(`^${key} already has a postmortem: draft, version 1`),
    );

    const shown = (await ok(['postmortem', 'show', key])).split('\n');
    expect(shown[0]).toBe(`Postmortem of ${key} (checkout, Sev 2): draft, version 1`);
    expect(shown).toContainEqual(expect.stringMatching(/^owner {2}\S+ \(team .+\)$/));
    expect(shown).toContainEqual(expect.stringMatching(/^due {4}\d{4}-\d{2}-\d{2}T.*Z$/));
    // Blocking first, each with its field, then the warnings.
    const blocking = shown.findIndex((line) => line.startsWith('Blocking ('));
    expect(blocking).toBeGreaterThan(0);
    expect(shown.some((l) => l.startsWith('  recovery: Recovery is empty.'))).toBe(true);
    expect(shown.some((l) => l.startsWith('  rootCauseCategory: '))).toBe(true);
    expect(shown.some((l) => /^ {2}\S+: .*priority action/i.test(l))).toBe(true);
    const warnings = shown.findIndex((line) => line.startsWith('Warnings ('));
    if (warnings >= 0) expect(warnings).toBeGreaterThan(blocking);
    // The template, every section named as `set --field` takes it.
    expect(shown).toContain('Incident summary [summary]');
    expect(shown).toContain('Recovery [recovery]');
    expect(shown).toContain('  What went well [lessons.wentWell]');
    expect(shown.join('\n')).toMatch(/Between .* UTC/);

    const markdown = await ok(['postmortem', 'show', key, '--markdown']);
    expect(markdown).toMatch(/^Postmortem of /);
    expect(markdown).toContain(`# Postmortem ${key}`);
    expect(markdown).toContain('## Recovery');
    expect(markdown).not.toContain('Recovery [recovery]');
  });

  it('sets text fields, the category and the owner, each a new version', async () => {
    const key = await withPostmortem('Card payments declined for Visa');
    const leadup = 'A configuration change to the card router was deployed at 14:20 UTC.';
    expect(await ok(['postmortem', 'set', key, '--field', 'leadup', '--value', leadup])).toMatch(
      new RegExp(`^Saved the postmortem of ${key} as version 2 \\(changed: leadup\\)\\.`),
    );
    expect((await current(key)).fields.leadup).toBe(leadup);

    const rootCause =
      'The router configuration was not validated before it was deployed.\nNothing checked it.';
    expect(
      await ok(
        ['postmortem', 'set', key, '--field', 'rootCause', '--value-file', '-', '--category', 'change'],
        {
          stdin: async () => `${rootCause}\n`,
        },
      ),
    ).toMatch(/as version 3 \(changed: rootCause, rootCauseCategory\)/);
    const afterSet = await current(key);
    expect(afterSet.fields.rootCause).toBe(rootCause);
    expect(afterSet.fields.rootCauseCategory).toBe('change');

    expect(await ok(['postmortem', 'set', key, '--owner', 'payments-lead@example.com'])).toMatch(
      /as version 4 \(changed: owner\)/,
    );
    expect((await current(key)).owner).toBe('payments-lead@example.com');
    // The same value again saves nothing.
    expect(await ok(['postmortem', 'set', key, '--field', 'leadup', '--value', leadup])).toMatch(
      /^Nothing changed: .* still version 4\./,
    );
  });

  it('refuses bad input before or from the API, with exit 2 and nothing saved', async () => {
    const key = await withPostmortem('Refunds stuck in pending');
    const cases: [string[], RegExp][] = [
      [['postmortem', 'set', key, '--field', 'timeline', '--value', 'x'], /"timeline" is not a text field/],
      [['postmortem', 'set', key, '--field', 'leadup'], /needs one of --value/],
      [['postmortem', 'set', key, '--category', 'cosmic-rays'], /^400 .*rootCauseCategory/],
      [['postmortem', 'set', key, '--fields', 'leadup'], /Unknown option '--fields'/],
      [['postmortem', 'show', key, '--html'], /Unknown option '--html'/],
      [['postmortem', 'add-action', key, '--title', 'Add a check'], /needs --kind, --category/],
      [['postmortem', 'frobnicate', key], /unknown postmortem command "frobnicate"/],
      [['postmortems', '--status', 'lost'], /^400 .*status/],
    ];
    for (const [args, message] of cases) {
      const c = cli();
      expect(await run(args, c.io), args.join(' ')).toBe(2);
      expect(c.errors(), args.join(' ')).toMatch(message);
    }
    expect((await current(key)).version).toBe(1);
  });

  it('adds actions, keeping those it has', async () => {
    const key = await withPostmortem('Card router rejecting EU cards');
    const added = await ok([
      'postmortem',
      'add-action',
      key,
      '--title',
      'Add a pre-deploy validation of the card router configuration',
      '--kind',
      'priority',
      '--category',
      'prevent-future',
      '--tracker',
      'https://tracker.example.com/PAY-101',
    ]);
    expect(added).toMatch(/as version 2 \(changed: actions\)/);
    expect(added).toMatch(
      /^Added action \S+: \[priority\/prevent-future\] Add a pre-deploy validation .*due /m,
    );
    await ok([
      'postmortem',
      'add-action',
      key,
      '--title',
      'Add alerting for all cases where card payments fail above 1%',
      '--kind',
      'improvement',
      '--category',
      'detect',
      '--owner-team',
      'Observability',
    ]);
    const pm = await current(key);
    expect(pm.version).toBe(3);
    expect(pm.actions.map((a) => [a.kind, a.category, a.title])).toEqual([
      ['priority', 'prevent-future', 'Add a pre-deploy validation of the card router configuration'],
      ['improvement', 'detect', 'Add alerting for all cases where card payments fail above 1%'],
    ]);
    expect(pm.actions[0]?.trackerUrl).toBe('https://tracker.example.com/PAY-101');
    const shown = await ok(['postmortem', 'show', key]);
    expect(shown).toMatch(
      /\[priority\/prevent-future\] Add a pre-deploy validation .*\(open; owner .*PAY-101; due .*\(provisional\); id \S+\)/,
    );
  });

  it('edits the Markdown in the editor and saves it as the next version', async () => {
    const key = await withPostmortem('Checkout timeouts after deploy');
    const before = await current(key);
    const { edit, seen } = editor((text) =>
      text.replace(
        '## Recovery\n\n',
        '## Recovery\n\nThe on-call engineer rolled the configuration back at 15:05 UTC.\n\n',
      ),
    );
    const out = await ok(['postmortem', 'edit', key], { edit });
    expect(out).toMatch(
      new RegExp(`^Saved the postmortem of ${key} as version ${before.version + 1} \\(changed: recovery\\)`),
    );
    expect(seen.mode).toBe(0o600);
    expect(existsSync(seen.path)).toBe(false);
    expect(existsSync(dirname(seen.path))).toBe(false);

    const after = await current(key);
    expect(after.version).toBe(before.version + 1);
    expect(after.fields.recovery).toBe('The on-call engineer rolled the configuration back at 15:05 UTC.');
    expect(after.fields.leadup).toBe(before.fields.leadup);
    expect(after.actions.map((a) => a.id)).toEqual(before.actions.map((a) => a.id));
    const shown = await ok(['postmortem', 'show', key]);
    expect(shown).toContain(`draft, version ${before.version + 1}`);
    expect(shown).toContain('  The on-call engineer rolled the configuration back at 15:05 UTC.');
    expect(shown).not.toMatch(/^ {2}recovery: /m);
  });

  it('saves nothing when the editor changes nothing', async () => {
    const key = await withPostmortem('Basket totals wrong');
    const before = await current(key);
    const { edit, seen } = editor((text) => text);
    let puts = 0;
    const counting: typeof fetch = (input, init) => {
      if (init?.method === 'PUT') puts++;
      return fetch(input, init);
    };
    expect(await ok(['postmortem', 'edit', key], { edit, fetch: counting })).toBe(
      `No changes: the postmortem of ${key} is still version ${before.version}.`,
    );
    expect(puts).toBe(0);
    expect(existsSync(seen.path)).toBe(false);
    expect((await current(key)).version).toBe(before.version);
  });

  it('keeps an edit that does not read, or that the API refuses, and exits 2', async () => {
    const key = await withPostmortem('Payment page blank');
    const before = await current(key);
    const unreadable = editor((text) => text.replace('## Recovery', '## Recovry'));
    const bad = cli({ edit: unreadable.edit });
    expect(await run(['postmortem', 'edit', key], bad.io)).toBe(2);
    expect(bad.errors()).toMatch(/Cannot read your edit: line \d+: unknown heading "## Recovry"/);
    expect(bad.errors()).toContain(`Your edit is kept in ${unreadable.seen.path}.`);
    expect(await readFile(unreadable.seen.path, 'utf8')).toContain('## Recovry');

    const refused = editor((text) =>
      text.replace(
        /^## Actions\n/m,
        '## Actions\n\n- [priority/repair] Fix the router (owner: Payments; id: NOSUCHACTION)\n',
      ),
    );
    const denied = cli({ edit: refused.edit });
    expect(await run(['postmortem', 'edit', key], denied.io)).toBe(2);
    expect(denied.errors()).toMatch(/^400 ValidationError: .*no action NOSUCHACTION/);
    expect(denied.errors()).toContain(`Your edit is kept in ${refused.seen.path}.`);
    expect(existsSync(refused.seen.path)).toBe(true);

    expect((await current(key)).version).toBe(before.version);
    await rm(dirname(unreadable.seen.path), { recursive: true });
    await rm(dirname(refused.seen.path), { recursive: true });
  });

  it('refuses an edit of a version someone else saved meanwhile: exit 3, the edit kept', async () => {
    const key = await withPostmortem('3-D Secure challenge loops');
    const before = await current(key);
    // Another operator saves while the editor is open.
    const { edit, seen } = editor(async (text) => {
      const other = await api('PUT', `/incidents/${key}/postmortem`, {
        version: before.version,
        fields: { backlogCheck: 'Nothing in the backlog would have prevented it.' },
      });
      expect(other.status).toBe(200);
      return text.replace('## Recovery\n\n', '## Recovery\n\nRolled back, then verified in every region.\n');
    });
    const stale = cli({ edit });
    expect(await run(['postmortem', 'edit', key], stale.io)).toBe(3);
    expect(stale.errors()).toMatch(
      new RegExp(
        `changed since you read version ${before.version}: version ${before.version + 1} was saved by \\S+ at \\S+ \\(changed: backlogCheck\\)\\. Nothing was saved\\.`,
      ),
    );
    expect(stale.errors()).toContain(`Your edit is kept in ${seen.path}.`);
    expect(stale.errors()).toMatch(/To merge: run `postmortem edit HOT-\d+` again .* paste your changes/);
    expect(await readFile(seen.path, 'utf8')).toContain('Rolled back, then verified in every region.');
    const after = await current(key);
    expect(after.version).toBe(before.version + 1);
    expect(after.fields.recovery).toBe(before.fields.recovery);
    await rm(dirname(seen.path), { recursive: true });

    // `set` does not retry either: a save between its read and its write gets exit 3.
    const racing: typeof fetch = async (input, init) => {
      if (init?.method === 'PUT') {
        const version = (await current(key)).version;
        await api('PUT', `/incidents/${key}/postmortem`, {
          version,
          fields: { fault: 'The router refused EU BINs.' },
        });
      }
      return fetch(input, init);
    };
    const raced = cli({ fetch: racing });
    expect(await run(['postmortem', 'set', key, '--field', 'fault', '--value', 'Mine'], raced.io)).toBe(3);
    expect(raced.errors()).toMatch(
      /version \d+ was saved by \S+ at \S+ \(changed: fault\)\. Nothing was saved\./,
    );
    expect((await current(key)).version).toBe(after.version + 1);
  });

  it('runs $VISUAL or $EDITOR, with its arguments, when no editor is injected', async () => {
    const key = await withPostmortem('Card payments slow in the EU');
    const env = { HOTLINE_URL: hotline.target.urls.api, HOTLINE_TOKEN: hotline.target.operatorToken };
    // A real process edits the file: GNU sed appends a line under the Fault heading.
    const edited = cli({
      env: { ...env, EDITOR: `sed -i -e "/^## Fault$/a The card router refused EU card BINs."` },
    });
    expect(await run(['postmortem', 'edit', key], edited.io), edited.errors()).toBe(0);
    expect(edited.text()).toMatch(/as version 2 \(changed: fault\)/);
    expect((await current(key)).fields.fault).toBe('The card router refused EU card BINs.');

    // $VISUAL wins over $EDITOR; an editor that fails saves nothing and, the file unchanged, leaves nothing.
    const failed = cli({ env: { ...env, VISUAL: 'false', EDITOR: 'sed -i -e s/Fault/Fault2/' } });
    expect(await run(['postmortem', 'edit', key], failed.io)).toBe(1);
    expect(failed.errors()).toMatch(/the editor "false" exited with status 1: nothing saved/);
    expect((await current(key)).version).toBe(2);
  });

  it('lists postmortems by status', async () => {
    const key = await withPostmortem('Wallet payments failing');
    const drafts = (await ok(['postmortems', '--status', 'draft'])).split('\n');
    const line = drafts.find((l) => l.startsWith(`${key} `));
    expect(line).toMatch(/Sev 2 {2}draft +checkout +v1 +due \d{4}-\S+ +\S+@example\.com$/);
    expect(await ok(['postmortems', '--status', 'published'])).not.toContain(`${key} `);
    expect(await ok(['postmortems', '--service', 'checkout'])).toContain(`${key} `);
    // Due five business days after a resolution of today: not overdue yet.
    expect(await ok(['postmortems', '--overdue'])).not.toContain(`${key} `);
  });

  it('splits an editor setting into a command and its arguments', () => {
    expect(editorCommand('vi')).toEqual(['vi']);
    expect(editorCommand('code -w')).toEqual(['code', '-w']);
    expect(editorCommand(`"/opt/My Editor/edit" --wait 'a b' c\\ d`)).toEqual([
      '/opt/My Editor/edit',
      '--wait',
      'a b',
      'c d',
    ]);
    expect(() => editorCommand('"unclosed')).toThrow(/unclosed quote/);
  });
});

describe('the approval commands of the CLI', () => {
  type Mail = { subject: string; destination: { to: string[] }; body: { text: string } };
  const mailsTo = async (key: string, address: string, suffix: string) =>
    ((await (await fetch(`${hotline.target.urls.ses}/store`)).json()) as { emails: Mail[] }).emails.filter(
      (m) =>
        m.subject.startsWith(`${key} - `) && m.subject.endsWith(suffix) && m.destination.to.includes(address),
    );
  /** Approves from the approval mail number `nth` (1-based) an approver got: GET the page, POST its form. */
  async function approveFromMail(key: string, approver: string, nth: number) {
    const mail = await eventually(
      async () => (await mailsTo(key, approver, ' - Postmortem approval requested'))[nth - 1],
      `approval mail ${nth} to ${approver}`,
    );
    const link = /Approve: [^<\n]*<(https?:\/\/[^>]+\/links\/v1\.[^>]+)>/.exec(mail.body.text)?.[1] ?? '';
    const hash = /name="contentHash" value="([^"]+)"/.exec(await (await fetch(link)).text())?.[1] ?? '';
    const decided = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ decision: 'approved', contentHash: hash }).toString(),
    });
    expect(decided.status).toBe(200);
  }
  const complete = {
    fields: {
      leadup: 'A configuration change at 14:20 UTC lowered the card router pool size.',
      fault: 'The card router ran out of connections under normal load.',
      detection: 'The 5xx alert fired four minutes after impact started.',
      response: 'The incident manager was paged and acknowledged within three minutes.',
      recovery: 'The change was rolled back at 15:05 UTC and errors stopped.',
      fiveWhys: [
        'Payments failed for lack of connections.',
        'The pool was set to 5.',
        'Pool sizes are not in the change review checklist.',
      ],
      rootCause: 'A configuration change reduced the pool below the normal load.',
      rootCauseCategory: 'change',
      backlogCheck: 'No backlog item covered pool sizing.',
      lessons: { wentWell: 'Fast alert.', couldBeBetter: 'No load check.', gotLucky: 'Low traffic.' },
    },
    actions: [
      {
        title: 'Add a check of connection pool sizes to the change review checklist',
        kind: 'priority',
        category: 'prevent-future',
        ownerTeam: 'Payments',
        trackerUrl: 'https://tracker.example.com/PAY-7',
      },
    ],
  };

  it('mails the owner a fresh editor link that opens the editor', async () => {
    const key = await withPostmortem('Card router editor link');
    expect(await ok(['postmortem', 'editor-link', key])).toMatch(
      new RegExp(
        `^Mailed a fresh editor link for the postmortem of ${key} to payments-team@example\\.com; it works until \\S+Z\\.$`,
      ),
    );
    const [mail] = await eventually(async () => {
      const found = await mailsTo(key, 'payments-team@example.com', ' - Postmortem editor link');
      return found.length > 0 ? found : undefined;
    }, 'the editor link mail');
    const link = /Write the postmortem: [^<\n]*<(https?:\/\/[^>]+\/links\/v1\.[^>]+)>/.exec(
      mail?.body.text ?? '',
    )?.[1];
    const page = await fetch(link ?? 'http://invalid');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Save');
    const usage = cli();
    expect(await run(['postmortem', 'editor-link'], usage.io)).toBe(2);
    expect(usage.errors()).toMatch(/postmortem editor-link needs an incident key/);
  });

  it('requests approval (refused naming each blocking check), changes approvers, shows decisions, prints the document', async () => {
    const key = await withPostmortem('Card router out of connections');

    // Not ready: each blocking check on its own line, exit 2, nobody asked.
    const refused = cli();
    expect(await run(['postmortem', 'request-approval', key], refused.io)).toBe(2);
    expect(refused.errors()).toMatch(/^Approval not requested: \d+ blocking checks are not met:/);
    expect(refused.err).toContainEqual(expect.stringMatching(/^ {2}rootCauseCategory: /));
    expect(refused.err).toContainEqual(expect.stringMatching(/^ {2}\S+: .*priority action/i));
    expect(refused.errors()).toContain('Nobody was asked.');
    expect((await current(key)).version).toBe(1);

    // Approvers: added (mandatory) and replaced, each keeping the others as they were.
    expect(await ok(['postmortem', 'approvers', key, '--add', 'cto@example.com', '--mandatory'])).toBe(
      [
        `cto@example.com is a mandatory approver of the postmortem of ${key}.`,
        'Approvers: head-of-payments@example.com (mandatory), sre-lead@example.com (optional), cto@example.com (mandatory).',
      ].join('\n'),
    );
    expect(
      await ok([
        'postmortem',
        'approvers',
        key,
        '--replace',
        'sre-lead@example.com',
        '--with',
        'sre-deputy@example.com',
      ]),
    ).toContain(
      'Approvers: head-of-payments@example.com (mandatory), sre-deputy@example.com (optional), cto@example.com (mandatory).',
    );
    const usage: [string[], RegExp][] = [
      [['postmortem', 'approvers', key], /needs one of --add <address> \[--mandatory\] or --replace/],
      [['postmortem', 'approvers', key, '--replace', 'cto@example.com'], /needs --with/],
      [
        ['postmortem', 'approvers', key, '--add', 'a@example.com', '--with', 'b@example.com'],
        /--with goes with --replace/,
      ],
      [['postmortem', 'approvers', key, '--add', 'not-an-address'], /^400 .*email/],
      [['postmortem', 'document', key], /^404 /],
    ];
    for (const [args, message] of usage) {
      const c = cli();
      expect(await run(args, c.io), args.join(' ')).toBe(2);
      expect(c.errors(), args.join(' ')).toMatch(message);
    }
    const draft = (await ok(['postmortem', 'show', key])).split('\n');
    expect(draft).toContain(`Approval: not requested yet (postmortem request-approval ${key})`);
    expect(draft).toContainEqual(expect.stringMatching(/^ {2}cto@example\.com +mandatory$/));
    expect(draft).toContainEqual(expect.stringMatching(/^ {2}sre-deputy@example\.com +optional$/));

    // Ready: asked.
    const saved = await api('PUT', `/incidents/${key}/postmortem`, { version: 1, ...complete });
    expect(saved.status).toBe(200);
    expect(await ok(['postmortem', 'request-approval', key])).toMatch(
      new RegExp(
        `^Asked for approval of the postmortem of ${key} \\(version 2, now in-review\\): head-of-payments@example\\.com \\(mandatory\\), sre-deputy@example\\.com \\(optional\\), cto@example\\.com \\(mandatory\\)\\.`,
      ),
    );
    const twice = cli();
    expect(await run(['postmortem', 'request-approval', key], twice.io)).toBe(2);
    expect(twice.errors()).toMatch(/^Approval not requested: 409 .*already requested/);

    // One approval, then an edit in review: that approval is shown and no longer counts.
    await approveFromMail(key, 'head-of-payments@example.com', 1);
    await ok(['postmortem', 'set', key, '--field', 'recovery', '--value', 'Rolled back at 15:05 UTC.']);
    const inReview = (await ok(['postmortem', 'show', key])).split('\n');
    expect(inReview).toContainEqual(
      expect.stringMatching(
        /^Approval: requested \S+Z by \S+ on version 3; waiting for head-of-payments@example\.com, cto@example\.com$/,
      ),
    );
    const head = inReview.findIndex((l) => /^ {2}head-of-payments@example\.com +mandatory$/.test(l));
    expect(inReview[head + 1]).toMatch(
      /^ {4}approved \S+Z on version 2 \(does not count: made on other content\)$/,
    );
    expect(inReview).toContainEqual(expect.stringMatching(/^ {4}no decision$/));
    expect(inReview.join('\n')).not.toContain('approval can be requested');

    // Both mandatory approvers approve version 3: published, and its document printed.
    await approveFromMail(key, 'head-of-payments@example.com', 2);
    await approveFromMail(key, 'cto@example.com', 2);
    await eventually(
      async () => ((await current(key)) as unknown as { status: string }).status === 'published' || undefined,
      `${key} to be published`,
      30_000,
    );
    const published = (await ok(['postmortem', 'show', key])).split('\n');
    expect(published).toContainEqual(expect.stringMatching(/; approved \S+Z and published$/));
    expect(published.join('\n')).not.toContain('approval can be requested');
    const counted = published.filter((l) => / on version 3 \(counts\)$/.test(l));
    expect(counted).toHaveLength(2);
    const markdown = await ok(['postmortem', 'document', key, '--markdown']);
    expect(markdown).toContain(`# Postmortem of ${key}: Card router out of connections`);
    expect(markdown).toContain('Rolled back at 15:05 UTC.');
    const html = await ok(['postmortem', 'document', key]);
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('Rolled back at 15:05 UTC.');
  });
});
