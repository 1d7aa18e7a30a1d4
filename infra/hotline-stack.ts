import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { Organisation } from '../functions/core/config.ts';
import {
  declarationProblems,
  type FunctionId,
  functionDeclarations,
  functionIds,
} from '../functions/handlers/capabilities.ts';
import { IncidentApi } from './constructs/incident-api.ts';
import { IncidentFunction } from './constructs/incident-function.ts';
import { IncidentTable } from './constructs/incident-table.ts';
import { IncidentWorkflow } from './constructs/incident-workflow.ts';
import { Mailer } from './constructs/mailer.ts';
import { OperatorAlarms } from './constructs/operator-alarms.ts';
import { pagingThrough, phoneConfigurationSet } from './constructs/phone-events.ts';
import { Schedules } from './constructs/schedules.ts';
import { type AlertSource, Credentials, pascalCase, type SecureParameter } from './constructs/secrets.ts';
import { twoWaySmsTopic } from './constructs/two-way-sms.ts';

/** Construct id of each function -> its handler file, kind and capabilities. The ids are the contract with the local target. */
export const functionSpecs = functionDeclarations;
export type { FunctionId };

export interface HotlineStackProps extends StackProps {
  readonly organisation: Organisation;
  /**
   * Keep the table and logs when the stack is deleted. Defaults to the `retainData` context value, else true;
   * `-c retainData=false` is for throw-away dev stacks.
   */
  readonly retainData?: boolean;
}

/** Reads a boolean context value as given on the command line (`-c retainData=false`) or in cdk.json. */
function booleanContext(scope: Construct, key: string): boolean | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined) return undefined;
  return !(value === false || String(value).toLowerCase() === 'false');
}

export class HotlineStack extends Stack {
  readonly table: IncidentTable;
  readonly api: apigw.HttpApi;
  readonly incidentApi: IncidentApi;
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<FunctionId, IncidentFunction>;
  readonly credentials: Credentials;
  readonly alertSourceCredentials: Record<AlertSource, SecureParameter>;
  readonly linkSigningKeys: SecureParameter;
  readonly mailer: Mailer;
  readonly alarms: OperatorAlarms;
  readonly schedules: Schedules;
  readonly twoWaySmsTopic: sns.Topic;
  readonly mailEventsTopic: sns.Topic;
  readonly mailRepliesTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: HotlineStackProps) {
    super(scope, id, {
      description: 'Hotline: self-hosted serverless incident workflow',
      ...props,
    });
    const { organisation } = props;
    const retainData = props.retainData ?? booleanContext(this, 'retainData') ?? true;
    const logRemovalPolicy = retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.table = new IncidentTable(this, 'IncidentTable', { retainData });

    // SecureString parameters (free) rather than Secrets Manager secrets ($0.40 a month each): see secrets.ts.
    this.credentials = new Credentials(this, 'Credentials', { organisation, retainData, logRemovalPolicy });
    this.alertSourceCredentials = this.credentials.alertSources;
    this.linkSigningKeys = this.credentials.linkSigningKeys;

    this.mailer = new Mailer(this, 'Mailer', { senderAddress: organisation.sender.address });

    const problems = declarationProblems();
    if (problems.length > 0) throw new Error(`functions/handlers/capabilities.ts: ${problems.join('; ')}`);
    this.functions = Object.fromEntries(
      functionIds.map((id) => [
        id,
        new IncidentFunction(this, id, { ...functionDeclarations[id], organisation, logRemovalPolicy }),
      ]),
    ) as Record<FunctionId, IncidentFunction>;
    const f = this.functions;

    const workflow = new IncidentWorkflow(this, 'Workflow', {
      functions: {
        workflowStep: f.WorkflowStep,
        recordWorkflowFailure: f.RecordWorkflowFailure,
      },
      logRemovalPolicy,
    });
    this.stateMachine = workflow.stateMachine;

    this.incidentApi = new IncidentApi(this, 'Api', {
      ingestAlert: f.IngestAlert,
      listIncidents: f.ListIncidents,
      getIncident: f.GetIncident,
      declareIncident: f.DeclareIncident,
      respondToIncident: f.RespondToIncident,
      linkDecision: f.LinkDecision,
      postmortemEditor: f.PostmortemEditor,
      statusPage: f.StatusPage,
      postmortems: f.Postmortems,
      actions: f.Actions,
      reports: f.Reports,
      schedules: f.OnCall,
      scheduleFeed: f.ScheduleFeed,
      testPages: f.TestPages,
      logRemovalPolicy,
    });
    this.api = this.incidentApi.httpApi;

    this.alarms = new OperatorAlarms(this, 'Alarms', {
      operators: organisation.operators,
      stateMachine: this.stateMachine,
      apiStage: this.incidentApi.stage,
      accessLogs: this.incidentApi.accessLogs,
      removalPolicy: logRemovalPolicy,
    });

    // Replies to the pages' texts (two-way SMS), to SmsReplies (its `sms:replies` subscribes it).
    this.twoWaySmsTopic = twoWaySmsTopic(this, this.alarms.topicKey);
    // Proof of delivery: the configuration set's events, to MailEvents (its `mail:events` subscribes it).
    this.mailEventsTopic = this.mailer.addEventsTopic(this.alarms.topicKey);
    // Replies to the page mails (SES receiving, when `mailReplies` names a domain), to MailReplies.
    this.mailRepliesTopic = this.mailer.addRepliesTopic(this.alarms.topicKey, organisation.mailReplies);
    // ... and the texts' and calls' events, through the pages' SMS and voice configuration set, to the same.
    const phoneSet = organisation.paging ? phoneConfigurationSet(this, this.mailEventsTopic) : undefined;
    const paging = phoneSet ? pagingThrough(organisation.paging, phoneSet.ref) : organisation.paging;

    const publicBaseUrl = organisation.publicBaseUrl?.replace(/\/+$/, '') ?? this.incidentApi.endpoint;
    // Each function gets the environment and grants of the capabilities it declares, and nothing else.
    for (const id of functionIds) {
      f[id].bindCapabilities({
        table: this.table,
        mailer: this.mailer,
        linkSigningKeys: this.linkSigningKeys,
        publicBaseUrl,
        alertSourceCredentials: this.alertSourceCredentials,
        paging,
        streamFailures: (fn) => this.alarms.streamFailureDestination(fn),
        twoWaySmsTopic: this.twoWaySmsTopic,
        mailEventsTopic: this.mailEventsTopic,
        mailRepliesTopic: this.mailRepliesTopic,
        workflow: {
          stateMachine: this.stateMachine,
          arnByName: workflow.stateMachineArnByName,
          invokes: workflow.invokes,
        },
      });
    }
    this.schedules = new Schedules(this, 'Schedules', {
      sweepUnstartedWorkflows: f.SweepUnstartedWorkflows,
      sweepActionReminders: f.SweepActionReminders,
      sendSloReports: f.SendSloReports,
      sloReportSchedule: organisation.reports.schedule,
      sloReportTimeZone: organisation.reports.timeZone,
    });

    // The functions nothing waits on (Scheduler invokes Lambda asynchronously) tell the operators of a failed
    // invocation through the alarm topic; so does the report runner, through its stream mapping's on-failure
    // destination (bound with its capabilities, above). The sweeps run again within the hour and do the same work:
    // a retry would only overlap the next run. The weekly report keeps Lambda's two retries (its runs are claimed
    // per period, so a retry sends nothing twice).
    this.alarms.notifyOnAsyncFailure(f.SweepUnstartedWorkflows, { retryAttempts: 0 });
    this.alarms.notifyOnAsyncFailure(f.SweepActionReminders, { retryAttempts: 0 });
    this.alarms.notifyOnAsyncFailure(f.SendSloReports);
    // SNS invokes SmsReplies asynchronously: Lambda's two retries cover a transient failure (its claim on the
    // reply's message id keeps a retry from acting twice), then the operators hear of the reply it dropped.
    this.alarms.notifyOnAsyncFailure(f.SmsReplies);
    this.alarms.notifyOnAsyncFailure(f.MailEvents);
    this.alarms.notifyOnAsyncFailure(f.MailReplies);

    new CfnOutput(this, 'ApiUrl', {
      value: this.incidentApi.stage.url,
      description: 'Base URL of the HTTP API',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
    for (const [source, parameter] of Object.entries(this.alertSourceCredentials)) {
      new CfnOutput(this, `AlertSourceCredential${pascalCase(source)}Parameter`, {
        value: parameter.parameterName,
        description: `Credential the ${source} alert source presents (read it with aws ssm get-parameter --with-decryption --name)`,
      });
    }
    new CfnOutput(this, 'LinkSigningKeysParameter', {
      value: this.linkSigningKeys.parameterName,
      description: 'Keys that sign the links in mails (SecureString parameter)',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    new CfnOutput(this, 'TwoWaySmsTopicArn', {
      value: this.twoWaySmsTopic.topicArn,
      description:
        "Point the SMS origination number's two-way SMS at this topic: replies with a page's code acknowledge",
    });
  }
}
