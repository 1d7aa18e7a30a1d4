import type { Organisation, Service } from './config.ts';
import { ownValue } from './records.ts';

/** Runtime look-ups on a validated organisation (kept apart from the schema so bundles do not carry it). */
export function serviceOf(org: Organisation, id: string): Service {
  // The id may come from a request (a declaration): `constructor` is no service.
  const service = ownValue(org.services, id) ?? ownValue(org.services, org.defaultService);
  if (!service) throw new Error(`unknown service "${id}" and no default service`);
  return service;
}
