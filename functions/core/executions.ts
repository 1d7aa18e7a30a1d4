/*
 * How an incident's workflow stays within Step Functions' limits however long the incident lasts: an execution
 * holds at most 25,000 history events and runs at most a year. Every loop of the workflow passes through a token
 * wait; each wait counts itself on the record it waits on, and when an execution has waited often enough, or
 * long enough, the wait hands over to a new execution that picks the incident up where it is (`HOT-12`, then
 * `HOT-12-2`, `HOT-12-3`; a postmortem's own `HOT-12-postmortem`, then `HOT-12-postmortem-2`). The incident
 * keeps the name of the execution that runs, so every caller finds it.
 */

/**
 * Waits per execution before it continues in a new one. One loop round is at most 13 history events (a wait that
 * times out, the step that follows, a Choice), so 750 rounds of the incident's waits and 750 of its postmortem's
 * stay under 20,000 events with room for the rest of the execution.
 */
export const WAITS_PER_EXECUTION = 750;

/** An execution older than this continues in a new one at its next wait (AWS stops one at a year). */
export const MAX_EXECUTION_AGE_MS = 300 * 24 * 60 * 60 * 1000;

/** The name of an execution: the key for an incident's own, `<key>-<phase>` for one started alone. */
export function executionNameOf(input: { key: string; phase?: string; name?: string }): string {
  if (input.name) return input.name;
  return input.phase && input.phase !== 'continue' ? `${input.key}-${input.phase}` : input.key;
}

/**
 * The name of the execution that continues `current` (`HOT-12` -> `HOT-12-2` -> `HOT-12-3`). The key itself ends
 * in a number, so the generation is read after the execution's base name (the key, or `<key>-postmortem`).
 */
export function nextExecutionName(key: string, current: string): string {
  const base = current.startsWith(`${key}-postmortem`) ? `${key}-postmortem` : key;
  const rest = current.slice(base.length);
  const generation = /^-(\d+)$/.exec(rest)?.[1];
  return `${base}-${generation ? Number(generation) + 1 : 2}`;
}

/** Whether a wait should hand over to a new execution instead of waiting in this one. */
export function shouldContinue(input: { waits: number; startedAt?: string; now: Date }): boolean {
  if (input.waits > WAITS_PER_EXECUTION) return true;
  if (!input.startedAt) return false;
  const started = Date.parse(input.startedAt);
  return !Number.isNaN(started) && input.now.getTime() - started > MAX_EXECUTION_AGE_MS;
}
