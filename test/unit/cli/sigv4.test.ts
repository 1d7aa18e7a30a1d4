import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { type CliIo, run } from '../../../functions/cli/incident.ts';

/**
 * The CLI's requests against the SDK's own signer: what API Gateway's IAM authorizer checks is the signature
 * of the request as it arrives, so the reference signs the query decoded from the URL that was sent (RFC 3986
 * percent-decoding: `+` is a plus, not a space).
 */
const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const base = 'https://abc123defg.execute-api.eu-west-1.amazonaws.com';

interface Sent {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

async function send(args: string[], answer: unknown): Promise<Sent> {
  const sent: Sent[] = [];
  const io: CliIo = {
    env: {
      HOTLINE_URL: base,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    out: () => undefined,
    err: (line) => {
      throw new Error(line);
    },
    fetch: async (input, init) => {
      sent.push({
        url: new URL(String(input)),
        method: init?.method ?? 'GET',
        headers: init?.headers as Record<string, string>,
        ...(typeof init?.body === 'string' ? { body: init.body } : {}),
      });
      return new Response(JSON.stringify(answer), { status: 200 });
    },
  };
  expect(await run(args, io)).toBe(0);
  expect(sent).toHaveLength(1);
  return sent[0] as Sent;
}

/** The query as the receiving end reads the raw query string. */
function receivedQuery(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const pair of url.search.slice(1).split('&').filter(Boolean)) {
    const [name = '', value = ''] = pair.split('=').map(decodeURIComponent);
    const had = query[name];
    query[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  return query;
}

async function reference(request: Sent): Promise<string> {
  const amzDate = request.headers['x-amz-date'] ?? '';
  const signingDate = new Date(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  const { authorization: _, ...headers } = request.headers;
  const signer = new SignatureV4({
    service: 'execute-api',
    region: 'eu-west-1',
    credentials,
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      path: decodeURIComponent(request.url.pathname),
      query: receivedQuery(request.url),
      headers: { ...headers, host: request.url.host },
      ...(request.body ? { body: request.body } : {}),
    },
    { signingDate },
  );
  return (signed.headers as Record<string, string>).authorization ?? '';
}

describe('the CLI signs what it sends (SigV4)', () => {
  it.each([
    ['a space', 'payments api'],
    ['reserved characters', "a+b&c=d/e?f#g!h*i'j(k)l~m,n;o:p@q$r"],
    ['non-ASCII', 'zahlungsdienst ü €'],
  ])('a query with %s matches the SDK signer and is sent as signed', async (_, service) => {
    const request = await send(['list', '--service', service, '--status', 'open'], { incidents: [] });
    expect(request.url.search).not.toContain('+');
    expect(receivedQuery(request.url)).toEqual({ service, status: 'open' });
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request/,
    );
    expect(request.headers.authorization).toBe(await reference(request));
  });

  it('signs a relative time and several filters, and a body', async () => {
    const listed = await send(['actions', '--team', 'SRE & Ops', '--due-before', 'in 2 weeks', '--overdue'], {
      actions: [],
    });
    expect(receivedQuery(listed.url)).toMatchObject({ ownerTeam: 'SRE & Ops', overdue: 'true' });
    expect(listed.headers.authorization).toBe(await reference(listed));
    const acknowledged = await send(['acknowledge', 'HOT-7', '--as', 'im+oncall@example.com'], {
      outcome: 'acknowledged',
      acknowledgedBy: 'im+oncall@example.com',
    });
    expect(acknowledged.body).toBe('{"incidentManager":"im+oncall@example.com"}');
    expect(acknowledged.headers.authorization).toBe(await reference(acknowledged));
  });
});
