import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { newReportRunPattern } from '../../functions/adapters/report-runs.ts';
import type { IncidentTable } from './incident-table.ts';

/** The stream reads Lambda's poller makes for an event source mapping, with the function's role. */
export const streamReadActions = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
] as const;

/**
 * `reports:runs`: the function is started by the table's stream for each new report run record. The event source
 * mapping lets through the INSERT of a run record and nothing else (the filter, from adapters/report-runs.ts;
 * filtered records are neither delivered nor billed), one record a batch, from the stream's end when it is
 * created (LATEST: runs are recorded after the mapping exists). A batch that fails (the table failing under the
 * runner) is retried twice, then goes to the on-failure destination (the operators' topic); a record older than
 * five minutes is not started at all, as by then GET /reports/slo/{runId} answers that the run did not start
 * (QUEUED_GRACE_MS in use-cases/reports.ts). Up to ten batches of a shard run at once (by partition key), so a
 * long run does not hold up the next. The runner's claim makes a repeated delivery start nothing.
 * Grants the stream reads on this table's stream only (ListStreams too: no `*`).
 */
export function bindReportRuns(
  fn: lambda.Function,
  table: IncidentTable,
  onFailure: lambda.IEventSourceDlq | undefined,
): lambda.EventSourceMapping {
  const streamArn = table.tableStreamArn;
  if (!streamArn) throw new Error(`${fn.node.id} starts report runs from the table's stream, which is off`);
  iam.Grant.addToPrincipal({ grantee: fn, actions: [...streamReadActions], resourceArns: [streamArn] });
  return fn.addEventSourceMapping('ReportRuns', {
    eventSourceArn: streamArn,
    startingPosition: lambda.StartingPosition.LATEST,
    batchSize: 1,
    retryAttempts: 2,
    maxRecordAge: Duration.minutes(5),
    parallelizationFactor: 10,
    filters: [lambda.FilterCriteria.filter(newReportRunPattern)],
    ...(onFailure ? { onFailure } : {}),
  });
}
