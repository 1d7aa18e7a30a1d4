import type { AlertSource } from './source.ts';

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
