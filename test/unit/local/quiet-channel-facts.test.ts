import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalSesAccount } from '../../../infra/local/ses-account.ts';
import { MessageArchive, smsVoiceOperations } from '../../../infra/local/sms-voice.ts';

/** The local target answers the channel check's reads as AWS would: the suppression list, the opt-out list. */

const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'quiet-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the local SES account', () => {
  it('suppresses for the reasons it names, answers GetSuppressedDestination, and keeps the list across restarts', () => {
    const dir = dataDir();
    const off = new LocalSesAccount(dir);
    off.suppress('ada@example.com', 'BOUNCE');
    expect(off.answer('GET', '/v2/email/suppression/addresses/ada%40example.com', '')).toMatchObject({
      status: 404,
      errorType: 'NotFoundException',
    });
    expect(off.answer('PUT', '/v2/email/account/suppression', '{"SuppressedReasons":["BOUNCE"]}')).toEqual({
      status: 200,
      body: {},
    });
    off.suppress('Ada@Example.com', 'BOUNCE');
    off.suppress('grace@example.com', 'COMPLAINT');
    const again = new LocalSesAccount(dir);
    expect(again.answer('GET', '/v2/email/suppression/addresses/ada%40example.com', '')).toMatchObject({
      status: 200,
      body: { SuppressedDestination: { EmailAddress: 'ada@example.com', Reason: 'BOUNCE' } },
    });
    expect(again.isSuppressed('grace@example.com')).toBe(false);
    expect(again.answer('GET', '/v2/email/account', '')?.body).toMatchObject({
      ProductionAccessEnabled: true,
      SuppressionAttributes: { SuppressedReasons: ['BOUNCE'] },
    });
    // The operators' remedy works locally too.
    expect(again.answer('DELETE', '/v2/email/suppression/addresses/ada%40example.com', '')?.status).toBe(200);
    expect(again.isSuppressed('ada@example.com')).toBe(false);
    expect(again.answer('GET', '/v2/email/outbound-emails', '')).toBeUndefined();
  });
});

describe('the local SMS and Voice reads', () => {
  it('answers DescribeOptedOutNumbers from the numbers that texted STOP, on the default list only', () => {
    const archive = new MessageArchive(dataDir());
    const ops = smsVoiceOperations(archive);
    archive.applyKeyword('+447700900123', 'STOP');
    const describe = ops['PinpointSMSVoiceV2.DescribeOptedOutNumbers'];
    expect(describe?.({ OptOutListName: 'Default', OptedOutNumbers: ['+447700900123'] })).toMatchObject({
      OptedOutNumbers: [{ OptedOutNumber: '+447700900123', EndUserOptedOut: true }],
    });
    expect(describe?.({ OptOutListName: 'Default', OptedOutNumbers: ['+12025550123'] })).toMatchObject({
      OptedOutNumbers: [],
    });
    expect(() => describe?.({ OptOutListName: 'Other' })).toThrow('No opt-out list named Other');
    archive.applyKeyword('+447700900123', 'START');
    expect(describe?.({ OptOutListName: 'Default' })).toMatchObject({ OptedOutNumbers: [] });
    expect(ops['PinpointSMSVoiceV2.DescribeAccountAttributes']?.({})).toEqual({
      AccountAttributes: [{ Name: 'ACCOUNT_TIER', Value: 'PRODUCTION' }],
    });
  });
});
