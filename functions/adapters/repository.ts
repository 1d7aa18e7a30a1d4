import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type AlertCounts, alertsFromTimeline, countsFromMarkers, type StoredAlert } from '../core/alert.ts';
import type { Incident, IncidentStatus } from '../core/incident.ts';
import { indexes, keys, stripKeys } from '../core/keys.ts';
import type { TimelineEntry } from '../core/timeline.ts';
import { isConditionalCheckFailed } from './errors.ts';

/** The dedup pointer of an alert group: which incident it feeds and who is opening it. */
export interface AlertGroupRecord {
  source: string;
  /** The state each alert of the group's incident has recorded (fingerprint -> state marker). */
  states?: Record<string, string>;
  /** When each alert was last delivered (fingerprint -> time): repeats only move this. */
  seen?: Record<string, string>;
  groupKey: string;
  incidentId: string;
  /** opening: a request holds the lease and is creating the incident; closed: its incident was resolved. */
  state: 'opening' | 'open' | 'closed';
  /** The resolved incident this group's current one recurs after. */
  previousIncidentId?: string;
  previousKey?: string;
  claimedAt: string;
  leaseOwner?: string;
  leaseUntil?: string;
  number?: number;
  incidentKey?: string;
}

export interface LinkUse {
  linkId: string;
  incidentId: string;
  action: string;
  recipient: string;
  usedAt: string;
  /** 'pending' while the decision is being made (see use-cases/links.ts), then what the decision did. */
  outcome: string;
  /** Which attempt holds a pending use: only it may complete or release the use. */
  attempt?: string;
  completedAt?: string;
}

export interface CommsRecord {
  incidentId: string;
  kind: string;
  sequence: number;
  status: 'sending' | 'sent';
  recipients: string[];
  subject: string;
  startedAt: string;
  sentAt?: string;
  messageId?: string;
}

export interface IncidentView {
  incident: Incident;
  timeline: TimelineEntry[];
  alerts: StoredAlert[];
  comms: CommsRecord[];
}

export interface ListQuery {
  service?: string;
  status?: IncidentStatus;
  severity?: number;
  from?: string;
  to?: string;
  limit: number;
  cursor?: Record<string, unknown>;
}

/** A released lease ends at the epoch: expired for any clock. */
const RELEASED = new Date(0).toISOString();
/** Alerts per group update: each costs about 40 characters of the 4 KB update expression. */
const ALERTS_PER_UPDATE = 40;
const DELIVERY_MEMORY_SECONDS = 24 * 60 * 60;

/**
 * The only module that talks to the table. Every create is attribute_not_exists; every state change is
 * conditional on the state it leaves; no transactions (single-item conditional writes + idempotent steps).
 */
export class IncidentRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getAlertGroup(source: string, groupKey: string): Promise<AlertGroupRecord | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.alertGroup(source, groupKey), ConsistentRead: true }),
    );
    return result.Item ? (stripKeys(result.Item) as unknown as AlertGroupRecord) : undefined;
  }

  /** Claims a new alert group for a new incident. False when another request claimed it first. */
  async claimAlertGroup(record: AlertGroupRecord): Promise<boolean> {
    return this.conditionally(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: claimedGroup(record),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  /**
   * Claims a group whose incident was resolved for a new (recurring) incident. False when another request
   * claimed it first.
   */
  async reclaimClosedGroup(closed: AlertGroupRecord, claim: AlertGroupRecord): Promise<boolean> {
    return this.conditionally(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...claimedGroup(claim),
            previousIncidentId: closed.incidentId,
            ...(closed.incidentKey ? { previousKey: closed.incidentKey } : {}),
          },
          ConditionExpression: 'incidentId = :old AND #state = :closed',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':old': closed.incidentId, ':closed': 'closed' },
        }),
      ),
    );
  }

  /**
   * Remembers on the group the states its incident has recorded (and when each alert was seen), and answers
   * with every state the group now holds. Undefined when the group has moved on to another incident (a
   * recurrence). Large deliveries are written in parts: an update expression is limited to 4 KB.
   */
  async rememberAlertStates(
    source: string,
    groupKey: string,
    incidentId: string,
    alerts: readonly { fingerprint: string; marker: string }[],
    seenAt: string,
  ): Promise<string[] | undefined> {
    let states: string[] | undefined;
    for (let start = 0; start < alerts.length; start += ALERTS_PER_UPDATE) {
      const clauses = stateClauses(alerts.slice(start, start + ALERTS_PER_UPDATE), seenAt);
      const group = await this.updateIfHolds({
        Key: keys.alertGroup(source, groupKey),
        UpdateExpression: `SET ${clauses.sets.join(', ')}`,
        ConditionExpression: 'incidentId = :id AND attribute_exists(states) AND attribute_exists(seen)',
        ExpressionAttributeNames: clauses.names,
        ExpressionAttributeValues: { ...clauses.values, ':id': incidentId },
        ReturnValues: 'ALL_NEW',
      });
      if (!group) return undefined;
      states = Object.values((group as Pick<AlertGroupRecord, 'states'>).states ?? {});
    }
    return states;
  }

  /**
   * An incident's alert counts, from its group's states. Undefined for an incident without alerts, or whose
   * group has moved on to a later incident (by then it is resolved).
   */
  async alertCountsOf(
    incident: Pick<Incident, 'id' | 'source' | 'groupKey'>,
  ): Promise<AlertCounts | undefined> {
    if (!incident.groupKey) return undefined;
    const group = await this.getAlertGroup(incident.source, incident.groupKey);
    if (group?.incidentId !== incident.id) return undefined;
    return countsFromMarkers(Object.values(group.states ?? {}));
  }

  /** Marks a group's incident resolved: the group's next firing alert opens a new incident. */
  async closeAlertGroup(source: string, groupKey: string, incidentId: string): Promise<boolean> {
    const held = await this.updateIfHolds({
      Key: keys.alertGroup(source, groupKey),
      UpdateExpression: 'SET #state = :closed',
      ConditionExpression: 'incidentId = :id AND #state = :open',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':closed': 'closed', ':open': 'open', ':id': incidentId },
    });
    return held !== undefined;
  }

  /** Takes over the opening of a group whose lease expired (its opener died). */
  async takeOverLease(
    source: string,
    groupKey: string,
    owner: string,
    now: string,
    until: string,
  ): Promise<boolean> {
    const taken = await this.updateIfHolds({
      Key: keys.alertGroup(source, groupKey),
      UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
      ConditionExpression: '#state = :opening AND leaseUntil < :now',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':owner': owner, ':until': until, ':now': now, ':opening': 'opening' },
    });
    if (taken) return true;
    // A lost reply retried by the SDK fails its condition against its own write: check whose lease it is.
    return (await this.getAlertGroup(source, groupKey))?.leaseOwner === owner;
  }

  /**
   * Gives up an opener's lease after a failure, so the next delivery takes over at once instead of waiting for
   * the lease to run out. Only the lease holder can, and only while the group is still opening.
   */
  async releaseLease(source: string, groupKey: string, owner: string): Promise<void> {
    await this.updateIfHolds({
      Key: keys.alertGroup(source, groupKey),
      UpdateExpression: 'SET leaseUntil = :released',
      ConditionExpression: '#state = :opening AND leaseOwner = :owner',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':owner': owner, ':released': RELEASED, ':opening': 'opening' },
    });
  }

  /** Whether a sender's delivery id was processed and is still within its replay window. */
  async deliveryProcessed(source: string, deliveryId: string, now: Date): Promise<boolean> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.delivery(source, deliveryId), ConsistentRead: true }),
    );
    // TTL deletes late (and never locally): expiry is decided here.
    return typeof result.Item?.expiresAt === 'number' && result.Item.expiresAt * 1000 > now.getTime();
  }

  /** Remembers a processed delivery id for a day (far beyond any sender's signature tolerance). */
  async recordDelivery(source: string, deliveryId: string, now: Date): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...keys.delivery(source, deliveryId),
          type: 'delivery',
          source,
          processedAt: now.toISOString(),
          expiresAt: Math.floor(now.getTime() / 1000) + DELIVERY_MEMORY_SECONDS,
        },
      }),
    );
  }

  /**
   * The next incident number (1, 2, ...) for `owner` (the opener holding a group's lease). The counter
   * remembers who counted last, so a lost reply retried by the SDK answers the same number instead of skipping
   * one; a gap is left only when another opener counts in between.
   */
  async nextIncidentNumber(owner: string): Promise<number> {
    for (;;) {
      const counted = await this.updateIfHolds({
        Key: keys.counter('incident'),
        UpdateExpression: 'SET #value = if_not_exists(#value, :zero) + :one, lastOwner = :owner',
        // Once per owner in a row: the SDK's retry of an increment whose reply was lost does not count again.
        ConditionExpression: 'attribute_not_exists(lastOwner) OR lastOwner <> :owner',
        ExpressionAttributeNames: { '#value': 'value' },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':owner': owner },
        ReturnValues: 'UPDATED_NEW',
      });
      if (counted) return Number(counted.value);
      const counter = await this.db.send(
        new GetCommand({ TableName: this.table, Key: keys.counter('incident'), ConsistentRead: true }),
      );
      if (counter.Item?.lastOwner === owner) return Number(counter.Item.value);
      // Another opener counted after this one's lost reply: that number is gone (a gap); take the next.
    }
  }

  /** Records the number on the group, once, and only by the lease holder. */
  async assignGroupNumber(
    source: string,
    groupKey: string,
    owner: string,
    number: number,
    incidentKey: string,
  ): Promise<boolean> {
    const held = await this.updateIfHolds({
      Key: keys.alertGroup(source, groupKey),
      UpdateExpression: 'SET #number = :number, incidentKey = :key',
      ConditionExpression: 'attribute_not_exists(#number) AND leaseOwner = :owner',
      ExpressionAttributeNames: { '#number': 'number' },
      ExpressionAttributeValues: { ':number': number, ':key': incidentKey, ':owner': owner },
    });
    return held !== undefined;
  }

  /**
   * Ends an opening: the group is open (its lease gone) with the states of the alerts its incident recorded,
   * in the same write when they fit in one.
   */
  async markGroupOpen(
    source: string,
    groupKey: string,
    incidentId: string,
    alerts: readonly { fingerprint: string; marker: string }[],
    seenAt: string,
  ): Promise<void> {
    const last = alerts.length - (alerts.length % ALERTS_PER_UPDATE || ALERTS_PER_UPDATE);
    if (last > 0) await this.rememberAlertStates(source, groupKey, incidentId, alerts.slice(0, last), seenAt);
    const clauses = stateClauses(alerts.slice(Math.max(last, 0)), seenAt);
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.alertGroup(source, groupKey),
        UpdateExpression: `SET ${['#state = :open', ...clauses.sets].join(', ')} REMOVE leaseOwner, leaseUntil`,
        ConditionExpression: 'incidentId = :id',
        ExpressionAttributeNames: { ...clauses.names, '#state': 'state' },
        ExpressionAttributeValues: { ...clauses.values, ':open': 'open', ':id': incidentId },
      }),
    );
  }

  /** Points a human key at its incident; a retry that points it at the same incident is fine. */
  async putIncidentKey(incidentKey: string, incidentId: string): Promise<void> {
    await this.putOnce(
      { ...keys.incidentKey(incidentKey), type: 'incidentKey', key: incidentKey, incidentId },
      {
        sameAs: { incidentId },
      },
    );
  }

  /** Creates the incident record; an identical retry leaves the first one as it is. */
  async createIncident(incident: Incident): Promise<boolean> {
    return this.putOnce({
      ...keys.incident(incident.id),
      ...indexes.byTime.values(incident.openedAt, incident.id),
      ...indexes.byService.values(incident.service, incident.openedAt, incident.id),
      type: 'incident',
      ...incident,
    });
  }

  async getIncident(incidentId: string): Promise<Incident | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.incident(incidentId), ConsistentRead: true }),
    );
    return result.Item ? (stripType(result.Item) as unknown as Incident) : undefined;
  }

  async incidentIdForKey(incidentKey: string): Promise<string | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.incidentKey(incidentKey) }),
    );
    return result.Item?.incidentId as string | undefined;
  }

  /**
   * Changes an incident: SET, REMOVE and ADD in one conditional write. `statusIn` makes it conditional on the
   * state it leaves; `when` adds a raw condition (with its own values). Returns the incident after the change,
   * or undefined when a condition did not hold.
   */
  async updateIncident(
    incidentId: string,
    change: {
      set?: Record<string, unknown>;
      remove?: string[];
      add?: Record<string, number>;
      statusIn?: readonly IncidentStatus[];
      when?: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> };
    },
  ): Promise<Incident | undefined> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const name = (attribute: string) => {
      const placeholder = `#n${Object.keys(names).length}`;
      names[placeholder] = attribute;
      return placeholder;
    };
    const value = (v: unknown) => {
      const placeholder = `:v${Object.keys(values).length}`;
      values[placeholder] = v;
      return placeholder;
    };
    const sets = Object.entries(change.set ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${name(k)} = ${value(v)}`);
    const adds = Object.entries(change.add ?? {}).map(([k, v]) => `${name(k)} ${value(v)}`);
    const removes = (change.remove ?? []).map(name);
    const expression = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
      adds.length ? `ADD ${adds.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const conditions = ['attribute_exists(pk)'];
    if (change.statusIn) {
      const status = name('status');
      conditions.push(`${status} IN (${change.statusIn.map(value).join(', ')})`);
    }
    if (change.when) {
      conditions.push(`(${change.when.expression})`);
      Object.assign(names, change.when.names);
      Object.assign(values, change.when.values);
    }
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.incident(incidentId),
          UpdateExpression: expression,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes ? (stripType(result.Attributes) as unknown as Incident) : undefined;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  async incidentByKey(incidentKey: string): Promise<Incident | undefined> {
    const id = await this.incidentIdForKey(incidentKey);
    return id ? this.getIncident(id) : undefined;
  }

  /**
   * Uses a signed link once. Returns undefined when this call used it, or the earlier use when it was already
   * used (the caller shows "already done" and changes nothing).
   */
  async useLink(use: LinkUse): Promise<LinkUse | undefined> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.linkUse(use.linkId), type: 'linkUse', ...use },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return undefined;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const existing = await this.db.send(
        new GetCommand({ TableName: this.table, Key: keys.linkUse(use.linkId), ConsistentRead: true }),
      );
      return existing.Item ? (stripType(existing.Item) as unknown as LinkUse) : use;
    }
  }

  async getLinkUse(linkId: string): Promise<LinkUse | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.linkUse(linkId), ConsistentRead: true }),
    );
    return result.Item ? (stripType(result.Item) as unknown as LinkUse) : undefined;
  }

  /** Records what a pending use decided. False when the attempt no longer holds the use. */
  async completeLinkUse(linkId: string, attempt: string, outcome: string, at: string): Promise<boolean> {
    const held = await this.updateIfHolds({
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

  /** Gives a pending use back (its attempt failed), so the same link can be used again. */
  async releaseLinkUse(linkId: string, attempt: string): Promise<boolean> {
    return this.conditionally(() =>
      this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: keys.linkUse(linkId),
          ConditionExpression: 'attempt = :attempt AND outcome = :pending',
          ExpressionAttributeValues: { ':attempt': attempt, ':pending': 'pending' },
        }),
      ),
    );
  }

  /** Takes over a pending use whose attempt died (its lease passed). False when another request took it. */
  async takeOverLinkUse(
    linkId: string,
    previousAttempt: string,
    attempt: string,
    at: string,
  ): Promise<boolean> {
    const held = await this.updateIfHolds({
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

  /** Changes status only from the expected one. False when the incident is not in `from`. */
  async transitionStatus(
    incidentId: string,
    from: IncidentStatus,
    to: IncidentStatus,
    at: string,
  ): Promise<boolean> {
    const held = await this.updateIfHolds({
      Key: keys.incident(incidentId),
      UpdateExpression: 'SET #status = :to, updatedAt = :at',
      ConditionExpression: '#status = :from',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':to': to, ':from': from, ':at': at },
    });
    return held !== undefined;
  }

  /** Appends a timeline entry; the same event id at the same time is written once. */
  async appendTimeline(entry: TimelineEntry): Promise<void> {
    await this.putOnce({
      ...keys.timelineEntry(entry.incidentId, entry.at, entry.eventId),
      type: 'timeline',
      ...entry,
    });
  }

  /**
   * Starts a send of one message kind/sequence. Returns the existing record when it was already sent (the
   * caller then sends nothing), or undefined when the caller should send.
   */
  async beginComms(record: CommsRecord): Promise<CommsRecord | undefined> {
    const key = keys.comms(record.incidentId, record.kind, record.sequence);
    const created = await this.putOnce({ ...key, type: 'comms', ...record });
    if (created) return undefined;
    const existing = await this.db.send(
      new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }),
    );
    const stored = existing.Item ? (stripType(existing.Item) as unknown as CommsRecord) : undefined;
    // A record left at "sending" means an earlier attempt died between SES and here: send again (at least once).
    return stored?.status === 'sent' ? stored : undefined;
  }

  async completeComms(incidentId: string, kind: string, sequence: number, messageId: string, at: string) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.comms(incidentId, kind, sequence),
        UpdateExpression: 'SET #status = :sent, messageId = :id, sentAt = :at',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sent': 'sent', ':id': messageId, ':at': at },
      }),
    );
  }

  /** The incident with everything recorded on it, in one Query of its partition. */
  async incidentView(incidentId: string): Promise<IncidentView | undefined> {
    const items: Record<string, unknown>[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.incidentPartition(incidentId) },
          ConsistentRead: true,
          ExclusiveStartKey: cursor,
        }),
      );
      items.push(...(page.Items ?? []));
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    const incidentItem = items.find((i) => i.type === 'incident');
    if (!incidentItem) return undefined;
    const of = (type: string) => items.filter((i) => i.type === type).map(stripType);
    const timeline = of('timeline') as unknown as TimelineEntry[];
    return {
      incident: stripType(incidentItem) as unknown as Incident,
      timeline,
      alerts: alertsFromTimeline(incidentId, timeline),
      comms: of('comms') as unknown as CommsRecord[],
    };
  }

  /** Incidents newest first, by service when given; other filters apply to the page read. */
  async listIncidents(
    query: ListQuery,
  ): Promise<{ incidents: Incident[]; cursor?: Record<string, unknown> }> {
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
      filters.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = query.status;
    }
    if (query.severity) {
      filters.push('severity = :severity');
      values[':severity'] = query.severity;
    }
    const incidents: Incident[] = [];
    let cursor = query.cursor;
    // A filter can leave pages short: keep reading until the page is full, within a bounded number of reads.
    for (let reads = 0; reads < 10 && incidents.length < query.limit; reads++) {
      const input: QueryCommandInput = {
        TableName: this.table,
        IndexName: index.name,
        KeyConditionExpression: keyCondition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: query.limit - incidents.length,
        ExclusiveStartKey: cursor,
        ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
      };
      const page = await this.db.send(new QueryCommand(input));
      incidents.push(...(page.Items ?? []).map((i) => stripType(i) as unknown as Incident));
      cursor = page.LastEvaluatedKey;
      if (!cursor) break;
    }
    return cursor ? { incidents, cursor } : { incidents };
  }

  /** A conditional update: its ReturnValues (an empty object without), or undefined when its condition failed. */
  private async updateIfHolds(
    input: Omit<UpdateCommandInput, 'TableName'>,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const result = await this.db.send(new UpdateCommand({ TableName: this.table, ...input }));
      return result.Attributes ?? {};
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /** Sends a conditional write: true when its condition held, false when it did not. */
  private async conditionally(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Conditional create. True when this call created the item; false when it already existed (and, with
   * `sameAs`, matched those attributes; a mismatch is an error: two things claimed one key).
   */
  private async putOnce(item: Record<string, unknown>, options: { sameAs?: Record<string, unknown> } = {}) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      if (options.sameAs) {
        const existing = await this.db.send(
          new GetCommand({ TableName: this.table, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true }),
        );
        for (const [name, value] of Object.entries(options.sameAs)) {
          if (existing.Item?.[name] !== value) {
            throw new Error(`${String(item.pk)} already belongs to another ${name}`);
          }
        }
      }
      return false;
    }
  }
}

/** A freshly claimed group's item: no alert states yet. */
function claimedGroup(claim: AlertGroupRecord): Record<string, unknown> {
  return {
    ...keys.alertGroup(claim.source, claim.groupKey),
    type: 'alertGroup',
    ...claim,
    states: {},
    seen: {},
  };
}

/** The clauses of a group update that record alerts' states and when they were seen. */
function stateClauses(alerts: readonly { fingerprint: string; marker: string }[], seenAt: string) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = alerts.length > 0 ? { ':seen': seenAt } : {};
  const sets = alerts.flatMap(({ fingerprint, marker }, i) => {
    names[`#f${i}`] = fingerprint;
    values[`:m${i}`] = marker;
    return [`states.#f${i} = :m${i}`, `seen.#f${i} = :seen`];
  });
  return { names, values, sets };
}

function stripType(item: Record<string, unknown>): Record<string, unknown> {
  const { type: _type, ...rest } = stripKeys(item);
  return rest;
}
