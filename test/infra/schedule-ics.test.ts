import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/core/config.ts';
import { onCallAt, schedulesOf } from '../../functions/core/oncall.ts';
import { loadOrganisation } from '../../infra/config.ts';

/**
 * A schedule read from an iCalendar file (`ics` instead of `rotation`): read at synth and start by
 * loadOrganisation, from the organisation file's folder; a file that is not a rotation stops both, naming the field.
 */

const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'hotline-ics-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const weekly = (person: string, day: string, until = '') =>
  [
    'BEGIN:VEVENT',
    `UID:${person}@example.com`,
    'DTSTAMP:20260101T000000Z',
    `DTSTART;TZID=Europe/London:202601${day}T090000`,
    'DURATION:P7D',
    `RRULE:FREQ=WEEKLY;INTERVAL=3${until}`,
    `ATTENDEE:mailto:${person}@example.com`,
    'END:VEVENT',
  ].join('\r\n');
const calendar = (...events: string[]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//team//EN', ...events, 'END:VCALENDAR'].join('\r\n');

/** An organisation file in its own folder: the example with the payments schedule read from `ics`. */
function organisationWith(name: string, ics: string, schedule: Record<string, unknown> = {}): string {
  const folder = mkdtempSync(join(work, `${name}-`));
  writeFileSync(join(folder, 'payments.ics'), ics);
  const file = join(folder, 'organisation.ts');
  writeFileSync(
    file,
    [
      `import example from ${JSON.stringify(join(root, 'infra/organisation.example.ts'))};`,
      'export default {',
      '  ...example,',
      `  schedules: { ...example.schedules, payments: ${JSON.stringify({ name: 'Payments on call', timeZone: 'Europe/London', ics: './payments.ics', ...schedule })} },`,
      '};',
      '',
    ].join('\n'),
  );
  return file;
}

describe('schedules read from an iCalendar file', () => {
  it('puts the rotation the file describes in the schedule, the same people on call as the example', async () => {
    const file = organisationWith(
      'ok',
      calendar(weekly('ada', '05'), weekly('grace', '12'), weekly('alan', '19')),
    );
    const { organisation } = await loadOrganisation(file);
    expect(organisation.schedules?.payments).toEqual({
      name: 'Payments on call',
      timeZone: 'Europe/London',
      rotation: {
        members: ['ada', 'grace', 'alan'],
        handoff: { weekday: 1, time: '09:00' },
        shift: 'weekly',
        start: '2026-01-05',
      },
    });
    const { organisation: example } = await loadOrganisation(join(root, 'infra/organisation.example.ts'));
    const [imported] = schedulesOf({ schedules: { payments: organisation.schedules?.payments } } as never);
    const [shipped] = schedulesOf({ schedules: { payments: example.schedules?.payments } } as never);
    for (let h = 0; h < 24 * 7 * 12; h += 5) {
      const at = new Date(Date.parse('2026-03-01T00:00:00Z') + h * 3_600_000);
      expect(onCallAt(imported as never, [], at)).toBe(onCallAt(shipped as never, [], at));
    }
  });

  it.each([
    [
      'a gap',
      calendar(weekly('ada', '05'), weekly('grace', '12')),
      /schedules\.payments\.ics \(\.\/payments\.ics\): nobody is on call/,
    ],
    [
      'someone unknown',
      calendar(weekly('ada', '05'), weekly('mallory', '12'), weekly('alan', '19')),
      /names none of the people/,
    ],
    ['not a calendar', 'hello', /schedules\.payments\.ics.*not an iCalendar file/],
  ])('stops at %s, naming the field', async (_, ics, message) => {
    const file = organisationWith('bad', ics);
    await expect(loadOrganisation(file)).rejects.toThrow(ConfigurationError);
    await expect(loadOrganisation(file)).rejects.toThrow(message);
  });

  it('refuses a schedule with both a rotation and a file, and a missing file', async () => {
    const both = organisationWith('both', calendar(weekly('ada', '05')), {
      rotation: { members: ['ada'], handoff: { time: '09:00' }, shift: 'daily', start: '2026-01-05' },
    });
    await expect(loadOrganisation(both)).rejects.toThrow(
      /schedules\.payments\.ics: give a rotation or an ics file, not both/,
    );
    const missing = organisationWith('missing', '', { ics: './nowhere.ics' });
    await expect(loadOrganisation(missing)).rejects.toThrow(
      /schedules\.payments\.ics: no file .*nowhere\.ics/,
    );
  });

  it('stops synth with the message and no stack trace', () => {
    const file = organisationWith('synth', calendar(weekly('ada', '05'), weekly('grace', '12')));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_OUTDIR: mkdtempSync(join(work, 'out-')),
        CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], organisation: file }),
      },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('schedules.payments.ics (./payments.ics): nobody is on call from');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
