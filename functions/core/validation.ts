import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { recordFrom } from './records.ts';
import { isoTimeMs } from './times.ts';

/**
 * Request validation for the functions uses zod/mini, imported as `import * as z from 'zod/mini'` where used:
 * it tree-shakes (the classic API, or re-exporting the namespace, pulls every locale and ~400 KB into each
 * bundle). Importing this module loads the English messages once, so errors read well.
 */
z.config(en());

/** A short, readable summary of what is wrong, naming each field (first five problems). */
export function describeIssues(
  error: {
    issues: readonly { path: readonly PropertyKey[]; message: string }[];
  },
  limit = 5,
): string {
  return error.issues
    .slice(0, limit)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : 'body'}: ${i.message}`)
    .join('; ');
}

/**
 * A map from outside (labels, annotations, query values) whose values `value` accepts. z.record skips a
 * `__proto__` key whatever its value; this keeps every own key as data, in a record without a prototype (see
 * records.ts), and a value it refuses is reported under its key. A factory, so that only the sources that use
 * it build it, when they load.
 */
export function recordOf<T>(value: z.ZodMiniType<T>) {
  return z.transform((input: unknown, ctx) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      ctx.issues.push({ code: 'invalid_type', expected: 'record', input });
      return z.NEVER;
    }
    const entries: [string, T][] = [];
    for (const [key, raw] of Object.entries(input)) {
      const result = value.safeParse(raw);
      if (result.success) entries.push([key, result.data]);
      else
        for (const { message, path } of result.error.issues)
          ctx.issues.push({ code: 'custom', message, input: raw, path: [key, ...path] });
    }
    return recordFrom(entries);
  });
}

/** Labels and annotations: a map of strings (see recordOf). */
export const stringRecord = () => recordOf(z.string());

/**
 * A string that is an ISO-8601 date or time (`isoTimeMs`); `message` says so when it is not, and `missing`, when
 * given, when it is absent or not a string.
 */
export const isoTimeString = (message: string, missing?: string) =>
  z
    .string(missing === undefined ? undefined : { error: missing })
    .check(z.refine((v: string) => isoTimeMs(v) !== undefined, message));
