import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time string comparison. Both sides are hashed first so the comparison takes the same time whatever
 * the lengths (timingSafeEqual alone throws on, and so leaks, a length mismatch).
 */
export function constantTimeEquals(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** True when the presented credential equals any live one; every live one is compared (no early exit). */
export function matchesAny(presented: string, live: readonly string[]): boolean {
  let matched = false;
  for (const candidate of live) {
    if (candidate.length > 0 && constantTimeEquals(presented, candidate)) matched = true;
  }
  return matched;
}

/** The live values of a rotating secret stored as JSON `{"current": "...", "previous": "..."}`. */
export function liveValues(secretJson: string): string[] {
  const parsed: unknown = JSON.parse(secretJson);
  if (typeof parsed !== 'object' || parsed === null) return [];
  return Object.values(parsed).filter((v): v is string => typeof v === 'string' && v.length >= 16);
}
