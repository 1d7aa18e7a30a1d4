import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FunctionId, functionSpecs, type HotlineStack } from '../../infra/hotline-stack.ts';
import { arnOf, exampleOrganisation, logicalId, ref, synthesized } from './stack.ts';

type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

describe('functions', () => {
  let stack: HotlineStack;
  let template: Template;
  beforeAll(async () => {
    ({ stack, template } = await synthesized());
  });

  const ids = Object.keys(functionSpecs) as FunctionId[];
  const props = (id: FunctionId) =>
    template.findResources('AWS::Lambda::Function')[logicalId(stack.functions[id])]?.Properties;
  const env = (id: FunctionId): Record<string, unknown> => props(id)?.Environment.Variables;
  const statements = (id: FunctionId): Statement[] => {
    const roleId = logicalId(stack.functions[id].executionRole);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
    );
    return policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
  };
  const actionsOn = (id: FunctionId, resource: unknown): string[] =>
    statements(id)
      .filter((s) => [s.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify(resource)))
      .flatMap((s) => [s.Action].flat());
  const allActions = (id: FunctionId) => statements(id).flatMap((s) => [s.Action].flat());

  it('creates exactly the contract functions, as direct children of the stack', () => {
    template.resourceCountIs('AWS::Lambda::Function', ids.length);
    for (const id of ids) expect(stack.functions[id].node.path).toBe(`Hotline/${id}`);
  });

  it.each(ids)('%s runs Node 24 on arm64 with tracing, 512 MB and source maps', (id) => {
    expect(props(id)).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: 512,
      Handler: 'index.handler',
      Timeout: functionSpecs[id].kind === 'api' ? 29 : 60,
    });
    expect(env(id)).toMatchObject({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'hotline',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it.each(ids)(
    '%s logs to its own log group with a retention, through a role without managed policies',
    (id) => {
      const group = props(id)?.LoggingConfig.LogGroup as { Ref: string };
      expect(template.findResources('AWS::Logs::LogGroup')[group.Ref]?.Properties).toMatchObject({
        RetentionInDays: 30,
      });
      const role = template.findResources('AWS::IAM::Role')[logicalId(stack.functions[id].executionRole)];
      expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
      expect(actionsOn(id, { 'Fn::GetAtt': [group.Ref, 'Arn'] })).toEqual([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ]);
    },
  );

  it('keeps the organisation out of the environment (it is baked into the bundle)', () => {
    for (const id of ids) expect(env(id)).not.toHaveProperty('ORGANISATION_CONFIG');
  });

  it('binds IngestAlert to the table (read/write), the state machine and the alertmanager secret', () => {
    expect(env('IngestAlert')).toMatchObject({
      TABLE_NAME: ref(stack.table),
      STATE_MACHINE_ARN: ref(stack.stateMachine),
      ALERTMANAGER_SECRET_ARN: ref(stack.alertSourceSecrets.alertmanager),
    });
    expect(actionsOn('IngestAlert', arnOf(stack.table))).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']),
    );
    // Start its incident's execution, and resume the waiting comms loop when every alert resolved.
    expect(actionsOn('IngestAlert', ref(stack.stateMachine)).sort()).toEqual([
      'states:SendTaskSuccess',
      'states:StartExecution',
    ]);
    const stateActions = allActions('IngestAlert').filter((a) => a.startsWith('states:'));
    expect(stateActions.sort()).toEqual([
      'states:DescribeExecution',
      'states:SendTaskSuccess',
      'states:StartExecution',
    ]);
    const describe = statements('IngestAlert').find((s) => s.Action === 'states:DescribeExecution');
    expect(JSON.stringify(describe?.Resource)).toContain(':execution:');
    expect(JSON.stringify(describe?.Resource)).toContain(
      JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.stateMachine), 'Name'] }),
    );
    expect(actionsOn('IngestAlert', ref(stack.alertSourceSecrets.alertmanager))).toContain(
      'secretsmanager:GetSecretValue',
    );
  });

  it.each(['ListIncidents', 'GetIncident'] as const)('binds %s to the table read-only', (id) => {
    expect(env(id)).toMatchObject({ TABLE_NAME: ref(stack.table) });
    const actions = actionsOn(id, arnOf(stack.table));
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    expect(actions).not.toContain('dynamodb:PutItem');
    expect(actions).not.toContain('dynamodb:UpdateItem');
    expect(allActions(id).filter((a) => /^(states|ses|secretsmanager):/.test(a))).toEqual([]);
  });

  it('binds IngestAlert to every shared-credential source secret, and gives it no mail', () => {
    for (const [source, secret] of Object.entries(stack.alertSourceSecrets)) {
      expect(env('IngestAlert')[`${source.toUpperCase()}_SECRET_ARN`]).toEqual(ref(secret));
    }
    expect(allActions('IngestAlert').filter((a) => a.startsWith('ses:'))).toEqual([]);
    expect(allActions('IngestAlert')).toContain('states:SendTaskSuccess');
  });

  it('binds DeclareIncident to the table and the state machine, with no secrets or mail', () => {
    expect(env('DeclareIncident')).toMatchObject({
      TABLE_NAME: ref(stack.table),
      STATE_MACHINE_ARN: ref(stack.stateMachine),
    });
    expect(allActions('DeclareIncident').filter((a) => /^(ses|secretsmanager):/.test(a))).toEqual([]);
  });

  it.each(['WorkflowStep', 'RecordWorkflowFailure', 'RespondToIncident'] as const)(
    'binds %s to the table (read/write) and the mailer, with ses:SendEmail only on the identity and configuration set',
    (id) => {
      expect(env(id)).toMatchObject({
        TABLE_NAME: ref(stack.table),
        SES_CONFIGURATION_SET: ref(stack.mailer.configurationSet),
      });
      expect(actionsOn(id, arnOf(stack.table))).toContain('dynamodb:PutItem');
      const send = statements(id).filter((s) => [s.Action].flat().some((a) => a.startsWith('ses:')));
      expect(send).toHaveLength(1);
      expect(send[0]?.Action).toBe('ses:SendEmail');
      const resources = JSON.stringify(send[0]?.Resource);
      expect(send[0]?.Resource).toHaveLength(2);
      expect(resources).toContain(`:identity/",${JSON.stringify(ref(stack.mailer.identity))}`);
      expect(resources).toContain(
        `:configuration-set/",${JSON.stringify(ref(stack.mailer.configurationSet))}`,
      );
    },
  );

  it('lets WorkflowStep and RespondToIncident resume waiting tasks, and nothing else of the workflow', () => {
    for (const id of ['WorkflowStep', 'RespondToIncident'] as const) {
      const resume = statements(id).filter((s) => [s.Action].flat().includes('states:SendTaskSuccess'));
      expect(resume, id).toHaveLength(1);
      expect(JSON.stringify(resume[0]?.Resource), id).toMatch(/stateMachine|WorkflowStateMachine/);
    }
    expect(env('WorkflowStep')).toMatchObject({ LINK_SIGNING_SECRET_ARN: ref(stack.linkSigningKeys) });
  });

  it('gives WorkflowStep the API endpoint as PUBLIC_BASE_URL unless the organisation names one', async () => {
    expect(env('WorkflowStep').PUBLIC_BASE_URL).toEqual({
      'Fn::GetAtt': [logicalId(stack.api), 'ApiEndpoint'],
    });
    const organisation = {
      ...(await exampleOrganisation()),
      publicBaseUrl: 'https://incidents.example.com/',
    };
    const custom = (await synthesized(organisation)).template;
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PUBLIC_BASE_URL: 'https://incidents.example.com' }) },
    });
  });

  it('binds LinkDecision to the table, the link keys and the workflow callback, with no mail and no other secret', () => {
    expect(env('LinkDecision')).toMatchObject({
      TABLE_NAME: ref(stack.table),
      LINK_SIGNING_SECRET_ARN: ref(stack.linkSigningKeys),
      STATE_MACHINE_ARN: ref(stack.stateMachine),
      PUBLIC_BASE_URL: { 'Fn::GetAtt': [logicalId(stack.api), 'ApiEndpoint'] },
    });
    expect(actionsOn('LinkDecision', arnOf(stack.table))).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      ]),
    );
    const secretStatements = statements('LinkDecision').filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('secretsmanager:')),
    );
    expect(secretStatements.map((s) => s.Resource)).toEqual([ref(stack.linkSigningKeys)]);
    // An acknowledgement resumes the waiting workflow task: task responses on this state machine only.
    const resume = statements('LinkDecision').filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('states:')),
    );
    expect(resume).toHaveLength(1);
    expect(resume[0]?.Resource).toEqual(ref(stack.stateMachine));
    expect([resume[0]?.Action].flat()).toEqual(
      expect.arrayContaining(['states:SendTaskSuccess', 'states:SendTaskFailure']),
    );
    expect([resume[0]?.Action].flat()).not.toContain('states:StartExecution');
    expect(allActions('LinkDecision').filter((a) => a.startsWith('ses:'))).toEqual([]);
    expect(env('LinkDecision')).not.toHaveProperty('SES_CONFIGURATION_SET');
  });
});
