import type { TrackedAction } from '../core/actions.ts';
import type { Incident } from '../core/incident.ts';
import { indexes, keys } from '../core/keys.ts';
import type { Postmortem, PostmortemStatus } from '../core/postmortem.ts';
import type { ReportRun, ReportStore } from '../use-cases/ports.ts';
import { postmortemOf } from './postmortems-repository.ts';
import { entity, type Table } from './table.ts';

type QueryInput = Parameters<Table['query']>[0];

/**
 * What the SLO report reads, one Query page at a time (the caller folds each page into its accumulator and
 * drops it), and the report runs (one item per period and recipient set, `keys.reportRun`).
 */
export class ReportsRepository implements ReportStore {
  constructor(private readonly table: Table) {}

  private async *pages(input: QueryInput): AsyncIterable<Record<string, unknown>[]> {
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.table.query({ ...input, ExclusiveStartKey: cursor });
      yield page.Items ?? [];
      cursor = page.LastEvaluatedKey;
    } while (cursor);
  }

  async *incidentsOpened(from: string, to: string, service?: string): AsyncIterable<Incident[]> {
    const index = service ? indexes.byService : indexes.byTime;
    const partition = service ? indexes.byService.partition(service) : indexes.byTime.partition;
    // Sort keys are `<openedAt>#<id>`: every one opened before `to` sorts below `to` itself, so BETWEEN is [from, to).
    for await (const items of this.pages({
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': index.pk, '#sk': index.sk },
      ExpressionAttributeValues: { ':pk': partition, ':from': from, ':to': to },
    })) {
      yield items.map((i) => entity(i) as unknown as Incident);
    }
  }

  async *postmortems(
    status: PostmortemStatus,
    due?: { from?: string; to?: string },
  ): AsyncIterable<Postmortem[]> {
    const index = indexes.postmortemsByStatus;
    const names: Record<string, string> = { '#pk': index.pk };
    const values: Record<string, unknown> = { ':pk': index.partition(status) };
    let condition = '#pk = :pk';
    if (due?.from || due?.to) {
      names['#sk'] = index.sk;
      values[':from'] = due.from ?? '0';
      values[':to'] = `${due.to ?? '9999'}\uffff`;
      condition += ' AND #sk BETWEEN :from AND :to';
    }
    for await (const items of this.pages({
      IndexName: index.name,
      KeyConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    })) {
      yield items.map(postmortemOf);
    }
  }

  async *actions(status: 'open' | 'done', doneFrom?: string): AsyncIterable<TrackedAction[]> {
    const index = status === 'open' ? indexes.openActions : indexes.doneActions;
    const names: Record<string, string> = { '#pk': index.pk };
    const values: Record<string, unknown> = { ':pk': index.partition };
    let condition = '#pk = :pk';
    if (status === 'done' && doneFrom) {
      names['#sk'] = index.sk;
      values[':from'] = doneFrom;
      condition += ' AND #sk >= :from';
    }
    for await (const items of this.pages({
      IndexName: index.name,
      KeyConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    })) {
      yield items.map((i) => entity(i) as unknown as TrackedAction);
    }
  }

  async beginRun(run: ReportRun): Promise<boolean> {
    return this.table.putOnce({
      ...keys.reportRun(run.from, run.to, run.recipients),
      type: 'reportRun',
      ...run,
    });
  }

  async completeRun(run: ReportRun, messageId: string, sentAt: string): Promise<void> {
    await this.table.updateIfHolds({
      Key: keys.reportRun(run.from, run.to, run.recipients),
      UpdateExpression: 'SET sentAt = :sentAt, messageId = :messageId',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(sentAt)',
      ExpressionAttributeValues: { ':sentAt': sentAt, ':messageId': messageId },
    });
  }

  async abandonRun(run: ReportRun): Promise<void> {
    await this.table.deleteIfHolds(keys.reportRun(run.from, run.to, run.recipients), {
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(sentAt) AND startedAt = :startedAt',
      ExpressionAttributeValues: { ':startedAt': run.startedAt },
    });
  }
}
