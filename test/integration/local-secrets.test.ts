import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsApi } from '../../infra/local/aws-api.ts';
import type { LambdaRuntime } from '../../infra/local/functions.ts';
import { SecretStore } from '../../infra/local/secrets.ts';
import { ParameterStore } from '../../infra/local/ssm.ts';
import type { StepFunctionsService } from '../../infra/local/stepfunctions.ts';
import { loadAssembly, StackModel } from '../../infra/local/template.ts';

// Secrets Manager as the local target emulates it for an upgrade: the template's secrets tagged as CloudFormation
// tags them, ListSecrets with Filters, and a secret only an earlier template declared kept until the cleanup.

const region = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const oldKeys = JSON.stringify({ activeKeyId: 'k1', k1: 'k'.repeat(64) });

describe('local Secrets Manager across a template change', () => {
  let dir: string;
  let server: Server;
  let store: SecretStore;
  let client: SecretsManagerClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-local-secrets-'));
    writeFileSync(
      join(dir, 'S.template.json'),
      JSON.stringify({
        Resources: {
          SourceSecretAABBCCDD: {
            Type: 'AWS::SecretsManager::Secret',
            Properties: {
              Description: 'credential of the source',
              GenerateSecretString: {
                SecretStringTemplate: '{}',
                GenerateStringKey: 'current',
                PasswordLength: 48,
              },
              Tags: [{ Key: 'team', Value: 'sre' }],
            },
          },
        },
      }),
    );
    // What an earlier start wrote, before tags were recorded: a secret this template no longer declares.
    writeFileSync(
      join(dir, 'secrets.json'),
      JSON.stringify({
        LinkSigningKeys1A2B3C4D: {
          value: oldKeys,
          versionId: 'v-old',
          createdDate: '2026-01-01T00:00:00.000Z',
        },
      }),
    );
    const model = new StackModel(loadAssembly(dir, 'S'));
    const log = () => undefined;
    store = new SecretStore(model, dir, log);
    const parameters = new ParameterStore(dir, region, '000000000000');
    server = createServer(
      createAwsApi({
        stepFunctions: {} as StepFunctionsService,
        secrets: store,
        parameters,
        lambda: {} as LambdaRuntime,
        log,
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    client = new SecretsManagerClient({ endpoint: `http://127.0.0.1:${port}`, region, credentials });
  });

  afterAll(async () => {
    client.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const names = async (
    filters?: Array<{ Key: 'name' | 'description' | 'tag-key' | 'tag-value' | 'all'; Values: string[] }>,
  ) =>
    (await client.send(new ListSecretsCommand(filters ? { Filters: filters } : {}))).SecretList?.map(
      (s) => s.Name,
    );

  it("tags each secret as CloudFormation does, besides the template's own tags", async () => {
    const listed = (await client.send(new ListSecretsCommand({}))).SecretList ?? [];
    const source = listed.find((s) => s.Name === 'SourceSecret');
    expect(source?.Description).toBe('credential of the source');
    expect(source?.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'team', Value: 'sre' },
        { Key: 'aws:cloudformation:stack-name', Value: 'S' },
        { Key: 'aws:cloudformation:logical-id', Value: 'SourceSecretAABBCCDD' },
        {
          Key: 'aws:cloudformation:stack-id',
          Value: expect.stringMatching(/^arn:aws:cloudformation:.*:stack\/S\//),
        },
      ]),
    );
    const old = listed.find((s) => s.Name === 'LinkSigningKeys');
    expect(old?.ARN).toMatch(/:secret:LinkSigningKeys-[A-Za-z]{6}$/);
    expect(old?.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'aws:cloudformation:stack-name', Value: 'S' },
        { Key: 'aws:cloudformation:logical-id', Value: 'LinkSigningKeys1A2B3C4D' },
      ]),
    );
  });

  it('filters as ListSecrets does: values are prefixes, alternatives within a filter, all filters apply, ! negates', async () => {
    expect(await names([{ Key: 'tag-key', Values: ['aws:cloudformation:stack-name'] }])).toEqual([
      'SourceSecret',
      'LinkSigningKeys',
    ]);
    expect(await names([{ Key: 'tag-value', Values: ['LinkSigning'] }])).toEqual(['LinkSigningKeys']);
    expect(
      await names([
        { Key: 'tag-key', Values: ['aws:cloudformation:stack-name'] },
        { Key: 'tag-value', Values: ['S'] },
        { Key: 'name', Values: ['Link', 'Nothing'] },
      ]),
    ).toEqual(['LinkSigningKeys']);
    expect(await names([{ Key: 'description', Values: ['credential'] }])).toEqual(['SourceSecret']);
    expect(await names([{ Key: 'name', Values: ['!Source'] }])).toEqual(['LinkSigningKeys']);
    expect(await names([{ Key: 'tag-value', Values: ['Other'] }])).toEqual([]);
    expect(await names([{ Key: 'all', Values: ['sre'] }])).toEqual(['SourceSecret']);
    await expect(
      client.send(new ListSecretsCommand({ Filters: [{ Key: 'color' as 'name', Values: ['x'] }] })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('serves the secret of the earlier template until the cleanup phase deletes it (from secrets.json too)', async () => {
    const out = await client.send(new GetSecretValueCommand({ SecretId: 'LinkSigningKeys' }));
    expect(out.SecretString).toBe(oldKeys);

    expect(store.dropRemoved()).toEqual(['LinkSigningKeys']);

    await expect(
      client.send(new GetSecretValueCommand({ SecretId: 'LinkSigningKeys' })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    expect(await names()).toEqual(['SourceSecret']);
    const stored = JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(stored)).toEqual(['SourceSecretAABBCCDD']);
    expect(stored.SourceSecretAABBCCDD).toMatchObject({ name: 'SourceSecret', tags: { team: 'sre' } });
    expect(store.dropRemoved()).toEqual([]);
    expect(existsSync(join(dir, 'secrets.json'))).toBe(true);
  });
});
