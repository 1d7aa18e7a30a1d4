import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type UsageFile, unusedGrants } from './enforcer.ts';

/**
 * `npm run iam:unused -- [file or folder ...]`: the IAM grants of each function (and of the service roles) that
 * no call used during a run of the local target. A run of `npm start` writes `.local/data/iam-usage.json`; a test run
 * writes one file per local target into the folder HOTLINE_IAM_USAGE_DIR names. Exit 0 either way: it reports.
 */

function usageFiles(paths: readonly string[]): UsageFile[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((name) => name.endsWith('.json'))
          .map((name) => JSON.parse(readFileSync(join(path, name), 'utf8')) as UsageFile)
      : [JSON.parse(readFileSync(path, 'utf8')) as UsageFile],
  );
}

const paths = process.argv.slice(2);
const files = usageFiles(paths.length > 0 ? paths : ['.local/data/iam-usage.json']);
const unused = unusedGrants(files);
let total = 0;
for (const [principal, grants] of Object.entries(unused).sort(([a], [b]) => a.localeCompare(b))) {
  if (grants.length === 0) {
    console.log(`${principal}: every grant used`);
    continue;
  }
  total += grants.length;
  console.log(`${principal}: ${grants.length} unused`);
  for (const grant of grants)
    console.log(`  ${grant.action} on ${grant.resource}  (${grant.policy} statement ${grant.index})`);
}
console.log(`${total} unused grant(s) in ${files.length} usage file(s)`);
