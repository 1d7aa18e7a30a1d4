import type { Severity } from './config.ts';

/**
 * Incident states. Later stages (acknowledged, fixing, resolved, postmortem) are added with the workflow that
 * drives them; every change is conditional on the state it leaves (see `transitions`).
 */
export type IncidentStatus = 'new' | 'paged';

export const transitions: Record<IncidentStatus, readonly IncidentStatus[]> = {
  new: ['paged'],
  paged: [],
};

export function canTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  return transitions[from].includes(to);
}

export interface Incident {
  id: string;
  key: string;
  number: number;
  status: IncidentStatus;
  severity: Severity;
  service: string;
  summary: string;
  products: string[];
  source: string;
  groupKey?: string;
  /** When the impact started (from the alerts), when we detected it (first delivery), when the record was made. */
  impactStartedAt: string;
  detectedAt: string;
  openedAt: string;
  executionName: string;
  updatedAt: string;
}

export function formatIncidentKey(prefix: string, number: number): string {
  return `${prefix}-${number}`;
}

const KEY = /^[A-Z][A-Z0-9]{1,9}-[1-9][0-9]{0,9}$/;

export function isIncidentKey(value: string): boolean {
  return KEY.test(value);
}

/** Milliseconds between two ISO timestamps, or undefined when either is missing. */
export function durationMs(from?: string, to?: string): number | undefined {
  if (!from || !to) return undefined;
  return Date.parse(to) - Date.parse(from);
}

/** Time to detect: detected minus impact start (never negative: clocks of alert sources drift). */
export function timeToDetectMs(
  incident: Pick<Incident, 'impactStartedAt' | 'detectedAt'>,
): number | undefined {
  const ms = durationMs(incident.impactStartedAt, incident.detectedAt);
  return ms === undefined ? undefined : Math.max(0, ms);
}
