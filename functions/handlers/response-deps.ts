import { organisation, publicBaseUrl } from '../adapters/config.ts';
import { signingKeys } from '../adapters/link-keys.ts';
import { sesMailer } from '../adapters/mailer.ts';
import { tableStores } from '../adapters/stores.ts';
import { stepFunctionsCallback } from '../adapters/workflow.ts';
import type { ResponseDeps } from '../use-cases/respond.ts';

let deps: ResponseDeps | undefined;

/**
 * What the response handlers (API actions, links, workflow steps) share: built on first use and kept for the
 * life of the execution environment, so clients and caches survive between invocations.
 */
export function responseDeps(): ResponseDeps {
  if (!deps) {
    const org = organisation();
    const { incidents, groups, comms, statusPage } = tableStores();
    deps = {
      incidents,
      groups,
      comms,
      statusPage,
      mailer: sesMailer(org),
      workflow: stepFunctionsCallback(),
      organisation: org,
      baseUrl: publicBaseUrl(org),
      now: () => new Date(),
      signingKeys,
    };
  }
  return deps;
}
