import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SWEEPS_NEED_ATTENTION } from '../../functions/core/sweeps.ts';
import { metricsNamespace, serviceName } from './incident-function.ts';

export interface OperatorAlarmsProps {
  /** `organisation.operators`: who hears when the system itself fails. */
  readonly operators: readonly string[];
  readonly stateMachine: sfn.IStateMachine;
  /** The HTTP API's stage: every API function answers through it, so its 5xx count covers them all. */
  readonly apiStage: apigw.IHttpStage;
  /** The API's access log group, where the operator finds which route (so which function) answered 5xx. */
  readonly accessLogs: { readonly logGroupName: string };
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Tells the operators when the incident system itself breaks, by email through an SNS topic that no function of
 * the product stands between (never the product's own mailer: what is watched must not carry the alarm).
 *
 * CloudWatch bills an alarm per metric it reads ($0.10 a month each at standard resolution; metric math and
 * Metrics Insights alarms are billed per metric they read too), so every function is covered by the fewest
 * metrics that see it fail, instead of an Errors alarm per function:
 * - the API functions by the HTTP API stage's `5xx` (a crash, a timeout or a deliberate 5xx of any route);
 * - the workflow functions by the state machine's `ExecutionsFailed`: a Task that still fails after its retries
 *   is caught into RecordWorkflowFailure, which always ends in the Fail state (infra/workflow/definition.ts);
 * - the functions invoked asynchronously (schedules) by a Lambda `onFailure` destination to this topic
 *   (`notifyOnAsyncFailure`), and the report runs started by the table's stream by their event source mapping's
 *   on-failure destination (`streamFailureDestination`): both cost nothing until a failure is published;
 * - a sweep that had to start a workflow or left items undone by the one `SweepsNeedAttention` metric, which the
 *   sweeps publish only when there is something to count.
 * Three alarm metrics: $0.30 a month.
 */
export class OperatorAlarms extends Construct {
  readonly topic: sns.Topic;
  /** The topic's key (the two-way SMS topic is encrypted with it too: one key, one dollar a month). */
  readonly topicKey: kms.Key;
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly destination: destinations.SnsDestination;

  constructor(scope: Construct, id: string, props: OperatorAlarmsProps) {
    super(scope, id);
    // The one fixed monthly cost the stack keeps on purpose (about $1.00 a month, and kept after `cdk destroy`):
    // the topic is encrypted at rest (AwsSolutions-SNS2), and CloudWatch alarms cannot publish to a topic
    // encrypted with the AWS managed SNS key (its key policy cannot grant CloudWatch), so the key is customer
    // managed. Alarm mails name failing parts of an incident system; an encrypted topic is worth that dollar.
    const key = new kms.Key(this, 'TopicKey', {
      description: 'Hotline operator alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Hotline operator alarms',
      masterKey: key,
      enforceSSL: true,
    });
    this.topicKey = key;
    for (const address of props.operators) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(address));
    }
    this.destination = new destinations.SnsDestination(this.topic);

    const notify = new actions.SnsAction(this.topic);
    const alarm = (name: string, metric: cloudwatch.IMetric, description: string) => {
      const created = new cloudwatch.Alarm(this, name, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(notify);
      this.alarms.push(created);
      return created;
    };

    const period = Duration.minutes(5);
    alarm(
      'ApiServerErrors',
      props.apiStage.metricServerError({ period, statistic: cloudwatch.Stats.SUM }),
      `An API function failed: the HTTP API answered 5xx (a crash, a timeout or an error response). Which route: CloudWatch Logs Insights on ${props.accessLogs.logGroupName}, "fields @timestamp, routeKey, status, integrationError, error | filter status like /^5/ | sort @timestamp desc"; the route's function has its log group /aws/lambda/<function>.`,
    );
    // No TimeoutSeconds on the machine and an execution hands over to the next long before Standard's one-year
    // limit, so it cannot time out; it is aborted only by a person (no role of the stack may StopExecution).
    alarm(
      'WorkflowExecutionsFailed',
      props.stateMachine.metricFailed({ period, statistic: cloudwatch.Stats.SUM }),
      'An incident workflow execution failed (a workflow step failed after its retries): check that its incident manager was paged. The execution history names the step and the error; the incident timeline has the failure.',
    );
    // Powertools Metrics: POWERTOOLS_METRICS_NAMESPACE and its default `service` dimension, nothing else.
    alarm(
      'SweepsNeedAttention',
      new cloudwatch.Metric({
        namespace: metricsNamespace,
        metricName: SWEEPS_NEED_ATTENTION,
        dimensionsMap: { service: serviceName },
        statistic: cloudwatch.Stats.SUM,
        period,
      }),
      'A sweep had to act or left items undone: the unstarted-workflow sweep started an incident\'s workflow (its opening request failed after writing the incident) or could not start one, or the action reminder sweep could not send a reminder. Each sweep logs which items and why (message "sweep needs attention", field sweep) in its function\'s log group; it tries the undone items again on its next run.',
    );
  }

  /**
   * A function invoked asynchronously (by a schedule, or by another function) reports a failed invocation to the
   * operators itself: after Lambda's retries, the invocation record (the event, the error) goes to the topic, and
   * its subscribers get it by mail. Grants sns:Publish and the topic key's use to this function's role only.
   */
  notifyOnAsyncFailure(fn: lambda.Function, options: { retryAttempts?: number } = {}): void {
    fn.configureAsyncInvoke({ ...options, onFailure: this.destination });
    if (fn.role)
      Validations.of(fn.role).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason:
          "SNS encrypts what is published to the operators' topic with its key: the topic's grantPublish gives kms:GenerateDataKey* (with kms:Decrypt) on that one key only, for the failure destination.",
      });
  }

  /**
   * The on-failure destination of a function's stream event source mapping: once the mapping gave up on a batch
   * (its retries spent, or its records too old), Lambda publishes what it could not process (the stream, shard
   * and sequence numbers of the batch, the condition) to the topic with the function's role. Grants sns:Publish
   * and the topic key's use to that role only, as `notifyOnAsyncFailure` does.
   */
  streamFailureDestination(fn: lambda.Function): lambda.IEventSourceDlq {
    if (fn.role)
      Validations.of(fn.role).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason:
          "SNS encrypts what is published to the operators' topic with its key: the topic's grantPublish gives kms:GenerateDataKey* (with kms:Decrypt) on that one key only, for the failure destination.",
      });
    return new sources.SnsDlq(this.topic);
  }
}
