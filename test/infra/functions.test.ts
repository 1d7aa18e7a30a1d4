import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { IncidentTable } from '../../infra/constructs/incident-table.ts';
import type { IncidentWorkflow } from '../../infra/constructs/incident-workflow.ts';
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
  const tableCalls = (id: FunctionId) => allActions(id).filter((a) => a.startsWith('dynamodb:'));
  const indexArn = (index: string) => ({ 'Fn::Join': ['', [arnOf(stack.table), `/index/${index}`]] });

  /** The item calls each function's code makes (adapters/table.ts), and nothing else. */
  const get = 'dynamodb:GetItem';
  const query = 'dynamodb:Query';
  const put = 'dynamodb:PutItem';
  const update = 'dynamodb:UpdateItem';
  const del = 'dynamodb:DeleteItem';
  const tableCallsOf: Record<FunctionId, string[]> = {
    // Releases the alert delivery it claimed when processing fails.
    IngestAlert: [get, query, put, update, del],
    ListIncidents: [get, query],
    GetIncident: [get, query],
    DeclareIncident: [get, query, put, update],
    RespondToIncident: [get, query, put, update],
    // Releases the link use it claimed when a decision fails.
    LinkDecision: [get, query, put, update, del],
    // The public status page: one Query of its entries.
    StatusPage: [get, query],
    Postmortems: [get, query, put, update],
    WorkflowStep: [get, query, put, update],
    RecordWorkflowFailure: [get, query, put, update],
    SweepUnstartedWorkflows: [get, query, put, update],
    // Lists actions (Query), completes one (the action, the postmortem's list, the timeline).
    Actions: [get, query, put, update],
    // Reads open actions (Query), records each reminder once (comms records, timeline).
    SweepActionReminders: [get, query, put, update],
    // SLO reports: Queries of incidents, postmortems and actions; key to id (view links); a report run created
    // once, marked sent, or deleted when its mail failed.
    Reports: [get, query, put, update, del],
    SendSloReports: [get, query, put, update, del],
  };
  /** Functions whose code sends mail (every mail links to a page, so they need PUBLIC_BASE_URL too). */
  const mailing: FunctionId[] = [
    'Postmortems',
    'WorkflowStep',
    'RespondToIncident',
    'RecordWorkflowFailure',
    'SweepUnstartedWorkflows',
    'SweepActionReminders',
    'Reports',
    'SendSloReports',
  ];
  /** Functions that resume a waiting workflow task. */
  const resuming: FunctionId[] = ['IngestAlert', 'WorkflowStep', 'RespondToIncident', 'LinkDecision'];

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

  it.each(ids)(
    'grants %s exactly its item calls on the table, and Query alone on each index by name',
    (id) => {
      expect(env(id)).toMatchObject({ TABLE_NAME: ref(stack.table) });
      expect(actionsOn(id, arnOf(stack.table)).sort()).toEqual([...tableCallsOf[id]].sort());
      const onIndexes = statements(id).filter((s) => JSON.stringify(s.Resource).includes('/index/'));
      expect(onIndexes).toHaveLength(1);
      expect(onIndexes[0]?.Action).toBe('dynamodb:Query');
      expect(onIndexes[0]?.Resource).toEqual(Object.values(IncidentTable.indexes).map(indexArn));
      // Nothing on the table from anywhere else: the two statements are all.
      expect(tableCalls(id).sort()).toEqual([...tableCallsOf[id], query].sort());
    },
  );

  it('lets no function Scan, batch, describe the table or read its streams', () => {
    const forbidden = [
      'dynamodb:Scan',
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:DescribeTable',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:DescribeStream',
      'dynamodb:ListStreams',
    ];
    for (const id of ids) {
      expect(
        tableCalls(id).filter((a) => forbidden.includes(a) || a.includes('*')),
        id,
      ).toEqual([]);
      const resources = JSON.stringify(statements(id).map((s) => s.Resource));
      expect(resources, id).not.toContain('/stream');
      expect(resources, id).not.toContain('/index/*');
    }
  });

  it.each(['ListIncidents', 'GetIncident', 'StatusPage'] as const)('lets %s only read the table', (id) => {
    expect(new Set(tableCalls(id))).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:Query']));
    expect(
      tableCalls(id).filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite|TransactWrite)/.test(a)),
    ).toEqual([]);
  });

  it('binds StatusPage, an API function, to the table for reading and to the public base URL, and nothing else', () => {
    expect(functionSpecs.StatusPage).toEqual({ handlerFile: 'status-page', kind: 'api' });
    expect(env('StatusPage')).toMatchObject({
      TABLE_NAME: ref(stack.table),
      PUBLIC_BASE_URL: { 'Fn::GetAtt': [logicalId(stack.api), 'ApiEndpoint'] },
    });
    expect(actionsOn('StatusPage', arnOf(stack.table)).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
    ]);
    // Beyond its table reads: only its own logs and tracing.
    expect(allActions('StatusPage').filter((a) => !/^(dynamodb|logs|xray):/.test(a))).toEqual([]);
  });

  it('binds IngestAlert to the table, the state machine and the alertmanager secret', () => {
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

  it.each(['ListIncidents', 'GetIncident', 'StatusPage'] as const)('gives %s nothing but the table', (id) => {
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

  it.each(mailing)(
    'binds %s to the mailer, with ses:SendEmail only on the identity and configuration set',
    (id) => {
      expect(env(id)).toMatchObject({
        SES_CONFIGURATION_SET: ref(stack.mailer.configurationSet),
        PUBLIC_BASE_URL: { 'Fn::GetAtt': [logicalId(stack.api), 'ApiEndpoint'] },
      });
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

  it('gives mail and PUBLIC_BASE_URL only to the functions that mail, and the base URL also to LinkDecision and StatusPage', () => {
    for (const id of ids) {
      const mails = allActions(id).includes('ses:SendEmail');
      expect(mails, id).toBe(mailing.includes(id));
      expect('SES_CONFIGURATION_SET' in env(id), id).toBe(mailing.includes(id));
      // LinkDecision renders pages with links but sends no mail; StatusPage names its URL in the Atom feed.
      expect('PUBLIC_BASE_URL' in env(id), id).toBe(mails || id === 'LinkDecision' || id === 'StatusPage');
    }
  });

  it('lets only the resuming functions resume waiting tasks, with SendTaskSuccess alone on the state machine', () => {
    const workflow = stack.node.findChild('Workflow') as IncidentWorkflow;
    for (const id of ids) {
      const callbacks = allActions(id).filter((a) => /^states:SendTask/.test(a));
      expect(callbacks, id).toEqual(resuming.includes(id) ? ['states:SendTaskSuccess'] : []);
    }
    for (const id of resuming) {
      const resume = statements(id).find((s) => s.Action === 'states:SendTaskSuccess');
      // WorkflowStep names the machine by its fixed name: a reference would be a dependency cycle.
      expect(resume?.Resource, id).toEqual(
        id === 'WorkflowStep' ? stack.resolve(workflow.stateMachineArnByName) : ref(stack.stateMachine),
      );
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
      PUBLIC_BASE_URL: { 'Fn::GetAtt': [logicalId(stack.api), 'ApiEndpoint'] },
    });
    // Resuming a task needs only its token, not the machine's ARN.
    expect(env('LinkDecision')).not.toHaveProperty('STATE_MACHINE_ARN');
    const secretStatements = statements('LinkDecision').filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('secretsmanager:')),
    );
    expect(secretStatements.map((s) => s.Resource)).toEqual([ref(stack.linkSigningKeys)]);
    // An acknowledgement resumes the waiting workflow task: SendTaskSuccess on this state machine only.
    const resume = statements('LinkDecision').filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('states:')),
    );
    expect(resume).toHaveLength(1);
    expect(resume[0]?.Resource).toEqual(ref(stack.stateMachine));
    expect(resume[0]?.Action).toBe('states:SendTaskSuccess');
    expect(allActions('LinkDecision').filter((a) => a.startsWith('ses:'))).toEqual([]);
    expect(env('LinkDecision')).not.toHaveProperty('SES_CONFIGURATION_SET');
  });

  it('binds SweepUnstartedWorkflows to the table, the state machine, the mailer and its metrics namespace', () => {
    expect(functionSpecs.SweepUnstartedWorkflows).toEqual({
      handlerFile: 'sweep-unstarted-workflows',
      kind: 'workflow',
    });
    expect(env('SweepUnstartedWorkflows')).toMatchObject({
      TABLE_NAME: ref(stack.table),
      STATE_MACHINE_ARN: ref(stack.stateMachine),
      SES_CONFIGURATION_SET: ref(stack.mailer.configurationSet),
      PUBLIC_BASE_URL: { 'Fn::GetAtt': [logicalId(stack.api), 'ApiEndpoint'] },
      POWERTOOLS_SERVICE_NAME: 'hotline',
      POWERTOOLS_METRICS_NAMESPACE: 'Hotline',
    });
    // It looks for an incident's execution before starting it, and never resumes one.
    const stateActions = allActions('SweepUnstartedWorkflows').filter((a) => a.startsWith('states:'));
    expect(stateActions.sort()).toEqual(['states:DescribeExecution', 'states:StartExecution']);
    expect(actionsOn('SweepUnstartedWorkflows', ref(stack.stateMachine))).toEqual(['states:StartExecution']);
    // Its mail to the operators links the incident's page: it signs view links with the link keys.
    expect(env('SweepUnstartedWorkflows')).toHaveProperty('LINK_SIGNING_SECRET_ARN');
    expect(
      allActions('SweepUnstartedWorkflows')
        .filter((a) => a.startsWith('secretsmanager:'))
        .sort(),
    ).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    // Metrics go out as log lines: no cloudwatch:PutMetricData.
    expect(allActions('SweepUnstartedWorkflows').filter((a) => a.startsWith('cloudwatch:'))).toEqual([]);
    for (const id of ids.filter((i) => i !== 'SweepUnstartedWorkflows')) {
      expect(env(id), id).not.toHaveProperty('POWERTOOLS_METRICS_NAMESPACE');
    }
  });
});
