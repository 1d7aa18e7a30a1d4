import { keys } from '../core/keys.ts';
import type { TestPageRecord } from '../core/test-pages.ts';
import type { TestPageStore } from '../use-cases/ports.ts';
import type { Table } from './table.ts';

/** Each person's last test page (`keys.testPage`), one item replaced by the next: PutItem and UpdateItem, both conditional. */
export class TestPagesRepository implements TestPageStore {
  constructor(private readonly table: Table) {}

  get(personId: string): Promise<TestPageRecord | undefined> {
    return this.table.get<TestPageRecord>(keys.testPage(personId));
  }

  claim(record: TestPageRecord, cutoff: string): Promise<boolean> {
    return this.table.putIfHolds(
      { ...keys.testPage(record.personId), type: 'test-page', ...record },
      {
        // None yet, the last one is older than the interval, or it failed (a retry sends at once).
        ConditionExpression: 'attribute_not_exists(pk) OR #at < :cutoff OR #status = :failed',
        ExpressionAttributeNames: { '#at': 'at', '#status': 'status' },
        ExpressionAttributeValues: { ':cutoff': cutoff, ':failed': 'failed' },
      },
    );
  }

  async finish(record: TestPageRecord): Promise<boolean> {
    const done = await this.table.updateIfHolds({
      Key: keys.testPage(record.personId),
      UpdateExpression: 'SET #status = :status, channels = :channels, completedAt = :completedAt',
      ConditionExpression: '#at = :at AND #status = :sending',
      ExpressionAttributeNames: { '#at': 'at', '#status': 'status' },
      ExpressionAttributeValues: {
        ':status': record.status,
        ':channels': record.channels,
        ':completedAt': record.completedAt ?? new Date().toISOString(),
        ':at': record.at,
        ':sending': 'sending',
      },
    });
    return done !== undefined;
  }
}
