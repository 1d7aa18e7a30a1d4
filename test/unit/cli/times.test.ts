import { describe, expect, it } from 'vitest';
import { timeArg } from '../../../functions/cli/args.ts';

const now = Date.parse('2026-12-06T21:30:00.000Z');
const at = (ms: number) => new Date(now + ms).toISOString();

describe('relative times', () => {
  it.each([
    ['30 minutes', 'past', at(-30 * 60_000)],
    ['30 minutes', 'future', at(30 * 60_000)],
    ['30 minutes ago', 'future', at(-30 * 60_000)],
    ['in 2h', 'past', at(2 * 3_600_000)],
    ['in 2 hours', 'past', at(2 * 3_600_000)],
    ['2h', 'past', at(-2 * 3_600_000)],
    ['1.5 days ago', 'future', at(-36 * 3_600_000)],
    ['in 2 weeks', 'past', at(14 * 86_400_000)],
    ['+30', 'past', at(30 * 60_000)],
    ['now', 'past', at(0)],
    ['2026-12-01T10:00:00Z', 'past', '2026-12-01T10:00:00Z'],
  ] as const)('%s (a bare duration counts %s) is %s', (text, bare, expected) => {
    expect(timeArg(text, bare, now)).toBe(expected);
  });

  it('leaves an absent time absent and refuses a unit it does not know', () => {
    expect(timeArg(undefined, 'past', now)).toBeUndefined();
    expect(() => timeArg('3 fortnights', 'past', now)).toThrow(/is not a time/);
    expect(() => timeArg('in 2h ago', 'past', now)).toThrow(/is not a time/);
  });
});
