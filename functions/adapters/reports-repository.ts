import { gunzipSync, gzipSync } from 'node:zlib';
import type { TrackedAction } from '../core/actions.ts';
import type { Incident } from '../core/incident.ts';
import { indexes, keys } from '../core/keys.ts';
import type { Postmortem, PostmortemStatus } from '../core/postmortem.ts';
import type {
  ClaimOf,
  ClaimTerms,
  ReportJob,
  ReportJobOutcome,
  ReportRun,
  ReportStore,
} from '../use-cases/ports.ts';
import { postmortemOf } from './postmortems-repository.ts';
import { CLAIM_UNTIL, entity, type Table } from './table.ts';

type QueryInput = Parameters<Table['query']>[0];

/**
 * What the SLO report reads, one Query page at a time (the caller folds each page into its accumulator and
 * drops it), and the report runs (one leased claim per period, scope and recipient set, `keys.reportRun`).
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

  async createJob(job: ReportJob): Promise<ReportJob | undefined> {
    if (await this.table.putOnce({ ...keys.reportJob(job.runId), type: 'reportJob', ...job }))
      return undefined;
    const existing = await this.getJob(job.runId);
    // The put found the item, and nothing deletes a run.
    if (!existing) throw new Error(`report run ${job.runId} exists but cannot be read`);
    return existing;
  }

  async getJob(runId: string): Promise<ReportJob | undefined> {
    const key = keys.reportJob(runId);
    // One Query of the run's partition: the run and, once done, its report's parts.
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': key.pk },
      ConsistentRead: true,
    });
    const item = items.find((i) => i.sk === key.sk);
    if (!item) return undefined;
    const { parts, ...job } = entity(item) as unknown as ReportJob & { parts?: number };
    const until = item[CLAIM_UNTIL];
    if (job.status === 'queued' && typeof until === 'string') job.runningUntil = until;
    if (job.status === 'done' && parts) {
      const chunks = items
        .filter((i) => String(i.sk).startsWith(RESULT_PART))
        .sort((a, b) => (String(a.sk) < String(b.sk) ? -1 : 1))
        .map((i) => Buffer.from(i.data as Uint8Array));
      if (chunks.length !== parts)
        throw new Error(`report run ${runId} has ${chunks.length} of ${parts} parts`);
      job.report = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8'));
    }
    return job;
  }

  async claimJob(runId: string, terms: ClaimTerms): Promise<ClaimOf<ReportJob>> {
    const claim = await this.table.claim(keys.reportJob(runId), { ...terms, doneAttribute: 'completedAt' });
    if (claim.outcome === 'claimed' || claim.outcome === 'taken-over') return { state: claim.outcome };
    return { state: claim.outcome, record: entity(claim.item) as unknown as ReportJob };
  }

  async completeJob(runId: string, owner: string, outcome: ReportJobOutcome): Promise<boolean> {
    const key = keys.reportJob(runId);
    if (outcome.status === 'failed') {
      return this.table.completeClaim(key, { owner, attributes: { ...outcome } });
    }
    // A year's report with its CSV rows is megabytes of JSON: stored gzipped, in parts under DynamoDB's 400 KB
    // item limit, written before the run says it is done (a reader never sees a done run without its parts).
    const { report, ...rest } = outcome;
    const zipped = gzipSync(JSON.stringify(report));
    const parts = Math.max(1, Math.ceil(zipped.length / PART_BYTES));
    for (let i = 0; i < parts; i++) {
      await this.table.putIfHolds(
        {
          pk: key.pk,
          sk: `${RESULT_PART}${String(i).padStart(4, '0')}`,
          type: 'reportJobPart',
          data: zipped.subarray(i * PART_BYTES, (i + 1) * PART_BYTES),
        },
        // A new part, or this run's part from an attempt before (the same report, made again).
        {
          ConditionExpression: 'attribute_not_exists(pk) OR #type = :part',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':part': 'reportJobPart' },
        },
      );
    }
    return this.table.completeClaim(key, { owner, attributes: { ...rest, parts } });
  }

  async claimRun(run: ReportRun, terms: ClaimTerms): Promise<ClaimOf<ReportRun>> {
    const claim = await this.table.claim(runKey(run), {
      ...terms,
      doneAttribute: 'sentAt',
      attributes: { type: 'reportRun', ...run },
    });
    if (claim.outcome === 'claimed' || claim.outcome === 'taken-over') return { state: claim.outcome };
    return { state: claim.outcome, record: entity(claim.item) as unknown as ReportRun };
  }

  completeRun(run: ReportRun, owner: string, messageId: string, sentAt: string): Promise<boolean> {
    return this.table.completeClaim(runKey(run), {
      owner,
      doneAttribute: 'sentAt',
      attributes: { sentAt, messageId },
    });
  }

  async abandonRun(run: ReportRun, owner: string): Promise<void> {
    await this.table.releaseClaim(runKey(run), { owner, doneAttribute: 'sentAt', forget: true });
  }
}

/** A part of a done run's gzipped report: well under the 400 KB item limit with its keys. */
const PART_BYTES = 300_000;
const RESULT_PART = 'PART#';

const runKey = (run: ReportRun) => keys.reportRun(run.from, run.to, run.scope, run.recipients);
