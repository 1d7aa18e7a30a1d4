import type { Severity } from './config.ts';
import type { LoopPlan } from './response.ts';
import { resumeOutput } from './resume-contracts.ts';

/*
 * What each token wait of the workflow is resumed with (the output of SendTaskSuccess). The output lands at the
 * wait's ResultPath, and the states after the wait read paths under it (`$.ack.event`, `$.review.waitSeconds`):
 * a missing path is a States.Runtime error on AWS, which no Catch takes and which kills the execution. So every
 * resume is built here, one shape per wait, and the port only accepts what these builders return.
 * test/infra/resume-contracts.test.ts walks the state machine from each wait with every shape below and fails for
 * any path a later state reads that the shape does not carry.
 */

declare const resumeBrand: unique symbol;
/** A payload made by one of the builders below. */
type Branded<T> = T & { readonly [resumeBrand]: true };
/** Checked against the wait's contract (core/resume-contracts.ts) as it is built. */
const branded = <T>(wait: 'ack' | 'loop' | 'review', output: T): Branded<T> =>
  resumeOutput(wait, output) as Branded<T>;

/** A resume payload made by one of the builders below (the workflow callback port takes nothing else). */
export type ResumeOutput = Branded<AcknowledgementResume> | Branded<LoopPlan> | Branded<ReviewResume>;

/** The waits a resume goes to, by the ResultPath their output lands at. */
export type ResumeTarget = 'acknowledgement' | 'loop' | 'review';

/** WaitForAcknowledgement and WaitForTeamAcknowledgement -> `$.ack` (AcknowledgementOutcome reads `event`). */
export type AcknowledgementResume =
  | { event: 'acknowledged'; by: string }
  | {
      event: 'resolved' | 'raised' | 'lowered' | 'continue' | 'cleared' | 'refired' | 'undeliverable';
      severity: Severity;
    };
/**
 * `continue`: the execution has waited enough and hands the incident over to a new one (core/executions.ts).
 * `cleared`: every alert cleared before anyone acknowledged (the escalation stops for a grace); `refired`: one
 * fired again within the grace (the escalation goes on where it stopped); `undeliverable`: the tier's page
 * reached nobody on any channel (the next tier is paged at once). Only waits whose definition handles them
 * (`clears` in their input, from the same release) are resumed with those three.
 */
export const acknowledgementEvents = [
  'acknowledged',
  'resolved',
  'raised',
  'lowered',
  'continue',
  'cleared',
  'refired',
  'undeliverable',
] as const;
export type AcknowledgementEvent = (typeof acknowledgementEvents)[number];

export function acknowledgementResume(
  event: AcknowledgementEvent,
  incident: { acknowledgedBy?: string | undefined; severity: Severity },
): Branded<AcknowledgementResume> {
  return branded(
    'ack',
    event === 'acknowledged'
      ? { event, by: incident.acknowledgedBy ?? 'someone' }
      : { event, severity: incident.severity },
  );
}

/** WaitForUpdate -> `$.loop` (ResolvedYet reads `event`; the next wait `since` and `waitSeconds`). */
export function loopResume(plan: LoopPlan): Branded<LoopPlan> {
  return branded('loop', { event: plan.event, waitSeconds: plan.waitSeconds, since: plan.since });
}

/**
 * WaitForPostmortem and WaitForApproval -> `$.review`. The two waits share the postmortem's one task token, so a
 * resume may reach either of them: every review resume carries what both waits' next states read (ApprovalOutcome
 * reads `event`, WaitForApproval `waitSeconds`, RemindApprovers `round`).
 */
export const reviewEvents = ['approval-requested', 'approved', 'changes-requested', 'continue'] as const;
export type ReviewEvent = (typeof reviewEvents)[number];
export interface ReviewResume {
  event: ReviewEvent;
  /** Reminders of pending approvers sent in this request (0 when approval was just requested). */
  round: number;
  /** Until the next reminder of pending approvers. */
  waitSeconds: number;
}

export function reviewResume(
  event: ReviewEvent,
  plan: { round: number; waitSeconds: number },
): Branded<ReviewResume> {
  return branded('review', { event, round: plan.round, waitSeconds: plan.waitSeconds });
}
