import {
  GetSecretValueCommand,
  ListSecretsCommand,
  type SecretListEntry,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { isLegacyLogicalId } from '../core/secure-parameters.ts';

/*
 * The Secrets Manager secrets of 0.2.0, read once by the deploy-time custom resource (handlers/secure-parameter.ts)
 * so that an upgrade carries their values into the parameters that replace them.
 *
 * CloudFormation tags what it creates with `aws:cloudformation:stack-name` and `aws:cloudformation:logical-id`
 * (CloudFormation Template Reference, "CloudFormation resource tagging"), and during a stack update it creates new
 * resources first and deletes the ones the new template dropped last, in the UPDATE_COMPLETE_CLEANUP_IN_PROGRESS
 * phase (CloudFormation User Guide, "Monitor the progress of a stack update" and "Understand update behaviors of
 * stack resources": it "first creates a new resource and then deletes the old resource"). So while the new
 * parameters are created, the old secrets of the same stack still exist and can be found by their tags.
 */

let client: SecretsManagerClient | undefined;
const secretsManager = () => {
  client ??= new SecretsManagerClient({});
  return client;
};

const STACK_NAME_TAG = 'aws:cloudformation:stack-name';
const LOGICAL_ID_TAG = 'aws:cloudformation:logical-id';

export interface LegacySecret {
  /** The secret's name (for logs); the value is never logged. */
  name: string;
  arn: string;
  secretString: string | undefined;
}

export class LegacySecretLookupError extends Error {
  override name = 'LegacySecretLookupError';
}

/**
 * The secret stack `stackName` created as `<legacyId><hash>`, with its value; undefined when it has none (a
 * stack that never ran 0.2.0). A refused or failed call throws: the caller must not take "could not look" for
 * "nothing there", which would replace every credential in use.
 */
export async function findLegacySecret(
  stackName: string,
  legacyId: string,
): Promise<LegacySecret | undefined> {
  const matches: SecretListEntry[] = [];
  let nextToken: string | undefined;
  try {
    do {
      // tag-key and tag-value match any tag each (and by prefix): the exact pair is checked below.
      const page = await secretsManager().send(
        new ListSecretsCommand({
          Filters: [
            { Key: 'tag-key', Values: [STACK_NAME_TAG] },
            { Key: 'tag-value', Values: [stackName] },
          ],
          MaxResults: 100,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      for (const secret of page.SecretList ?? []) {
        const tag = (key: string) => secret.Tags?.find((t) => t.Key === key)?.Value;
        const logicalId = tag(LOGICAL_ID_TAG);
        if (
          tag(STACK_NAME_TAG) === stackName &&
          logicalId !== undefined &&
          isLegacyLogicalId(logicalId, legacyId)
        )
          matches.push(secret);
      }
      nextToken = page.NextToken;
    } while (nextToken);
  } catch (error) {
    throw new LegacySecretLookupError(
      `could not look for the 0.2.0 secret ${legacyId} of stack ${stackName} (secretsmanager:ListSecrets: ${describe(error)}); nothing was generated, so the credential in use is not replaced`,
    );
  }
  if (matches.length === 0) return undefined;
  if (matches.length > 1)
    throw new LegacySecretLookupError(
      `stack ${stackName} has ${matches.length} secrets tagged as ${legacyId} (${matches.map((s) => s.Name).join(', ')}): not guessing which value to carry over`,
    );
  const secret = matches[0] as SecretListEntry;
  const arn = secret.ARN ?? '';
  try {
    const value = await secretsManager().send(new GetSecretValueCommand({ SecretId: arn }));
    return { name: secret.Name ?? arn, arn, secretString: value.SecretString };
  } catch (error) {
    throw new LegacySecretLookupError(
      `could not read the 0.2.0 secret ${secret.Name ?? arn} of stack ${stackName} (secretsmanager:GetSecretValue: ${describe(error)}); nothing was generated, so the credential in use is not replaced`,
    );
  }
}

const describe = (error: unknown): string => {
  const e = error as Error;
  return `${e.name ?? 'Error'}: ${e.message ?? String(error)}`.slice(0, 300);
};

/** The stack's name, from the custom resource event's StackId (`arn:...:stack/<name>/<id>`). */
export function stackNameOf(stackId: string): string {
  const name = /:stack\/([^/]+)\//.exec(stackId)?.[1];
  if (!name) throw new Error(`StackId ${JSON.stringify(stackId)} does not name a stack`);
  return name;
}
