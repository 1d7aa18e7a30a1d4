import { nextExecutionName } from '../core/executions.ts';
import { serviceOf } from '../core/organisation.ts';
import { nextReminder } from '../core/postmortem.ts';
import { acknowledgeTimeoutSeconds, planLoop, routeFor } from '../core/response.ts';
import type { ResumePoint } from '../core/workflow-contracts.ts';
import { reviewPlan } from './approvals.ts';
import type { WorkflowStarter } from './ports.ts';
import { type PostmortemDeps, quietly } from './postmortems.ts';
import { incidentOrThrow } from './respond.ts';
import { routeRound, teamPlanFor } from './workflow-steps.ts';

/*
 * Executions that stay within Step Functions' limits (core/executions.ts): a wait that has waited enough hands
 * the incident over; `continueExecution` starts the next execution and names it on the incident, and that
 * execution's first step, `resumeExecution`, says where the incident is, with what the wait there reads.
 */

export interface ExecutionDeps extends PostmortemDeps {
  starter: WorkflowStarter;
}

/**
 * Starts the execution that continues `execution` (`HOT-12` -> `HOT-12-2`), idempotent by its name, and records
 * it on the incident, so the sweep and every caller find the execution that runs.
 */
export async function continueExecution(
  deps: ExecutionDeps,
  input: { incidentId: string; key: string; execution: string },
) {
  const next = nextExecutionName(input.key, input.execution);
  const { alreadyStarted } = await deps.starter.start({
    incidentId: input.incidentId,
    key: input.key,
    phase: 'continue',
    name: next,
  });
  const now = deps.now().toISOString();
  await deps.incidents.change(input.incidentId, { set: { executionName: next, updatedAt: now } });
  await deps.incidents.appendTimeline({
    incidentId: input.incidentId,
    eventId: `workflow-continued-${next}`,
    at: now,
    kind: 'workflow.continued',
    actor: 'hotline',
    text: `The workflow continues in execution ${next}: ${input.execution} had waited as long as one execution may.`,
    data: { from: input.execution, to: next },
  });
  return { execution: next, alreadyStarted };
}

/** Where a continued execution picks the incident up: the wait it was in, with what that wait reads. */
export async function resumeExecution(
  deps: PostmortemDeps,
  input: { incidentId: string; key: string },
): Promise<ResumePoint> {
  const incident = await incidentOrThrow(deps, input);
  const ids = { incidentId: incident.id, key: incident.key };
  const now = deps.now();
  if (incident.status === 'resolved') {
    const postmortem = await deps.postmortems.get(incident.id);
    // Resolved before its postmortem opened: the comms loop sees the resolution and goes on to it.
    if (!postmortem) return { at: 'response', ...ids, loop: planLoop(now, incident, 'resolved') };
    const postmortemPlan = nextReminder(postmortem.due, now) ?? quietly();
    if (postmortem.status === 'draft') return { at: 'postmortem', ...ids, postmortem: postmortemPlan };
    // In review, approved or published: the approval wait resumes itself with the outcome.
    return { at: 'approval', ...ids, postmortem: postmortemPlan, review: reviewPlan(deps, postmortem) };
  }
  if (incident.status === 'fixing')
    return { at: 'response', ...ids, loop: planLoop(now, incident, 'changed') };
  if (routeFor(incident.severity) === 'team')
    return { at: 'team', ...ids, team: teamPlanFor(deps, incident) };
  const service = serviceOf(deps.organisation, incident.service);
  return {
    at: 'acknowledgement',
    ...ids,
    page: {
      // The escalation goes on from the tier paged last.
      nextTier: incident.pageTier === undefined ? 0 : incident.pageTier + 1,
      round: routeRound(incident),
      ackTimeoutSeconds: acknowledgeTimeoutSeconds(service, incident.severity),
    },
  };
}
