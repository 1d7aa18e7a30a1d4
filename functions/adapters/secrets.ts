import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { liveValues } from '../core/secrets.ts';

/** Secrets are cached for five minutes per execution environment: rotation keeps the old value live longer. */
const MAX_AGE_SECONDS = 300;

/** The live credential values of the secret whose ARN is in the given environment variable. */
export async function liveSecrets(envName: string): Promise<string[]> {
  const arn = process.env[envName];
  if (!arn) throw new Error(`${envName} is not set: bind the secret to this function`);
  const value = await getSecret(arn, { maxAge: MAX_AGE_SECONDS });
  if (typeof value !== 'string') throw new Error(`secret in ${envName} is not a JSON string`);
  return liveValues(value);
}
