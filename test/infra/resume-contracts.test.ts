import { beforeAll, describe, expect, it } from 'vitest';
import { loopEvents } from '../../functions/core/response.ts';
import {
  acknowledgementEvents,
  acknowledgementResume,
  loopResume,
  type ResumeOutput,
  reviewEvents,
  reviewResume,
} from '../../functions/core/workflow-resume.ts';
import {
  type AslDefinition,
  definitionOfTemplate,
  tokenWaits,
  unresolvedReads,
} from '../../infra/workflow/asl-paths.ts';
import { States } from '../../infra/workflow/states.ts';
import { synthesized } from './stack.ts';

/**
 * Every payload a function resumes a waiting task with (SendTaskSuccess output) carries every path the states
 * after that wait read under its ResultPath, on every route the payload can take. On AWS a path that points to
 * nothing is a States.Runtime error that no Catch takes, and the execution dies (as the postmortem wait's
 * self-resume once did with `{ event }` alone, while WaitForApproval reads `$.review.waitSeconds`).
 */

/** Every resume payload the code can build, by the ResultPath of the waits it goes to. */
const at = new Date('2026-12-01T10:00:00.000Z');
const payloadsByResultPath: Record<string, ResumeOutput[]> = {
  '$.ack': acknowledgementEvents.map((event) =>
    acknowledgementResume(event, { acknowledgedBy: 'im@example.com', severity: 2 }),
  ),
  '$.loop': loopEvents.map((event) => loopResume({ event, waitSeconds: 1800, since: at.toISOString() })),
  '$.review': reviewEvents.map((event) => reviewResume(event, { round: 0, waitSeconds: 172_800 })),
};

let definition: AslDefinition;
beforeAll(async () => {
  const { template } = await synthesized();
  definition = definitionOfTemplate(template.toJSON());
});

describe('resume payloads against the state machine', () => {
  it('knows every token wait of the definition, and each has payloads', () => {
    const waits = tokenWaits(definition);
    expect(waits.map((w) => w.name).sort()).toEqual(
      [
        States.WaitForAcknowledgement,
        States.WaitForTeamAcknowledgement,
        States.WaitAfterAlertsCleared,
        States.WaitForUpdate,
        States.WaitForPostmortem,
        States.WaitForApproval,
      ].sort(),
    );
    for (const wait of waits) {
      expect(Object.keys(payloadsByResultPath), `${wait.name} resumes into ${wait.resultPath}`).toContain(
        wait.resultPath,
      );
    }
  });

  it.each([
    States.WaitForAcknowledgement,
    States.WaitForTeamAcknowledgement,
    States.WaitAfterAlertsCleared,
    States.WaitForUpdate,
    States.WaitForPostmortem,
    States.WaitForApproval,
  ])('every payload that resumes %s carries what the states after it read', (name) => {
    const wait = tokenWaits(definition).find((w) => w.name === name);
    const resultPath = wait?.resultPath as string;
    const payloads = payloadsByResultPath[resultPath] ?? [];
    expect(payloads.length).toBeGreaterThan(0);
    for (const payload of payloads) {
      expect(unresolvedReads(definition, name, resultPath, payload), JSON.stringify(payload)).toEqual([]);
    }
  });

  it('finds the fault it is there for: the postmortem wait resumed with its event alone', () => {
    expect(
      unresolvedReads(definition, States.WaitForPostmortem, '$.review', { event: 'approval-requested' }),
    ).toEqual(
      expect.arrayContaining([
        { state: States.WaitForApproval, path: '$.review.waitSeconds' },
        { state: States.RemindApprovers, path: '$.review.round' },
      ]),
    );
    // A comms loop resumed without its plan could not bound its next wait.
    expect(unresolvedReads(definition, States.WaitForUpdate, '$.loop', { event: 'changed' })).toEqual(
      expect.arrayContaining([
        { state: States.WaitForUpdate, path: '$.loop.waitSeconds' },
        { state: States.UpdateOverdue, path: '$.loop.since' },
      ]),
    );
    // An acknowledgement wait's outcome is chosen on its event.
    expect(unresolvedReads(definition, States.WaitForAcknowledgement, '$.ack', {})).toEqual([
      { state: States.AcknowledgementOutcome, path: '$.ack.event' },
    ]);
  });
});
