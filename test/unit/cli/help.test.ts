import { describe, expect, it } from 'vitest';
import { type CliIo, commandNames, run } from '../../../functions/cli/incident.ts';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    env: {},
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    fetch: () => Promise.reject(new Error('--help must not call the API')),
  };
  return { cli, out, err };
}

describe('incident --help', () => {
  it('lists every command and subcommand, with the exit statuses', async () => {
    const { cli, out } = io();
    expect(await run(['--help'], cli)).toBe(0);
    const text = out.join('\n');
    expect(commandNames.length).toBeGreaterThanOrEqual(20);
    for (const name of commandNames) expect(text).toContain(`  ${name} `);
    expect(text).toMatch(/0 {2}done[\s\S]*1 {2}failed[\s\S]*2 {2}refused[\s\S]*3 {2}stale/);
  });

  it.each(commandNames)('%s --help prints its usage and exits 0 without calling the API', async (name) => {
    const { cli, out, err } = io();
    const words = name.split(' ');
    expect(await run([...words, '--help'], cli)).toBe(0);
    expect(out.join('\n')).toMatch(new RegExp(`^Usage: incident ${name} `));
    expect(err).toEqual([]);
    const short = io();
    expect(await run([...words, 'HOT-1', '-h'], short.cli)).toBe(0);
    expect(short.out.join('\n')).toBe(out.join('\n'));
    const viaHelp = io();
    expect(await run(['help', ...words], viaHelp.cli)).toBe(0);
    expect(viaHelp.out.join('\n')).toBe(out.join('\n'));
  });

  it.each(['postmortem', 'action'])('%s --help lists its subcommands', async (group) => {
    const { cli, out } = io();
    expect(await run([group, '--help'], cli)).toBe(0);
    expect(out.join('\n')).toMatch(new RegExp(`^Usage: incident ${group} <command>`));
    for (const name of commandNames.filter((n) => n.startsWith(`${group} `)))
      expect(out.join('\n')).toContain(`  ${name.slice(group.length + 1)} `);
  });

  it('refuses with exit 2 what it does not know, and a group without its subcommand', async () => {
    for (const args of [[], ['nope'], ['postmortem'], ['postmortem', 'nope'], ['list', '--nope']]) {
      const { cli, err } = io();
      expect(await run(args, cli), args.join(' ')).toBe(2);
      expect(err.join('\n')).not.toBe('');
    }
  });
});
