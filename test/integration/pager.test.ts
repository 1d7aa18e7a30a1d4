import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmsVoiceClient, type PagerSettings, smsVoicePager } from '../../functions/adapters/pager.ts';
import { RetryableError } from '../../functions/core/errors.ts';
import { PageRefusedError, smsPageText, voicePageText } from '../../functions/core/pages-sms.ts';
import { administratorCheck } from '../../infra/local/admin-api.ts';
import { createAwsApi } from '../../infra/local/aws-api.ts';
import type { LambdaRuntime } from '../../infra/local/functions.ts';
import { LocalIam } from '../../infra/local/iam/local-iam.ts';
import type { SecretStore } from '../../infra/local/secrets.ts';
import { createMessagingAdmin, MessageArchive, smsVoiceOperations } from '../../infra/local/sms-voice.ts';
import { ParameterStore } from '../../infra/local/ssm.ts';
import type { StepFunctionsService } from '../../infra/local/stepfunctions.ts';
import { loadAssembly, StackModel } from '../../infra/local/template.ts';

// The pager adapter against the local target's End User Messaging emulator, with IAM enforced from a template:
// the function whose role grants the sends on the identity and configuration set pages; one without the grant is
// refused as AWS refuses it; a number that is not E.164 is refused by the service's validation; what was sent is
// kept across a restart; a number that replied STOP is refused as opted out.

const region = 'us-east-1';
const account = '000000000000';
const identity = 'phone-0123456789abcdef0123456789abcdef';
const pool = 'pool-0123456789abcdef0123456789abcdef';
const arn = (resource: string) => `arn:aws:sms-voice:${region}:${account}:${resource}`;
const page = { key: 'HOT-7', severity: 1 as const, summary: 'Payments down', code: '204913' };
const to = '+447700900123';

function template() {
  const fn = (role: string) => ({
    Type: 'AWS::Lambda::Function',
    Properties: { Role: { 'Fn::GetAtt': [role, 'Arn'] }, Handler: 'index.handler', Runtime: 'nodejs24.x' },
  });
  const role = { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [] } } };
  return {
    Resources: {
      PagerRole0A1B2C3D: role,
      OtherRole0A1B2C3D: role,
      PagerRoleDefaultPolicy0A1B2C3D: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'pager',
          Roles: [{ Ref: 'PagerRole0A1B2C3D' }],
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 'sms-voice:SendTextMessage',
                Resource: [arn(`phone-number/${identity}`), arn('configuration-set/paging')],
              },
              { Effect: 'Allow', Action: 'sms-voice:SendVoiceMessage', Resource: arn(`pool/${pool}`) },
            ],
          },
        },
      },
      Pager0A1B2C3D: fn('PagerRole0A1B2C3D'),
      Other0A1B2C3D: fn('OtherRole0A1B2C3D'),
    },
  };
}

describe('the pager against the local End User Messaging emulator', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let archive: MessageArchive;
  let iam: LocalIam;
  const operatorToken = 'o'.repeat(43);

  const start = async () => {
    archive = new MessageArchive(join(dir, 'data'));
    const api = createAwsApi({
      stepFunctions: {} as StepFunctionsService,
      secrets: {} as SecretStore,
      parameters: new ParameterStore(join(dir, 'data'), region, account),
      lambda: {} as LambdaRuntime,
      log: () => undefined,
      authorize: iam.awsEndpoint,
      operations: smsVoiceOperations(archive),
    });
    const admin = createMessagingAdmin({
      archive,
      isAdmin: administratorCheck(operatorToken),
      topicArn: () => undefined,
      publish: async () => [],
    });
    server = createServer(async (req, res) => {
      if (!(await admin(req, res))) await api(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  };
  const stop = () => new Promise<void>((r) => server.close(() => r()));

  const pagerAs = (functionId: string, settings: PagerSettings) =>
    smsVoicePager(
      createSmsVoiceClient({
        endpoint: url,
        region,
        credentials: { accessKeyId: `local-${functionId}`, secretAccessKey: 'local' },
      }),
      settings,
    );
  const configured: PagerSettings = {
    sms: { originationIdentity: identity, configurationSet: 'paging' },
    voice: { originationIdentity: pool, voiceId: 'JOANNA' },
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-pager-'));
    writeFileSync(join(dir, 'P.template.json'), JSON.stringify(template()));
    const model = new StackModel(loadAssembly(dir, 'P'));
    iam = new LocalIam(
      model,
      {
        stepFunctions: {
          stateMachines: [],
          stateMachineOfToken: () => undefined,
        } as unknown as StepFunctionsService,
        secrets: { find: () => ({}), list: () => [] } as unknown as SecretStore,
        lambda: { find: () => undefined } as unknown as LambdaRuntime,
      },
      { mode: 'enforce', log: () => undefined },
    );
    await start();
  });

  afterAll(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a text and a voice message from the granted identities, and keeps them', async () => {
    const pager = pagerAs('Pager', configured);
    const text = await pager.sendText(to, smsPageText(page), { incident: 'HOT-7', page: 'p1' });
    const voice = await pager.sendVoice(to, voicePageText(page), { incident: 'HOT-7' });
    expect(text.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(voice.messageId).not.toBe(text.messageId);
    const [sms, call] = archive.list().slice(-2);
    expect(sms).toMatchObject({
      channel: 'sms',
      to,
      from: identity,
      body: 'HOT-7 SEV1 Payments down\nReply ACK 204913',
      messageId: text.messageId,
      configurationSet: 'paging',
      context: { incident: 'HOT-7', page: 'p1' },
    });
    expect(call).toMatchObject({ channel: 'voice', to, from: pool, voiceId: 'JOANNA' });
    expect(call?.body).toContain('two, zero, four, nine, one, three');
  });

  it('is refused, as AWS refuses it, for a function whose role does not grant the send', async () => {
    const before = archive.list().length;
    const error = await pagerAs('Other', configured)
      .sendText(to, smsPageText(page), {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PageRefusedError);
    expect(error).toMatchObject({ reason: 'not-permitted', detail: 'AccessDeniedException' });
    expect((error as Error).message).toContain('sms-voice:SendTextMessage');
    expect((error as Error).message).not.toContain('900123');
    // The granted function may not send from another identity, nor through another configuration set.
    const elsewhere = await pagerAs('Pager', {
      sms: { originationIdentity: pool, configurationSet: 'paging' },
    })
      .sendText(to, 'x', {})
      .catch((e: unknown) => e);
    expect(elsewhere).toMatchObject({ reason: 'not-permitted' });
    const otherSet = await pagerAs('Pager', {
      sms: { originationIdentity: identity, configurationSet: 'other' },
    })
      .sendText(to, 'x', {})
      .catch((e: unknown) => e);
    expect(otherSet).toMatchObject({ reason: 'not-permitted' });
    expect(archive.list()).toHaveLength(before);
    expect(iam.enforcer.deniedCalls().map((d) => d.action)).toContain('sms-voice:SendTextMessage');
  });

  it('answers ValidationException for a destination that is not E.164', async () => {
    const client = createSmsVoiceClient({
      endpoint: url,
      region,
      credentials: { accessKeyId: 'local-Pager', secretAccessKey: 'local' },
    });
    const { SendTextMessageCommand } = await import('@aws-sdk/client-pinpoint-sms-voice-v2');
    for (const bad of ['07700900123', '+44 7700 900123', '447700900123']) {
      const error = (await client
        .send(
          new SendTextMessageCommand({
            DestinationPhoneNumber: bad,
            OriginationIdentity: identity,
            ConfigurationSetName: 'paging',
            MessageBody: 'x',
          }),
        )
        .catch((e: unknown) => e)) as Error & { Reason?: string; Fields?: Array<{ Name: string }> };
      expect(error.name, bad).toBe('ValidationException');
      expect(error.Fields?.[0]?.Name, bad).toBe('DestinationPhoneNumber');
    }
    // The adapter refuses such a number before sending it (and never logs it whole).
    const refused = await pagerAs('Pager', configured)
      .sendText('07700900123', 'x', {})
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ reason: 'invalid' });
    // A voice message needs an origination identity.
    const { SendVoiceMessageCommand } = await import('@aws-sdk/client-pinpoint-sms-voice-v2');
    const noIdentity = (await client
      .send(
        new SendVoiceMessageCommand({
          DestinationPhoneNumber: to,
          MessageBody: 'x',
        } as unknown as ConstructorParameters<typeof SendVoiceMessageCommand>[0]),
      )
      .catch((e: unknown) => e)) as Error;
    expect(noIdentity.name).toBe('ValidationException');
  });

  it('refuses a page to a channel the organisation does not configure, without calling AWS', async () => {
    const error = await pagerAs('Pager', { sms: configured.sms })
      .sendVoice(to, 'x', {})
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'not-permitted', detail: 'NotConfigured' });
  });

  it('refuses a text to a number that opted out, as opted out', async () => {
    archive.applyKeyword('+447700900999', 'STOP');
    const error = await pagerAs('Pager', configured)
      .sendText('+447700900999', smsPageText(page), {})
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      reason: 'opted-out',
      detail: 'ConflictException/DESTINATION_PHONE_NUMBER_OPTED_OUT',
    });
    archive.applyKeyword('+447700900999', 'START');
    await expect(pagerAs('Pager', configured).sendText('+447700900999', 'x', {})).resolves.toHaveProperty(
      'messageId',
    );
  });

  it('turns a service that stays unavailable into RetryableError', async () => {
    const down = createServer((_req, res) => {
      res
        .writeHead(500, { 'content-type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ __type: 'InternalServerException', Message: 'boom' }));
    });
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    const pager = smsVoicePager(
      createSmsVoiceClient({
        endpoint: `http://127.0.0.1:${(down.address() as { port: number }).port}`,
        region,
        credentials: { accessKeyId: 'local-Pager', secretAccessKey: 'local' },
      }),
      configured,
    );
    await expect(pager.sendText(to, 'x', {})).rejects.toBeInstanceOf(RetryableError);
    await new Promise<void>((r) => down.close(() => r()));
  });

  it('keeps every message across a restart, and lists them at /_local/messages', async () => {
    const sent = archive.list().length;
    expect(sent).toBeGreaterThan(0);
    await stop();
    await start();
    expect(archive.list()).toHaveLength(sent);
    expect(JSON.parse(readFileSync(archive.file, 'utf8')).messages).toHaveLength(sent);
    const response = await fetch(`${url}/_local/messages`, {
      headers: { authorization: `Bearer ${operatorToken}` },
    });
    expect(response.status).toBe(200);
    const { messages } = (await response.json()) as { messages: Array<Record<string, string>> };
    expect(messages).toHaveLength(sent);
    expect(Object.keys(messages[0] ?? {}).sort()).toEqual(['at', 'body', 'channel', 'from', 'to']);
    expect(messages.map((m) => m.channel)).toEqual(expect.arrayContaining(['sms', 'voice']));
    // Only the administrator may read them.
    expect((await fetch(`${url}/_local/messages`)).status).toBe(403);
  });
});
