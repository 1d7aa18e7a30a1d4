import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getSecureParameter } from '../../functions/adapters/parameter-store.ts';
import { type FakeParameterStore, fakeParameterStore } from '../support/fake-parameter-store.ts';

/*
 * The functions' reader of SecureString parameters signs and sends GetParameter itself (no SDK client: see the
 * adapter's comment). It must look to Parameter Store as the SDK's call does, and keep Powertools' caching.
 */

let store: FakeParameterStore;
beforeAll(async () => {
  store = await fakeParameterStore();
});
afterAll(() => store.close());
beforeEach(() => {
  store.requests.length = 0;
});

const credentialScope = (authorization: string | undefined) =>
  /Credential=[^/]+\/\d{8}\/([^,]+),/.exec(authorization ?? '')?.[1];
const signedHeaders = (authorization: string | undefined) =>
  /SignedHeaders=([^,]+),/.exec(authorization ?? '')?.[1]?.split(';') ?? [];

describe('reading a SecureString parameter', () => {
  it('sends GetParameter with decryption, signed for ssm in the region as the SDK signs it', async () => {
    store.values.set('/hotline/T/a', '{"current":"x"}');

    expect(await getSecureParameter('/hotline/T/a', { maxAge: 300 })).toBe('{"current":"x"}');
    const sdk = new SSMClient({ endpoint: process.env.AWS_ENDPOINT_URL_SSM, maxAttempts: 1 });
    await sdk.send(new GetParameterCommand({ Name: '/hotline/T/a', WithDecryption: true }));
    sdk.destroy();

    const [ours, theirs] = store.requests;
    expect(ours?.target).toBe('AmazonSSM.GetParameter');
    expect(ours?.body).toEqual(theirs?.body);
    expect(ours?.headers['content-type']).toBe(theirs?.headers['content-type']);
    expect(credentialScope(ours?.headers.authorization)).toBe('us-east-1/ssm/aws4_request');
    expect(credentialScope(ours?.headers.authorization)).toBe(credentialScope(theirs?.headers.authorization));
    expect(signedHeaders(ours?.headers.authorization)).toEqual(
      expect.arrayContaining(['content-type', 'host', 'x-amz-date', 'x-amz-target']),
    );
  });

  it('keeps a value for maxAge, and reads it again when forced (a link naming a key not cached)', async () => {
    store.values.set('/hotline/T/b', 'one');
    expect(await getSecureParameter('/hotline/T/b', { maxAge: 300 })).toBe('one');
    store.values.set('/hotline/T/b', 'two');
    expect(await getSecureParameter('/hotline/T/b', { maxAge: 300 })).toBe('one');
    expect(await getSecureParameter('/hotline/T/b', { maxAge: 300, forceFetch: true })).toBe('two');
    expect(store.requests).toHaveLength(2);
  });

  it('retries throttling and server errors, a bounded number of times', async () => {
    store.values.set('/hotline/T/c', 'v');
    store.failNext(2, 400, 'ThrottlingException');
    expect(await getSecureParameter('/hotline/T/c', { maxAge: 300 })).toBe('v');
    expect(store.requests).toHaveLength(3);

    store.requests.length = 0;
    store.values.set('/hotline/T/d', 'v');
    store.failNext(5, 500, 'InternalServerError');
    await expect(getSecureParameter('/hotline/T/d', { maxAge: 300 })).rejects.toThrow(/InternalServerError/);
    expect(store.requests).toHaveLength(3);
  });

  it('does not retry a refusal, and says what was refused', async () => {
    store.failNext(1, 400, 'com.amazonaws.ssm#AccessDeniedException');
    const error = await getSecureParameter('/hotline/T/e', { maxAge: 300 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(((error as Error).cause as Error).name).toBe('AccessDeniedException');
    expect(store.requests).toHaveLength(1);
    await expect(getSecureParameter('/hotline/T/missing', { maxAge: 300 })).rejects.toThrow(/not found/);
  });
});
