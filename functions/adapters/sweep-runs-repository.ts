import { keys } from '../core/keys.ts';
import type { SweepName, SweepRun } from '../core/sweeps.ts';
import type { SweepRunStore } from '../use-cases/ports.ts';
import type { Table } from './table.ts';

/** Each sweep's last completed run, one item per sweep (`keys.sweepRun`), only ever moved forward. */
export class SweepRunsRepository implements SweepRunStore {
  constructor(private readonly table: Table) {}

  lastRun(sweep: SweepName): Promise<SweepRun | undefined> {
    return this.table.get<SweepRun>(keys.sweepRun(sweep));
  }

  recordRun(run: SweepRun): Promise<boolean> {
    // Two runs that overlap (a slow one and the next hour's) finish in any order: the later run's time wins.
    return this.table.putIfHolds(
      { ...keys.sweepRun(run.sweep), type: 'sweepRun', ...run },
      {
        ConditionExpression: 'attribute_not_exists(pk) OR #ranAt <= :ranAt',
        ExpressionAttributeNames: { '#ranAt': 'ranAt' },
        ExpressionAttributeValues: { ':ranAt': run.ranAt },
      },
    );
  }
}
