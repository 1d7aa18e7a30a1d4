import type { Organisation } from '../core/config.ts';
import { ValidationError } from '../core/errors.ts';
import { cap } from '../core/text.ts';
import { type IngestDependencies, openOrAttach, type TouchedIncident } from './ingest-alerts.ts';

/** What the handbook asks of whoever declares an incident. */
export interface Declaration {
  summary: string;
  /** What customers experience: the description is about impact, not cause. */
  description: string;
  severity: 1 | 2 | 3;
  /** A configured service id, or "unknown" when the faulty service is not known yet. */
  service: string;
  products?: string[];
  /** When impact started, if known; else now. */
  impactStartedAt?: string;
}

export const UNKNOWN_SERVICE = 'unknown';

/**
 * Declares an incident by hand. It goes through the same opening as alerts (a group of source "manual" whose
 * key is the request's idempotency key), so a double-click or a retried request opens one incident. Hotline
 * declares some itself (a silent heartbeat) under a source of their own, out of reach of a request's key.
 */
export async function declareIncident(
  deps: IngestDependencies,
  declaration: Declaration,
  declaredBy: string,
  idempotencyKey: string,
  source = 'manual',
): Promise<TouchedIncident> {
  const serviceId = resolveService(deps.organisation, declaration.service);
  const now = deps.now().toISOString();
  const touched = await openOrAttach(deps, {
    source,
    groupKey: idempotencyKey,
    declaredBy,
    alerts: [],
    about: {
      service: serviceId.id,
      serviceMatched: serviceId.known,
      severity: declaration.severity,
      summary: cap(declaration.summary, 200),
      description: cap(declaration.description, 4000),
      impactStartedAt: declaration.impactStartedAt ?? now,
      ...(declaration.products ? { products: declaration.products.map((p) => cap(p, 100)) } : {}),
    },
  });
  if (!touched) throw new Error('a declaration always opens or finds an incident');
  return touched;
}

function resolveService(org: Organisation, service: string): { id: string; known: boolean } {
  if (service === UNKNOWN_SERVICE && !Object.hasOwn(org.services, service))
    return { id: org.defaultService, known: false };
  if (!Object.hasOwn(org.services, service)) {
    throw new ValidationError(
      `service "${cap(service, 64)}" is not configured; use one of ${Object.keys(org.services).join(', ')} or "unknown"`,
    );
  }
  return { id: service, known: service !== UNKNOWN_SERVICE };
}
