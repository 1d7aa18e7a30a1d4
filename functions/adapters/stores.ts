import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Stores } from '../use-cases/ports.ts';
import { ActionsRepository } from './actions-repository.ts';
import { AlertGroupsRepository, DeliveriesRepository } from './alert-groups-repository.ts';
import { port } from './capabilities.ts';
import { ChannelHealthRepository } from './channel-health-repository.ts';
import { CommsRepository } from './comms-repository.ts';
import { documentClient, tableName } from './dynamodb.ts';
import { HeartbeatsRepository } from './heartbeats-repository.ts';
import { IncidentsRepository } from './incidents-repository.ts';
import { LinksRepository } from './links-repository.ts';
import { OverridesRepository } from './overrides-repository.ts';
import { PageCodesRepository } from './page-codes-repository.ts';
import { PageCountsRepository } from './page-counts-repository.ts';
import { PostmortemsRepository } from './postmortems-repository.ts';
import { ReportsRepository } from './reports-repository.ts';
import { StatusPageRepository } from './status-page-repository.ts';
import { SweepRunsRepository } from './sweep-runs-repository.ts';
import { Table } from './table.ts';
import { TestPagesRepository } from './test-pages-repository.ts';

/** Every repository of the single table, over one document client. */
export function dynamoStores(db: DynamoDBDocumentClient, name: string): Stores {
  const table = new Table(db, name);
  return {
    incidents: new IncidentsRepository(table),
    groups: new AlertGroupsRepository(table),
    deliveries: new DeliveriesRepository(table),
    links: new LinksRepository(table),
    comms: new CommsRepository(table),
    statusPage: new StatusPageRepository(table),
    postmortems: new PostmortemsRepository(table),
    actions: new ActionsRepository(table),
    reports: new ReportsRepository(table),
    sweeps: new SweepRunsRepository(table),
    heartbeats: new HeartbeatsRepository(table),
    channelHealth: new ChannelHealthRepository(table),
    overrides: new OverridesRepository(table),
    pageCodes: new PageCodesRepository(table),
    pageCounts: new PageCountsRepository(table),
    testPages: new TestPagesRepository(table),
  };
}

let stores: Stores | undefined;

/** The function's stores over its bound table (TABLE_NAME), made on first use and kept for its lifetime. */
export function tableStores(): Stores {
  stores ??= dynamoStores(documentClient, tableName());
  return stores;
}

/** The repositories; what the function may do with them (write, delete) is what its declaration grants. */
export const storesPort = port('table', tableStores);
