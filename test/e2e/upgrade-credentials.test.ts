import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LinkClaims, parseSigningKeys, signLink, verifyLink } from '../../functions/core/links.ts';
import {
  alertSourceParameterName,
  alertSources,
  linkSigningKeysParameterName,
  pascalCase,
} from '../../infra/constructs/secrets.ts';
import { eventually } from '../support/eventually.ts';
import { fixture } from '../support/fixtures.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * An upgrade from 0.2.0 keeps the credentials. The data folder holds what a 0.2.0 deployment left in it: its
 * Secrets Manager secrets in secrets.json, under the logical ids CDK gave 0.2.0's secrets (construct ids
 * `AlertSourceSecret<Source>` and `LinkSigningKeys` at the stack's root), in the shape 0.2.0 stored them. The
 * current stack declares no secret: its start is the stack update, whose custom resources find the old secrets
 * by their CloudFormation tags (IAM enforced) and write their values to the parameters, before the cleanup
 * deletes the secrets. An alert with the old credential is accepted and a link the old keys signed verifies.
 */

const random = (length: number) =>
  Array.from(
    { length },
    () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 62)],
  ).join('');

/** 0.2.0's values: one alert source mid-rotation (a `previous` still live), the link keys after one rotation. */
const old: Record<string, string> = {
  ...Object.fromEntries(
    alertSources.map((s) => [s, JSON.stringify({ current: random(s === 'pagerduty' ? 32 : 48) })]),
  ),
  generic: JSON.stringify({ current: random(48), previous: random(48) }),
  linkSigningKeys: JSON.stringify({ activeKeyId: 'k2', k1: random(64), k2: random(64) }),
};

/** The logical ids 0.2.0's template gave its secrets: the same construct ids in a stack named Hotline. */
function logicalIds020(): Record<string, string> {
  const stack = new Stack(new App(), 'Hotline');
  const idOf = (id: string) =>
    stack.getLogicalId(new secretsmanager.Secret(stack, id).node.defaultChild as secretsmanager.CfnSecret);
  return {
    ...Object.fromEntries(alertSources.map((s) => [s, idOf(`AlertSourceSecret${pascalCase(s)}`)])),
    linkSigningKeys: idOf('LinkSigningKeys'),
  };
}

let dir: string;
let hotline: HotlineTarget;
const logs: string[] = [];
const start = () => startHotline({ dataDir: join(dir, 'data'), log: (line) => logs.push(line) });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-upgrade-'));
  mkdirSync(join(dir, 'data'));
  const ids = logicalIds020();
  const secrets = Object.fromEntries(
    Object.entries(ids).map(([what, logicalId]) => [
      logicalId,
      { value: old[what], versionId: ulid(), createdDate: '2026-06-01T00:00:00.000Z' },
    ]),
  );
  writeFileSync(join(dir, 'data', 'secrets.json'), JSON.stringify(secrets), { mode: 0o600 });
  hotline = await start();
});
afterAll(async () => {
  await hotline?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('an upgrade from 0.2.0 on the local target', () => {
  it('writes the old values to the parameters, and deletes the old secrets once they are written', () => {
    const { parameters } = hotline.target;
    for (const source of alertSources)
      expect(parameters[alertSourceParameterName('Hotline', source)], source).toBe(old[source]);
    expect(parameters[linkSigningKeysParameterName('Hotline')]).toBe(old.linkSigningKeys);
    expect(logs.join('\n')).toContain('[cloudformation] deleted 6 secrets the template no longer declares');
    expect(hotline.target.secrets).toEqual({});
    expect(JSON.parse(readFileSync(join(dir, 'data', 'secrets.json'), 'utf8'))).toEqual({});
    // No value reached the log.
    for (const value of Object.values(old)) expect(logs.join('\n')).not.toContain(value);
  });

  it('accepts an alert with the old credential, and a link the old keys signed still verifies', async () => {
    const alert = fixture<{ groupKey: string }>('alertmanager', 'firing-v4');
    const response = await fetch(`${hotline.target.urls.api}/alerts/alertmanager`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${JSON.parse(old.alertmanager ?? '').current}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ ...alert, groupKey: `${alert.groupKey}:{test="${ulid()}"}` }),
    });
    expect(response.status).toBe(202);
    const key = ((await response.json()) as { incidents: { key: string }[] }).incidents[0]?.key ?? '';

    const mail = await eventually(async () => {
      const store = (await (await fetch(`${hotline.target.urls.ses}/store`)).json()) as {
        emails: { subject: string; body: { text?: string } }[];
      };
      return store.emails.find((m) => m.subject.startsWith(`${key} - `) && m.subject.endsWith(' - Paged'));
    }, `the page email of ${key}`);
    const token =
      /\/links\/(v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(mail.body.text ?? '')?.[1] ?? '';
    const oldKeys = parseSigningKeys(old.linkSigningKeys ?? '');
    // What 0.2.0 mailed for these claims is this very token: signed with the same active key.
    const claims = JSON.parse(
      Buffer.from(token.split('.')[2] ?? '', 'base64url').toString('utf8'),
    ) as LinkClaims;
    expect(signLink(claims, oldKeys)).toBe(token);
    expect(verifyLink(token, oldKeys, new Date())).toMatchObject({ ok: true });
    // A link signed with the older key k1 (mailed before 0.2.0's own rotation) still opens its page.
    const byK1 = signLink(claims, { activeKeyId: 'k1', keys: oldKeys.keys });
    for (const t of [token, byK1]) {
      const page = await fetch(`${hotline.target.urls.api}/links/${t}`);
      expect(page.status, t).toBe(200);
    }
    const forged = signLink(claims, { activeKeyId: 'k1', keys: { k1: 'x'.repeat(64) } });
    expect((await fetch(`${hotline.target.urls.api}/links/${forged}`)).status).not.toBe(200);
  });

  it('keeps the values on the next start, with the old secrets gone', async () => {
    const before = { ...hotline.target.parameters };
    await hotline.target.stop();
    hotline = await start();
    expect(hotline.target.parameters).toEqual(before);
    expect(hotline.secretOf('alertmanager')).toBe(JSON.parse(old.alertmanager ?? '').current);
  });
});
