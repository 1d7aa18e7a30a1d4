import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { keys } from '../core/keys.ts';

/*
 * How an on-demand report run reaches RunSloReport: the run record Reports writes (ReportsRepository.createJob,
 * a conditional PutItem) is the hand-off. The table's stream carries that INSERT to RunSloReport through an event
 * source mapping whose filter lets new run records through and nothing else (the pattern below), so Reports
 * needs no Lambda client and no invoke grant: a run recorded is a run that starts, and a run the table did not
 * record is the caller's 5xx. No side effects: the stack imports this module for the mapping's filter.
 */

const job = keys.reportJob('');
/** Every run record's partition starts so (`REPORTJOB#<runId>`), and its sort key is this. */
const JOB_PK_PREFIX = job.pk;
const JOB_SK = job.sk;

/**
 * The event source mapping's filter (Lambda's event filtering syntax, matched against each stream record): the
 * INSERT of a run record, by its keys (the stream carries keys only).
 */
export const newReportRunPattern = {
  eventName: ['INSERT'],
  dynamodb: { Keys: { pk: { S: [{ prefix: JOB_PK_PREFIX }] }, sk: { S: [JOB_SK] } } },
} as const;

/** The run id of a stream record that is the INSERT of a run record (else undefined: nothing to start). */
export function newReportRunId(record: DynamoDBRecord): string | undefined {
  if (record.eventName !== 'INSERT') return undefined;
  const pk = stringOf(record.dynamodb?.Keys?.pk);
  const sk = stringOf(record.dynamodb?.Keys?.sk);
  if (sk !== JOB_SK || !pk?.startsWith(JOB_PK_PREFIX)) return undefined;
  const runId = pk.slice(JOB_PK_PREFIX.length);
  return runId === '' ? undefined : runId;
}

function stringOf(value: AttributeValue | undefined): string | undefined {
  return typeof value?.S === 'string' ? value.S : undefined;
}
