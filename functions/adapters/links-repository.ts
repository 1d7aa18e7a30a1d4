import { keys } from '../core/keys.ts';
import type { LinkUse, LinkUseStore } from '../use-cases/ports.ts';
import type { Table } from './table.ts';

/** Uses of signed links: one item per link id, created when the link is first used. */
export class LinksRepository implements LinkUseStore {
  constructor(private readonly table: Table) {}

  async use(use: LinkUse): Promise<LinkUse | undefined> {
    const item = { ...keys.linkUse(use.linkId), type: 'linkUse', ...use };
    if (await this.table.putIfHolds(item, { ConditionExpression: 'attribute_not_exists(pk)' }))
      return undefined;
    return (await this.get(use.linkId)) ?? use;
  }

  get(linkId: string): Promise<LinkUse | undefined> {
    return this.table.get<LinkUse>(keys.linkUse(linkId));
  }

  async complete(linkId: string, attempt: string, outcome: string, at: string): Promise<boolean> {
    const held = await this.table.updateIfHolds({
      Key: keys.linkUse(linkId),
      UpdateExpression: 'SET outcome = :outcome, completedAt = :at',
      ConditionExpression: 'attempt = :attempt AND outcome = :pending',
      ExpressionAttributeValues: {
        ':outcome': outcome,
        ':at': at,
        ':attempt': attempt,
        ':pending': 'pending',
      },
    });
    return held !== undefined;
  }

  release(linkId: string, attempt: string): Promise<boolean> {
    return this.table.deleteIfHolds(keys.linkUse(linkId), {
      ConditionExpression: 'attempt = :attempt AND outcome = :pending',
      ExpressionAttributeValues: { ':attempt': attempt, ':pending': 'pending' },
    });
  }

  async takeOver(linkId: string, previousAttempt: string, attempt: string, at: string): Promise<boolean> {
    const held = await this.table.updateIfHolds({
      Key: keys.linkUse(linkId),
      UpdateExpression: 'SET attempt = :attempt, usedAt = :at',
      ConditionExpression: 'attempt = :previous AND outcome = :pending',
      ExpressionAttributeValues: {
        ':attempt': attempt,
        ':at': at,
        ':previous': previousAttempt,
        ':pending': 'pending',
      },
    });
    return held !== undefined;
  }
}
