import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Parameter Store's GetParameter, for unit tests of the functions that read their credentials
 * (functions/adapters/parameter-store.ts signs and sends the call itself, so there is no SDK client to mock).
 * Answers each `AmazonSSM.GetParameter` from `values`, records every request, and points the functions at itself
 * through AWS_ENDPOINT_URL_SSM, as the local target does.
 */
export interface FakeParameterStore {
  values: Map<string, string>;
  requests: Array<{
    target: string | undefined;
    body: Record<string, unknown>;
    headers: IncomingHttpHeaders;
  }>;
  /** Answers the next `count` calls with this status and error type instead. */
  failNext(count: number, status: number, type: string): void;
  close(): Promise<void>;
}

export async function fakeParameterStore(values: Record<string, string> = {}): Promise<FakeParameterStore> {
  const store: FakeParameterStore = {
    values: new Map(Object.entries(values)),
    requests: [],
    failNext(count, status, type) {
      failures = { count, status, type };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  let failures = { count: 0, status: 500, type: '' };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      const target = req.headers['x-amz-target'];
      store.requests.push({
        target: typeof target === 'string' ? target : undefined,
        body,
        headers: req.headers,
      });
      const answer = (status: number, json: unknown) =>
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(json));
      if (failures.count > 0) {
        failures.count--;
        return answer(failures.status, { __type: failures.type, message: `${failures.type} (fake)` });
      }
      const value = store.values.get(String(body.Name));
      if (target !== 'AmazonSSM.GetParameter' || value === undefined)
        return answer(400, {
          __type: 'ParameterNotFound',
          message: `Parameter ${String(body.Name)} not found.`,
        });
      answer(200, { Parameter: { Name: body.Name, Type: 'SecureString', Value: value, Version: 1 } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.AWS_ENDPOINT_URL_SSM = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return store;
}
