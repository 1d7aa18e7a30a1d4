import * as z from 'zod/mini';

/** The query parameters the operators' list routes share. */

/** `service=`: one service id. */
export const serviceFilter = z.optional(
  z.string().check(z.regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be a service id')),
);

/** `limit=`: a page of 1 to `max` items, `fallback` when absent. */
export const pageLimit = (max: number, fallback: number) =>
  z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(max)), fallback);
