import { alertmanager } from './alertmanager.ts';
import type { AlertSource } from './source.ts';

/** The sources served at POST /alerts/{source}. */
export const sources: Readonly<Record<string, AlertSource>> = { alertmanager };

export function sourceNamed(name: string): AlertSource | undefined {
  return Object.hasOwn(sources, name) ? sources[name] : undefined;
}
