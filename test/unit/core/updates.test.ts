import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/core/errors.ts';
import { parseUpdate } from '../../../functions/core/updates.ts';

const update = {
  summary: 'Card payments fail at the provider.',
  status: ['Payments failing', 'Provider engaged'],
  nextSteps: ['Fail over', 'Tell support'],
  impact: 'Customers cannot pay by card.',
  customers: { internal: 0, external: 'unknown' },
  rootCause: 'currently unknown',
  eta: '2026-12-08T12:00:00Z',
  nextUpdateAt: '2026-12-08T11:00:00+01:00',
};

describe('parseUpdate', () => {
  it('takes the checklist with ISO-8601 times, or "no ETA"', () => {
    expect(parseUpdate(update)).toMatchObject({ eta: update.eta, nextUpdateAt: update.nextUpdateAt });
    expect(parseUpdate({ ...update, eta: 'no ETA' }).eta).toBe('no ETA');
  });

  it('names each missing item', () => {
    const { eta: _eta, nextUpdateAt: _next, ...rest } = update;
    expect(() => parseUpdate(rest)).toThrow(/ETA is missing.*next update time is missing/);
  });

  it.each([
    [{ eta: '1' }, /ETA/],
    [{ nextUpdateAt: 'Dec 8 2026 11:00' }, /nextUpdateAt: next update time must be an ISO-8601 time/],
    [{ nextUpdateAt: '2026-02-30T11:00:00Z' }, /next update time must be an ISO-8601 time/],
  ])('refuses %j, naming it', (change, message) => {
    expect(() => parseUpdate({ ...update, ...change })).toThrow(ValidationError);
    expect(() => parseUpdate({ ...update, ...change })).toThrow(message);
  });
});
