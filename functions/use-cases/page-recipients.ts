import { inPrecedenceOrder } from '../core/oncall-overrides.ts';
import { type PageRecipient, resolvePageTargets, schedulesNamed } from '../core/page-targets.ts';
import type { OverrideStore } from './ports.ts';
import type { ResponseDeps } from './respond.ts';

/**
 * Who a paging tier's entries reach at `at` (now by default): each schedule's holder then, its overrides read
 * (one Query per schedule named), each person's and each plain address.
 */
export async function recipientsOf(
  deps: Pick<ResponseDeps, 'organisation' | 'now' | 'overrides'>,
  entries: readonly string[],
  at: Date = deps.now(),
): Promise<PageRecipient[]> {
  const overrides = new Map<string, Awaited<ReturnType<OverrideStore['touching']>>>();
  for (const scheduleId of schedulesNamed(entries)) {
    // A function that pages through a schedule reads its overrides: without them it would page the rotation's
    // holder while someone else covers.
    if (!deps.overrides) throw new Error(`paging through schedule ${scheduleId} needs the overrides store`);
    const found = await deps.overrides.touching(scheduleId, at, new Date(at.getTime() + 1));
    overrides.set(scheduleId, inPrecedenceOrder(found));
  }
  return resolvePageTargets(deps.organisation, entries, at, (id) => overrides.get(id) ?? []);
}

/** The addresses of `recipientsOf`, for a mail to them. */
export async function addressesOf(
  deps: Pick<ResponseDeps, 'organisation' | 'now' | 'overrides'>,
  entries: readonly string[],
): Promise<string[]> {
  return (await recipientsOf(deps, entries)).map((r) => r.address);
}
