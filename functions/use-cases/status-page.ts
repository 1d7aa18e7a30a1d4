import type { Organisation } from '../core/config.ts';
import {
  currentEntries,
  type StatusFormat,
  type StatusResponse,
  statusPageTitle,
  statusPageUrl,
  statusResponse,
} from '../core/status-page.ts';
import type { StatusPageStore } from './ports.ts';

export interface StatusPageDeps {
  statusPage: Pick<StatusPageStore, 'current'>;
  organisation: Pick<Organisation, 'statusPage' | 'sender'>;
  baseUrl: string;
  now: () => Date;
}

/**
 * The public status page in one format: one Query of the status page entries (never the incidents), rendered
 * from their public fields only.
 */
export async function statusPage(deps: StatusPageDeps, format: StatusFormat): Promise<StatusResponse> {
  const now = deps.now();
  const entries = currentEntries(await deps.statusPage.current(now), now);
  const pageUrl = statusPageUrl(deps.baseUrl);
  return statusResponse(format, {
    title: statusPageTitle(deps.organisation),
    ...(pageUrl ? { pageUrl } : {}),
    now: now.toISOString(),
    entries,
  });
}
