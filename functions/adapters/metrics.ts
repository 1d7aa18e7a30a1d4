import { Metrics } from '@aws-lambda-powertools/metrics';
import { port } from './capabilities.ts';

/** Powertools Metrics in the namespace the stack sets: embedded metric format lines in the function's log. */
export const metricsPort = port('metrics', () => new Metrics());
