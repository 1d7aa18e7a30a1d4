import { resolve } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { Organisation } from '../../functions/core/config.ts';
import { IncidentTable } from './incident-table.ts';
import type { Mailer } from './mailer.ts';

/** The repository root: bundling resolves the handlers and the lock file from here. */
export const projectRoot = resolve(import.meta.dirname, '../..');

/** Stands in for @aws-sdk/credential-provider-node in every bundle (see the module's comment). */
export const lambdaCredentialsModule = './functions/adapters/lambda-credentials.ts';

/** Powertools' `service`: a dimension of every metric the functions emit, so alarms name it too. */
export const serviceName = 'hotline';
/** The CloudWatch namespace of the functions' own metrics (Powertools Metrics, as EMF log lines). */
export const metricsNamespace = 'Hotline';

/**
 * What a function may do with the table: exactly the calls the repositories make (adapters/table.ts sends
 * GetCommand, QueryCommand, PutCommand, UpdateCommand and DeleteCommand). Never Scan (every list is a Query on
 * a key or a sparse index), no batch calls, no streams.
 */
export type TableAccess = 'read' | 'readWrite' | 'readWriteDelete';
const read = ['dynamodb:GetItem', 'dynamodb:Query'];
const readWrite = [...read, 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
export const tableActions: Record<TableAccess, readonly string[]> = {
  read,
  readWrite,
  // Only for functions that release a claim they hold (a link use, an alert delivery).
  readWriteDelete: [...readWrite, 'dynamodb:DeleteItem'],
};

/** API handlers answer within API Gateway's 30 s integration limit; workflow steps may take longer. */
export type FunctionKind = 'api' | 'workflow';
const timeouts: Record<FunctionKind, Duration> = {
  api: Duration.seconds(29),
  workflow: Duration.seconds(60),
};

export interface IncidentFunctionProps {
  /** File name under `functions/handlers/`, without `.ts`, e.g. `ingest-alert`. */
  readonly handlerFile: string;
  readonly kind: FunctionKind;
  /** Baked into the bundle (see `organisationDefine`). */
  readonly organisation: Organisation;
  readonly description?: string;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The organisation goes into the bundle as a compile-time constant: Lambda caps all environment variables
 * at 4 KB together and an organisation file can be larger. Tests set the same name as a plain env var.
 */
export function organisationDefine(organisation: Organisation): Record<string, string> {
  return { 'process.env.ORGANISATION_CONFIG': JSON.stringify(JSON.stringify(organisation)) };
}

/**
 * Every function of the system: Node 24 on arm64, an ESM bundle that carries its own AWS SDK (so a runtime
 * SDK update cannot change behaviour under us), source maps, X-Ray, and its own log group with retention.
 * The `bind*` methods set an environment variable and the matching grant together, so neither can be
 * forgotten.
 */
export class IncidentFunction extends nodejs.NodejsFunction {
  /** The function's own role (Function.role is optional in the base class). */
  readonly executionRole: iam.Role;

  constructor(scope: Construct, id: string, props: IncidentFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // An own role instead of the default one: the AWS managed basic execution policy may write to any log
    // group, this role only to the function's own.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Hotline ${id} function`,
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry: resolve(projectRoot, 'functions/handlers', `${props.handlerFile}.ts`),
      handler: 'handler',
      description: props.description,
      projectRoot,
      depsLockFilePath: resolve(projectRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: timeouts[props.kind],
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        platform: 'node',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        // Bundle the SDK instead of using the runtime's copy: the version we test is the version we run.
        externalModules: [],
        // Some bundled CommonJS dependencies call require() for Node built-ins, which ESM lacks.
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        define: organisationDefine(props.organisation),
        // Lambda puts the role's credentials in the environment: skip the SDK's full default chain.
        esbuildArgs: { '--alias:@aws-sdk/credential-provider-node': lambdaCredentialsModule },
        forceDockerBundling: false,
      },
    });

    this.executionRole = role;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (Tracing.ACTIVE) needs xray:PutTraceSegments and xray:PutTelemetryRecords, which have no resource-level permissions.',
    });
  }

  /**
   * TABLE_NAME, with the access's item calls on the table and Query on each of its indexes, named one by one
   * (no `index/*` wildcard). The table's key is the AWS managed one, which needs no grant; a customer managed
   * key would need one here.
   */
  bindTable(table: IncidentTable, access: TableAccess): this {
    iam.Grant.addToPrincipal({
      grantee: this,
      actions: [...tableActions[access]],
      resourceArns: [table.tableArn],
    });
    iam.Grant.addToPrincipal({
      grantee: this,
      actions: ['dynamodb:Query'],
      resourceArns: Object.values(IncidentTable.indexes).map((index) => `${table.tableArn}/index/${index}`),
    });
    this.addEnvironment('TABLE_NAME', table.tableName);
    return this;
  }

  /**
   * `<envName>` = the secret's ARN, with secretsmanager:GetSecretValue on it: the one call the functions make
   * (`grantRead` would add DescribeSecret, which none makes). The secrets use the AWS managed key: no KMS grant.
   */
  bindSecret(secret: secretsmanager.ISecret, envName: string): this {
    iam.Grant.addToPrincipal({
      grantee: this,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [secret.secretArn],
    });
    this.addEnvironment(envName, secret.secretArn);
    return this;
  }

  /** STATE_MACHINE_ARN, with StartExecution on it (the execution is named after the incident key). */
  bindStateMachine(stateMachine: sfn.StateMachine): this {
    stateMachine.grantStartExecution(this);
    this.addEnvironment('STATE_MACHINE_ARN', stateMachine.stateMachineArn);
    return this;
  }

  /**
   * states:DescribeExecution on the state machine's executions only, for a function that looks for an incident's
   * execution before it starts one (the sweep of unstarted workflows). Bind the state machine too.
   */
  bindExecutionReads(stateMachine: sfn.StateMachine): this {
    const stack = Stack.of(this);
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    iam.Grant.addToPrincipal({
      grantee: this,
      actions: ['states:DescribeExecution'],
      resourceArns: [executions],
    });
    const machine = stack.getLogicalId(stateMachine.node.defaultChild as sfn.CfnStateMachine);
    Validations.of(this.executionRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${machine}.Name>:*]`,
      reason:
        'Execution ARNs end in the execution name, unknown until an incident exists; the wildcard covers executions of this one state machine only.',
    });
    return this;
  }

  /**
   * states:SendTaskSuccess on one state machine, for functions that resume a waiting workflow task (an
   * acknowledgement, an update, every alert resolved, a step finding its event already happened). Only
   * SendTaskSuccess: no function fails or heartbeats a task. No environment variable: the task token names its
   * execution. Pass the machine, or (for a function the machine itself invokes, where a reference would make a
   * dependency cycle) its ARN built from its fixed name, `IncidentWorkflow.stateMachineArnByName`.
   */
  bindWorkflowCallback(stateMachine: sfn.IStateMachine | string): this {
    iam.Grant.addToPrincipal({
      grantee: this,
      actions: ['states:SendTaskSuccess'],
      resourceArns: [typeof stateMachine === 'string' ? stateMachine : stateMachine.stateMachineArn],
    });
    return this;
  }

  /**
   * SES_CONFIGURATION_SET, with ses:SendEmail from the sender identity through that configuration set, and what
   * the links in mails need: every mail that names an incident carries a signed link to the incident's page, so
   * a mailing function gets PUBLIC_BASE_URL and the link signing keys (LINK_SIGNING_SECRET_ARN) with it.
   */
  bindMailer(mailer: Mailer, links: { publicBaseUrl: string; signingKeys: secretsmanager.ISecret }): this {
    mailer.grantSend(this);
    return this.bindMailLinks(mailer, links);
  }

  /**
   * As `bindMailer`, for functions that send raw MIME (mail with attachments: the SLO report), which SES
   * authorises as ses:SendRawEmail; they get that action and not ses:SendEmail.
   */
  bindRawMailer(mailer: Mailer, links: { publicBaseUrl: string; signingKeys: secretsmanager.ISecret }): this {
    mailer.grantSendRaw(this);
    return this.bindMailLinks(mailer, links);
  }

  private bindMailLinks(
    mailer: Mailer,
    links: { publicBaseUrl: string; signingKeys: secretsmanager.ISecret },
  ): this {
    this.addEnvironment('SES_CONFIGURATION_SET', mailer.configurationSet.configurationSetName);
    return this.bindPublicBaseUrl(links.publicBaseUrl).bindSecret(
      links.signingKeys,
      'LINK_SIGNING_SECRET_ARN',
    );
  }

  /**
   * PUBLIC_BASE_URL, the origin of the links in mails and pages (the API's, unless the organisation names its
   * own). Nothing to grant. Mailing functions get it through `bindMailer`; this is for the others that render links.
   */
  bindPublicBaseUrl(publicBaseUrl: string): this {
    this.addEnvironment('PUBLIC_BASE_URL', publicBaseUrl);
    return this;
  }

  /**
   * POWERTOOLS_METRICS_NAMESPACE, for functions that emit their own metrics with Powertools Metrics. Nothing to
   * grant: the metrics go out as embedded metric format lines in the function's own log group.
   */
  bindMetrics(): this {
    this.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', metricsNamespace);
    return this;
  }
}
