import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, describe, expect, it } from 'vitest';
import type { Organisation } from '../../functions/core/config.ts';
import { parseOrganisation } from '../../functions/core/config.ts';
import { functionDeclarations } from '../../functions/handlers/capabilities.ts';
import { buildApp } from '../../infra/build-app.ts';
import { exampleOrganisation, logicalId } from './stack.ts';

// The `pager` capability as WorkflowStep (its page step texts and calls) and TestPages (an operator's test page to
// one person) declare it: each channel's send action
// only on its origination identity and configuration set, every variable set (empty for a channel left out), and
// cdk-nag satisfied when an identity is known to IAM only by a wildcard.

describe('the pager capability', () => {
  const dirs: string[] = [];
  it('is declared by the functions that page (incidents, and test pages), and no other', () => {
    const declaring = Object.entries(functionDeclarations)
      .filter(([, d]) => (d.uses as readonly string[]).includes('pager'))
      .map(([id]) => id);
    expect(declaring).toEqual(['TestPages', 'WorkflowStep']);
  });
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const withPaging = async (paging: unknown): Promise<Organisation> =>
    parseOrganisation({ ...(await exampleOrganisation()), paging });

  const build = (organisation: Organisation, nag = false) => {
    const outdir = mkdtempSync(join(tmpdir(), 'hotline-pager-'));
    dirs.push(outdir);
    const { app, stack } = buildApp({ organisation, nag, bundle: false, outdir });
    return { app, stack, outdir };
  };

  const statementsOf = (template: Template, fnId: string) => {
    const { stack } = built;
    const role = logicalId(stack.functions[fnId as 'WorkflowStep'].executionRole);
    return Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>)
      .filter((s) => JSON.stringify(s.Action).includes('sms-voice:'));
  };
  let built: ReturnType<typeof build>;

  it('grants each channel its send on exactly its identity and configuration set', async () => {
    built = build(
      await withPaging({
        sms: {
          originationIdentity: 'phone-0123456789abcdef0123456789abcdef',
          configurationSet: 'hotline-pages',
        },
        voice: { originationIdentity: 'pool-0123456789abcdef0123456789abcdef', voiceId: 'Matthew' },
      }),
    );
    const template = Template.fromStack(built.stack);
    const statements = statementsOf(template, 'WorkflowStep');
    expect(statements).toHaveLength(2);
    const text = JSON.stringify(statements);
    expect(statements[0]?.Action).toBe('sms-voice:SendTextMessage');
    expect(text).toContain(':phone-number/phone-0123456789abcdef0123456789abcdef');
    expect(text).toContain(':configuration-set/hotline-pages');
    expect(statements[1]?.Action).toBe('sms-voice:SendVoiceMessage');
    expect(JSON.stringify(statements[1])).toContain(':pool/pool-0123456789abcdef0123456789abcdef');
    expect(JSON.stringify(statements[1])).not.toContain('phone-number');
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(built.stack.functions.WorkflowStep)];
    expect(fn?.Properties.Environment.Variables).toMatchObject({
      PAGER_SMS_ORIGINATION_IDENTITY: 'phone-0123456789abcdef0123456789abcdef',
      PAGER_SMS_CONFIGURATION_SET: 'hotline-pages',
      PAGER_VOICE_ORIGINATION_IDENTITY: 'pool-0123456789abcdef0123456789abcdef',
      // A channel that names no configuration set of its own goes through the stack's (delivery events).
      PAGER_VOICE_CONFIGURATION_SET: { Ref: 'PhoneConfigurationSet' },
      PAGER_VOICE_ID: 'MATTHEW',
    });
    expect(JSON.stringify(statements[1])).toContain(':configuration-set/');
    expect(JSON.stringify(statements[1])).toContain('PhoneConfigurationSet');
    // A test page goes out on the same channels, with the same grants.
    expect(statementsOf(template, 'TestPages')).toEqual(statements);
    // SmsReplies answers by text only (`pager:text`), from the same identity; nobody else may page.
    const answers = statementsOf(template, 'SmsReplies');
    expect(answers.map((s) => s.Action)).toEqual(['sms-voice:SendTextMessage']);
    expect(JSON.stringify(answers)).toContain(':phone-number/phone-0123456789abcdef0123456789abcdef');
    const smsReplies =
      template.findResources('AWS::Lambda::Function')[logicalId(built.stack.functions.SmsReplies)];
    expect(
      Object.keys(smsReplies?.Properties.Environment.Variables).filter((v) => v.startsWith('PAGER_')),
    ).toEqual(['PAGER_SMS_ORIGINATION_IDENTITY', 'PAGER_SMS_CONFIGURATION_SET']);
    // The sweep's channel check reads the account and the opt-out list, and sends nothing.
    expect(
      statementsOf(template, 'SweepUnstartedWorkflows')
        .flatMap((s) => [s.Action].flat())
        .sort(),
    ).toEqual([
      'sms-voice:DescribeAccountAttributes',
      'sms-voice:DescribeOptedOutNumbers',
      'sms-voice:DescribeSpendLimits',
    ]);
    for (const id of Object.keys(built.stack.functions).filter(
      (f) => !['WorkflowStep', 'TestPages', 'SmsReplies', 'SweepUnstartedWorkflows'].includes(f),
    ))
      expect(statementsOf(template, id), id).toEqual([]);
  });

  it("sends the texts' and calls' final events to the delivery events topic, which only the service may publish to", async () => {
    built = build(
      await withPaging({ sms: { originationIdentity: 'phone-0123456789abcdef0123456789abcdef' } }),
    );
    const template = Template.fromStack(built.stack);
    const topic = logicalId(built.stack.mailEventsTopic);
    const sets = Object.values(template.findResources('AWS::SMSVOICE::ConfigurationSet'));
    expect(sets).toHaveLength(1);
    const [destination] = (sets[0]?.Properties.EventDestinations ?? []) as Array<Record<string, unknown>>;
    expect(destination).toMatchObject({ Enabled: true, SnsDestination: { TopicArn: { Ref: topic } } });
    const types = destination?.MatchingEventTypes as string[];
    expect(types).toEqual(
      expect.arrayContaining(['TEXT_DELIVERED', 'TEXT_BLOCKED', 'VOICE_COMPLETED', 'VOICE_FAILED']),
    );
    expect(types).not.toContain('TEXT_SENT');
    expect(types).not.toContain('VOICE_RINGING');
    const policy = Object.values(template.findResources('AWS::SNS::TopicPolicy')).find((p) =>
      JSON.stringify(p.Properties.Topics).includes(topic),
    );
    expect(JSON.stringify(policy)).toContain('sms-voice.amazonaws.com');
    expect(JSON.stringify(policy)).toContain('aws:SourceAccount');
    expect(JSON.stringify(statementsOf(template, 'WorkflowStep'))).toContain('PhoneConfigurationSet');
  });

  it('grants nothing, and sets empty variables, without a paging section', async () => {
    built = build(await withPaging(undefined));
    const template = Template.fromStack(built.stack);
    template.resourceCountIs('AWS::SMSVOICE::ConfigurationSet', 0);
    expect(statementsOf(template, 'WorkflowStep')).toEqual([]);
    expect(statementsOf(template, 'SmsReplies')).toEqual([]);
    expect(statementsOf(template, 'TestPages')).toEqual([]);
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(built.stack.functions.WorkflowStep)];
    expect(fn?.Properties.Environment.Variables.PAGER_SMS_ORIGINATION_IDENTITY).toBe('');
  });

  it('acknowledges the wildcard a bare phone number needs, and cdk-nag finds nothing else', async () => {
    built = build(await withPaging({ sms: { originationIdentity: '+12065550100' } }), true);
    expect(() => built.app.synth()).not.toThrow();
    const report = join(built.outdir, 'validation-report.json');
    if (existsSync(report)) {
      const { pluginReports } = JSON.parse(readFileSync(report, 'utf8')) as {
        pluginReports: Array<{ violations: unknown[] }>;
      };
      for (const plugin of pluginReports) expect(plugin.violations).toEqual([]);
    }
    expect(JSON.stringify(statementsOf(Template.fromStack(built.stack), 'WorkflowStep'))).toContain(
      ':phone-number/*',
    );
  });
});

describe('the paging section of the organisation', () => {
  const parse = async (paging: unknown) => parseOrganisation({ ...(await exampleOrganisation()), paging });

  it('accepts every kind of origination identity, and defaults the voice', async () => {
    const org = await parse({
      sms: { originationIdentity: 'HOTLINE', maxPerHour: 10 },
      voice: {
        originationIdentity:
          'arn:aws:sms-voice:eu-west-1:123456789012:phone-number/phone-0123456789abcdef0123456789abcdef',
      },
    });
    expect(org.paging?.voice?.voiceId).toBe('JOANNA');
  });

  it('refuses bad values, naming the field', async () => {
    await expect(parse({ sms: { originationIdentity: '0044 7700' } })).rejects.toThrow(
      /paging\.sms\.originationIdentity: must be an origination phone number/,
    );
    await expect(parse({ voice: { originationIdentity: 'HOTLINE' } })).rejects.toThrow(
      /paging\.voice\.originationIdentity: .*a sender ID cannot place a call/,
    );
    await expect(parse({ voice: { originationIdentity: '+12065550100', voiceId: 'Hal' } })).rejects.toThrow(
      /paging\.voice\.voiceId: must be an Amazon Polly voice/,
    );
    await expect(
      parse({ sms: { originationIdentity: '+12065550100', configurationSet: 'has space' } }),
    ).rejects.toThrow(/paging\.sms\.configurationSet/);
    await expect(parse({ sms: { originationIdentity: '+12065550100', maxPerHour: 0 } })).rejects.toThrow(
      /paging\.sms\.maxPerHour/,
    );
    await expect(parse({ voice: { originationIdentity: '+12065550100', maxPerHour: 121 } })).rejects.toThrow(
      /paging\.voice\.maxPerHour/,
    );
    await expect(parse({})).rejects.toThrow(/paging: configure sms, voice or both/);
  });
});
