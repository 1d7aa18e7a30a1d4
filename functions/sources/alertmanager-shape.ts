import * as z from 'zod/mini';
import { isoTimeString, stringRecord } from '../core/validation.ts';

/** Pieces of the Alertmanager webhook shape that Grafana's webhook (derived from it) shares. */

export const labelsSchema = stringRecord();

/** Alertmanager and Grafana write the zero time for "no end" on firing alerts. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export const timestampSchema = isoTimeString('must be an RFC 3339 time');

/** The fields of one alert as Alertmanager sends it (Grafana adds its own links and values). */
export const alertFields = {
  status: z.enum(['firing', 'resolved']),
  labels: labelsSchema,
  annotations: z._default(labelsSchema, {}),
  startsAt: timestampSchema,
  endsAt: z.optional(timestampSchema),
  generatorURL: z.optional(z.string()),
  fingerprint: z.string().check(z.minLength(1), z.maxLength(256)),
};
