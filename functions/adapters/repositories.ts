import type { Stores } from '../use-cases/ports.ts';
import { port } from './capabilities.ts';
import { documentClient, tableName } from './dynamodb.ts';
import { Table } from './table.ts';

/** A repository class: made over the one table. */
type RepositoryClass = new (table: Table) => unknown;

/**
 * Only the repositories a function names (`{ incidents: IncidentsRepository, comms: CommsRepository }`), over one
 * table and document client, made on first use: a function bundles the repositories it uses and what they
 * import, not every one (the postmortems repository brings the approval rules, the status page's its page).
 */
export function repositoriesPort<R extends { [K in keyof Stores]?: RepositoryClass }>(classes: R) {
  return port('table', () => {
    const table = new Table(documentClient, tableName());
    return Object.fromEntries(
      Object.entries(classes).map(([name, Repository]) => [name, new (Repository as RepositoryClass)(table)]),
    ) as { [K in keyof R]: R[K] extends new (table: Table) => infer T ? T : never };
  });
}
