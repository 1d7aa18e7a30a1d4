import type { Server } from 'node:http';
import * as sesModule from 'aws-ses-v2-local';

/**
 * aws-ses-v2-local: accepts SES v1 and v2 SendEmail (and SendRawEmail), shows a mail viewer at `/` and returns
 * sent mail at `GET /store` for tests. Its store lives in the module, so every target in one process shares it.
 */

type Start = (config?: { host?: string; port?: number }) => Promise<Server>;

const mod = sesModule as unknown as { default?: Start | { default?: Start } };
const start = (typeof mod.default === 'function' ? mod.default : mod.default?.default) as Start;

export async function startSes(host: string, port: number): Promise<Server> {
  return start({ host, port });
}
