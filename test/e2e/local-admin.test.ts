import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ScheduleView } from '../../infra/local/admin-api.ts';
import { type LocalTarget, startLocalTarget } from '../../infra/local/target.ts';
import { eventually } from '../support/eventually.ts';
import { about, hotlineClient, type Mail } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * Trying schedules without waiting days: the local AWS endpoint's admin routes (`/_local/`) list the schedules
 * with their next fire time and fire one now, for the administrator only; `npm run local` is their command;
 * `HOTLINE_TIME_SCALE` is checked by `npm start`. And the sent mail survives a restart of the local target.
 */

const root = resolve(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');

let hotline: HotlineTarget;
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

const { mails, waitForMails } = hotlineClient(() => hotline);

/** The administrator's key as the AWS CLI sends it (the local target reads the key id; `local` is not checked). */
const signedAs = (key: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=${key}/20261201/us-east-1/states/aws4_request, SignedHeaders=host, Signature=00`,
});
const admin = signedAs('local');

async function call(method: string, path: string, headers: Record<string, string> = admin) {
  const response = await fetch(`${hotline.target.urls.aws}${path}`, { method, headers });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    // biome-ignore lint/suspicious/noExplicitAny: the routes' JSON answers are read loosely
    body: (await response.json()) as Record<string, any>,
  };
}

const listed = async () => (await call('GET', '/_local/schedules')).body.schedules as ScheduleView[];
const named = (schedules: ScheduleView[], part: string) => {
  const found = schedules.find((s) => s.name.includes(part));
  if (!found) throw new Error(`no schedule named *${part}* among ${schedules.map((s) => s.name).join(', ')}`);
  return found;
};

/** The wall clock of an instant in a time zone, as "Mon 08:00". */
const wall = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  })
    .format(new Date(iso))
    .replace(',', '');

describe('GET /_local/schedules', () => {
  it("lists the stack's three schedules with their expression, time zone, targets and next fire time", async () => {
    const before = Date.now();
    const { status, type, body } = await call('GET', '/_local/schedules');
    expect(status).toBe(200);
    expect(type).toBe('application/json');
    const schedules = body.schedules as ScheduleView[];
    expect(schedules).toHaveLength(3);

    const sweep = named(schedules, 'SweepUnstartedWorkflows');
    expect(sweep).toMatchObject({ kind: 'scheduler', expression: 'rate(1 minute)', enabled: true });
    // A one-minute rate next fires within the minute.
    expect(Date.parse(sweep.next ?? '')).toBeGreaterThan(before);
    expect(Date.parse(sweep.next ?? '')).toBeLessThanOrEqual(Date.now() + 60_000);

    const reminders = named(schedules, 'SweepActionReminders');
    expect(reminders).toMatchObject({ expression: 'rate(1 hour)', enabled: true });
    expect(Date.parse(reminders.next ?? '')).toBeLessThanOrEqual(Date.now() + 3_600_000);

    const report = named(schedules, 'SendSloReports');
    expect(report).toMatchObject({
      kind: 'scheduler',
      expression: 'cron(0 8 ? * MON *)',
      timezone: 'Europe/London',
      enabled: true,
    });
    expect(wall(report.next ?? '', 'Europe/London')).toBe('Mon 08:00');
    expect(Date.parse(report.next ?? '')).toBeGreaterThan(before);
    expect(Date.parse(report.next ?? '')).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000);

    for (const schedule of schedules) {
      expect(schedule.targets).toHaveLength(1);
      expect(schedule.targets[0]).toMatch(/^arn:aws:(lambda|states):/);
    }
    // The time the target armed (the minutely and hourly ones may have moved on since the listing).
    const armed = hotline.target.schedules.list().find((s) => s.name === report.name);
    expect(report.next).toBe(armed?.next?.toISOString());
  });

  it('takes the operator token too, and refuses anyone without the administrator credentials with 403', async () => {
    const operator = await call('GET', '/_local/schedules', hotline.operator());
    expect(operator.status).toBe(200);
    expect(operator.body.schedules).toHaveLength(3);

    for (const headers of [
      {},
      signedAs('local-SendSloReports'),
      signedAs('AKIAEXAMPLE'),
      { authorization: 'Bearer not-the-operator-token' },
      { authorization: `Bearer ${hotline.target.operatorToken}x` },
    ]) {
      const refused = await call('GET', '/_local/schedules', headers);
      expect(refused.status).toBe(403);
      expect(refused.type).toBe('application/json');
      expect(refused.body.message).toMatch(/administrator/);
      expect(refused.body.schedules).toBeUndefined();
    }
    const fire = await call('POST', `/_local/schedules/${named(await listed(), 'SloReports').name}/fire`, {});
    expect(fire.status).toBe(403);
    expect(fire.body.fired).toBeUndefined();
  });

  it('leaves the AWS APIs of the endpoint as they were', async () => {
    const response = await fetch(hotline.target.urls.aws, {
      method: 'POST',
      headers: {
        ...admin,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSStepFunctions.ListStateMachines',
      },
      body: '{}',
    });
    expect(response.status).toBe(200);
    const { stateMachines } = (await response.json()) as {
      stateMachines: Array<{ stateMachineArn: string }>;
    };
    expect(stateMachines.map((m) => m.stateMachineArn)).toEqual(hotline.target.stateMachines);
  });
});

describe('POST /_local/schedules/{name}/fire', () => {
  it('fires the SLO report now: the org-wide and the department report are mailed', async () => {
    const name = named(await listed(), 'SendSloReports').name;
    const before = Date.now();
    const { status, body } = await call('POST', `/_local/schedules/${encodeURIComponent(name)}/fire`);
    expect(status).toBe(200);
    expect(body.fired).toBe(name);
    expect(Date.parse(body.at)).toBeGreaterThanOrEqual(before - 1_000);

    const reports = await waitForMails('the SLO reports', (m) => m.subject.startsWith('SLO report'), 2);
    expect(reports.map((m) => m.destination.to.join(',')).sort()).toEqual([
      'commerce-managers@example.com',
      'engineering-leads@example.com',
    ]);
  });

  it('answers 404 naming the schedules for an unknown schedule, and 404 for an unknown admin route', async () => {
    const unknown = await call('POST', '/_local/schedules/NoSuchSchedule/fire');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe('No schedule named NoSuchSchedule');
    expect(unknown.body.schedules).toHaveLength(3);
    expect(unknown.body.fired).toBeUndefined();

    const route = await call('GET', '/_local/nothing-here');
    expect(route.status).toBe(404);
    expect(route.type).toBe('application/json');
    const wrongMethod = await call('GET', `/_local/schedules/${named(await listed(), 'Slo').name}/fire`);
    expect(wrongMethod.status).toBe(405);
  });
});

/** Runs `npm run local -- <args>` (the script's command) against a target on `port`. */
function localCli(
  args: string[],
  port: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(tsx, ['infra/local/local-cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, HOTLINE_AWS_PORT: port, HOTLINE_HOST: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

describe('npm run local', () => {
  const port = () => new URL(hotline.target.urls.aws).port;

  it('schedules: prints each schedule with its expression, time zone and next fire time', async () => {
    const run = await localCli(['schedules'], port());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const schedules = await listed();
    for (const s of schedules) {
      const line = run.stdout.split('\n').find((l) => l.startsWith(`${s.name} `));
      expect(line).toContain(s.expression);
      expect(line).toContain(`(${s.timezone})`);
    }
    const report = named(schedules, 'SendSloReports');
    // The report's time reads in its own zone, then in UTC.
    expect(run.stdout).toMatch(
      new RegExp(
        `next: Mon, \\d+ \\w+ \\d{4}, 08:00:00 Europe/London = ${report.next?.replace(/\.\d{3}Z$/, 'Z')}`,
      ),
    );
    // A schedule in UTC reads in UTC only, with how soon it is due.
    const lines = run.stdout.split('\n');
    const sweep = lines.findIndex((l) => l.startsWith(named(schedules, 'SweepUnstartedWorkflows').name));
    expect(lines[sweep + 1]?.trim()).toMatch(
      /^next: \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z \(in \d+ (s|min \d+ s)\)$/,
    );
  });

  it('fire: fires the one schedule a unique part of its name names, and says so', async () => {
    const reminders = named(await listed(), 'SweepActionReminders').name;
    const run = await localCli(['fire', 'action-reminders'], port());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Fired ${reminders} at \\d{4}-\\d{2}-\\d{2}T`));
  });

  it('fire: refuses a name that matches several schedules, listing them, and fires none', async () => {
    const before = (await mails()).length;
    const run = await localCli(['fire', 'schedules'], port());
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('"schedules" matches 3 schedules');
    for (const s of await listed()) expect(run.stderr).toContain(`  ${s.name}`);
    const none = await localCli(['fire', 'no-such-thing'], port());
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('No schedule matches "no-such-thing"');
    expect((await mails()).length).toBe(before);
  });

  it('says clearly when no local target is listening', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const free = String((probe.address() as { port: number }).port);
    await new Promise((r) => probe.close(r));
    const run = await localCli(['schedules'], free);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      `Nothing is listening on http://127.0.0.1:${free}: start the local target with \`npm start\`, or set HOTLINE_AWS_PORT to the port it printed as "AWS endpoint".`,
    );
  });
});

describe('HOTLINE_TIME_SCALE', () => {
  it.each(['2', '0', '-0.5', 'fast'])('stops npm start with one clear line for %s', async (value) => {
    const run = await new Promise<{ code: number | null; stderr: string }>((resolveRun, reject) => {
      const child = spawn(tsx, ['infra/local/start.ts'], {
        cwd: root,
        env: { ...process.env, HOTLINE_TIME_SCALE: value },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolveRun({ code, stderr });
      });
    });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      `HOTLINE_TIME_SCALE=${value} is not a factor above 0 and at most 1 (e.g. 0.001: a day's wait takes 86 s)`,
    );
  });
});

describe('sent mail across a restart', () => {
  let dir: string;
  let target: LocalTarget | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-mail-restart-'));
  });
  afterAll(async () => {
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const sesOf = (t: { urls: { ses: string } }) =>
    new SESv2Client({
      endpoint: t.urls.ses,
      region: hotline.target.model.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  const start = () =>
    startLocalTarget({
      assemblyDir: inject('hotlineAssembly'),
      stackName: 'Hotline',
      dataDir: join(dir, 'data'),
      ports: { api: 0, ses: 0, aws: 0, dynamodb: 0 },
      log: () => undefined,
      iam: 'enforce',
    });
  const storeOf = async (t: { urls: { ses: string } }) =>
    ((await (await fetch(`${t.urls.ses}/store`)).json()) as { emails: Array<Mail & { messageId: string }> })
      .emails;
  const mailFile = () => join(dir, 'data', 'mail.json');
  const saved = () =>
    existsSync(mailFile())
      ? (JSON.parse(readFileSync(mailFile(), 'utf8')) as { emails: Array<Mail & { messageId: string }> })
          .emails
      : [];

  it('keeps the mail a target sent, and only its own, in its data folder; a new target shows it', async () => {
    const first = await start();
    target = first;
    const declared = await fetch(`${first.urls.api}/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.operatorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        summary: 'Checkout payments failing for EU cards',
        description: 'About 30% of EU card payments fail at checkout.',
        severity: 2,
        service: 'checkout',
      }),
    });
    expect(declared.status).toBe(201);
    const { key } = (await declared.json()) as { key: string };
    const page = await eventually(
      async () => (await storeOf(first)).find(about(key)),
      `the mail about ${key}`,
      30_000,
    );
    // A large raw mail (an attachment of 300 KB, read in many chunks) sent straight to the endpoint is its too.
    const attachment = Buffer.alloc(300_000, 'report row\n').toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw = [
      'From: hotline@example.com',
      'To: someone@example.com',
      `Subject: ${key} - a large raw mail`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'See the attachment.',
      '--b',
      'Content-Type: text/csv; name="rows.csv"',
      'Content-Disposition: attachment; filename="rows.csv"',
      'Content-Transfer-Encoding: base64',
      '',
      attachment,
      '--b--',
      '',
    ].join('\r\n');
    await sesOf(first).send(new SendEmailCommand({ Content: { Raw: { Data: Buffer.from(raw) } } }));
    // Meanwhile the suite's other target, in this process and so on the same store, sends a mail of its own.
    await sesOf(hotline.target).send(
      new SendEmailCommand({
        FromEmailAddress: 'hotline@example.com',
        Destination: { ToAddresses: ['someone@example.com'] },
        Content: {
          Simple: { Subject: { Data: 'Not the restarted target’s' }, Body: { Text: { Data: '.' } } },
        },
      }),
    );
    const theirs = (m: Mail) => m.subject === 'Not the restarted target’s';
    expect((await storeOf(first)).some(theirs)).toBe(true);
    // Saved shortly after they were sent, while the target runs: a crash would not lose them.
    await eventually(
      async () =>
        saved().some((m) => m.messageId === page.messageId) &&
        saved().some((m) => m.subject.endsWith('a large raw mail'))
          ? true
          : undefined,
      'the mails in mail.json',
    );

    await first.stop();
    target = undefined;
    // The folder holds this target's mail only, not the other target's.
    const archived = saved();
    expect(archived.length).toBeGreaterThan(0);
    expect(archived.every((m) => m.subject.startsWith(`${key} - `))).toBe(true);
    expect(archived.some(theirs)).toBe(false);
    expect((await mails()).some(theirs)).toBe(true);
    // A stopped target's mail leaves the store this process shares, as it would with the process.
    expect((await mails()).some(about(key))).toBe(false);

    const second = await start();
    target = second;
    const restored = await storeOf(second);
    expect(restored.filter((m) => m.messageId === page.messageId)).toEqual([page]);
    for (const mail of archived) expect(restored.some((m) => m.messageId === mail.messageId)).toBe(true);
  });

  it("clearing the mail viewer clears the folder's mail, so it does not come back", async () => {
    const running = target;
    if (!running) throw new Error('the restarted target is not running');
    expect(saved().length).toBeGreaterThan(0);
    expect((await fetch(`${running.urls.ses}/clear-store`, { method: 'POST' })).status).toBe(200);
    await eventually(async () => (saved().length === 0 ? true : undefined), 'mail.json emptied');
  });
});
