import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { parseSigningKeys, type SigningKeys } from '../core/links.ts';
import { boundEnv, port } from './capabilities.ts';
import { organisation, publicBaseUrl } from './config.ts';

/** The link signing keys (cached five minutes: a rotation adds a key before it signs with it). */
export async function signingKeys(): Promise<SigningKeys> {
  const value = await getSecret(boundEnv('LINK_SIGNING_SECRET_ARN', 'links'), { maxAge: 300 });
  if (typeof value !== 'string') throw new Error('the link signing keys are not a JSON string');
  return parseSigningKeys(value);
}

/** What signed links need: the keys, and the origin the links are made on. */
export interface Links {
  signingKeys: () => Promise<SigningKeys>;
  baseUrl: string;
}

export const linksPort = port(
  'links',
  (): Links => ({ signingKeys, baseUrl: publicBaseUrl(organisation()) }),
);

/** The origin of the links a page names, for a function that shows links without signing any. */
export const publicBaseUrlPort = port('publicBaseUrl', () => publicBaseUrl(organisation()));
