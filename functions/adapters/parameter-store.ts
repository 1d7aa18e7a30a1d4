import { BaseProvider } from '@aws-lambda-powertools/parameters/base';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

/*
 * Reads SecureString parameters (the credentials: adapters/secrets.ts, adapters/link-keys.ts) with one signed
 * GetParameter call (WithDecryption) through Powertools Parameters' BaseProvider, which gives the cache, maxAge
 * and forceFetch of its own SSM provider. Not that provider itself: it imports @aws-sdk/client-ssm, whose client
 * registers all of SSM's ~190 error classes and their schemas when it loads, measured at +65 to +90 KB minified
 * in every function that reads a credential (against issue 23's 400 KB per function), where this adds about 6
 * KB: SigV4 signing and the credentials from the environment (as Lambda sets them) are in every bundle already. The deploy-time custom resource, whose size
 * does not matter, uses the SDK client (adapters/secure-parameters.ts).
 */

export class ParameterStoreError extends Error {
  constructor(
    name: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = name;
  }
}

const MAX_ATTEMPTS = 3;
const ATTEMPT_TIMEOUT_MS = 5_000;

/** Throttling, a server error or a lost connection is worth another try; a refusal (4xx) is not. */
const retryable = (error: unknown) =>
  !(error instanceof ParameterStoreError) || error.status >= 500 || error.name === 'ThrottlingException';

/** The SDK's endpoint resolution for SSM: its own variable, the general one, else the regional endpoint. */
function endpoint(region: string): URL {
  const configured = process.env.AWS_ENDPOINT_URL_SSM ?? process.env.AWS_ENDPOINT_URL;
  if (configured) return new URL(configured);
  return new URL(`https://ssm.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}/`);
}

class SecureParameterReader extends BaseProvider {
  private signer: SignatureV4 | undefined;

  constructor() {
    super({});
  }

  /** GetParameter with decryption: awsJson1.1, `X-Amz-Target: AmazonSSM.GetParameter`, signed with SigV4. */
  override async _get(name: string): Promise<string | undefined> {
    const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
    this.signer ??= new SignatureV4({
      service: 'ssm',
      region,
      credentials: fromEnv(),
      sha256: Sha256,
    });
    const url = endpoint(region);
    const body = JSON.stringify({ Name: name, WithDecryption: true });
    let lastError: unknown;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try {
        return await this.call(url, body);
      } catch (error) {
        lastError = error;
        if (!retryable(error) || attempt === MAX_ATTEMPTS) break;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** attempt));
      }
    }
    throw lastError;
  }

  private async call(url: URL, body: string): Promise<string | undefined> {
    const signed = await (this.signer as SignatureV4).sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: {},
      headers: {
        host: url.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonSSM.GetParameter',
      },
      body,
    });
    const response = await fetch(url, {
      method: 'POST',
      headers: signed.headers,
      body,
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    const text = await response.text();
    const json = (text ? JSON.parse(text) : {}) as {
      Parameter?: { Value?: string };
      __type?: string;
      message?: string;
      Message?: string;
    };
    if (!response.ok) {
      // `__type` may carry a namespace (`com.amazonaws...#ParameterNotFound`), as the SDK reads it.
      const code = (json.__type ?? `Http${response.status}`).split('#').pop() ?? 'Unknown';
      throw new ParameterStoreError(code, json.message ?? json.Message ?? code, response.status);
    }
    return json.Parameter?.Value;
  }

  override async _getMultiple(): Promise<Record<string, unknown>> {
    throw new Error('reading parameters by path is not supported');
  }
}

let reader: SecureParameterReader | undefined;

/** A SecureString parameter's value, decrypted, cached `maxAge` seconds per execution environment. */
export function getSecureParameter(
  name: string,
  options: { maxAge: number; forceFetch?: boolean },
): Promise<unknown> {
  reader ??= new SecureParameterReader();
  return reader.get(name, options);
}
