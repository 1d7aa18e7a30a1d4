import { wellFormedDeep } from '../core/text.ts';
import type { AlertSource, ParseResult, SourceContext } from './source.ts';

/**
 * The sources served at POST /alerts/{source}, each loaded when first asked for: a delivery needs one source,
 * and the bundler keeps each module's top level (schemas, tables) unevaluated until then, which keeps the
 * ingest function's cold start close to its SDK clients' own.
 */
const loaders: Readonly<Record<string, () => Promise<AlertSource>>> = {
  alertmanager: async () => (await import('./alertmanager.ts')).alertmanager,
  cloudwatch: async () => (await import('./cloudwatch.ts')).cloudwatch,
  datadog: async () => (await import('./datadog.ts')).datadog,
  generic: async () => (await import('./generic.ts')).generic,
  grafana: async () => (await import('./grafana.ts')).grafana,
  pagerduty: async () => (await import('./pagerduty.ts')).pagerduty,
};

export const sourceNames: readonly string[] = Object.keys(loaders);

export async function sourceNamed(name: string): Promise<AlertSource | undefined> {
  const load = Object.hasOwn(loaders, name) ? loaders[name] : undefined;
  return load ? load() : undefined;
}

/**
 * A delivery's alerts: its body parsed by its source after every string of it was made well formed (a lone
 * surrogate, which JSON can carry as `\ud800`, becomes U+FFFD), so no source meets one, in a URL it builds or in
 * the text it keeps. The signature was verified on the raw bytes before.
 */
export function parseDelivery(source: AlertSource, body: unknown, context: SourceContext): ParseResult {
  return source.parse(wellFormedDeep(body), context);
}
