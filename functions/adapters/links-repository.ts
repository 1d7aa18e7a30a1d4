import { keys } from '../core/keys.ts';
import type { ClaimOf, LinkUse, LinkUseStore } from '../use-cases/ports.ts';
import { entity, type Table } from './table.ts';

/**
 * Uses of signed links: one item per link id, claimed with a lease when the link is first used (the table's one
 * claim protocol; the attempt is the claim's owner). Done is `completedAt`, as 0.1.0 wrote it; a use 0.1.0 left
 * pending has no lease and is taken over.
 */
export class LinksRepository implements LinkUseStore {
  constructor(private readonly table: Table) {}

  async claim(use: LinkUse, leaseMs: number): Promise<ClaimOf<LinkUse>> {
    if (!use.attempt) throw new Error('a link use is claimed by an attempt');
    const claim = await this.table.claim(keys.linkUse(use.linkId), {
      owner: use.attempt,
      now: new Date(use.usedAt),
      leaseMs,
      doneAttribute: 'completedAt',
      attributes: { type: 'linkUse', ...use },
    });
    if (claim.outcome === 'claimed' || claim.outcome === 'taken-over') return { state: claim.outcome };
    return { state: claim.outcome, record: entity(claim.item) as unknown as LinkUse };
  }

  get(linkId: string): Promise<LinkUse | undefined> {
    return this.table.get<LinkUse>(keys.linkUse(linkId));
  }

  complete(linkId: string, attempt: string, outcome: string, at: string): Promise<boolean> {
    return this.table.completeClaim(keys.linkUse(linkId), {
      owner: attempt,
      doneAttribute: 'completedAt',
      attributes: { outcome, completedAt: at },
    });
  }

  release(linkId: string, attempt: string): Promise<boolean> {
    return this.table.releaseClaim(keys.linkUse(linkId), {
      owner: attempt,
      doneAttribute: 'completedAt',
      forget: true,
    });
  }
}
