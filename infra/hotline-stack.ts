import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { Organisation } from '../functions/core/config.ts';
import { IncidentApi } from './constructs/incident-api.ts';
import { type FunctionKind, IncidentFunction } from './constructs/incident-function.ts';
import { IncidentTable } from './constructs/incident-table.ts';
import { IncidentWorkflow } from './constructs/incident-workflow.ts';
import { Mailer } from './constructs/mailer.ts';
import { OperatorAlarms } from './constructs/operator-alarms.ts';
import { Schedules } from './constructs/schedules.ts';
import {
  type AlertSource,
  AlertSourceSecret,
  alertSources,
  envPrefix,
  LinkSigningKeys,
  pascalCase,
} from './constructs/secrets.ts';

/** Construct id of each function -> its handler file and kind. The ids are the contract with the local target. */
export const functionSpecs = {
  IngestAlert: { handlerFile: 'ingest-alert', kind: 'api' },
  ListIncidents: { handlerFile: 'list-incidents', kind: 'api' },
  GetIncident: { handlerFile: 'get-incident', kind: 'api' },
  DeclareIncident: { handlerFile: 'declare-incident', kind: 'api' },
  RespondToIncident: { handlerFile: 'respond-to-incident', kind: 'api' },
  LinkDecision: { handlerFile: 'handle-link', kind: 'api' },
  StatusPage: { handlerFile: 'status-page', kind: 'api' },
  Postmortems: { handlerFile: 'postmortems', kind: 'api' },
  Actions: { handlerFile: 'actions', kind: 'api' },
  Reports: { handlerFile: 'reports', kind: 'api' },
  WorkflowStep: { handlerFile: 'workflow-step', kind: 'workflow' },
  RecordWorkflowFailure: { handlerFile: 'record-workflow-failure', kind: 'workflow' },
  SweepUnstartedWorkflows: { handlerFile: 'sweep-unstarted-workflows', kind: 'workflow' },
  SweepActionReminders: { handlerFile: 'sweep-action-reminders', kind: 'workflow' },
  SendSloReports: { handlerFile: 'send-slo-reports', kind: 'workflow' },
} as const satisfies Record<string, { handlerFile: string; kind: FunctionKind }>;
export type FunctionId = keyof typeof functionSpecs;

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
  readonly alertSourceSecrets: Record<AlertSource, AlertSourceSecret>;
  readonly linkSigningKeys: LinkSigningKeys;
  readonly mailer: Mailer;
  readonly alarms: OperatorAlarms;
  readonly schedules: Schedules;

  constructor(scope: Construct, id: string, props: HotlineStackProps) {
    super(scope, id, {
      description: 'Hotline: self-hosted serverless incident workflow',
      ...props,
    });
    const { organisation } = props;
    const retainData = props.retainData ?? booleanContext(this, 'retainData') ?? true;
    const logRemovalPolicy = retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.table = new IncidentTable(this, 'IncidentTable', { retainData });

    this.alertSourceSecrets = Object.fromEntries(
      alertSources.map((source) => [
        source,
        new AlertSourceSecret(this, `AlertSourceSecret${pascalCase(source)}`, source),
      ]),
    ) as Record<AlertSource, AlertSourceSecret>;
    this.linkSigningKeys = new LinkSigningKeys(this, 'LinkSigningKeys');

    this.mailer = new Mailer(this, 'Mailer', { senderAddress: organisation.sender.address });

    const fn = (id: FunctionId) =>
      new IncidentFunction(this, id, { ...functionSpecs[id], organisation, logRemovalPolicy });
    this.functions = {
      IngestAlert: fn('IngestAlert'),
      ListIncidents: fn('ListIncidents'),
      GetIncident: fn('GetIncident'),
      DeclareIncident: fn('DeclareIncident'),
      RespondToIncident: fn('RespondToIncident'),
      LinkDecision: fn('LinkDecision'),
      StatusPage: fn('StatusPage'),
      Postmortems: fn('Postmortems'),
      Actions: fn('Actions'),
      Reports: fn('Reports'),
      WorkflowStep: fn('WorkflowStep'),
      RecordWorkflowFailure: fn('RecordWorkflowFailure'),
      SweepUnstartedWorkflows: fn('SweepUnstartedWorkflows'),
      SweepActionReminders: fn('SweepActionReminders'),
      SendSloReports: fn('SendSloReports'),
    };
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
      statusPage: f.StatusPage,
      postmortems: f.Postmortems,
      actions: f.Actions,
      reports: f.Reports,
      logRemovalPolicy,
    });
    this.api = this.incidentApi.httpApi;

    const publicBaseUrl = organisation.publicBaseUrl?.replace(/\/+$/, '') ?? this.incidentApi.endpoint;
    const links = { publicBaseUrl, signingKeys: this.linkSigningKeys };
    // Each function gets exactly what its code calls, through the bind methods (environment and grant together).
    // Ingest opens incidents and wakes an incident's comms loop when every alert has resolved; it releases the
    // delivery it claimed when processing fails.
    f.IngestAlert.bindTable(this.table, 'readWriteDelete')
      .bindStateMachine(this.stateMachine)
      .bindWorkflowCallback(this.stateMachine);
    for (const [source, secret] of Object.entries(this.alertSourceSecrets)) {
      f.IngestAlert.bindSecret(secret, `${envPrefix(source)}_SECRET_ARN`);
    }
    f.DeclareIncident.bindTable(this.table, 'readWrite').bindStateMachine(this.stateMachine);
    f.ListIncidents.bindTable(this.table, 'read');
    f.GetIncident.bindTable(this.table, 'read');
    // The public status page reads its entries (one Query) and names its own URL in the Atom feed.
    f.StatusPage.bindTable(this.table, 'read').bindPublicBaseUrl(publicBaseUrl);
    // Postmortems: opened (the owner is mailed an editor link), read, edited and listed by operators.
    // A postmortem asked for after its incident's execution ended gets an execution of its own (reminders).
    // Asking for approval resumes the workflow's postmortem wait.
    f.Postmortems.bindTable(this.table, 'readWrite')
      .bindMailer(this.mailer, links)
      .bindStateMachine(this.stateMachine)
      .bindWorkflowCallback(this.stateMachine);
    // A waiting step resumes its own token when it finds the event already happened. The grant names the state
    // machine by its fixed name: a reference would make the function depend on the machine that invokes it.
    f.WorkflowStep.bindTable(this.table, 'readWrite')
      .bindMailer(this.mailer, links)
      .bindWorkflowCallback(workflow.stateMachineArnByName);
    f.RespondToIncident.bindTable(this.table, 'readWrite')
      .bindMailer(this.mailer, links)
      .bindWorkflowCallback(this.stateMachine);
    // Signed links: the token is verified with the link keys; an acknowledgement or an approval decision resumes
    // the waiting workflow; a decision that fails releases the link use it claimed. It mails too: a change
    // request's comment to the owner, the approvers asked from the editor's button or again after a save in review.
    f.LinkDecision.bindTable(this.table, 'readWriteDelete')
      .bindMailer(this.mailer, links)
      .bindWorkflowCallback(this.stateMachine);
    f.RecordWorkflowFailure.bindTable(this.table, 'readWrite').bindMailer(this.mailer, links);
    // Starts the workflow of any incident an interrupted request left unstarted, and tells the operators.
    f.SweepUnstartedWorkflows.bindTable(this.table, 'readWrite')
      .bindStateMachine(this.stateMachine)
      .bindExecutionReads(this.stateMachine)
      .bindMailer(this.mailer, links)
      .bindMetrics();
    // Postmortem actions: listed and completed by operators (the item, the postmortem's list, the timeline).
    f.Actions.bindTable(this.table, 'readWrite');
    // Reminds open actions' owners (and approvers on breach) with a signed "mark done" link in each mail.
    f.SweepActionReminders.bindTable(this.table, 'readWrite').bindMailer(this.mailer, links);
    // SLO reports: read the incidents, postmortems and actions (Queries), record each mailed run (a conditional
    // create; a failed send deletes its own record), and mail with signed view links.
    // The report is raw MIME (CSV attachments): ses:SendRawEmail, and no simple mail.
    f.Reports.bindTable(this.table, 'readWriteDelete').bindRawMailer(this.mailer, links);
    f.SendSloReports.bindTable(this.table, 'readWriteDelete').bindRawMailer(this.mailer, links);
    this.schedules = new Schedules(this, 'Schedules', {
      sweepUnstartedWorkflows: f.SweepUnstartedWorkflows,
      sweepActionReminders: f.SweepActionReminders,
      sendSloReports: f.SendSloReports,
      sloReportSchedule: organisation.reports.schedule,
      sloReportTimeZone: organisation.reports.timeZone,
    });

    this.alarms = new OperatorAlarms(this, 'Alarms', {
      operators: organisation.operators,
      stateMachine: this.stateMachine,
      functions: this.functions,
      removalPolicy: logRemovalPolicy,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.incidentApi.stage.url,
      description: 'Base URL of the HTTP API',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
    for (const [source, secret] of Object.entries(this.alertSourceSecrets)) {
      new CfnOutput(this, `AlertSourceSecret${pascalCase(source)}Arn`, {
        value: secret.secretArn,
        description: `Credential the ${source} alert source presents (read it with aws secretsmanager get-secret-value)`,
      });
    }
    new CfnOutput(this, 'LinkSigningKeysArn', { value: this.linkSigningKeys.secretArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
  }
}
