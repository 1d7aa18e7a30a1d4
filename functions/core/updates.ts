import * as z from 'zod/mini';
import { ValidationError } from './errors.ts';
import { describeIssues, isoTimeString } from './validation.ts';

/**
 * A follow-up update, checked against the handbook's list: a 1-2 sentence summary, current status and next
 * steps (2-4 bullets each), the impact, how many internal and external customers, the root cause or an explicit
 * "currently unknown", an ETA or "no ETA", and when the next update comes. External updates stay short.
 */

const line = (what: string, max: number) =>
  z
    .string({ error: `${what} is missing` })
    .check(z.trim(), z.minLength(1, `${what} is missing`), z.maxLength(max));
const bullets = (what: string) =>
  z
    .array(line(`a ${what} bullet`, 300), { error: `${what} is missing (2-4 bullets)` })
    .check(z.minLength(2, `${what} needs 2-4 bullets`), z.maxLength(4, `${what} needs 2-4 bullets`));
const count = (who: string) =>
  z.union([z.number().check(z.int(), z.nonnegative()), z.literal('unknown')], {
    error: `how many ${who} customers are affected is missing (a number or "unknown")`,
  });
const isoTime = (what: string) => isoTimeString(`${what} must be an ISO-8601 time`, `${what} is missing`);

/** Built on first use: a function that links an incident's page without reading an update does not build it. */
const updateSchema = () =>
  z.strictObject({
    summary: line('summary', 400).check(
      z.refine((v) => (v.match(/[.!?](\s|$)/g) ?? []).length <= 2, 'summary must be one or two sentences'),
    ),
    status: bullets('current status'),
    nextSteps: bullets('next steps'),
    impact: line('impact', 1000),
    customers: z.strictObject(
      { internal: count('internal'), external: count('external') },
      { error: 'customers is missing: { "internal": n | "unknown", "external": n | "unknown" }' },
    ),
    rootCause: line('root cause (or "currently unknown")', 1000),
    eta: z.union([z.literal('no ETA'), isoTime('ETA')], {
      error: 'ETA is missing (an ISO-8601 time or "no ETA")',
    }),
    nextUpdateAt: isoTime('next update time'),
    external: z.optional(line('external update', 280)),
  });
let schema: ReturnType<typeof updateSchema> | undefined;

export type IncidentUpdate = z.infer<ReturnType<typeof updateSchema>>;

/** Validates an update; the error names every missing or wrong item. */
export function parseUpdate(body: unknown): IncidentUpdate {
  schema ??= updateSchema();
  const result = schema.safeParse(body);
  if (!result.success)
    throw new ValidationError(`the update is incomplete: ${describeIssues(result.error, 10)}`);
  return result.data;
}
