import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ArnFormat, AssetHashType, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { type Capability, sourceCredentialEnv } from '../../functions/adapters/capabilities.ts';
import { OPT_OUT_LIST } from '../../functions/core/channel-health.ts';
import type { Organisation } from '../../functions/core/config.ts';
import {
  configurationSetName,
  configurationSetResource,
  originationIdentityResource,
  type PagingConfig,
} from '../../functions/core/paging-config.ts';
import type { FunctionKind } from '../../functions/handlers/capabilities.ts';
import { functionCodeOptions } from '../bundling/bundle.ts';
import { FunctionBundling } from '../bundling/function-bundling.ts';
import { IncidentTable } from './incident-table.ts';
import type { Mailer } from './mailer.ts';
import { bindReportRuns } from './report-runs.ts';
import type { SecureParameter } from './secrets.ts';

/** The repository root: bundling resolves the handlers and the lock file from here. */
export const projectRoot = resolve(import.meta.dirname, '../..');

/** Stands in for @aws-sdk/credential-provider-node in every bundle (see the module's comment). */
export const lambdaCredentialsModule = './functions/adapters/lambda-credentials.ts';
/** Stands in for mime-types in every bundle: mimetext's one call to it without mime-db (see the module's comment). */
export const mimeTypesModule = './functions/adapters/mime-types.ts';
/** Stands in for Babel's String.prototype.trim polyfill that mimetext imports (see the module's comment). */
export const stringTrimModule = './functions/adapters/string-trim.ts';
/** Stands in for the SDK's event stream support, which no client of ours uses (see the module's comment). */
export const noEventStreamsModule = './functions/adapters/no-event-streams.ts';
/** Stands in for bowser, the SDK's browser user agent parser (see the module's comment). */
export const noBrowserUserAgentModule = './functions/adapters/no-browser-user-agent.ts';

/**
 * Context key: when true, esbuild prints only its warnings and errors, not each bundle's file sizes. `npm start`
 * sets it (infra/local/synth.ts) unless asked to be verbose; `cdk synth` prints them, as esbuild's command line does.
 */
export const quietBundlingContext = 'hotline:quietBundling';

/** Powertools' `service`: a dimension of every metric the functions emit, so alarms name it too. */
export const serviceName = 'hotline';
/** The CloudWatch namespace of the functions' own metrics (Powertools Metrics, as EMF log lines). */
export const metricsNamespace = 'Hotline';

/**
 * The table calls of each table capability: exactly the calls the repositories make (adapters/table.ts sends
 * GetCommand, QueryCommand, PutCommand, UpdateCommand and DeleteCommand). Never Scan (every list is a Query on a
 * key or a sparse index), no batch calls, no streams.
 */
export const tableActions = {
  'table:get': ['dynamodb:GetItem'],
  'table:query': ['dynamodb:Query'],
  'table:write': ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
  'table:put': ['dynamodb:PutItem'],
  'table:update': ['dynamodb:UpdateItem'],
  // Only for functions that release a claim they hold (a link use, an alert delivery, a report run).
  'table:delete': ['dynamodb:DeleteItem'],
} as const satisfies Partial<Record<Capability, readonly string[]>>;

/** What the capabilities bind to: the stack's resources. */
export interface CapabilityResources {
  readonly table: IncidentTable;
  readonly mailer: Mailer;
  readonly linkSigningKeys: SecureParameter;
  readonly publicBaseUrl: string;
  readonly alertSourceCredentials: Readonly<Record<string, SecureParameter>>;
  /** The organisation's `paging` section: what the `pager` capability may send from (absent: nothing). */
  readonly paging?: PagingConfig | undefined;
  /** The topic two-way SMS publishes replies to (`sms:replies` subscribes the function to it). */
  readonly twoWaySmsTopic?: sns.ITopic;
  /** The topic the mail configuration set's events go to (`mail:events` subscribes the function to it). */
  readonly mailEventsTopic?: sns.ITopic;
  /** The topic the SES receipt rule publishes replies to (`mail:replies` subscribes the function to it). */
  readonly mailRepliesTopic?: sns.ITopic;
  /** Where a stream event source mapping (`reports:runs`) sends what it gave up on: the operators' topic. */
  readonly streamFailures?: (fn: lambda.Function) => lambda.IEventSourceDlq;
  readonly workflow: {
    readonly stateMachine: sfn.StateMachine;
    /** The machine's ARN from its fixed name: a function the machine invokes cannot reference it (a cycle). */
    readonly arnByName: string;
    /** The functions the machine invokes. */
    readonly invokes: readonly lambda.IFunction[];
  };
}

/** API handlers answer within API Gateway's 30 s integration limit; workflow steps may take longer. */
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
  /**
   * The capabilities the function declares (functions/handlers/capabilities.ts), baked into its bundle so that
   * it carries its own declaration instead of every function's table (see `capabilitiesDefine`).
   */
  readonly uses?: readonly Capability[];
  readonly description?: string;
  /** @default 512 (measured sizes in functions/handlers/capabilities.ts) */
  readonly memoryMb?: number;
  /** @default 29 s for API functions, 60 s for workflow functions */
  readonly timeoutSeconds?: number;
  /** X-Ray active tracing (see FunctionDeclaration.tracing). @default true */
  readonly tracing?: boolean;
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
 * What `linkedTo` (functions/handlers/capabilities.ts) checks a handler's ports against, as a compile-time
 * constant: with it, the bundle leaves out the table of every function's declarations.
 */
export function capabilitiesDefine(uses: readonly Capability[] | undefined): Record<string, string> {
  return uses ? { 'process.env.HOTLINE_BUNDLED_CAPABILITIES': JSON.stringify(JSON.stringify(uses)) } : {};
}

/**
 * Every function of the system: Node 24 on arm64, an ESM bundle that carries its own AWS SDK (so a runtime
 * SDK update cannot change behaviour under us), source maps, X-Ray (unless the declaration turns it off), and its
 * own log group with retention.
 * `bindCapabilities` gives it the environment variables and grants of the capabilities it declares, and no
 * others.
 */
export class IncidentFunction extends nodejs.NodejsFunction {
  /** The function's own role (Function.role is optional in the base class). */
  readonly executionRole: iam.Role;
  /** The capabilities it declares: baked into its bundle, and what `bindCapabilities` binds. */
  readonly uses: readonly Capability[];

  constructor(scope: Construct, id: string, props: IncidentFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // An own role instead of the default one: the AWS managed basic execution policy may write to any log
    // group, this role only to the function's own.
    const quiet = scope.node.tryGetContext(quietBundlingContext) === true;
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Hotline ${id} function`,
    });
    logGroup.grantWrite(role);

    const entry = resolve(projectRoot, 'functions/handlers', `${props.handlerFile}.ts`);
    // NodejsFunction fails at construction on a missing handler, bundled or not: so does this.
    if (!existsSync(entry)) throw new Error(`${id}: no handler module ${entry}`);
    // NodejsFunction's own bundling runs esbuild's command line, which takes no plugins: FunctionBundling runs
    // esbuild's JS API with these options (what NodejsFunction's bundling props would pass) and the project's
    // plugins (infra/bundling/bundle.ts).
    const bundling = new FunctionBundling(projectRoot, {
      entryPoints: [entry],
      ...functionCodeOptions,
      // The map sits beside the bundle for the stack traces (adapters/stack-traces.ts maps a stack through it when
      // one is first printed); the sources' text is left out of it, which a stack does not need.
      sourcemap: true,
      sourcesContent: false,
      // A module imported dynamically (a heavy library loaded on first use, adapters/document-renderer.ts) is a
      // chunk of its own, read only when first called: the entry is what a cold start pays for.
      splitting: true,
      define: { ...organisationDefine(props.organisation), ...capabilitiesDefine(props.uses) },
      // Lambda puts the role's credentials in the environment: skip the SDK's full default chain.
      alias: {
        '@aws-sdk/credential-provider-node': lambdaCredentialsModule,
        'mime-types': mimeTypesModule,
        '@babel/runtime-corejs3/core-js/instance/trim': stringTrimModule,
        '@smithy/core/event-streams': noEventStreamsModule,
        bowser: noBrowserUserAgentModule,
      },
      // esbuild's command line (what NodejsFunction ran) prints each bundle's size at its default level, info.
      logLevel: quiet ? 'warning' : 'info',
    });

    super(scope, id, {
      code: lambda.Code.fromAsset(projectRoot, { assetHashType: AssetHashType.OUTPUT, bundling }),
      // The bundle is index.mjs (FunctionBundling.outfileName), its export `handler`.
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMb ?? 512,
      timeout: props.timeoutSeconds ? Duration.seconds(props.timeoutSeconds) : timeouts[props.kind],
      role,
      logGroup,
      tracing: props.tracing === false ? lambda.Tracing.DISABLED : lambda.Tracing.ACTIVE,
      environment: {
        // No NODE_OPTIONS=--enable-source-maps: it parses the whole map at every cold start (nearly half as much
        // again on LinkDecision's import); adapters/stack-traces.ts maps a stack when one is printed instead.
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });

    this.executionRole = role;
    this.uses = props.uses ?? [];
    if (props.tracing !== false)
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing (Tracing.ACTIVE) needs xray:PutTraceSegments and xray:PutTelemetryRecords, which have no resource-level permissions.',
      });
  }

  /**
   * Everything the function's declared capabilities need (functions/handlers/capabilities.ts): environment
   * variables and IAM grants together, derived from the declaration, so that neither can be forgotten or given
   * where it is not used.
   */
  bindCapabilities(resources: CapabilityResources): this {
    const has = (capability: Capability) => this.uses.includes(capability);
    if (has('table')) {
      const actions = (
        ['table:get', 'table:query', 'table:write', 'table:put', 'table:update', 'table:delete'] as const
      ).flatMap((c) => (has(c) ? tableActions[c] : []));
      const indexes = Object.values(IncidentTable.indexes).filter((index) => has(`table:index:${index}`));
      this.bindTable(resources.table, actions, indexes);
    }
    const { workflow } = resources;
    const invoked = workflow.invokes.includes(this);
    // A function the machine invokes names it by its ARN from the fixed name: a reference would be a cycle.
    const machineArn = invoked ? workflow.arnByName : workflow.stateMachine.stateMachineArn;
    if (has('workflow:start')) this.bindStateMachine(machineArn);
    if (has('workflow:executions')) this.bindExecutionReads(workflow.stateMachine, machineArn);
    if (has('workflow:callback')) this.bindWorkflowCallback(machineArn);
    if (has('mail')) this.bindMailer(resources.mailer, 'ses:SendEmail');
    if (has('mail:raw')) this.bindMailer(resources.mailer, 'ses:SendRawEmail');
    if (has('links')) {
      this.bindParameter(resources.linkSigningKeys, 'LINK_SIGNING_KEYS_PARAMETER');
      this.bindPublicBaseUrl(resources.publicBaseUrl);
    }
    if (has('publicBaseUrl')) this.bindPublicBaseUrl(resources.publicBaseUrl);
    if (has('secrets:alertSources')) {
      for (const [source, parameter] of Object.entries(resources.alertSourceCredentials))
        this.bindParameter(parameter, sourceCredentialEnv(source));
    }
    if (has('pager')) this.bindPager(resources.paging);
    else if (has('pager:text')) this.bindPager(resources.paging, { textOnly: true });
    if (has('metrics')) this.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', metricsNamespace);
    if (has('channels:check')) this.bindChannelChecks(resources.paging);
    if (has('reports:runs')) bindReportRuns(this, resources.table, resources.streamFailures?.(this));
    if (has('sms:replies')) this.bindSmsReplies(resources.twoWaySmsTopic);
    if (has('mail:events')) this.bindMailEvents(resources.mailEventsTopic);
    if (has('mail:replies')) this.bindMailReplies(resources.mailRepliesTopic);
    return this;
  }

  /**
   * TABLE_NAME, with the given calls on the table and Query on the given indexes, named one by one (no `index/*`
   * wildcard). The table's key is the AWS managed one, which needs no grant; a customer managed key would need
   * one here.
   */
  private bindTable(table: IncidentTable, actions: readonly string[], indexes: readonly string[]): void {
    if (actions.length > 0)
      iam.Grant.addToPrincipal({ grantee: this, actions: [...actions], resourceArns: [table.tableArn] });
    if (indexes.length > 0) {
      iam.Grant.addToPrincipal({
        grantee: this,
        actions: ['dynamodb:Query'],
        resourceArns: indexes.map((index) => `${table.tableArn}/index/${index}`),
      });
    }
    this.addEnvironment('TABLE_NAME', table.tableName);
  }

  /**
   * `<envName>` = the SecureString parameter's name, with ssm:GetParameter on its ARN: the one call the functions
   * make (GetParameter WithDecryption, through Powertools Parameters). No KMS grant: the parameters use the AWS
   * managed key aws/ssm, whose key policy lets the account's principals decrypt through Parameter Store, so
   * ssm:GetParameter on exactly this ARN is what keeps a function from another's credential.
   */
  private bindParameter(parameter: SecureParameter, envName: string): void {
    iam.Grant.addToPrincipal({
      grantee: this,
      actions: ['ssm:GetParameter'],
      resourceArns: [parameter.parameterArn],
    });
    this.addEnvironment(envName, parameter.parameterName);
  }

  /** STATE_MACHINE_ARN, with StartExecution on it (the execution is named after the incident key). */
  private bindStateMachine(machineArn: string): void {
    iam.Grant.addToPrincipal({
      grantee: this,
      actions: ['states:StartExecution'],
      resourceArns: [machineArn],
    });
    this.addEnvironment('STATE_MACHINE_ARN', machineArn);
  }

  /**
   * STATE_MACHINE_ARN, with states:DescribeExecution on the state machine's executions only, for a function that
   * looks for an incident's execution before it starts one (the sweep of unstarted workflows).
   */
  private bindExecutionReads(stateMachine: sfn.StateMachine, machineArn: string): void {
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
    this.addEnvironment('STATE_MACHINE_ARN', machineArn);
    const machine = stack.getLogicalId(stateMachine.node.defaultChild as sfn.CfnStateMachine);
    Validations.of(this.executionRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${machine}.Name>:*]`,
      reason:
        'Execution ARNs end in the execution name, unknown until an incident exists; the wildcard covers executions of this one state machine only.',
    });
  }

  /**
   * states:SendTaskSuccess on one state machine, for functions that resume a waiting workflow task (an
   * acknowledgement, an update, every alert resolved, a step finding its event already happened, an approval).
   * Only SendTaskSuccess: no function fails or heartbeats a task. No environment variable: the task token names
   * its execution. The Service Authorization Reference lists no resource type for it, but AWS authorises it
   * against the state machine whose execution issued the token, and so does the local target.
   */
  private bindWorkflowCallback(machineArn: string): void {
    iam.Grant.addToPrincipal({
      grantee: this,
      actions: ['states:SendTaskSuccess'],
      resourceArns: [machineArn],
    });
  }

  /**
   * SES_CONFIGURATION_SET, with one send action (ses:SendEmail for simple content, ses:SendRawEmail for raw MIME)
   * from the sender identity through that configuration set.
   */
  private bindMailer(mailer: Mailer, action: 'ses:SendEmail' | 'ses:SendRawEmail'): void {
    mailer.grantSend(this, action);
    this.addEnvironment('SES_CONFIGURATION_SET', mailer.configurationSet.configurationSetName);
  }

  /**
   * The pager's variables (every one set, empty for a channel the organisation does not configure) and, per
   * configured channel, its one send action on its origination identity and its configuration set: AWS
   * authorises SendTextMessage/SendVoiceMessage against both (Service Authorization Reference, End User
   * Messaging SMS and Voice V2: phone-number, sender-id, pool and configuration-set resources). A phone number
   * given as a number, or a sender ID without its country, is known to IAM only by a wildcard (see
   * originationIdentityResource); the README recommends the id or the ARN.
   */
  private bindPager(paging: PagingConfig | undefined, options: { textOnly?: boolean } = {}): void {
    const stack = Stack.of(this);
    const arn = (resource: string) =>
      stack.formatArn({ service: 'sms-voice', resource, arnFormat: ArnFormat.NO_RESOURCE_NAME });
    const channels = [
      ['SMS', 'sms-voice:SendTextMessage', paging?.sms],
      ...(options.textOnly ? [] : ([['VOICE', 'sms-voice:SendVoiceMessage', paging?.voice]] as const)),
    ] as const;
    for (const [prefix, action, channel] of channels) {
      this.addEnvironment(`PAGER_${prefix}_ORIGINATION_IDENTITY`, channel?.originationIdentity ?? '');
      this.addEnvironment(
        `PAGER_${prefix}_CONFIGURATION_SET`,
        channel?.configurationSet ? configurationSetName(channel.configurationSet) : '',
      );
      if (!channel) continue;
      const identity = originationIdentityResource(channel.originationIdentity, arn);
      iam.Grant.addToPrincipal({
        grantee: this,
        actions: [action],
        resourceArns: [
          identity.arn,
          ...(channel.configurationSet ? [configurationSetResource(channel.configurationSet, arn)] : []),
        ],
      });
      if (!identity.exact) {
        const shown = identity.arn.replace(
          /^arn:\$\{Token\[AWS\.Partition\.\d+\]\}:sms-voice:\$\{Token\[AWS\.Region\.\d+\]\}:\$\{Token\[AWS\.AccountId\.\d+\]\}:/,
          'arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:',
        );
        Validations.of(this.executionRole).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${shown}]`,
          reason:
            'IAM knows an origination phone number by its id and a sender ID by its country, which the organisation file does not give: give paging.*.originationIdentity as an id or ARN to name exactly one.',
        });
      }
    }
    if (!options.textOnly) this.addEnvironment('PAGER_VOICE_ID', paging?.voice?.voiceId ?? '');
  }

  /**
   * The reads of the channel check (adapters/channel-facts.ts). SES's GetAccount and GetSuppressedDestination,
   * and SMS and Voice's DescribeAccountAttributes and DescribeSpendLimits, have no resource type (Service
   * Authorization Reference): `*`, read-only, of the account's own settings. DescribeOptedOutNumbers is granted on
   * the default opt-out list only, and the SMS and Voice reads only when the organisation pages by phone.
   */
  private bindChannelChecks(paging: PagingConfig | undefined): void {
    iam.Grant.addToPrincipal({
      grantee: this,
      actions: ['ses:GetAccount', 'ses:GetSuppressedDestination'],
      resourceArns: ['*'],
    });
    if (paging) {
      iam.Grant.addToPrincipal({
        grantee: this,
        actions: ['sms-voice:DescribeAccountAttributes', 'sms-voice:DescribeSpendLimits'],
        resourceArns: ['*'],
      });
      iam.Grant.addToPrincipal({
        grantee: this,
        actions: ['sms-voice:DescribeOptedOutNumbers'],
        resourceArns: [
          Stack.of(this).formatArn({
            service: 'sms-voice',
            resource: `opt-out-list/${OPT_OUT_LIST}`,
            arnFormat: ArnFormat.NO_RESOURCE_NAME,
          }),
        ],
      });
    }
    Validations.of(this.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "The channel check's reads (ses:GetAccount, ses:GetSuppressedDestination, sms-voice:DescribeAccountAttributes, sms-voice:DescribeSpendLimits) have no resource-level permissions.",
    });
  }

  /**
   * TWO_WAY_SMS_TOPIC_ARN, and a Lambda subscription to that topic (SNS invokes the function asynchronously,
   * allowed by the function's resource policy for that topic only). No grant to the role: the function calls
   * nothing on the topic, and SNS decrypts what it delivers.
   */
  private bindSmsReplies(topic: sns.ITopic | undefined): void {
    if (!topic)
      throw new Error(`${this.node.id} answers SMS replies, but the stack has no two-way SMS topic`);
    topic.addSubscription(new subscriptions.LambdaSubscription(this));
    this.addEnvironment('TWO_WAY_SMS_TOPIC_ARN', topic.topicArn);
  }

  /** MAIL_EVENTS_TOPIC_ARN and a Lambda subscription to that topic, as for the SMS replies. */
  private bindMailEvents(topic: sns.ITopic | undefined): void {
    if (!topic)
      throw new Error(`${this.node.id} records mail events, but the stack has no mail events topic`);
    topic.addSubscription(new subscriptions.LambdaSubscription(this));
    this.addEnvironment('MAIL_EVENTS_TOPIC_ARN', topic.topicArn);
  }

  /** MAIL_REPLIES_TOPIC_ARN and a Lambda subscription to that topic, as for the SMS replies. */
  private bindMailReplies(topic: sns.ITopic | undefined): void {
    if (!topic)
      throw new Error(`${this.node.id} reads mail replies, but the stack has no mail replies topic`);
    topic.addSubscription(new subscriptions.LambdaSubscription(this));
    this.addEnvironment('MAIL_REPLIES_TOPIC_ARN', topic.topicArn);
  }

  /** PUBLIC_BASE_URL, the origin of the links in mails and pages (the API's, unless the organisation names one). */
  private bindPublicBaseUrl(publicBaseUrl: string): void {
    this.addEnvironment('PUBLIC_BASE_URL', publicBaseUrl);
  }
}
