import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SWEEP_DIMENSION, SWEEP_ITEM_FAILURES, type SweepName } from '../core/sweeps.ts';
import { port } from './capabilities.ts';

/** Powertools Metrics in the namespace the stack sets: embedded metric format lines in the function's log. */
export const metricsPort = port('metrics', () => new Metrics());

/**
 * A sweep's failed items, in `SweepItemFailures` with its own `sweep` dimension (beside Powertools' `service`),
 * which the operators' alarm for that sweep watches. Emitted at once as a metric of its own, so the function's
 * other metrics keep their dimensions; a run without failures emits 0.
 */
export function countSweepItemFailures(metrics: Metrics, sweep: SweepName, failed: number): void {
  const single = metrics.singleMetric();
  single.addDimension(SWEEP_DIMENSION, sweep);
  single.addMetric(SWEEP_ITEM_FAILURES, MetricUnit.Count, failed);
}
