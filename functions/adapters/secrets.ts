import { liveValues } from '../core/secrets.ts';
import { boundEnv, port, sourceCredentialEnv } from './capabilities.ts';
import { getSecureParameter } from './parameter-store.ts';

/**
 * Credentials are cached for five minutes per execution environment: rotation keeps the old value live longer.
 * They are SecureString parameters under the AWS managed key, read with decryption (GetParameter
 * WithDecryption): the function's only grant is ssm:GetParameter on its own parameters, no KMS grant.
 */
const MAX_AGE_SECONDS = 300;

/** The live credential values of the parameter whose name is in the given environment variable. */
export async function liveSecrets(envName: string): Promise<string[]> {
  const value = await getSecureParameter(boundEnv(envName, 'secrets:alertSources'), {
    maxAge: MAX_AGE_SECONDS,
  });
  if (typeof value !== 'string') throw new Error(`the parameter in ${envName} is not a JSON string`);
  return liveValues(value);
}

/** An alert source's live credential values (its current one and, during a rotation, the previous). */
export const alertSourceSecretsPort = port(
  'secrets:alertSources',
  () => (source: string) => liveSecrets(sourceCredentialEnv(source)),
);
