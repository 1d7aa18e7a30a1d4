import { createHash, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AttributeValue, KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { LambdaError, type LambdaRuntime, type LocalFunction } from './functions.ts';
import type { StackModel } from './template.ts';

/*
 * DynamoDB Streams and Lambda's event source mappings on them, locally. dynalite has no streams, so the local
 * target records them itself: every item write dynalite makes (PutItem, UpdateItem, DeleteItem, BatchWriteItem,
 * from a function or from anyone else) is seen where dynalite updates the item's indexes, under the item's lock,
 * with the item before and after, and becomes a stream record of each table whose template declares a
 * StreamSpecification (INSERT, MODIFY or REMOVE with the images of its StreamViewType; a write that changes
 * nothing makes no record, as on AWS). The records are kept in memory for the life of the target (AWS keeps 24
 * hours): a record written and not yet delivered when the target stops is not delivered after a restart.
 *
 * Each AWS::Lambda::EventSourceMapping of the template on such a stream is polled as Lambda polls it: from the
 * stream's end when the target starts (LATEST) or from its first record (TRIM_HORIZON), the records its
 * FilterCriteria let through (the rest are dropped, as filtered records are), BatchSize at a time, in order per
 * partition key across ParallelizationFactor lanes, each batch invoked synchronously with `{ Records }`. A batch
 * the function fails is retried up to MaximumRetryAttempts (split in halves first with
 * BisectBatchOnFunctionError), and one older than MaximumRecordAgeInSeconds is not invoked again; either way
 * what was given up on goes to the OnFailure destination (as Lambda sends it: the batch's shard and sequence
 * numbers, not the records) and the mapping goes on. The mapping reads the stream with the function's role, so a
 * role without dynamodb:DescribeStream, GetRecords, GetShardIterator and ListStreams on the stream is refused
 * when the target starts, as CreateEventSourceMapping refuses it on AWS.
 */

type Item = Record<string, AttributeValue>;

interface DynaliteTable {
  TableName: string;
  KeySchema: KeySchemaElement[];
}

interface DynaliteDb {
  create(options: unknown): object;
  updateIndexes(
    store: object,
    table: DynaliteTable,
    existingItem: Item | null | undefined,
    item: Item | null | undefined,
    cb: (error?: unknown, ...rest: unknown[]) => void,
  ): void;
}

export interface ItemChange {
  tableName: string;
  keySchema: KeySchemaElement[];
  oldItem?: Item;
  newItem?: Item;
}

type ChangeListener = (change: ItemChange) => void;

const storeOfServer = new WeakMap<Server, object>();
const listenersOfStore = new WeakMap<object, Set<ChangeListener>>();
let lastStore: object | undefined;
let patched = false;

/** dynalite's item store module, patched once so each store tells its listeners of every item change. */
function patchDynalite(): void {
  if (patched) return;
  const db = createRequire(import.meta.url)('dynalite/db/index.js') as DynaliteDb;
  const create = db.create;
  db.create = (options) => {
    const store = create(options);
    lastStore = store;
    return store;
  };
  const updateIndexes = db.updateIndexes;
  db.updateIndexes = (store, table, existingItem, item, cb) =>
    updateIndexes(store, table, existingItem, item, (error, ...rest) => {
      const listeners = listenersOfStore.get(store);
      if (!error && listeners && (existingItem || item)) {
        const change: ItemChange = {
          tableName: table.TableName,
          keySchema: table.KeySchema,
          ...(existingItem ? { oldItem: existingItem } : {}),
          ...(item ? { newItem: item } : {}),
        };
        for (const listener of listeners) listener(change);
      }
      cb(error, ...rest);
    });
  patched = true;
}

/** Creates a dynalite server whose item changes `onItemChanges` can follow. */
export function withItemChanges(make: () => Server): Server {
  patchDynalite();
  lastStore = undefined;
  const server = make();
  if (!lastStore) throw new Error('dynalite did not create its store where the local target expects it');
  storeOfServer.set(server, lastStore);
  return server;
}

/** Calls `listener` after each item change of the server's store (from any client); returns the unsubscribe. */
export function onItemChanges(server: Server, listener: ChangeListener): () => void {
  const store = storeOfServer.get(server);
  if (!store) throw new Error('this dynalite server was not created with withItemChanges');
  let listeners = listenersOfStore.get(store);
  if (!listeners) {
    listeners = new Set();
    listenersOfStore.set(store, listeners);
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export type StreamViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';

/** A DynamoDB stream record as Lambda delivers it (aws-lambda's DynamoDBRecord). */
export interface StreamRecord {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventVersion: '1.1';
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  dynamodb: {
    ApproximateCreationDateTime: number;
    Keys: Item;
    NewImage?: Item;
    OldImage?: Item;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: StreamViewType;
  };
  eventSourceARN: string;
}

export interface LocalStreamSpec {
  tableLogicalId: string;
  tableName: string;
  streamArn: string;
  viewType: StreamViewType;
}

/** The tables of the template with a stream: their StreamSpecification and the stream's local ARN. */
export function streamsFromTemplate(model: StackModel): LocalStreamSpec[] {
  return model
    .resourcesOfType('AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable')
    .flatMap(([logicalId, r]) => {
      const spec = model.resolve(
        r.Properties?.StreamSpecification ?? null,
        `${logicalId}.StreamSpecification`,
      ) as {
        StreamViewType?: StreamViewType;
      } | null;
      if (!spec?.StreamViewType) return [];
      return [
        {
          tableLogicalId: logicalId,
          tableName: model.physicalName(logicalId),
          streamArn: String(model.getAtt(logicalId, 'StreamArn')),
          viewType: spec.StreamViewType,
        },
      ];
    });
}

/** AWS keeps a stream's records 24 hours. */
const RETENTION_MS = 24 * 3_600_000;

/** One table's stream: its records in order, each with the time it was written. */
export class TableStream {
  private readonly records: Array<{ record: StreamRecord; at: number }> = [];
  private sequence = 0n;
  /** Told of each new record (the mappings' pollers). */
  readonly subscribers = new Set<() => void>();

  constructor(
    readonly spec: LocalStreamSpec,
    private readonly region: string,
  ) {}

  append(change: ItemChange, now = Date.now()): StreamRecord | undefined {
    const { oldItem, newItem } = change;
    if (oldItem && newItem && canonical(oldItem) === canonical(newItem)) return undefined;
    const item = newItem ?? oldItem;
    if (!item) return undefined;
    const keys: Item = {};
    for (const { AttributeName: name } of change.keySchema) {
      const value = name ? item[name] : undefined;
      if (name && value) keys[name] = value;
    }
    const view = this.spec.viewType;
    const images = {
      ...(newItem && (view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES') ? { NewImage: newItem } : {}),
      ...(oldItem && (view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES') ? { OldImage: oldItem } : {}),
    };
    this.sequence += 1n;
    const record: StreamRecord = {
      eventID: randomUUID().replaceAll('-', ''),
      eventName: !oldItem ? 'INSERT' : !newItem ? 'REMOVE' : 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.region,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(now / 1000),
        Keys: keys,
        ...images,
        SequenceNumber: this.sequence.toString().padStart(21, '0'),
        SizeBytes: Buffer.byteLength(JSON.stringify({ keys, ...images })),
        StreamViewType: view,
      },
      eventSourceARN: this.spec.streamArn,
    };
    this.records.push({ record, at: now });
    while (this.records.length > 0 && (this.records[0]?.at ?? now) < now - RETENTION_MS) this.records.shift();
    for (const subscriber of this.subscribers) subscriber();
    return record;
  }

  /** The last sequence number so far ('' before the first record). */
  latest(): string {
    return this.sequence === 0n ? '' : this.sequence.toString().padStart(21, '0');
  }

  /** The records after `sequence` ('' for all that are kept), with the time each was written. */
  after(sequence: string): Array<{ record: StreamRecord; at: number }> {
    return this.records.filter((r) => r.record.dynamodb.SequenceNumber > sequence);
  }
}

/** Attribute order does not matter to DynamoDB: compares items by their sorted JSON. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Event filtering: the patterns of FilterCriteria, as Lambda matches them against each record                   */
/* ------------------------------------------------------------------------------------------------------------ */

export class FilterPatternError extends Error {
  override name = 'FilterPatternError';
}

type Pattern = { [key: string]: Pattern | readonly unknown[] };

/**
 * Parses a filter's Pattern (a JSON string) and checks it uses only what `matches` implements: values are
 * arrays of literals (string, number, boolean, null) or the operators prefix, suffix, equals-ignore-case,
 * anything-but, numeric and exists; keys nest.
 */
export function parsePattern(text: string): Pattern {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new FilterPatternError(`the filter pattern is not JSON: ${text}`);
  }
  checkPattern(parsed, text);
  return parsed as Pattern;
}

const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists']);

function checkPattern(pattern: unknown, text: string): void {
  if (!pattern || typeof pattern !== 'object' || Array.isArray(pattern))
    throw new FilterPatternError(`a filter pattern must be an object: ${text}`);
  for (const [key, value] of Object.entries(pattern)) {
    if (Array.isArray(value)) {
      if (value.length === 0)
        throw new FilterPatternError(`"${key}" matches nothing (an empty list): ${text}`);
      for (const v of value) {
        if (v && typeof v === 'object') {
          const ops = Object.keys(v);
          if (ops.length !== 1 || !OPERATORS.has(ops[0] ?? ''))
            throw new FilterPatternError(
              `"${key}": the local target matches ${[...OPERATORS].join(', ')} and literals, not ${JSON.stringify(v)}`,
            );
        }
      }
    } else checkPattern(value, text);
  }
}

/** Whether a record matches a pattern: every key of the pattern matches (nested objects recursively). */
export function matches(pattern: Pattern, event: unknown): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const value = event && typeof event === 'object' ? (event as Record<string, unknown>)[key] : undefined;
    if (!Array.isArray(rule)) return value !== undefined && value !== null && matches(rule as Pattern, value);
    return rule.some((r) => matchesValue(r, value));
  });
}

function matchesValue(rule: unknown, value: unknown): boolean {
  if (rule && typeof rule === 'object') {
    const [op, arg] = Object.entries(rule)[0] as [string, unknown];
    if (op === 'exists') return (value !== undefined) === arg;
    if (value === undefined) return false;
    const values = Array.isArray(value) ? value : [value];
    return values.some((v) => matchesOperator(op, arg, v));
  }
  if (value === undefined) return false;
  const values = Array.isArray(value) ? value : [value];
  return values.some((v) => v === rule);
}

function matchesOperator(op: string, arg: unknown, value: unknown): boolean {
  switch (op) {
    case 'prefix':
      return typeof value === 'string' && typeof arg === 'string' && value.startsWith(arg);
    case 'suffix':
      return typeof value === 'string' && typeof arg === 'string' && value.endsWith(arg);
    case 'equals-ignore-case':
      return (
        typeof value === 'string' && typeof arg === 'string' && value.toLowerCase() === arg.toLowerCase()
      );
    case 'anything-but':
      if (arg && typeof arg === 'object' && !Array.isArray(arg)) {
        const [inner, innerArg] = Object.entries(arg)[0] as [string, unknown];
        return !matchesOperator(inner, innerArg, value);
      }
      return !(Array.isArray(arg) ? arg : [arg]).includes(value);
    case 'numeric': {
      if (typeof value !== 'number' || !Array.isArray(arg)) return false;
      for (let i = 0; i + 1 < arg.length; i += 2) {
        const bound = Number(arg[i + 1]);
        const ok = {
          '=': value === bound,
          '<': value < bound,
          '<=': value <= bound,
          '>': value > bound,
          '>=': value >= bound,
        }[String(arg[i]) as '='];
        if (!ok) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Event source mappings                                                                                         */
/* ------------------------------------------------------------------------------------------------------------ */

export interface LocalEventSourceMapping {
  logicalId: string;
  /** The function's name or ARN, as the template gives it. */
  functionName: string;
  eventSourceArn: string;
  startingPosition: 'LATEST' | 'TRIM_HORIZON';
  batchSize: number;
  /** Any filter lets a record through; none: every record. */
  filters: Pattern[];
  /** -1: until the record expires. */
  maximumRetryAttempts: number;
  /** -1: as long as the stream keeps it. */
  maximumRecordAgeSeconds: number;
  bisectBatchOnFunctionError: boolean;
  parallelizationFactor: number;
  onFailure?: string;
  enabled: boolean;
}

export class EventSourceMappingError extends Error {
  override name = 'EventSourceMappingError';
}

/** The template's event source mappings on DynamoDB streams (others are not emulated: refused). */
export function eventSourceMappingsFromTemplate(model: StackModel): LocalEventSourceMapping[] {
  return model.resourcesOfType('AWS::Lambda::EventSourceMapping').map(([logicalId, r]) => {
    const p = model.resolve(r.Properties ?? {}, `${logicalId}.Properties`) as Record<string, unknown>;
    const where = `${logicalId} (AWS::Lambda::EventSourceMapping)`;
    const arn = String(p.EventSourceArn ?? '');
    if (!/^arn:aws:dynamodb:[^:]*:[^:]*:table\/[^/]+\/stream\/.+$/.test(arn))
      throw new EventSourceMappingError(`${where}: only DynamoDB stream sources run locally, not ${arn}`);
    for (const unsupported of [
      'FunctionResponseTypes',
      'TumblingWindowInSeconds',
      'StartingPositionTimestamp',
    ])
      if (p[unsupported] !== undefined)
        throw new EventSourceMappingError(`${where}: ${unsupported} is not emulated by the local target`);
    const start = String(p.StartingPosition ?? '');
    if (start !== 'LATEST' && start !== 'TRIM_HORIZON')
      throw new EventSourceMappingError(
        `${where}: StartingPosition must be LATEST or TRIM_HORIZON, not ${start}`,
      );
    const filters = (
      (p.FilterCriteria as { Filters?: Array<{ Pattern?: string }> } | undefined)?.Filters ?? []
    ).map((f) => {
      try {
        return parsePattern(String(f.Pattern ?? ''));
      } catch (error) {
        throw new EventSourceMappingError(`${where}: ${(error as Error).message}`);
      }
    });
    const onFailure = (p.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)
      ?.OnFailure?.Destination;
    const number = (value: unknown, fallback: number) => (value === undefined ? fallback : Number(value));
    return {
      logicalId,
      functionName: String(p.FunctionName),
      eventSourceArn: arn,
      startingPosition: start,
      batchSize: number(p.BatchSize, 100),
      filters,
      maximumRetryAttempts: number(p.MaximumRetryAttempts, -1),
      maximumRecordAgeSeconds: number(p.MaximumRecordAgeInSeconds, -1),
      bisectBatchOnFunctionError:
        p.BisectBatchOnFunctionError === true || p.BisectBatchOnFunctionError === 'true',
      parallelizationFactor: number(p.ParallelizationFactor, 1),
      ...(onFailure ? { onFailure: String(onFailure) } : {}),
      enabled: p.Enabled === undefined || p.Enabled === true || p.Enabled === 'true',
    };
  });
}

/** What Lambda sends to a stream mapping's OnFailure destination: where the batch was, not its records. */
export interface StreamFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError: string };
  version: '1.0';
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

type Entry = { record: StreamRecord; at: number };

export interface StreamPollerOptions {
  log: (line: string) => void;
  /** Delivers a failure record to a destination with the function's role (target.ts: the stack's topics). */
  deliver: (fn: LocalFunction, destination: string, record: StreamFailureRecord) => Promise<void>;
  /** How often the stream is read (Lambda reads a shard about four times a second). @default 100 ms */
  pollMs?: number;
}

/** One event source mapping at work: reads its stream, filters, batches and invokes. */
export class StreamPoller {
  private cursor: string;
  private readonly lanes: Array<{ queue: Entry[]; busy: Promise<void> | undefined }>;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly unsubscribe: () => void;
  readonly fn: LocalFunction;

  constructor(
    readonly mapping: LocalEventSourceMapping,
    private readonly stream: TableStream,
    private readonly lambda: LambdaRuntime,
    private readonly options: StreamPollerOptions,
  ) {
    const fn = lambda.find(mapping.functionName);
    if (!fn) throw new EventSourceMappingError(`${mapping.logicalId}: no function ${mapping.functionName}`);
    this.fn = fn;
    this.cursor = mapping.startingPosition === 'LATEST' ? stream.latest() : '';
    this.lanes = Array.from({ length: Math.max(1, mapping.parallelizationFactor) }, () => ({
      queue: [],
      busy: undefined,
    }));
    const wake = () => this.schedule();
    stream.subscribers.add(wake);
    this.unsubscribe = () => stream.subscribers.delete(wake);
  }

  start(): void {
    if (this.mapping.enabled) this.schedule();
  }

  /** Reads what is new soon, as Lambda's next poll would (never in the writer's own turn). */
  private schedule(): void {
    if (this.stopped || !this.mapping.enabled || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.poll();
    }, this.options.pollMs ?? 100);
  }

  private poll(): void {
    const fresh = this.stream.after(this.cursor);
    const last = fresh.at(-1);
    if (!last) return;
    this.cursor = last.record.dynamodb.SequenceNumber;
    for (const entry of fresh) {
      const { filters } = this.mapping;
      if (filters.length > 0 && !filters.some((f) => matches(f, entry.record))) continue;
      const lane = this.lanes[laneOf(entry.record, this.lanes.length)];
      lane?.queue.push(entry);
    }
    for (const lane of this.lanes) this.drain(lane);
  }

  private drain(lane: { queue: Entry[]; busy: Promise<void> | undefined }): void {
    if (lane.busy || lane.queue.length === 0 || this.stopped) return;
    lane.busy = (async () => {
      while (lane.queue.length > 0 && !this.stopped) {
        const batch = lane.queue.splice(0, Math.max(1, this.mapping.batchSize));
        await this.process(batch);
      }
    })()
      .catch((error: Error) => this.options.log(`[${this.fn.name}] stream mapping stopped: ${error.message}`))
      .finally(() => {
        lane.busy = undefined;
        this.drain(lane);
      });
  }

  /** Invokes one batch until it succeeds or is given up on (then its failure record goes to the destination). */
  private async process(batch: Entry[]): Promise<void> {
    const { maximumRetryAttempts, maximumRecordAgeSeconds, bisectBatchOnFunctionError } = this.mapping;
    let invocations = 0;
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) return;
      const oldest = batch[0]?.at ?? Date.now();
      if (maximumRecordAgeSeconds !== -1 && Date.now() - oldest > maximumRecordAgeSeconds * 1000) {
        await this.giveUp(batch, 'RecordAgeExceeded', invocations);
        return;
      }
      try {
        invocations++;
        await this.lambda.invoke(this.fn.arn, { Records: batch.map((e) => e.record) });
        return;
      } catch (error) {
        if (!(error instanceof LambdaError)) throw error;
        if (this.stopped) return;
        this.options.log(
          `[${this.fn.name}] stream batch of ${batch.length} failed (attempt ${attempt + 1}): ${error.name}: ${error.message}`,
        );
        if (bisectBatchOnFunctionError && batch.length > 1) {
          const half = Math.ceil(batch.length / 2);
          await this.process(batch.slice(0, half));
          await this.process(batch.slice(half));
          return;
        }
        if (maximumRetryAttempts !== -1 && attempt >= maximumRetryAttempts) {
          await this.giveUp(batch, 'RetryAttemptsExhausted', invocations);
          return;
        }
      }
    }
  }

  private async giveUp(
    batch: Entry[],
    condition: StreamFailureRecord['requestContext']['condition'],
    invocations: number,
  ): Promise<void> {
    const first = batch[0];
    const last = batch.at(-1);
    if (!first || !last) return;
    const destination = this.mapping.onFailure;
    this.options.log(
      `[${this.fn.name}] stream batch ${first.record.dynamodb.SequenceNumber}..${last.record.dynamodb.SequenceNumber} given up (${condition})${destination ? '' : ': no OnFailure destination, dropped'}`,
    );
    if (!destination) return;
    await this.options.deliver(this.fn, destination, {
      requestContext: {
        requestId: randomUUID(),
        functionArn: this.fn.arn,
        condition,
        approximateInvokeCount: invocations,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: 'shardId-00000000000000000000-local',
        startSequenceNumber: first.record.dynamodb.SequenceNumber,
        endSequenceNumber: last.record.dynamodb.SequenceNumber,
        approximateArrivalOfFirstRecord: new Date(first.at).toISOString(),
        approximateArrivalOfLastRecord: new Date(last.at).toISOString(),
        batchSize: batch.length,
        streamArn: this.mapping.eventSourceArn,
      },
    });
  }

  /** Whether nothing is queued or running (tests wait for it). */
  idle(): boolean {
    return (
      this.stream.after(this.cursor).length === 0 && this.lanes.every((l) => !l.busy && l.queue.length === 0)
    );
  }

  /**
   * Stops reading and invoking. A batch being invoked is not waited for (a report run may take minutes): the
   * runtime stops after this, and what it answers then is ignored.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
  }
}

/** Records of one partition key stay in order in one lane, as Lambda keeps them with ParallelizationFactor. */
function laneOf(record: StreamRecord, lanes: number): number {
  if (lanes <= 1) return 0;
  const key = canonical(record.dynamodb.Keys);
  return createHash('sha256').update(key).digest().readUInt32BE(0) % lanes;
}

/**
 * The streams of the template's tables, fed by dynalite's item changes, and their event source mappings. Each
 * mapping's role must be able to read its stream (`authorizeStreamRead` answers a denial's message, or undefined).
 */
export class LocalStreams {
  readonly streams: TableStream[];
  readonly pollers: StreamPoller[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    dynalite: Server,
    model: StackModel,
    lambda: LambdaRuntime,
    options: StreamPollerOptions & {
      authorizeStreamRead: (fn: LocalFunction, streamArn: string) => string | undefined;
    },
  ) {
    this.streams = streamsFromTemplate(model).map((spec) => new TableStream(spec, model.region));
    const byTable = new Map(this.streams.map((s) => [s.spec.tableName, s]));
    this.unsubscribe = onItemChanges(dynalite, (change) => byTable.get(change.tableName)?.append(change));
    try {
      for (const mapping of eventSourceMappingsFromTemplate(model)) {
        const stream = this.streams.find((s) => s.spec.streamArn === mapping.eventSourceArn);
        if (!stream)
          throw new EventSourceMappingError(
            `${mapping.logicalId}: ${mapping.eventSourceArn} is not the stream of a table of the stack (is its StreamSpecification set?)`,
          );
        const poller = new StreamPoller(mapping, stream, lambda, options);
        const refused = options.authorizeStreamRead(poller.fn, stream.spec.streamArn);
        if (refused)
          throw new EventSourceMappingError(
            `${mapping.logicalId}: Cannot access stream ${stream.spec.streamArn}. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM. (${refused})`,
          );
        this.pollers.push(poller);
      }
    } catch (error) {
      this.unsubscribe();
      throw error;
    }
    for (const poller of this.pollers) poller.start();
  }

  /** Whether every mapping has delivered what its stream holds. */
  idle(): boolean {
    return this.pollers.every((p) => p.idle());
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    await Promise.all(this.pollers.map((p) => p.stop()));
  }
}
