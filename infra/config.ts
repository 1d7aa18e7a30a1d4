import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigurationError, type Organisation, parseOrganisation } from '../functions/core/config.ts';

const here = import.meta.dirname;

/** Which organisation file to use: explicit path, else infra/organisation.ts, else the shipped example. */
export function organisationPath(explicit?: string): string {
  const chosen = explicit ?? process.env.HOTLINE_ORGANISATION;
  if (chosen) return resolve(chosen);
  const own = resolve(here, 'organisation.ts');
  return existsSync(own) ? own : resolve(here, 'organisation.example.ts');
}

/** Loads and validates the organisation file; a bad file throws a ConfigurationError naming file and field. */
export async function loadOrganisation(
  explicit?: string,
): Promise<{ organisation: Organisation; path: string }> {
  const path = organisationPath(explicit);
  const shown = relative(process.cwd(), path) || path;
  if (!existsSync(path)) throw new ConfigurationError(`Configuration file not found: ${shown}`);
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new ConfigurationError(`Could not load ${shown}: ${(error as Error).message}`);
  }
  if (mod.default === undefined) throw new ConfigurationError(`${shown} has no default export`);
  return { organisation: parseOrganisation(mod.default, shown), path };
}
