import type { Fetcher, SourceContext } from '../../functions/sources/source.ts';
import { organisation } from './organisation.ts';

/** A source context for unit tests: fixed clock, given secrets, and a fetch that fails unless given one. */
export function sourceContext(
  options: { now?: Date | string; secrets?: readonly string[]; fetch?: Fetcher } = {},
): SourceContext {
  return {
    now: new Date(options.now ?? '2026-11-20T09:45:00.000Z'),
    organisation,
    secrets: async () => options.secrets ?? [],
    fetch:
      options.fetch ??
      (async (url) => {
        throw new Error(`unexpected fetch of ${url}`);
      }),
  };
}
