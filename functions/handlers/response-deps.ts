import { organisation } from '../adapters/config.ts';
import type { Links } from '../adapters/link-keys.ts';
import type { Mailer, Stores, WorkflowCallback } from '../use-cases/ports.ts';
import type { ResponseDeps } from '../use-cases/respond.ts';

/** The ports the response use cases run on, as a handler linked them (see `linkedTo`). */
export interface ResponsePorts {
  /** With `postmortems` where a response may change one (a correction of the measures refreshes a draft). */
  stores: () => Pick<Stores, 'incidents' | 'groups' | 'comms' | 'statusPage'> &
    Partial<Pick<Stores, 'postmortems'>>;
  mailer: () => Mailer;
  workflow: () => WorkflowCallback;
  links: () => Links;
}

/**
 * What the response handlers (API actions, links, workflow steps, postmortems) share, from the ports each of them
 * declared and linked: built on first use and kept for the life of the execution environment, so clients and
 * caches survive between invocations.
 */
export function responseDeps(ports: ResponsePorts): () => ResponseDeps {
  let deps: ResponseDeps | undefined;
  return () => {
    if (!deps) {
      const { incidents, groups, comms, statusPage, postmortems } = ports.stores();
      deps = {
        incidents,
        groups,
        comms,
        statusPage,
        ...(postmortems ? { postmortems } : {}),
        mailer: ports.mailer(),
        workflow: ports.workflow(),
        organisation: organisation(),
        ...ports.links(),
        now: () => new Date(),
      };
    }
    return deps;
  };
}
