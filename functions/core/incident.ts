import type { Severity } from './config.ts';

/**
 * Incident states. Later stages (acknowledged, fixing, resolved, postmortem) are added with the workflow that
 * drives them; every change is conditional on the state it leaves (see `transitions`).
 */
export type IncidentStatus = 'new' | 'paged' | 'resolved';

export const transitions: Record<IncidentStatus, readonly IncidentStatus[]> = {
  new: ['paged', 'resolved'],
  paged: ['resolved'],
  resolved: [],
};

export function isOpen(status: IncidentStatus): boolean {
  return status !== 'resolved';
}

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
  /** Customer impact in the declarer's words (declared incidents) or the alerts' description. */
  description?: string;
  /** Who declared it by hand (an operator identity), absent for alert-opened incidents. */
  declaredBy?: string;
  /** The incident of the same alert group this one recurs after. */
  recurrenceOf?: string;
  /** Alerts of the incident, derived from its alert records (not incremented, so retries cannot skew them). */
  alertCount?: number;
  firingCount?: number;
  lastAlertAt?: string;
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
