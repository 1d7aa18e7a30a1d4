import { alertmanager } from './alertmanager.ts';
import { cloudwatch } from './cloudwatch.ts';
import { datadog } from './datadog.ts';
import { generic } from './generic.ts';
import { grafana } from './grafana.ts';
import { pagerduty } from './pagerduty.ts';
import type { AlertSource } from './source.ts';

/** The sources served at POST /alerts/{source}. */
export const sources: Readonly<Record<string, AlertSource>> = {
  alertmanager,
  cloudwatch,
  datadog,
  generic,
  grafana,
  pagerduty,
};

export function sourceNamed(name: string): AlertSource | undefined {
  return Object.hasOwn(sources, name) ? sources[name] : undefined;
}
