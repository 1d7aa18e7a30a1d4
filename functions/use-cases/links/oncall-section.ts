import { inPrecedenceOrder } from '../../core/oncall-overrides.ts';
import {
  type OnCallSection,
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
 * gsi3 each). Reads only. Undefined when no tier names a schedule (or no store is given). `'unavailable'` when
 * the overrides cannot be read: the page is the incident's and shows rather than fail, and says that who is on
 * call could not be read instead of naming someone an override replaced, or leaving the section out unexplained.
 */
export async function onCallSectionOf(
  deps: Pick<LinkDeps, 'organisation' | 'now' | 'overrides'>,
  serviceId: string,
): Promise<OnCallSection | undefined> {
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
    return 'unavailable';
  }
}
