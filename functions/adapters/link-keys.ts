import { parseSigningKeys, type SigningKeys } from '../core/links.ts';
import { boundEnv, port } from './capabilities.ts';
import { organisation, publicBaseUrl } from './config.ts';
import { getSecureParameter } from './parameter-store.ts';

/** How long the keys are cached: the parameter is read at most this often, unless a link names a key not in it. */
const KEYS_MAX_AGE_SECONDS = 300;
/** A link naming an unknown key reads the parameter again, but at most this often (forged ids must not hammer it). */
const REFETCH_INTERVAL_MS = 10_000;
let lastRefetch = Number.NEGATIVE_INFINITY;

async function readKeys(forceFetch: boolean): Promise<SigningKeys> {
  // A SecureString under the AWS managed key: decrypted by Parameter Store, with no KMS grant to the function.
  const value = await getSecureParameter(boundEnv('LINK_SIGNING_KEYS_PARAMETER', 'links'), {
    maxAge: KEYS_MAX_AGE_SECONDS,
    ...(forceFetch ? { forceFetch: true } : {}),
  });
  if (typeof value !== 'string') throw new Error('the link signing keys are not a JSON string');
  return parseSigningKeys(value);
}

/**
 * The link signing keys, cached five minutes. The rotation runbook adds a key and makes it active in one step,
 * so a function that cached the keys before would call a fresh link's key unknown for up to five minutes: when
 * `keyId` (the key a link names) is not among the cached keys, they are read again, once.
 */
export async function signingKeys(options: { keyId?: string | undefined } = {}): Promise<SigningKeys> {
  const cached = await readKeys(false);
  const { keyId } = options;
  if (keyId === undefined || Object.hasOwn(cached.keys, keyId)) return cached;
  const now = Date.now();
  if (now - lastRefetch < REFETCH_INTERVAL_MS) return cached;
  lastRefetch = now;
  return readKeys(true);
}

/** What signed links need: the keys (those that include a link's key, when named), and the links' origin. */
export interface Links {
  signingKeys: (options?: { keyId?: string | undefined }) => Promise<SigningKeys>;
  baseUrl: string;
}

export const linksPort = port(
  'links',
  (): Links => ({ signingKeys, baseUrl: publicBaseUrl(organisation()) }),
);

/** The origin of the links a page names, for a function that shows links without signing any. */
export { publicBaseUrlPort } from './config.ts';
