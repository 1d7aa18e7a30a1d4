import {
  DeleteParameterCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';

/*
 * Parameter Store writes of the deploy-time custom resource (handlers/secure-parameter.ts). The functions that
 * read a parameter go through Powertools Parameters instead (adapters/secrets.ts, adapters/link-keys.ts).
 */

/**
 * The AWS managed key of Parameter Store: free (a customer managed key costs $1 a month). Its key policy lets
 * every principal of the account use it through Parameter Store, so no role needs a KMS grant; what a function
 * may read is decided by `ssm:GetParameter` on the parameter's ARN alone (AWS Systems Manager User Guide,
 * "Restricting decryption of SecureString parameter values").
 */
export const PARAMETER_STORE_KEY = 'alias/aws/ssm';

let client: SSMClient | undefined;
const ssm = () => {
  client ??= new SSMClient({});
  return client;
};

/**
 * Creates the SecureString parameter unless it exists (`Overwrite: false`): an existing value, retained from an
 * earlier stack or rotated by an operator, is kept. Standard tier: free, values up to 4 KB.
 */
export async function putSecureParameterOnce(
  name: string,
  value: string,
  description?: string,
): Promise<'created' | 'kept'> {
  try {
    await ssm().send(
      new PutParameterCommand({
        Name: name,
        Value: value,
        Type: 'SecureString',
        KeyId: PARAMETER_STORE_KEY,
        Tier: 'Standard',
        Overwrite: false,
        ...(description !== undefined ? { Description: description } : {}),
      }),
    );
    return 'created';
  } catch (error) {
    if (error instanceof ParameterAlreadyExists || (error as Error).name === 'ParameterAlreadyExists')
      return 'kept';
    throw error;
  }
}

/** Deletes the parameter; one already gone is not an error (a retried Delete). */
export async function deleteSecureParameter(name: string): Promise<'deleted' | 'absent'> {
  try {
    await ssm().send(new DeleteParameterCommand({ Name: name }));
    return 'deleted';
  } catch (error) {
    if (error instanceof ParameterNotFound || (error as Error).name === 'ParameterNotFound') return 'absent';
    throw error;
  }
}

/** What CloudFormation reads from a custom resource's ResponseURL. */
export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

/**
 * PUTs the answer to the pre-signed ResponseURL, as CloudFormation expects: a JSON body with no content type
 * (the URL is signed without one). Retried a few times: an unanswered resource leaves the stack waiting an hour.
 */
export async function answerCloudFormation(
  responseUrl: string,
  response: CustomResourceResponse,
): Promise<void> {
  const body = JSON.stringify(response);
  let lastError: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      const answer = await fetch(responseUrl, {
        method: 'PUT',
        body,
        headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
      });
      if (answer.ok) return;
      lastError = new Error(`the ResponseURL answered ${answer.status}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
  }
  throw lastError;
}
