import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', 'fixtures');

/** A fixture payload as raw text (what a sender puts on the wire). */
export function fixtureText(source: string, name: string): string {
  return readFileSync(join(root, source, `${name}.json`), 'utf8');
}

export function fixture<T = unknown>(source: string, name: string): T {
  return JSON.parse(fixtureText(source, name)) as T;
}
