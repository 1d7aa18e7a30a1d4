import * as z from 'zod/mini';
import { postmortemReminders } from './postmortem.ts';
import {
  ContractError,
  checked,
  count,
  isoTime,
  loopPlan,
  resumeContracts,
  resumeOutput,
  seconds,
} from './resume-contracts.ts';

// The resumes' contracts and the checker are in resume-contracts.ts (what every function resuming a wait needs);
// named here too, for what reads the whole contract.
export { ContractError, loopPlan, resumeOutput };
/** What each token wait is resumed with, by the ResultPath it lands at (resume-contracts.ts). */
export const resumes = resumeContracts();

/*
 * The contract between the state machine and the steps it runs: what each step receives (the Task's Parameters,
 * with the incident's ids) and what it answers (what lands at the Task's ResultPath, where the states after it
 * read it). One schema per step; the workflow-step handler validates every input it is given and every answer it
 * returns, so a step that drifts from the contract fails at once, where it is, instead of a later state dying on
 * AWS with States.Runtime. The resumes of the token waits are in core/workflow-resume.ts. test/infra/
 * workflow-contracts.test.ts walks the definition and proves that every path a state reads is produced, on every
 * route into it.
 */

const id = z.string().check(z.minLength(1), z.maxLength(200));
const ids = { incidentId: id, key: id };

/** The execution's input: an incident's own execution, a postmortem's own, or one continuing another. */
export const executionInput = z.object({
  ...ids,
  phase: z.optional(z.enum(['postmortem', 'continue'])),
});
export type ExecutionInput = z.infer<typeof executionInput>;

const token = z.string().check(z.minLength(1), z.maxLength(2048));
const step = <S extends string>(name: S) => z.literal(name);
/** `$$.Execution.Name` and `$$.Execution.StartTime`: where a wait decides that the execution continues in a new one. */
const execution = { execution: z.optional(id), executionStartedAt: z.optional(isoTime) };

/** What each step receives. */
export const stepInputs = {
  route: z.object({ step: step('route'), ...ids }),
  page: z.object({ step: step('page'), ...ids, tier: count, round: count }),
  waitForAcknowledgement: z.object({
    step: step('waitForAcknowledgement'),
    ...ids,
    token,
    ...execution,
    // Absent in executions of a definition from before the sev 3 route.
    wait: z.optional(z.enum(['incidentManager', 'team', 'cleared'])),
    // Present from the definition that handles alerts clearing before anyone acknowledges.
    clears: z.optional(z.boolean()),
  }),
  alertsCleared: z.object({ step: step('alertsCleared'), ...ids }),
  resolveCleared: z.object({ step: step('resolveCleared'), ...ids }),
  resumeEscalation: z.object({ step: step('resumeEscalation'), ...ids, next: z.optional(z.boolean()) }),
  notifyTeam: z.object({ step: step('notifyTeam'), ...ids, round: count }),
  remindTeam: z.object({ step: step('remindTeam'), ...ids, round: count, remindAt: isoTime }),
  startResponse: z.object({ step: step('startResponse'), ...ids }),
  waitForUpdate: z.object({ step: step('waitForUpdate'), ...ids, token, since: isoTime, ...execution }),
  updateOverdue: z.object({ step: step('updateOverdue'), ...ids, since: isoTime, ...execution }),
  finalComms: z.object({ step: step('finalComms'), ...ids }),
  openPostmortem: z.object({ step: step('openPostmortem'), ...ids }),
  waitForPostmortem: z.object({ step: step('waitForPostmortem'), ...ids, token, ...execution }),
  remindPostmortem: z.object({
    step: step('remindPostmortem'),
    ...ids,
    reminder: z.enum([...postmortemReminders, 'none']),
  }),
  waitForApproval: z.object({ step: step('waitForApproval'), ...ids, token, ...execution }),
  remindApprovers: z.object({ step: step('remindApprovers'), ...ids, round: count }),
  publishPostmortem: z.object({ step: step('publishPostmortem'), ...ids }),
  continueExecution: z.object({ step: step('continueExecution'), ...ids, execution: id }),
  resumeExecution: z.object({ step: step('resumeExecution'), ...ids }),
} as const;
export type StepName = keyof typeof stepInputs;
export const stepNames = Object.keys(stepInputs) as StepName[];
export type StepInputOf<S extends StepName> = z.infer<(typeof stepInputs)[S]>;

/** A wait's own answer: whether it keeps waiting (the state machine takes the resume instead). */
const waiting = z.object({ waiting: z.boolean() });
export const teamPlan = z.object({
  round: count,
  remindAt: isoTime,
  waitSeconds: seconds,
  skipped: z.optional(z.boolean()),
});
export const postmortemPlan = z.object({
  reminder: z.enum([...postmortemReminders, 'none']),
  waitSeconds: seconds,
});
export const reviewPlan = z.object({ round: count, waitSeconds: seconds });

/** Where a continued execution picks the incident up, with what the wait there reads. */
export const resumePoint = z.discriminatedUnion('at', [
  z.object({
    at: z.literal('acknowledgement'),
    ...ids,
    page: z.object({ nextTier: count, round: count, ackTimeoutSeconds: seconds }),
  }),
  z.object({ at: z.literal('team'), ...ids, team: teamPlan }),
  z.object({ at: z.literal('response'), ...ids, loop: loopPlan }),
  z.object({ at: z.literal('postmortem'), ...ids, postmortem: postmortemPlan }),
  z.object({ at: z.literal('approval'), ...ids, postmortem: postmortemPlan, review: reviewPlan }),
  z.object({ at: z.literal('route'), ...ids }),
]);
export type ResumePoint = z.infer<typeof resumePoint>;

const routePlan = z.object({
  nextTier: count,
  round: count,
  route: z.enum(['page', 'team']),
  severity: z.number(),
});

/** What each step answers. */
export const stepOutputs = {
  route: routePlan,
  page: z.object({
    tier: count,
    nextTier: count,
    round: count,
    ackTimeoutSeconds: seconds,
    recipients: z.array(z.string()),
    skipped: z.optional(z.boolean()),
  }),
  waitForAcknowledgement: waiting,
  alertsCleared: z.object({ waitSeconds: seconds, resolvesAt: z.optional(isoTime) }),
  // What AcknowledgementOutcome reads, as a resume of the wait would have given it.
  resolveCleared: resumeContracts().ack,
  resumeEscalation: routePlan,
  notifyTeam: teamPlan,
  remindTeam: teamPlan,
  startResponse: loopPlan,
  waitForUpdate: waiting,
  updateOverdue: loopPlan,
  finalComms: z.object({ postmortem: z.enum(['required', 'requested', 'not-required']) }),
  openPostmortem: postmortemPlan,
  waitForPostmortem: waiting,
  remindPostmortem: postmortemPlan,
  waitForApproval: waiting,
  remindApprovers: reviewPlan,
  publishPostmortem: z.object({ published: z.boolean(), status: z.optional(z.string()) }),
  continueExecution: z.object({ execution: id, alreadyStarted: z.boolean() }),
  resumeExecution: resumePoint,
} as const satisfies Record<StepName, z.ZodMiniType>;
export type StepOutputOf<S extends StepName> = z.infer<(typeof stepOutputs)[S]>;

/** The failure recorder's input (its own function; its answer is discarded). */
export const failureInput = z.object({
  ...ids,
  failure: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
});

/** A step's input as the state machine gave it, or a ContractError naming what is wrong. */
export function stepInput(value: unknown): { step: StepName; input: StepInputOf<StepName> } {
  const name = (value as { step?: unknown } | null)?.step;
  if (typeof name !== 'string' || !(name in stepInputs))
    throw new ContractError(`unknown workflow step ${JSON.stringify(name)}`);
  const stepName = name as StepName;
  return {
    step: stepName,
    input: checked(stepInputs[stepName], value, `the input of step ${stepName}`) as StepInputOf<StepName>,
  };
}

/** A step's answer, checked before it goes back to the state machine. */
export function stepOutput<S extends StepName>(name: S, value: unknown): StepOutputOf<S> {
  return checked(stepOutputs[name], value, `the answer of step ${name}`) as StepOutputOf<S>;
}
