import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Capability, capabilities, sourceCredentialEnv } from '../../functions/adapters/capabilities.ts';
import { type FunctionDeclaration, functionDeclarations } from '../../functions/handlers/capabilities.ts';
import type { IncidentWorkflow } from '../../infra/constructs/incident-workflow.ts';
import type { SecureParameter } from '../../infra/constructs/secrets.ts';
import { type FunctionId, functionSpecs, type HotlineStack } from '../../infra/hotline-stack.ts';
import { grantsOf, isMailSend, mailingFunctions } from './function-grants.ts';
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
  const parameterArn = (parameter: SecureParameter) => stack.resolve(parameter.parameterArn);
  const indexArn = (index: string) => ({ 'Fn::Join': ['', [arnOf(stack.table), `/index/${index}`]] });

  /** The item calls each function's code makes (adapters/table.ts), and nothing else. */
  const tableCallsOf = (id: FunctionId) => grantsOf(id).table;
  /** Functions whose code sends mail (every mail links to a page, so they need PUBLIC_BASE_URL too). */
  const mailing = mailingFunctions;
  /** Functions that resume a waiting workflow task. */
  const resuming = ids.filter((id) => grantsOf(id).calls.includes('states:SendTaskSuccess'));

  /**
   * The functions invoked asynchronously publish a failed invocation's record to the operators' encrypted topic
   * (the Lambda service does, with the function's role), and so does the report runner's stream mapping for a
   * batch it gave up on: test/infra/operator-alarms.test.ts.
   */
  const asyncFunctions: readonly FunctionId[] = [
    'RunSloReport',
    'SweepUnstartedWorkflows',
    'SweepActionReminders',
    'SendSloReports',
    'SmsReplies',
    'MailEvents',
    'MailReplies',
  ];
  const failureDestination = ['kms:Decrypt', 'kms:GenerateDataKey*', 'sns:Publish'];

  it.each(ids)(
    'grants %s exactly the calls its code makes, beside its logs, tracing and failure destination',
    (id) => {
      const granted = new Set(allActions(id).filter((a) => !/^(logs|xray):/.test(a)));
      expect([...granted].sort(), id).toEqual(
        [
          ...new Set([
            ...grantsOf(id).table,
            ...(grantsOf(id).indexes.length > 0 ? ['dynamodb:Query'] : []),
            ...grantsOf(id).calls,
            ...(asyncFunctions.includes(id) ? failureDestination : []),
          ]),
        ].sort(),
      );
      const topic = logicalId(stack.alarms.topic);
      expect(actionsOn(id, { Ref: topic }), id).toEqual(asyncFunctions.includes(id) ? ['sns:Publish'] : []);
    },
  );

  it.each(ids)('gives %s exactly the environment of the capabilities it declares', (id) => {
    const uses: readonly Capability[] = functionDeclarations[id].uses;
    const expected = new Set([
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_LOG_LEVEL',
      ...uses.flatMap((c) => capabilities[c].env),
      ...(uses.includes('secrets:alertSources')
        ? Object.keys(stack.alertSourceCredentials).map(sourceCredentialEnv)
        : []),
    ]);
    expect(Object.keys(env(id)).sort()).toEqual([...expected].sort());
  });

  it('creates exactly the contract functions, as direct children of the stack, and the deploy-time one', () => {
    // Beside them, only the function behind the SecureString parameters' custom resource (deploy time only).
    template.resourceCountIs('AWS::Lambda::Function', ids.length + 1);
    for (const id of ids) expect(stack.functions[id].node.path).toBe(`Hotline/${id}`);
    expect(stack.credentials.function.node.path).toBe('Hotline/Credentials/SecureParameterFunction');
  });

  it.each(ids)(
    '%s runs Node 24 on arm64 with tracing (unless declared off), its measured memory, without parsing source maps at start',
    (id) => {
      // 512 MB and the kind's timeout unless the declaration sizes the function from a measurement (the reports).
      const spec = functionSpecs[id] as FunctionDeclaration;
      const traced = spec.tracing !== false;
      expect(
        allActions(id).some((a) => a.startsWith('xray:')),
        id,
      ).toBe(traced);
      expect(props(id)?.TracingConfig, id).toEqual(traced ? { Mode: 'Active' } : undefined);
      expect(props(id)).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: spec.memoryMb ?? 512,
        Handler: 'index.handler',
        Timeout: spec.timeoutSeconds ?? (functionSpecs[id].kind === 'api' ? 29 : 60),
      });
      expect(env(id)).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'hotline',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
      // Source maps are read when a stack is printed (adapters/stack-traces.ts), not parsed at every cold start.
      expect(env(id)?.NODE_OPTIONS ?? '', id).not.toContain('--enable-source-maps');
    },
  );

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
    'grants %s exactly its calls on the table, and Query alone on the indexes it declares, by name',
    (id) => {
      expect(env(id)).toMatchObject({ TABLE_NAME: ref(stack.table) });
      expect(actionsOn(id, arnOf(stack.table)).sort()).toEqual([...tableCallsOf(id)].sort());
      const onIndexes = statements(id).filter((s) => JSON.stringify(s.Resource).includes('/index/'));
      const indexes = grantsOf(id).indexes;
      expect(onIndexes).toHaveLength(indexes.length > 0 ? 1 : 0);
      if (indexes.length > 0) {
        expect(onIndexes[0]?.Action).toBe('dynamodb:Query');
        expect([onIndexes[0]?.Resource].flat()).toEqual(indexes.map(indexArn));
      }
      // Nothing on the table from anywhere else: the two statements are all (beside the stream reads of a
      // function the table's stream starts, on the stream alone: below).
      const expected = [
        ...tableCallsOf(id),
        ...(indexes.length > 0 ? ['dynamodb:Query'] : []),
        ...grantsOf(id).calls.filter((c) => c.startsWith('dynamodb:')),
      ];
      expect(tableCalls(id).sort()).toEqual(expected.sort());
    },
  );

  it('lets no function Scan, batch or describe the table, and only the stream-started one read its stream', () => {
    const forbidden = [
      'dynamodb:Scan',
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:DescribeTable',
    ];
    const streamReads = [
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:DescribeStream',
      'dynamodb:ListStreams',
    ];
    for (const id of ids) {
      const reads = (functionDeclarations[id].uses as readonly Capability[]).includes('reports:runs');
      expect(
        tableCalls(id).filter((a) => forbidden.includes(a) || a.includes('*')),
        id,
      ).toEqual([]);
      expect(
        tableCalls(id)
          .filter((a) => streamReads.includes(a))
          .sort(),
        id,
      ).toEqual(reads ? [...streamReads].sort() : []);
      const resources = JSON.stringify(statements(id).map((s) => s.Resource));
      expect(resources.includes('StreamArn'), id).toBe(reads);
      expect(resources, id).not.toContain('/index/*');
    }
  });

  it.each(['ListIncidents', 'GetIncident', 'StatusPage'] as const)('lets %s only read the table', (id) => {
    expect(tableCalls(id).every((a) => a === 'dynamodb:GetItem' || a === 'dynamodb:Query')).toBe(true);
    expect(
      tableCalls(id).filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite|TransactWrite)/.test(a)),
    ).toEqual([]);
  });

  it('binds StatusPage, an API function, to the table for reading and to the public base URL, and nothing else', () => {
    expect(functionSpecs.StatusPage).toMatchObject({ handlerFile: 'status-page', kind: 'api' });
    expect(env('StatusPage')).toMatchObject({
      TABLE_NAME: ref(stack.table),
      PUBLIC_BASE_URL: { 'Fn::GetAtt': [logicalId(stack.api), 'ApiEndpoint'] },
    });
    // One Query of the sparse list of entries, and nothing on the table itself.
    expect(actionsOn('StatusPage', arnOf(stack.table))).toEqual([]);
    expect(actionsOn('StatusPage', indexArn('gsi3'))).toEqual(['dynamodb:Query']);
    // Beyond its table reads: only its own logs and tracing.
    expect(allActions('StatusPage').filter((a) => !/^(dynamodb|logs|xray):/.test(a))).toEqual([]);
  });

  it('binds IngestAlert to the table, the state machine and the alertmanager credential', () => {
    expect(env('IngestAlert')).toMatchObject({
      TABLE_NAME: ref(stack.table),
      STATE_MACHINE_ARN: ref(stack.stateMachine),
      ALERTMANAGER_CREDENTIAL_PARAMETER: '/hotline/Hotline/alert-sources/alertmanager',
    });
    expect(actionsOn('IngestAlert', arnOf(stack.table))).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem']),
    );
    // Start its incident's execution, and resume the waiting comms loop when every alert resolved.
    expect(actionsOn('IngestAlert', ref(stack.stateMachine)).sort()).toEqual([
      'states:SendTaskSuccess',
      'states:StartExecution',
    ]);
    const stateActions = allActions('IngestAlert').filter((a) => a.startsWith('states:'));
    expect(stateActions.sort()).toEqual(['states:SendTaskSuccess', 'states:StartExecution']);
    expect(actionsOn('IngestAlert', parameterArn(stack.alertSourceCredentials.alertmanager))).toEqual([
      'ssm:GetParameter',
    ]);
  });

  it.each(['ListIncidents', 'GetIncident', 'StatusPage'] as const)('gives %s nothing but the table', (id) => {
    expect(allActions(id).filter((a) => /^(states|ses|secretsmanager|ssm|kms):/.test(a))).toEqual([]);
  });

  it('binds IngestAlert to every shared-credential source parameter, read only, and gives it no mail', () => {
    for (const [source, parameter] of Object.entries(stack.alertSourceCredentials)) {
      expect(env('IngestAlert')[`${source.toUpperCase()}_CREDENTIAL_PARAMETER`]).toBe(
        `/hotline/Hotline/alert-sources/${source}`,
      );
      expect(actionsOn('IngestAlert', parameterArn(parameter))).toEqual(['ssm:GetParameter']);
    }
    // Exactly those five, no path wildcard, and no KMS grant: the AWS managed key aws/ssm needs none.
    const ssmResources = statements('IngestAlert')
      .filter((s) => [s.Action].flat().some((a) => a.startsWith('ssm:')))
      .map((s) => JSON.stringify(s.Resource));
    expect(ssmResources.sort()).toEqual(
      Object.values(stack.alertSourceCredentials)
        .map((p) => JSON.stringify(parameterArn(p)))
        .sort(),
    );
    expect(allActions('IngestAlert').filter((a) => /^(kms|secretsmanager):/.test(a))).toEqual([]);
    expect(allActions('IngestAlert').filter((a) => a.startsWith('ses:'))).toEqual([]);
    expect(allActions('IngestAlert')).toContain('states:SendTaskSuccess');
  });

  it('binds DeclareIncident to the table and the state machine, with no secrets or mail', () => {
    expect(env('DeclareIncident')).toMatchObject({
      TABLE_NAME: ref(stack.table),
      STATE_MACHINE_ARN: ref(stack.stateMachine),
    });
    expect(allActions('DeclareIncident').filter((a) => /^(ses|secretsmanager|ssm):/.test(a))).toEqual([]);
  });

  it.each(mailing)(
    'binds %s to the mailer, with its one send action (simple or raw) only on the identity and configuration set',
    (id) => {
      expect(env(id)).toMatchObject({
        SES_CONFIGURATION_SET: ref(stack.mailer.configurationSet),
        PUBLIC_BASE_URL: { 'Fn::GetAtt': [logicalId(stack.api), 'ApiEndpoint'] },
      });
      const send = statements(id).filter((s) => [s.Action].flat().some(isMailSend));
      expect(send).toHaveLength(1);
      expect(send[0]?.Action).toBe(grantsOf(id).calls.find(isMailSend));
      const resources = JSON.stringify(send[0]?.Resource);
      expect(send[0]?.Resource).toHaveLength(2);
      expect(resources).toContain(`:identity/",${JSON.stringify(ref(stack.mailer.identity))}`);
      expect(resources).toContain(
        `:configuration-set/",${JSON.stringify(ref(stack.mailer.configurationSet))}`,
      );
    },
  );

  it('gives mail and PUBLIC_BASE_URL only to the functions that mail, and the base URL also to StatusPage and ScheduleFeed', () => {
    for (const id of ids) {
      const mails = allActions(id).some((a) => a === 'ses:SendEmail' || a === 'ses:SendRawEmail');
      expect(mails, id).toBe(mailing.includes(id));
      expect('SES_CONFIGURATION_SET' in env(id), id).toBe(mailing.includes(id));
      // StatusPage names its URL in the Atom feed; ScheduleFeed signs feed links on it.
      expect('PUBLIC_BASE_URL' in env(id), id).toBe(mails || id === 'StatusPage' || id === 'ScheduleFeed');
    }
  });

  it('starts report runs from the table stream alone: no function invokes another, and the runner reads its stream only', () => {
    const runner = stack.functions.RunSloReport;
    expect(ids.filter((id) => allActions(id).some((a) => a.startsWith('lambda:')))).toEqual([]);
    expect(ids.filter((id) => 'REPORT_RUNNER_FUNCTION' in env(id))).toEqual([]);
    const streamArn = { 'Fn::GetAtt': [logicalId(stack.table), 'StreamArn'] };
    const readers = ids.filter((id) =>
      allActions(id).some((a) => /^dynamodb:(GetRecords|ListStreams)/.test(a)),
    );
    expect(readers).toEqual(['RunSloReport']);
    expect(actionsOn('RunSloReport', streamArn).sort()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ]);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'KEYS_ONLY' },
    });
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(runner) },
      EventSourceArn: streamArn,
      StartingPosition: 'LATEST',
      BatchSize: 1,
      MaximumRetryAttempts: 2,
      MaximumRecordAgeInSeconds: 300,
      ParallelizationFactor: 10,
      DestinationConfig: { OnFailure: { Destination: { Ref: logicalId(stack.alarms.topic) } } },
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT'],
              dynamodb: { Keys: { pk: { S: [{ prefix: 'REPORTJOB#' }] }, sk: { S: ['REPORTJOB'] } } },
            }),
          },
        ],
      },
    });
    // Nothing invokes the runner asynchronously any more: no EventInvokeConfig of its own.
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'));
    expect(
      configs.filter((c) => JSON.stringify(c.Properties.FunctionName).includes(logicalId(runner))),
    ).toEqual([]);
  });

  it('grants ses:SendRawEmail to the report functions alone, and ses:SendEmail to none of them', () => {
    const raw = ids.filter((id) => allActions(id).includes('ses:SendRawEmail'));
    expect(raw.sort()).toEqual(['Reports', 'RunSloReport', 'SendSloReports']);
    for (const id of raw) expect(allActions(id), id).not.toContain('ses:SendEmail');
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
    expect(env('WorkflowStep')).toMatchObject({
      LINK_SIGNING_KEYS_PARAMETER: '/hotline/Hotline/link-signing-keys',
    });
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

  it('binds LinkDecision to the table, the link keys, the workflow callback and the mailer, and no other secret', () => {
    expect(env('LinkDecision')).toMatchObject({
      TABLE_NAME: ref(stack.table),
      LINK_SIGNING_KEYS_PARAMETER: stack.linkSigningKeys.parameterName,
      PUBLIC_BASE_URL: { 'Fn::GetAtt': [logicalId(stack.api), 'ApiEndpoint'] },
    });
    // Resuming a task needs only its token, not the machine's ARN.
    expect(env('LinkDecision')).not.toHaveProperty('STATE_MACHINE_ARN');
    const secretStatements = statements('LinkDecision').filter((s) =>
      [s.Action].flat().some((a) => /^(ssm|secretsmanager|kms):/.test(a)),
    );
    expect(secretStatements.map((s) => [s.Action, s.Resource])).toEqual([
      ['ssm:GetParameter', parameterArn(stack.linkSigningKeys)],
    ]);
    // An acknowledgement resumes the waiting workflow task: SendTaskSuccess on this state machine only.
    const resume = statements('LinkDecision').filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('states:')),
    );
    expect(resume).toHaveLength(1);
    expect(resume[0]?.Resource).toEqual(ref(stack.stateMachine));
    expect(resume[0]?.Action).toBe('states:SendTaskSuccess');
    // A change request's comment to the owner mails (the editor's mail is PostmortemEditor's).
    expect(allActions('LinkDecision').filter((a) => a.startsWith('ses:'))).toEqual(['ses:SendEmail']);
    expect(env('LinkDecision')).toMatchObject({ SES_CONFIGURATION_SET: ref(stack.mailer.configurationSet) });
  });

  it('binds PostmortemEditor to the table, the link keys, the workflow callback and the mailer: no link uses to release', () => {
    expect(env('PostmortemEditor')).toMatchObject({
      TABLE_NAME: ref(stack.table),
      LINK_SIGNING_KEYS_PARAMETER: stack.linkSigningKeys.parameterName,
      PUBLIC_BASE_URL: { 'Fn::GetAtt': [logicalId(stack.api), 'ApiEndpoint'] },
      SES_CONFIGURATION_SET: ref(stack.mailer.configurationSet),
    });
    expect(env('PostmortemEditor')).not.toHaveProperty('STATE_MACHINE_ARN');
    const secretStatements = statements('PostmortemEditor').filter((s) =>
      [s.Action].flat().some((a) => /^(ssm|secretsmanager|kms):/.test(a)),
    );
    expect(secretStatements.map((s) => [s.Action, s.Resource])).toEqual([
      ['ssm:GetParameter', parameterArn(stack.linkSigningKeys)],
    ]);
    // "Ask for approval" resumes the postmortem's wait; it and a save in review mail the approvers.
    const resume = statements('PostmortemEditor').filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('states:')),
    );
    expect(resume.map((s) => [s.Action, s.Resource])).toEqual([
      ['states:SendTaskSuccess', ref(stack.stateMachine)],
    ]);
    expect(allActions('PostmortemEditor').filter((a) => a.startsWith('ses:'))).toEqual(['ses:SendEmail']);
    expect(allActions('PostmortemEditor')).not.toContain('dynamodb:DeleteItem');
  });

  it('lets Postmortems resume the postmortem wait when approval is asked for', () => {
    const resume = statements('Postmortems').filter((s) => s.Action === 'states:SendTaskSuccess');
    expect(resume).toHaveLength(1);
    expect(resume[0]?.Resource).toEqual(ref(stack.stateMachine));
  });

  it('binds SweepUnstartedWorkflows to the table, the state machine, the mailer and its metrics namespace', () => {
    expect(functionSpecs.SweepUnstartedWorkflows).toMatchObject({
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
    const describe = statements('SweepUnstartedWorkflows').find(
      (s) => s.Action === 'states:DescribeExecution',
    );
    expect(JSON.stringify(describe?.Resource)).toContain(':execution:');
    expect(JSON.stringify(describe?.Resource)).toContain(
      JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.stateMachine), 'Name'] }),
    );
    // Its mail to the operators links the incident's page: it signs view links with the link keys.
    expect(env('SweepUnstartedWorkflows')).toHaveProperty('LINK_SIGNING_KEYS_PARAMETER');
    // The channel check: SES and SMS and Voice reads of the account (no resource type), and the opt-out list.
    const reads = statements('SweepUnstartedWorkflows').filter((s) =>
      [s.Action].flat().some((a) => /^(ses:Get|sms-voice:Describe)/.test(a)),
    );
    expect(reads.map((s) => [[s.Action].flat().sort(), JSON.stringify(s.Resource)])).toEqual([
      [['ses:GetAccount', 'ses:GetSuppressedDestination'], '"*"'],
      [['sms-voice:DescribeAccountAttributes', 'sms-voice:DescribeSpendLimits'], '"*"'],
      [['sms-voice:DescribeOptedOutNumbers'], expect.stringContaining(':opt-out-list/Default')],
    ]);
    // No function but the sweep reads them.
    for (const id of ids.filter((i) => i !== 'SweepUnstartedWorkflows'))
      expect(
        allActions(id).filter((a) => /^(ses:Get|sms-voice:Describe)/.test(a)),
        id,
      ).toEqual([]);
    expect(
      allActions('SweepUnstartedWorkflows')
        .filter((a) => /^(ssm|secretsmanager):/.test(a))
        .sort(),
    ).toEqual(['ssm:GetParameter']);
    // Metrics go out as log lines: no cloudwatch:PutMetricData.
    expect(allActions('SweepUnstartedWorkflows').filter((a) => a.startsWith('cloudwatch:'))).toEqual([]);
    // The sweeps count their failed items too: only they have a metrics namespace.
    const sweeps = ['SweepUnstartedWorkflows', 'SweepActionReminders'];
    expect(env('SweepActionReminders')).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: 'Hotline' });
    expect(allActions('SweepActionReminders').filter((a) => a.startsWith('cloudwatch:'))).toEqual([]);
    for (const id of ids.filter((i) => !sweeps.includes(i))) {
      expect(env(id), id).not.toHaveProperty('POWERTOOLS_METRICS_NAMESPACE');
    }
  });
});
