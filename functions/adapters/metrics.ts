import type { Metrics } from '@aws-lambda-powertools/metrics';
import { SWEEPS_NEED_ATTENTION, type SweepName } from '../core/sweeps.ts';
import { port } from './capabilities.ts';
import { logger } from './logger.ts';

/**
 * Powertools Metrics in the namespace the stack sets (embedded metric format lines in the function's log), loaded
 * and made on first use: a sweep publishes only when it has something to count, which most of its runs do not, so
 * a cold start does not read the library (10 KB of the bundle, a chunk of its own).
 */
export type MetricsLoader = () => Promise<Metrics>;

export const metricsPort = port('metrics', (): MetricsLoader => {
  let metrics: Promise<Metrics> | undefined;
  return () => {
    metrics ??= import('@aws-lambda-powertools/metrics').then(({ Metrics }) => new Metrics());
    return metrics;
  };
});

/**
 * What a sweep's run left for an operator: `count` items (workflows it had to start, items it could not handle),
 * logged with the sweep's name and the items, and counted in `SweepsNeedAttention` (dimension `service` only),
 * which the operators' alarm watches. Nothing at all when there is nothing to count: CloudWatch bills a custom
 * metric for every hour it receives a datapoint, zeros included, and an every-minute zero would cost $0.30 a
 * month to say nothing. Emitted at once as a metric of its own (no buffer to flush, so no empty flush either).
 */
export async function sweepNeedsAttention(
  metrics: MetricsLoader,
  sweep: SweepName,
  count: number,
  details: Record<string, unknown>,
): Promise<void> {
  if (count <= 0) return;
  logger.error('sweep needs attention', { sweep, count, ...details });
  (await metrics()).singleMetric().addMetric(SWEEPS_NEED_ATTENTION, 'Count', count);
}
