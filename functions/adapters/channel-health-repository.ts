import type { ChannelHealthRecord, SpendLimitHits } from '../core/channel-health.ts';
import { keys } from '../core/keys.ts';
import type { HandoffNotice } from '../core/oncall-handoffs.ts';
import type { ChannelHealthStore, ClaimOf, ClaimTerms, HandoffNoticeStore } from '../use-cases/ports.ts';
import { entity, type Table } from './table.ts';

/**
 * The one item of the last channel check (`keys.channelHealth`), each write conditional on the one it replaces;
 * and the handoff notices, one leased claim each (`keys.handoffNotice`, done once `sentAt` is set; kept, like the
 * overrides beside them, as the record of who was told).
 */
export class ChannelHealthRepository implements ChannelHealthStore, HandoffNoticeStore {
  constructor(private readonly table: Table) {}

  get(): Promise<ChannelHealthRecord | undefined> {
    return this.table.get<ChannelHealthRecord>(keys.channelHealth());
  }

  replace(record: ChannelHealthRecord, previousCheckedAt: string | undefined): Promise<boolean> {
    const item = { ...keys.channelHealth(), type: 'channel-health', ...record };
    return this.table.putIfHolds(
      item,
      previousCheckedAt === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: 'checkedAt = :previous',
            ExpressionAttributeValues: { ':previous': previousCheckedAt },
          },
    );
  }

  async told(checkedAt: string, what: { operators?: boolean; handoff?: string }): Promise<void> {
    const names: Record<string, string> = {};
    const removes: string[] = [];
    if (what.operators) removes.push('pending');
    if (what.handoff !== undefined) {
      names['#schedule'] = what.handoff;
      removes.push('pendingHandoffs.#schedule');
    }
    if (removes.length === 0) return;
    // Another check since has its own pending: this one's is no longer there to clear.
    await this.table.updateIfHolds({
      Key: keys.channelHealth(),
      UpdateExpression: `REMOVE ${removes.join(', ')}`,
      ConditionExpression: 'checkedAt = :at',
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: { ':at': checkedAt },
    });
  }

  async spendLimitHits(): Promise<SpendLimitHits> {
    const item = await this.table.get<SpendLimitHits>(keys.spendLimitHits());
    return { ...(item?.sms ? { sms: item.sms } : {}), ...(item?.voice ? { voice: item.voice } : {}) };
  }

  /** One UpdateItem (the item made on the first): the latest refusal of the channel, its limit not known yet. */
  async noteSpendLimitHit(channel: 'sms' | 'voice', at: string): Promise<void> {
    await this.table.updateIfHolds({
      Key: keys.spendLimitHits(),
      UpdateExpression: 'SET #type = :type, #channel = :hit',
      ExpressionAttributeNames: { '#type': 'type', '#channel': channel },
      ExpressionAttributeValues: { ':type': 'spend-limit-hits', ':hit': { at } },
    });
  }

  /** Conditional on the hit being the one the check read: a newer refusal since stands as recorded. */
  async settleSpendLimitHit(
    channel: 'sms' | 'voice',
    at: string,
    limitUsd: number | undefined,
  ): Promise<void> {
    await this.table.updateIfHolds({
      Key: keys.spendLimitHits(),
      UpdateExpression: limitUsd === undefined ? 'REMOVE #channel' : 'SET #channel.limitUsd = :limit',
      ConditionExpression: '#channel.#at = :at',
      ExpressionAttributeNames: { '#channel': channel, '#at': 'at' },
      ExpressionAttributeValues: { ':at': at, ...(limitUsd === undefined ? {} : { ':limit': limitUsd }) },
    });
  }

  async claimHandoffNotice(notice: HandoffNotice, terms: ClaimTerms): Promise<ClaimOf<HandoffNotice>> {
    const claim = await this.table.claim(noticeKey(notice), {
      owner: terms.owner,
      now: terms.now,
      leaseMs: terms.leaseMs,
      doneAttribute: 'sentAt',
      attributes: { type: 'handoffNotice', ...notice },
    });
    if (claim.outcome === 'claimed' || claim.outcome === 'taken-over') return { state: claim.outcome };
    return { state: claim.outcome, record: entity(claim.item) as unknown as HandoffNotice };
  }

  completeHandoffNotice(notice: HandoffNotice, owner: string, sentAt: string): Promise<boolean> {
    return this.table.completeClaim(noticeKey(notice), {
      owner,
      doneAttribute: 'sentAt',
      attributes: { sentAt },
    });
  }

  /** Ends the lease in place (the sweep may not delete), so the next check tells it. */
  releaseHandoffNotice(notice: HandoffNotice, owner: string): Promise<boolean> {
    return this.table.releaseClaim(noticeKey(notice), { owner, doneAttribute: 'sentAt' });
  }
}

const noticeKey = (n: HandoffNotice) => keys.handoffNotice(n.scheduleId, n.at, n.personId);
