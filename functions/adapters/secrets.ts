import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { liveValues } from '../core/secrets.ts';
import { boundEnv, port, sourceSecretEnv } from './capabilities.ts';

/** Secrets are cached for five minutes per execution environment: rotation keeps the old value live longer. */
const MAX_AGE_SECONDS = 300;

/** The live credential values of the secret whose ARN is in the given environment variable. */
export async function liveSecrets(envName: string): Promise<string[]> {
  const value = await getSecret(boundEnv(envName, 'secrets:alertSources'), { maxAge: MAX_AGE_SECONDS });
  if (typeof value !== 'string') throw new Error(`secret in ${envName} is not a JSON string`);
  return liveValues(value);
}

/** An alert source's live credential values (its current one and, during a rotation, the previous). */
export const alertSourceSecretsPort = port(
  'secrets:alertSources',
  () => (source: string) => liveSecrets(sourceSecretEnv(source)),
);
