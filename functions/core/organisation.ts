import type { Organisation, Service } from './config.ts';

/** Runtime look-ups on a validated organisation (kept apart from the schema so bundles do not carry it). */
export function serviceOf(org: Organisation, id: string): Service {
  const service = org.services[id] ?? org.services[org.defaultService];
  if (!service) throw new Error(`unknown service "${id}" and no default service`);
  return service;
}
