import { resolve } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { Organisation } from '../../functions/core/config.ts';
import type { Mailer } from './mailer.ts';

/** The repository root: bundling resolves the handlers, package.json imports and the lock file from here. */
export const projectRoot = resolve(import.meta.dirname, '../..');

/** Stands in for @aws-sdk/credential-provider-node in every bundle (see the module's comment). */
export const lambdaCredentialsModule = './functions/adapters/lambda-credentials.ts';

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
        POWERTOOLS_SERVICE_NAME: 'hotline',
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

  /** TABLE_NAME, with read or read/write access to the table and its indexes. */
  bindTable(table: dynamodb.Table, access: 'read' | 'readWrite'): this {
    if (access === 'read') table.grantReadData(this);
    else table.grantReadWriteData(this);
    this.addEnvironment('TABLE_NAME', table.tableName);
    const tableResource = table.node.defaultChild as dynamodb.CfnTable;
    Validations.of(this.executionRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(tableResource)}.Arn>/index/*]`,
      reason:
        "Queries use the single table's own GSIs (gsi1, gsi2); the wildcard covers only that table's indexes.",
    });
    return this;
  }

  /** `<envName>` = the secret's ARN, with read access to its value. */
  bindSecret(secret: secretsmanager.ISecret, envName: string): this {
    secret.grantRead(this);
    this.addEnvironment(envName, secret.secretArn);
    return this;
  }

  /**
   * STATE_MACHINE_ARN, with StartExecution on it and DescribeExecution on its executions only (the starter
   * reads an execution back when a start is refused as a duplicate).
   */
  bindStateMachine(stateMachine: sfn.StateMachine): this {
    stateMachine.grantStartExecution(this);
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
    this.addEnvironment('STATE_MACHINE_ARN', stateMachine.stateMachineArn);
    const machine = stack.getLogicalId(stateMachine.node.defaultChild as sfn.CfnStateMachine);
    Validations.of(this.executionRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${machine}.Name>:*]`,
      reason:
        'Execution ARNs end in the execution name, unknown until an incident exists; the wildcard covers executions of this one state machine only.',
    });
    return this;
  }

  /**
   * STATE_MACHINE_ARN, with SendTaskSuccess/SendTaskFailure (and heartbeat) on that state machine only: for
   * functions that resume a waiting workflow task (an acknowledgement by link or API).
   */
  bindWorkflowCallback(stateMachine: sfn.StateMachine): this {
    stateMachine.grantTaskResponse(this);
    this.addEnvironment('STATE_MACHINE_ARN', stateMachine.stateMachineArn);
    return this;
  }

  /** SES_CONFIGURATION_SET, with ses:SendEmail from the sender identity through that configuration set. */
  bindMailer(mailer: Mailer): this {
    mailer.grantSend(this);
    this.addEnvironment('SES_CONFIGURATION_SET', mailer.configurationSet.configurationSetName);
    return this;
  }
}
