import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CfnTemplate, loadAssembly, StackModel, TemplateError } from '../../infra/local/template.ts';

/** Intrinsic resolution and naming of the local target, on small hand-written templates. */

const dir = mkdtempSync(join(tmpdir(), 'hotline-local-template-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function model(template: CfnTemplate, options: { region?: string; assets?: object } = {}): StackModel {
  const stack = `Stack${Math.random().toString(36).slice(2, 8)}`;
  writeFileSync(join(dir, `${stack}.template.json`), JSON.stringify(template));
  writeFileSync(join(dir, `${stack}.assets.json`), JSON.stringify(options.assets ?? {}));
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      artifacts: { [stack]: { environment: `aws://unknown-account/${options.region ?? 'unknown-region'}` } },
    }),
  );
  const m = new StackModel(loadAssembly(dir, stack));
  m.setUrls({
    api: 'http://127.0.0.1:3000',
    aws: 'http://127.0.0.1:4599',
    dynamodb: 'http://x',
    ses: 'http://y',
  });
  return m;
}

const resources: CfnTemplate['Resources'] = {
  IncidentTable0A1B2C3D: { Type: 'AWS::DynamoDB::GlobalTable', Properties: {} },
  Named5E6F7A8B: {
    Type: 'AWS::DynamoDB::Table',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
    Properties: { TableName: { 'Fn::Sub': '${AWS::StackName}-named' } },
  },
  IngestAlert11223344: {
    Type: 'AWS::Lambda::Function',
    Properties: { Code: { S3Key: 'abc123.zip' }, Handler: 'index.handler' },
    Metadata: { 'aws:cdk:path': 'Hotline/IngestAlert/Resource' },
  },
  WorkflowStateMachine99887766: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
  AlertSourceSecretAlertmanagerAABBCCDD: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
  ApiHttpApi12345678: { Type: 'AWS::ApiGatewayV2::Api', Properties: {} },
};

describe('StackModel', () => {
  const m = model({ Resources: resources });

  it('names resources by construct id: aws:cdk:path when present, else the logical id without its hash', () => {
    expect(m.readableName('IngestAlert11223344')).toBe('IngestAlert');
    expect(m.readableName('IncidentTable0A1B2C3D')).toBe('IncidentTable');
    expect(m.physicalName('Named5E6F7A8B')).toBe(`${m.stackName}-named`);
  });

  it('resolves Ref the way CloudFormation does per resource type', () => {
    expect(m.resolve({ Ref: 'IncidentTable0A1B2C3D' }, 'x')).toBe('IncidentTable');
    expect(m.resolve({ Ref: 'WorkflowStateMachine99887766' }, 'x')).toBe(
      'arn:aws:states:us-east-1:000000000000:stateMachine:WorkflowStateMachine',
    );
    expect(m.resolve({ Ref: 'AlertSourceSecretAlertmanagerAABBCCDD' }, 'x')).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:AlertSourceSecretAlertmanager-[A-Za-z]{6}$/,
    );
    expect(m.resolve({ Ref: 'AWS::AccountId' }, 'x')).toBe('000000000000');
  });

  it('resolves GetAtt, Join, Sub, Select, Split and the pseudo parameters', () => {
    expect(m.resolve({ 'Fn::GetAtt': ['IngestAlert11223344', 'Arn'] }, 'x')).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:IngestAlert',
    );
    expect(m.resolve({ 'Fn::GetAtt': 'IncidentTable0A1B2C3D.Arn' }, 'x')).toBe(
      'arn:aws:dynamodb:us-east-1:000000000000:table/IncidentTable',
    );
    expect(
      m.resolve(
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x:', { Ref: 'AWS::Region' }]] },
        'x',
      ),
    ).toBe('arn:aws:x:us-east-1');
    expect(
      m.resolve(
        {
          'Fn::Sub': [
            // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
            '${IncidentTable0A1B2C3D}/${IngestAlert11223344.Arn}/${Extra}/${!Literal}',
            { Extra: 'e' },
          ],
        },
        'x',
      ),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
    ).toBe('IncidentTable/arn:aws:lambda:us-east-1:000000000000:function:IngestAlert/e/${Literal}');
    expect(m.resolve({ 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] }, 'x')).toBe('b');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
    expect(m.resolve({ 'Fn::Sub': '${AWS::URLSuffix}' }, 'x')).toBe('amazonaws.com');
  });

  it('turns the HTTP API endpoint, however CDK spells it, into the local API URL', () => {
    const api = 'ApiHttpApi12345678';
    expect(m.resolve({ 'Fn::GetAtt': [api, 'ApiEndpoint'] }, 'x')).toBe('http://127.0.0.1:3000');
    const joined = {
      'Fn::Join': [
        '',
        [
          'https://',
          { Ref: api },
          '.execute-api.',
          { Ref: 'AWS::Region' },
          '.',
          { Ref: 'AWS::URLSuffix' },
          '/',
        ],
      ],
    };
    expect(m.resolve(joined, 'x')).toBe('http://127.0.0.1:3000/');
  });

  it('drops AWS::NoValue and evaluates Fn::If with the template conditions', () => {
    const withConditions = model({
      Resources: resources,
      Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] } },
    });
    expect(
      withConditions.resolve(
        { A: { 'Fn::If': ['IsProd', 'yes', { Ref: 'AWS::NoValue' }] }, B: [1, { Ref: 'AWS::NoValue' }] },
        'x',
      ),
    ).toEqual({ B: [1] });
  });

  it('uses the stack region when the stack is bound to one', () => {
    const regional = model({ Resources: resources }, { region: 'eu-west-1' });
    expect(regional.resolve({ Ref: 'AWS::Region' }, 'x')).toBe('eu-west-1');
  });

  it('maps a function to its bundle through Code.S3Key and the assets manifest', () => {
    mkdirSync(join(dir, 'asset.abc123'), { recursive: true });
    writeFileSync(join(dir, 'asset.abc123', 'index.mjs'), 'export const handler = () => 1;');
    const withAssets = model(
      { Resources: resources },
      { assets: { files: { abc123: { source: { path: 'asset.abc123', packaging: 'zip' } } } } },
    );
    expect(withAssets.functionBundle('IngestAlert11223344')).toEqual({
      dir: join(dir, 'asset.abc123'),
      file: join(dir, 'asset.abc123', 'index.mjs'),
      exportName: 'handler',
    });
  });

  it('says clearly what it cannot do', () => {
    expect(() => m.resolve({ 'Fn::ImportValue': 'Other' }, 'Thing.Prop')).toThrow(
      'Thing.Prop: Fn::ImportValue is not supported by the local target',
    );
    expect(() => m.functionBundle('IngestAlert11223344')).toThrow(/not in the assets manifest/);
    expect(() => loadAssembly(dir, 'Missing')).toThrow(TemplateError);
    expect(() => loadAssembly(dir, 'Missing')).toThrow(/No template for stack "Missing"/);
  });
});
