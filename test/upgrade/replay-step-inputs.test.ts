import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepInput, stepInputs, stepOutput } from '../../functions/core/workflow-contracts.ts';
import { definitionOfTemplate, parameterKeys, stepOf } from '../../infra/workflow/asl-paths.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';
import { compareReleases, releaseRecordings } from './step-recordings.ts';

/**
 * Open incidents survive an upgrade. On AWS a running execution keeps the definition it started with but calls
 * the new functions, so every step must accept what an earlier release's definition gives it. The inputs each
 * release's definition gave its steps are recorded (test/fixtures/workflow-steps/<release>.json, by `npm run
 * record:steps`), each with the incident's records at that moment; here every one of them runs through the
 * current WorkflowStep function on the local target (IAM enforced), on those records, and must answer by the
 * step's contract. A step an earlier release calls cannot be removed or renamed while its executions may run.
 */

const { version } = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'),
) as {
  version: string;
};
const releases = releaseRecordings().filter((r) => compareReleases(r.release, version) <= 0);

let hotline: HotlineTarget;
let doc: DynamoDBDocumentClient;
beforeAll(async () => {
  hotline = await startHotline();
  doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: hotline.target.urls.dynamodb,
      region: hotline.target.model.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
});
afterAll(async () => hotline?.stop());

describe('the recorded releases', () => {
  it('include this release and the one before it', () => {
    const recorded = releases.map((r) => r.release);
    expect(recorded).toContain(version);
    expect(recorded.length).toBeGreaterThanOrEqual(2);
  });

  it("hold this release's inputs as its definition builds them (record again after changing a step's Parameters)", () => {
    const current = releases.find((r) => r.release === version);
    const definition = definitionOfTemplate(hotline.target.model.template as never);
    for (const recording of current?.recordings ?? []) {
      const state = definition.States[recording.state];
      expect(state, `state ${recording.state}`).toBeDefined();
      if (!state) continue;
      expect(stepOf(state), recording.state).toBe(recording.step);
      expect(Object.keys(recording.input).sort(), recording.state).toEqual(parameterKeys(state).sort());
    }
  });
});

describe.each(releases.map((r) => [r.release, r] as const))(
  'what release %s gives its steps',
  (_, recorded) => {
    it('names only steps the current code still runs', () => {
      const unknown = recorded.recordings.map((r) => r.step).filter((step) => !(step in stepInputs));
      expect(unknown, 'a step an earlier release calls is kept until no execution can reach it').toEqual([]);
    });

    it.each(recorded.recordings.map((r) => [`${r.state} (${r.step})`, r] as const))(
      '%s runs through the current code and answers by its contract',
      async (_, recording) => {
        // The input passes the contract's gate, as the handler checks it first.
        expect(stepInput(recording.input).step).toBe(recording.step);
        for (const item of recording.items) {
          await doc.send(new PutCommand({ TableName: hotline.target.tables[0], Item: item }));
        }
        const workflowStep = hotline.target.functions.find('WorkflowStep');
        expect(workflowStep).toBeDefined();
        const answer = await hotline.target.functions.invoke(workflowStep?.arn ?? '', recording.input);
        expect(() => stepOutput(recording.step as never, answer)).not.toThrow();
      },
    );
  },
);
