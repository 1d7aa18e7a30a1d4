import { en } from 'zod/locales';
import * as z from 'zod/mini';

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
