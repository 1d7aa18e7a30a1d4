import { inPrecedenceOrder } from '../../core/oncall-overrides.ts';
import {
  type OnCallTier,
  onCallSection,
  overrideWindowOf,
  serviceTiers,
  tierSchedules,
} from '../../core/oncall-section.ts';
import { serviceOf } from '../../core/organisation.ts';
import type { LinkDeps } from './kind.ts';

/**
 * The "On call" section of an incident page (core/oncall-section.ts) for the incident's service: each schedule
 * its tiers name, with its overrides read as `GET /schedules/{id}/oncall` reads them (one Query of the sparse
 * gsi3 each). Reads only. Undefined when no tier names a schedule, or when the overrides cannot be read: the
 * page is the incident's, and shows without it rather than fail or name someone an override replaced.
 */
export async function onCallSectionOf(
  deps: Pick<LinkDeps, 'organisation' | 'now' | 'overrides'>,
  serviceId: string,
): Promise<OnCallTier[] | undefined> {
  const { organisation: org, overrides } = deps;
  if (!overrides) return undefined;
  const tiers = serviceTiers(serviceOf(org, serviceId), org.imoc);
  const schedules = org.schedules ?? {};
  const ids = tierSchedules(tiers).filter((id) => Object.hasOwn(schedules, id));
  if (ids.length === 0) return undefined;
  const at = deps.now();
  try {
    const read = new Map(
      await Promise.all(
        ids.map(async (id) => {
          const { from, to } = overrideWindowOf(schedules[id] as NonNullable<(typeof schedules)[string]>, at);
          return [id, inPrecedenceOrder(await overrides.touching(id, from, to))] as const;
        }),
      ),
    );
    return onCallSection(org, tiers, at, (id) => read.get(id) ?? []);
  } catch {
    return undefined;
  }
}
