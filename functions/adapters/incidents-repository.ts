import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { alertsFromTimeline } from '../core/alert.ts';
import type { Incident } from '../core/incident.ts';
import { indexes, keys } from '../core/keys.ts';
import type { TimelineEntry } from '../core/timeline.ts';
import type {
  CommsRecord,
  IncidentChange,
  IncidentStore,
  IncidentView,
  ListQuery,
} from '../use-cases/ports.ts';
import { entity, type Table } from './table.ts';

/** Incidents, their human keys and their timelines: everything of one incident shares its partition. */
export class IncidentsRepository implements IncidentStore {
  constructor(private readonly table: Table) {}

  async create(incident: Incident): Promise<boolean> {
    return this.table.putOnce({
      ...keys.incident(incident.id),
      ...indexes.byTime.values(incident.openedAt, incident.id),
      ...indexes.byService.values(incident.service, incident.openedAt, incident.id),
      ...indexes.awaitingWorkflow.values(incident.openedAt, incident.id),
      type: 'incident',
      ...incident,
    });
  }

  get(incidentId: string): Promise<Incident | undefined> {
    return this.table.get<Incident>(keys.incident(incidentId));
  }

  async idForKey(key: string): Promise<string | undefined> {
    const item = await this.table.getItem(keys.incidentKey(key));
    return typeof item?.incidentId === 'string' ? item.incidentId : undefined;
  }

  async byKey(key: string): Promise<Incident | undefined> {
    const id = await this.idForKey(key);
    return id ? this.get(id) : undefined;
  }

  async putKey(key: string, incidentId: string): Promise<void> {
    await this.table.putOnce(
      { ...keys.incidentKey(key), type: 'incidentKey', key, incidentId },
      { sameAs: { incidentId } },
    );
  }

  async change(incidentId: string, change: IncidentChange): Promise<Incident | undefined> {
    const expression = new Expression();
    const sets = Object.entries(change.set ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${expression.name(k)} = ${expression.value(v)}`);
    if (change.increment) {
      const counter = expression.name(change.increment);
      sets.push(`${counter} = ${counter} + ${expression.value(1)}`);
    }
    const removes = (change.remove ?? []).map((k) => expression.name(k));
    const update = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const conditions = ['attribute_exists(pk)'];
    if (change.statusIn) {
      conditions.push(
        `${expression.name('status')} IN (${change.statusIn.map((s) => expression.value(s)).join(', ')})`,
      );
    }
    for (const [attribute, value] of Object.entries(change.expect ?? {})) {
      conditions.push(
        value === null || value === undefined
          ? `attribute_not_exists(${expression.name(attribute)})`
          : `${expression.name(attribute)} = ${expression.value(value)}`,
      );
    }
    const result = await this.table.updateIfHolds({
      Key: keys.incident(incidentId),
      UpdateExpression: update,
      ConditionExpression: conditions.join(' AND '),
      ...expression.attributes(),
      ReturnValues: 'ALL_NEW',
    });
    return result ? (entity(result) as unknown as Incident) : undefined;
  }

  async appendTimeline(entry: TimelineEntry): Promise<void> {
    await this.table.putOnce({
      ...keys.timelineEntry(entry.incidentId, entry.at, entry.eventId),
      type: 'timeline',
      ...entry,
    });
  }

  async view(incidentId: string): Promise<IncidentView | undefined> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.incidentPartition(incidentId) },
      ConsistentRead: true,
    });
    const incidentItem = items.find((i) => i.type === 'incident');
    if (!incidentItem) return undefined;
    const of = (type: string) => items.filter((i) => i.type === type).map(entity);
    const timeline = of('timeline') as unknown as TimelineEntry[];
    return {
      incident: entity(incidentItem) as unknown as Incident,
      timeline,
      alerts: alertsFromTimeline(incidentId, timeline),
      comms: of('comms') as unknown as CommsRecord[],
    };
  }

  async list(query: ListQuery): Promise<{ incidents: Incident[]; cursor?: Record<string, unknown> }> {
    const index = query.service ? indexes.byService : indexes.byTime;
    const partition = query.service ? indexes.byService.partition(query.service) : indexes.byTime.partition;
    const names: Record<string, string> = { '#pk': index.pk };
    const values: Record<string, unknown> = { ':pk': partition };
    let keyCondition = '#pk = :pk';
    if (query.from || query.to) names['#sk'] = index.sk;
    if (query.from && query.to) {
      keyCondition += ' AND #sk BETWEEN :from AND :to';
      Object.assign(values, { ':from': query.from, ':to': `${query.to}\uffff` });
    } else if (query.from) {
      keyCondition += ' AND #sk >= :from';
      values[':from'] = query.from;
    } else if (query.to) {
      keyCondition += ' AND #sk <= :to';
      values[':to'] = `${query.to}\uffff`;
    }
    const filters: string[] = [];
    if (query.status) {
      names['#status'] = 'status';
      if (query.status === 'open') {
        filters.push('#status <> :resolved');
        values[':resolved'] = 'resolved';
      } else {
        filters.push('#status = :status');
        values[':status'] = query.status;
      }
    }
    if (query.severity) {
      filters.push('severity = :severity');
      values[':severity'] = query.severity;
    }
    const incidents: Incident[] = [];
    let cursor = query.cursor;
    // A filter can leave pages short: keep reading until the page is full, within a bounded number of reads.
    for (let reads = 0; reads < 10 && incidents.length < query.limit; reads++) {
      const input: Omit<QueryCommandInput, 'TableName'> = {
        IndexName: index.name,
        KeyConditionExpression: keyCondition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: query.limit - incidents.length,
        ExclusiveStartKey: cursor,
        ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
      };
      const page = await this.table.query(input);
      incidents.push(...(page.Items ?? []).map((i) => entity(i) as unknown as Incident));
      cursor = page.LastEvaluatedKey;
      if (!cursor) break;
    }
    return cursor ? { incidents, cursor } : { incidents };
  }

  async awaitingWorkflow(openedBefore: string, limit: number): Promise<Incident[]> {
    const index = indexes.awaitingWorkflow;
    const page = await this.table.query({
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk AND #sk <= :before',
      ExpressionAttributeNames: { '#pk': index.pk, '#sk': index.sk },
      ExpressionAttributeValues: { ':pk': index.partition, ':before': `${openedBefore}\uffff` },
      Limit: limit,
    });
    return (page.Items ?? []).map((i) => entity(i) as unknown as Incident);
  }

  async markWorkflowStarted(incidentId: string, executionArn: string, at: string): Promise<void> {
    const index = indexes.awaitingWorkflow;
    await this.table.updateIfHolds({
      Key: keys.incident(incidentId),
      UpdateExpression:
        'SET workflowStartedAt = if_not_exists(workflowStartedAt, :at), executionArn = :arn REMOVE #pk, #sk',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#pk': index.pk, '#sk': index.sk },
      ExpressionAttributeValues: { ':at': at, ':arn': executionArn },
    });
  }
}

/** Placeholders for attribute names and values, numbered as they are used. */
class Expression {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};

  name(attribute: string): string {
    const placeholder = `#n${Object.keys(this.names).length}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(v: unknown): string {
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = v;
    return placeholder;
  }

  attributes() {
    return {
      ExpressionAttributeNames: this.names,
      ...(Object.keys(this.values).length ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}
