import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTimeMs } from '../../../functions/core/times.ts';

describe('isoTimeMs', () => {
  it('reads every instant as toISOString writes it', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        (date) => {
          expect(isoTimeMs(date.toISOString())).toBe(date.getTime());
        },
      ),
    );
  });

  it.each([
    ['2026-12-08', Date.UTC(2026, 11, 8)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['2026-12-08T10:30:00Z', Date.UTC(2026, 11, 8, 10, 30)],
    ['2026-12-08t10:30z', Date.UTC(2026, 11, 8, 10, 30)],
    ['2026-12-08T10:30:00.123456789+01:00', Date.UTC(2026, 11, 8, 9, 30, 0, 123)],
    ['2026-12-08T10:30:00-0530', Date.UTC(2026, 11, 8, 16, 0)],
  ])('reads %s', (value, ms) => {
    expect(isoTimeMs(value)).toBe(ms);
  });

  it.each([
    '1',
    '2026',
    'Dec 8 2026',
    'Tue, 08 Dec 2026 10:30:00 GMT',
    '2026-02-29',
    '2026-02-31T00:00:00Z',
    '2026-13-01',
    '2026-12-08T24:00:00Z',
    '2026-12-08T10:60:00Z',
    '2026-12-08T10:30:00+15:00',
    '2026-12-08T10:30:00 UTC',
    ' 2026-12-08',
    '',
  ])('refuses %j, which Date.parse may take', (value) => {
    expect(isoTimeMs(value)).toBeUndefined();
  });
});
