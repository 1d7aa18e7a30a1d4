import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../functions/core/keys.ts';

/**
 * What a release's state machine definition gives each workflow step, recorded (`npm run record:steps`) so that
 * later releases can prove they still accept it: on AWS a running execution keeps the definition it started with
 * but calls the new functions. One file per release in test/fixtures/workflow-steps/; each recording is the
 * payload the definition built and the incident's records at that moment, so a replay runs the step where it
 * ran.
 */

export interface StepRecording {
  step: string;
  /** The Task state that invoked the step. */
  state: string;
  input: Record<string, unknown>;
  /** The incident's items (incident, timeline, comms, key, postmortem, status entry) when it was invoked. */
  items: Record<string, unknown>[];
}

export interface ReleaseRecordings {
  release: string;
  /** What the journey that recorded it did, for the reader. */
  journey: string;
  recordings: StepRecording[];
}

export const fixturesDir = join(import.meta.dirname, '..', 'fixtures', 'workflow-steps');

export function releaseRecordings(): ReleaseRecordings[] {
  return readdirSync(fixturesDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(fixturesDir, f), 'utf8')) as ReleaseRecordings)
    .sort((a, b) => compareReleases(a.release, b.release));
}

export function compareReleases(a: string, b: string): number {
  const parts = (v: string) => v.split('.').map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The shape of an input: its step and fields (and which wait, for the acknowledgement wait's two uses). */
export function shapeOf(input: Record<string, unknown>): string {
  const fields = Object.keys(input).sort().join(',');
  return `${String(input.step)}|${fields}|${String(input.wait ?? '')}`;
}

/** Every item of the partitions an incident's steps read. */
export async function incidentItems(
  doc: DynamoDBDocumentClient,
  table: string,
  incident: { incidentId: string; key: string },
): Promise<Record<string, unknown>[]> {
  const partitions = [
    keys.incidentPartition(incident.incidentId),
    keys.postmortem(incident.incidentId).pk,
    keys.statusEntry(incident.incidentId).pk,
    keys.incidentKey(incident.key).pk,
  ];
  const items: Record<string, unknown>[] = [];
  for (const pk of partitions) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return items;
}
