import * as z from 'zod/mini';

/** Pieces of the Alertmanager webhook shape that Grafana's webhook (derived from it) shares. */

export const labelsSchema = z.record(z.string(), z.string());

/** Alertmanager and Grafana write the zero time for "no end" on firing alerts. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export const timestampSchema = z
  .string()
  .check(
    z.refine((v: string) => v === ZERO_TIME || !Number.isNaN(Date.parse(v)), 'must be an RFC 3339 time'),
  );
