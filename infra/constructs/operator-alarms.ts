import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  SWEEP_DIMENSION,
  SWEEP_ITEM_FAILURES,
  type SweepName,
  sweepNames,
} from '../../functions/core/sweeps.ts';
import { metricsNamespace, serviceName } from './incident-function.ts';

const sweepFailureDescriptions: Record<SweepName, string> = {
  ActionReminders:
    'The action reminder sweep could not send some reminders (the others were sent): see its log for the actions and the errors; it tries them again every hour.',
  UnstartedWorkflows:
    "The unstarted-workflow sweep could not start some incidents' workflows (the others were started): see its log; it tries them again every minute.",
};

export interface OperatorAlarmsProps {
  /** `organisation.operators`: who hears when the system itself fails. */
  readonly operators: readonly string[];
  readonly stateMachine: sfn.IStateMachine;
  readonly functions: Record<string, lambda.IFunction>;
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Tells the operators when the incident system itself breaks: a failed workflow execution means an incident
 * may not have been paged, which must not go unnoticed. Email, like everything else here.
 */
export class OperatorAlarms extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: OperatorAlarmsProps) {
    super(scope, id);
    // The topic is encrypted at rest (AwsSolutions-SNS2), with a customer managed key because CloudWatch alarms
    // cannot publish to a topic encrypted with the AWS managed SNS key (its key policy cannot grant CloudWatch).
    // The key costs about $1 a month: kept on purpose, an encrypted topic is worth that.
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
    for (const address of props.operators) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(address));
    }

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
      return created;
    };

    const period = Duration.minutes(5);
    alarm(
      'WorkflowExecutionsFailed',
      props.stateMachine.metricFailed({ period, statistic: cloudwatch.Stats.SUM }),
      'An incident workflow execution failed: check that its incident manager was paged.',
    );
    alarm(
      'WorkflowExecutionsTimedOut',
      props.stateMachine.metricTimedOut({ period, statistic: cloudwatch.Stats.SUM }),
      'An incident workflow execution timed out.',
    );
    // The sweep counts the workflows it had to start (Powertools Metrics; `service` is Powertools' default
    // dimension). Any at all means an opening request failed between writing an incident and starting it.
    alarm(
      'WorkflowsStartedBySweep',
      new cloudwatch.Metric({
        namespace: metricsNamespace,
        metricName: 'WorkflowsStartedBySweep',
        dimensionsMap: { service: serviceName },
        statistic: cloudwatch.Stats.SUM,
        period,
      }),
      "An incident's workflow did not start with its incident; the sweep started it: check why the opening request failed.",
    );
    // Each sweep tries every item on its own and counts those that failed (a reminder SES refused, a workflow
    // that would not start): any at all means something is left undone until the cause is fixed.
    for (const sweep of sweepNames) {
      alarm(
        `${SWEEP_ITEM_FAILURES}${sweep}`,
        new cloudwatch.Metric({
          namespace: metricsNamespace,
          metricName: SWEEP_ITEM_FAILURES,
          dimensionsMap: { service: serviceName, [SWEEP_DIMENSION]: sweep },
          statistic: cloudwatch.Stats.SUM,
          period,
        }),
        sweepFailureDescriptions[sweep],
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(
        `${name}Errors`,
        fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
        `The ${name} function returned errors.`,
      );
    }
  }
}
