import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { CliError } from './api.ts';

/** RFC 3986 escaping, as SigV4 canonicalises a query (the SDK's `escapeUri`): `%20` for a space. */
export const escapeUri = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The query as SigV4 takes it: each name with its decoded value, or values when it repeats. */
function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const had = query[name];
    query[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  return query;
}

/** The query string to send: the same names and values, escaped as they were signed. */
function encodedQuery(query: Record<string, string | string[]>): string {
  return Object.entries(query)
    .flatMap(([name, value]) =>
      (Array.isArray(value) ? value : [value]).map((v) => `${escapeUri(name)}=${escapeUri(v)}`),
    )
    .join('&');
}

/** Credentials from `env` when it names a key (as the default chain would first), else the default chain. */
function credentialsOf(env: Record<string, string | undefined>): AwsCredentialIdentityProvider {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  if (accessKeyId && secretAccessKey) {
    const identity: AwsCredentialIdentity = {
      accessKeyId,
      secretAccessKey,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
    return async () => identity;
  }
  return defaultProvider();
}

/**
 * Signs like the AWS CLI does, for API Gateway's IAM authorizer (service execute-api): returns the URL to
 * send, whose query is the one signed, byte for byte, and the signed headers.
 */
export async function signRequest(
  env: Record<string, string | undefined>,
  method: string,
  address: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ url: URL; headers: Record<string, string> }> {
  const url = new URL(address);
  const region = /execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(url.hostname)?.[1] ?? env.AWS_REGION;
  if (!region)
    throw new CliError('cannot tell the region: set AWS_REGION or HOTLINE_TOKEN for the local target');
  const query = queryOf(url);
  url.search = encodedQuery(query);
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: credentialsOf(env),
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    path: url.pathname,
    query,
    headers: { ...headers, host: url.host },
    ...(body ? { body } : {}),
  });
  return { url, headers: signed.headers as Record<string, string> };
}
