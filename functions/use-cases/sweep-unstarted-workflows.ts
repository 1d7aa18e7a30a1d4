import { workflowRecoveredEmail } from '../core/comms.ts';
import type { Organisation } from '../core/config.ts';
import type { Incident } from '../core/incident.ts';
import { type SweepItemFailure, sweepItemFailure } from '../core/sweeps.ts';
import type { CommsStore, IncidentStore, WorkflowExecutions, WorkflowStarter } from './ports.ts';
import { type Outbox, sendOnce } from './send-once.ts';

export interface SweepDeps extends Outbox {
  incidents: IncidentStore;
  comms: CommsStore;
  workflow: WorkflowStarter & WorkflowExecutions;
  organisation: Organisation;
}

/**
 * How long an incident may wait for its workflow before the sweep starts it: an opening request normally starts
 * it within a second, and one that is still retrying holds its group's lease for at most 35 s. With the sweep
 * every minute, an incident is paged at most about two minutes after it was written, whatever failed.
 */
export const DEFAULT_GRACE_SECONDS = 60;
/** Incidents handled per run; more wait for the next run (a minute later). */
const BATCH = 25;

export interface SweepResult {
  /** Incidents whose workflow the sweep started (each one paged late: the operators are told). */
  started: string[];
  /** Incidents whose workflow was running but whose start was not recorded. */
  recorded: string[];
  /**
   * Incidents the sweep could not handle (their start failed, or telling the operators did), and why: they stay
   * on the list, so the next run tries them again; the others of this run were handled all the same.
   */
  failed: SweepItemFailure[];
}

/**
 * The invariant behind "no incident left unpaged": every incident that exists has its workflow started. An
 * incident is written before its execution is started, so a request that fails in between (a dependency down
 * for longer than the sender retries, a Lambda timeout) leaves an incident nobody was paged for. The sweep reads
 * the sparse list of incidents whose start is not recorded, starts each one's execution (idempotent by name: it
 * is the incident key), records that on the timeline and tells the operators. Each incident is tried on its own:
 * a failure is returned (the handler counts it in the `SweepsNeedAttention` metric the operators' alarm watches)
 * and the incident stays listed for the next run.
 */
export async function sweepUnstartedWorkflows(
  deps: SweepDeps,
  graceSeconds = DEFAULT_GRACE_SECONDS,
): Promise<SweepResult> {
  const now = deps.now();
  const openedBefore = new Date(now.getTime() - graceSeconds * 1000).toISOString();
  const waiting = await deps.incidents.awaitingWorkflow(openedBefore, BATCH);
  const result: SweepResult = { started: [], recorded: [], failed: [] };
  for (const incident of waiting) {
    // Each incident on its own: one whose start or mail fails must not leave the others unpaged.
    try {
      if (await startOne(deps, incident)) result.started.push(incident.key);
      else result.recorded.push(incident.key);
    } catch (error) {
      result.failed.push(sweepItemFailure(incident.key, error));
    }
  }
  return result;
}

/** True when this run started the execution; false when it already existed and only its start was recorded. */
async function startOne(deps: SweepDeps, incident: Incident): Promise<boolean> {
  // The execution that runs (or should): the incident names it (`HOT-12`, or a continuation `HOT-12-2`).
  const input = { incidentId: incident.id, key: incident.key, name: incident.executionName };
  const existing = await deps.workflow.find(input);
  if (existing) {
    await deps.incidents.markWorkflowStarted(incident.id, existing.executionArn, deps.now().toISOString());
    return false;
  }
  const { executionArn } = await deps.workflow.start(input);
  const startedAt = deps.now().toISOString();
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: 'workflow-started-by-sweep',
    at: startedAt,
    kind: 'workflow.recovered',
    actor: 'hotline',
    text: `Workflow started by the sweep (execution ${incident.key}): the request that opened ${incident.key} failed before starting it. Operators told.`,
    data: { executionArn, openedAt: incident.openedAt },
  });
  await sendOnce(deps, {
    incidentId: incident.id,
    incidentKey: incident.key,
    kind: 'workflow-recovered',
    sequence: 1,
    recipients: deps.organisation.operators,
    message: (viewUrl) => workflowRecoveredEmail({ incident, viewUrl, startedAt }),
    timelineKind: 'workflow.recovered',
    timelineText: `Told operators ${deps.organisation.operators.join(', ')} that the workflow started late.`,
    now: deps.now,
  });
  await deps.incidents.markWorkflowStarted(incident.id, executionArn, startedAt);
  return true;
}
