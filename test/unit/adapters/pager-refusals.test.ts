import { describe, expect, it } from 'vitest';
import { refusalOf } from '../../../functions/adapters/pager.ts';

/** How the End User Messaging errors a page can meet are read: for good (which reason), or worth a retry. */
const serviceError = (name: string, reason?: string) =>
  Object.assign(new Error(`${name} from the service`), { name, ...(reason ? { Reason: reason } : {}) });

describe('a refused page', () => {
  it.each([
    ['ServiceQuotaExceededException', 'MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT', 'spend-limit'],
    ['ServiceQuotaExceededException', 'MONTHLY_SPEND_LIMIT_REACHED_FOR_VOICE', 'spend-limit'],
    ['ServiceQuotaExceededException', 'PHONE_NUMBERS_PER_ACCOUNT', 'not-permitted'],
    ['ConflictException', 'DESTINATION_PHONE_NUMBER_OPTED_OUT', 'opted-out'],
    ['ValidationException', 'INVALID_PARAMETER', 'invalid'],
    ['AccessDeniedException', undefined, 'not-permitted'],
  ])('%s %s is refused as %s', (name, reason, expected) => {
    expect(refusalOf(serviceError(name, reason))).toEqual({
      reason: expected,
      detail: reason ? `${name}/${reason}` : name,
    });
  });

  it('is not a throttle or a fault of the service (those are retried)', () => {
    expect(refusalOf(serviceError('ThrottlingException'))).toBeUndefined();
    expect(refusalOf(serviceError('InternalServerException'))).toBeUndefined();
    expect(refusalOf('not an error')).toBeUndefined();
  });
});
