import type { Severity } from './config.ts';

export const severities: readonly Severity[] = [1, 2, 3];

export function isSeverity(value: unknown): value is Severity {
  return value === 1 || value === 2 || value === 3;
}

/** The most severe of several (1 is the most severe). */
export function mostSevere(values: readonly Severity[], fallback: Severity): Severity {
  return values.length === 0 ? fallback : (Math.min(...values) as Severity);
}

export const severityMeaning: Record<Severity, string> = {
  1: 'critical: a critical system is down or customers cannot use a core function',
  2: 'major: a major function is degraded or a subset of customers is affected',
  3: 'minor: a minor problem or an inconvenience with a workaround',
};
