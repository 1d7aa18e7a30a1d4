import { cap } from './text.ts';

/**
 * The scheduled sweeps (action reminders, unstarted workflows) go through a list of items each run. One item that
 * fails (a mail SES refuses, a workflow that will not start) must not stop the others: each item is tried on its
 * own, a failure is recorded, logged and counted in the `SweepsNeedAttention` metric that the operators' alarm
 * watches, and the run goes on. Pure data and rules.
 */

/** The sweeps, by the name their runs are recorded and logged under (Heartbeats and Channels run with UnstartedWorkflows). */
export const sweepNames = ['ActionReminders', 'UnstartedWorkflows', 'Heartbeats', 'Channels'] as const;
export type SweepName = (typeof sweepNames)[number];

/**
 * The one metric every sweep counts what needs an operator in: items it could not handle, and (the unstarted-workflow
 * sweep) workflows it had to start. Published only when there is something to count, with no dimension but
 * Powertools' `service`: one alarm metric for all sweeps; the sweep's log says which sweep and which items.
 */
export const SWEEPS_NEED_ATTENTION = 'SweepsNeedAttention';

/** One item a run could not handle: what it was, and why (capped: it is logged and stored). */
export interface SweepItemFailure {
  /** The item: `<actionId>:<reminder>`, or an incident key. */
  item: string;
  error: string;
}

/** Failed items a run record keeps (the log and the metric have every one). */
export const MAX_RECORDED_FAILURES = 20;

export function sweepItemFailure(item: string, error: unknown): SweepItemFailure {
  const message =
    error instanceof Error ? `${error.name}: ${error.message}` : typeof error === 'string' ? error : 'failed';
  return { item: cap(item, 200), error: cap(message, 500) };
}

/** A sweep's last completed run: where the next run catches up from. */
export interface SweepRun {
  sweep: SweepName;
  /** The `now` the run worked at (when it started). */
  ranAt: string;
  completedAt: string;
  /** Items read, and how many of them were handled (sent, started) by this run. */
  read: number;
  handled: number;
  /** Items that failed (at most MAX_RECORDED_FAILURES of them; `failedCount` has them all). */
  failed: SweepItemFailure[];
  failedCount: number;
}
