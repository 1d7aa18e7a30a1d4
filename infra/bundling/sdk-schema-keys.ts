import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

/**
 * The AWS SDK v3 clients describe every operation of their service in one module, `dist-es/schemas/schemas_0.js`,
 * with statements like
 *
 *     const _h = "http";
 *     export var SendEmail$ = [9, n0, _SEen, { [_h]: ["POST", "/v2/outbound-emails", 200] }, () => ..., () => ...];
 *
 * For esbuild a computed property key (`[_h]`) may have side effects (converting a key to a string can run
 * code), so it keeps every such statement whether or not anything imports it, and with it every request and
 * response shape it refers to. For a REST client (SES v2, Lambda) that is the whole service: ~47 KB of SES v2
 * schemas in a function that only sends mail. JSON clients (DynamoDB, SFN) put no computed key on operations and
 * tree-shake fine.
 *
 * `literalSchemaKeys` writes such a key as the string literal the same module gives its constant, which is the
 * same property (a string key is not converted further), so that esbuild sees a side-effect-free statement and
 * drops it when unused.
 */

/** The modules the plugin rewrites: the schema modules of the SDK clients' ES builds. */
export const sdkSchemaModule =
  /[\\/]node_modules[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

/**
 * A top-level `const _x = "literal";` on a line of its own. Only a double-quoted literal without escapes other
 * than JSON's is taken (it is read with JSON.parse); anything else (a template, a concatenation, a number, a
 * `let`) leaves the keys that use the name as they are.
 */
const stringConstant = /^const (_[A-Za-z0-9_$]*) = ("(?:[^"\\\r\n]|\\["\\/bfnrtu])*");[ \t]*$/gm;

/**
 * `[_x]:` in a property position: right after `{` or `,` (blanks and line breaks between), so that a ternary
 * (`c ? [_x] : y`) or a `case [_x]:` is never mistaken for a key.
 */
const computedKey = /([{,]\s*)\[(_[A-Za-z0-9_$]*)\]\s*:/g;

/** The names a module declares as string constants, with their values (a name declared twice is left out). */
export function stringConstants(source: string): Map<string, string> {
  const constants = new Map<string, string>();
  const repeated = new Set<string>();
  for (const [, name, literal] of source.matchAll(stringConstant)) {
    if (!name || !literal) continue;
    if (constants.has(name)) repeated.add(name);
    constants.set(name, JSON.parse(literal) as string);
  }
  for (const name of repeated) constants.delete(name);
  return constants;
}

/**
 * `source` with every computed key `[_x]:` written as the literal key when the module declares `_x` as a string
 * constant. `__proto__` is never written as a literal key: `{ "__proto__": v }` sets the prototype, where
 * `{ ["__proto__"]: v }` defines a property.
 */
export function literalSchemaKeys(source: string): string {
  const constants = stringConstants(source);
  // The generated modules declare each name once, at the top. A name declared again (a `let` in a block, a
  // function) could mean something else where the key is: its keys are left alone. (Parameters are not looked
  // for: the generated thunks take none, and the unit test compares every installed client's exports.)
  const once = new Map<string, boolean>();
  const declaredOnce = (name: string): boolean => {
    let known = once.get(name);
    if (known === undefined) {
      const escaped = name.replace(/\$/g, '\\$');
      const declarations = new RegExp(`\\b(?:const|let|var|function|class)\\s+${escaped}(?![\\w$])`, 'g');
      known = (source.match(declarations)?.length ?? 0) === 1;
      once.set(name, known);
    }
    return known;
  };
  return source.replace(computedKey, (match, before: string, name: string) => {
    const value = constants.get(name);
    if (value === undefined || value === '__proto__' || !declaredOnce(name)) return match;
    return `${before}${JSON.stringify(value)}:`;
  });
}

/** The esbuild plugin: every SDK schema module goes through `literalSchemaKeys`. */
export const sdkSchemaKeysPlugin: Plugin = {
  name: 'sdk-schema-literal-keys',
  setup(build) {
    build.onLoad({ filter: sdkSchemaModule }, async (args) => ({
      contents: literalSchemaKeys(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};
