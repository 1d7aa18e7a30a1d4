import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The licences of every installed package (runtime and development), checked against what an Apache-2.0
 * project can carry. Read from each package's own package.json as installed (the lock file's copy as a fallback),
 * so what `npm ci` put in node_modules is what is checked. `npm run licenses` prints them; the test in
 * test/infra/licenses.test.ts and CI fail on a licence outside the list.
 */

/**
 * Permissive licences (the ASF's category A): usable in an Apache-2.0 project, in source or bundled.
 * https://www.apache.org/legal/resolved.html
 */
export const ALLOWED = new Set([
  'Apache-2.0',
  'MIT',
  'MIT-0',
  'ISC',
  'BSD-2-Clause',
  'BSD-3-Clause',
  '0BSD',
  'BlueOak-1.0.0',
  'CC0-1.0',
  'Unlicense',
  'Python-2.0',
  'PSF-2.0',
  'Zlib',
]);

/** Packages allowed with another licence, each with its reason. Matched by package name. */
export const EXCEPTIONS: readonly { name: RegExp; licence: string; reason: string }[] = [
  {
    name: /^lightningcss(-.+)?$/,
    licence: 'MPL-2.0',
    reason:
      'A development dependency of vitest (through vite), never bundled into a function or shipped; MPL-2.0 is file-level weak copyleft (the ASF category B), which applies only to changes of its own files.',
  },
  {
    name: /^ical\.js$/,
    licence: 'MPL-2.0',
    reason:
      "Mozilla's iCalendar parser: the CDK app reads a schedule's .ics file with it at synth and start (recurrence rules), and the tests read the schedule feed with it as a calendar app would. Never bundled into a function (the feed is written with ical-generator, MIT); used unchanged, and MPL-2.0 is file-level weak copyleft (the ASF category B), which applies only to changes of its own files.",
  },
];

export interface PackageLicence {
  path: string;
  name: string;
  version: string;
  licence: string;
  dev: boolean;
}

/** Every package the lock file installs, with its licence as the installed package.json states it. */
export function installedLicences(root = process.cwd()): PackageLicence[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; license?: unknown; dev?: boolean; optional?: boolean }>;
  };
  const out: PackageLicence[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '') continue;
    const manifest = join(root, path, 'package.json');
    // Optional platform packages (another OS's binaries) are in the lock file but not installed here.
    const installed = existsSync(manifest)
      ? (JSON.parse(readFileSync(manifest, 'utf8')) as {
          name?: string;
          license?: unknown;
          licenses?: unknown;
        })
      : undefined;
    const licence = licenceText(installed?.license ?? installed?.licenses ?? entry.license);
    out.push({
      path,
      name: installed?.name ?? path.replace(/^.*node_modules\//, ''),
      version: entry.version ?? '',
      licence,
      dev: entry.dev === true,
    });
  }
  return out;
}

function licenceText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(licenceText).join(' OR ');
  if (value && typeof value === 'object' && 'type' in value) return String((value as { type: unknown }).type);
  return 'UNKNOWN';
}

/**
 * Whether an SPDX expression can be carried: an `OR` needs one acceptable side (we choose it), an `AND` needs
 * every side. `WITH` exceptions keep the licence they modify. Parentheses are honoured.
 */
export function acceptable(expression: string, allowed: ReadonlySet<string> = ALLOWED): boolean {
  const tokens = expression
    .replace(/[()]/g, (p) => ` ${p} `)
    .trim()
    .split(/\s+/);
  let position = 0;
  const orExpr = (): boolean => {
    let value = andExpr();
    while (tokens[position] === 'OR') {
      position += 1;
      const right = andExpr();
      value = value || right;
    }
    return value;
  };
  const andExpr = (): boolean => {
    let value = atom();
    while (tokens[position] === 'AND') {
      position += 1;
      const right = atom();
      value = value && right;
    }
    return value;
  };
  const atom = (): boolean => {
    const token = tokens[position++];
    if (token === '(') {
      const value = orExpr();
      position += 1; // ')'
      return value;
    }
    if (tokens[position] === 'WITH') position += 2;
    return token !== undefined && allowed.has(token.replace(/\+$/, ''));
  };
  const value = orExpr();
  return value && position >= tokens.length;
}

/** The packages whose licence is neither acceptable nor an exception. */
export function licenceProblems(packages: readonly PackageLicence[]): PackageLicence[] {
  return packages.filter(
    (p) => !acceptable(p.licence) && !EXCEPTIONS.some((e) => e.name.test(p.name) && e.licence === p.licence),
  );
}

// `npm run licenses`: the count per licence, the exceptions, and any problem (exit 1).
if (import.meta.url === `file://${process.argv[1]}`) {
  const packages = installedLicences();
  const counts = new Map<string, number>();
  for (const p of packages) counts.set(p.licence, (counts.get(p.licence) ?? 0) + 1);
  for (const [licence, count] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`${count}\t${licence}`);
  for (const e of EXCEPTIONS) console.log(`exception ${e.name} (${e.licence}): ${e.reason}`);
  const problems = licenceProblems(packages);
  for (const p of problems)
    console.error(`not allowed: ${p.name}@${p.version} (${p.licence})${p.dev ? ' [dev]' : ''}`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}
