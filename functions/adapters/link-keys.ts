import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { parseSigningKeys, type SigningKeys } from '../core/links.ts';

/** The link signing keys (cached five minutes: a rotation adds a key before it signs with it). */
export async function signingKeys(): Promise<SigningKeys> {
  const arn = process.env.LINK_SIGNING_SECRET_ARN;
  if (!arn)
    throw new Error('LINK_SIGNING_SECRET_ARN is not set: bind the link signing keys to this function');
  const value = await getSecret(arn, { maxAge: 300 });
  if (typeof value !== 'string') throw new Error('the link signing keys are not a JSON string');
  return parseSigningKeys(value);
}
