import { ValidationError } from './errors.ts';
import type { Incident } from './incident.ts';
import { isoTimeMs } from './times.ts';

/**
 * Corrections of an incident's measures after the fact (POST /incidents/{key}/measures, the CLI's `measures`, the
 * responder page): when the impact started and ended, and when it was detected. A correction is recorded on the
 * timeline with what it changed and why; the first one keeps the measures as first recorded
 * (`measuresRecorded`), and the incident's fields hold the corrected values every reader uses (the page, the SLO
 * report, a draft postmortem's pre-fill). A published postmortem's approved text is never changed: its page shows
 * the corrections made since beside it.
 */

export const MEASURE_FIELDS = ['impactStartedAt', 'detectedAt', 'impactEndedAt'] as const;
export type MeasureField = (typeof MEASURE_FIELDS)[number];

export const MEASURE_WORDS: Record<MeasureField, string> = {
  impactStartedAt: 'impact started',
  detectedAt: 'detected',
  impactEndedAt: 'impact ended',
};

export interface MeasuresCorrection {
  impactStartedAt?: string;
  detectedAt?: string;
  impactEndedAt?: string;
  reason: string;
}

export interface MeasureChange {
  field: MeasureField;
  from?: string;
  to: string;
}

/** What a correction sets, and each change it makes; refused (naming why) when it makes none or does not hold. */
export function planCorrection(
  incident: Pick<Incident, MeasureField | 'status' | 'key' | 'measuresRecorded'>,
  correction: MeasuresCorrection,
  now: Date,
): { set: Partial<Incident>; changes: MeasureChange[] } {
  const reason = correction.reason.trim();
  if (reason === '') throw new ValidationError('say why the measures are corrected (reason)');
  const after: Record<MeasureField, string | undefined> = {
    impactStartedAt: incident.impactStartedAt,
    detectedAt: incident.detectedAt,
    impactEndedAt: incident.impactEndedAt,
  };
  const changes: MeasureChange[] = [];
  for (const field of MEASURE_FIELDS) {
    const typed = correction[field];
    if (typed === undefined) continue;
    const at = isoTimeMs(typed);
    if (at === undefined) throw new ValidationError(`${field} must be an ISO-8601 time`);
    if (at > now.getTime() + 60_000) throw new ValidationError(`${field} is in the future`);
    const iso = new Date(at).toISOString();
    if (field === 'impactEndedAt' && incident.status !== 'resolved')
      throw new ValidationError(`${incident.key} is not resolved: its impact end is set when it is resolved`);
    if (after[field] === iso) continue;
    changes.push({ field, ...(after[field] ? { from: after[field] } : {}), to: iso });
    after[field] = iso;
  }
  if (changes.length === 0) throw new ValidationError('nothing to correct: the measures are already these');
  if (after.impactStartedAt && after.detectedAt && after.impactStartedAt > after.detectedAt)
    throw new ValidationError('the impact cannot start after it was detected');
  if (after.impactStartedAt && after.impactEndedAt && after.impactEndedAt < after.impactStartedAt)
    throw new ValidationError('the impact cannot end before it started');
  const set: Partial<Incident> = Object.fromEntries(changes.map((c) => [c.field, c.to]));
  if (!incident.measuresRecorded)
    set.measuresRecorded = {
      impactStartedAt: incident.impactStartedAt,
      detectedAt: incident.detectedAt,
      ...(incident.impactEndedAt ? { impactEndedAt: incident.impactEndedAt } : {}),
    };
  return { set, changes };
}

/** One correction in words: "impact started 2026-11-20 09:41 UTC → 2026-12-06 09:20 UTC". */
export function changeText(change: MeasureChange, time: (iso: string) => string): string {
  return `${MEASURE_WORDS[change.field]} ${change.from ? time(change.from) : '(none)'} → ${time(change.to)}`;
}
