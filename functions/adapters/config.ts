import type { Organisation } from '../core/config.ts';
import { port } from './capabilities.ts';

let cached: Organisation | undefined;

/**
 * The organisation this deployment was validated with. Bundles get it at build time (esbuild replaces
 * process.env.ORGANISATION_CONFIG with the JSON, because Lambda caps environment variables at 4 KB);
 * tests set the same name as a real environment variable.
 */
export function organisation(): Organisation {
  if (cached) return cached;
  const raw = process.env.ORGANISATION_CONFIG;
  if (!raw) throw new Error('ORGANISATION_CONFIG is missing: the bundle was built without an organisation');
  // Validated (and defaulted) at synth or local start; parsing again here would only cost cold-start time.
  cached = JSON.parse(raw) as Organisation;
  return cached;
}

/** For tests that switch organisations within one process. */
export function resetOrganisationCache(): void {
  cached = undefined;
}

export function publicBaseUrl(org: Organisation): string {
  return org.publicBaseUrl ?? process.env.PUBLIC_BASE_URL ?? '';
}

/**
 * The origin of the links a page names, for a function that shows links without signing any (or names its
 * deployment): here, not beside the link keys, so such a function bundles no Parameter Store client.
 */
export const publicBaseUrlPort = port('publicBaseUrl', () => publicBaseUrl(organisation()));
