import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Stack traces that name our TypeScript sources, without paying for source maps at every cold start.
 *
 * Node's `--enable-source-maps` reads and parses the bundle's whole source map while the module loads: measured
 * on LinkDecision's bundle (Node 24, this machine), a cold start's import took 148.8 ms with it against 101.1 ms
 * without, nearly half as much again on every cold start, for a map that is read only when a stack is. So the
 * functions run without it (infra/constructs/incident-function.ts), and this hook maps a stack's frames through
 * the bundle's map (`<bundle>.mjs.map`, beside it in the asset) when a stack is first formatted: an error that is
 * logged, or that reaches the Lambda runtime. The map is read once, on that first stack, with Node's own
 * `SourceMap` (no library in the bundle).
 */

const maps = new Map<string, SourceMap | null>();

/** The source map beside a bundle module, read on first use; `null` when there is none (or it is unreadable). */
function mapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(file, map);
  }
  return map;
}

/**
 * A source as the map names it (relative to where the bundle was built: `../../functions/x.ts`, or through the
 * build machine's folders when the assembly was written elsewhere), from the project root: `functions/x.ts`,
 * `node_modules/<package>/...`. No path of the machine that built it.
 */
function projectPath(source: string): string {
  const dependency = source.lastIndexOf('node_modules/');
  if (dependency >= 0) return source.slice(dependency);
  const own = source.lastIndexOf('/functions/');
  if (own >= 0) return source.slice(own + 1);
  return source.replace(/^(?:\.\.\/)+/, '');
}

/**
 * One frame with the source's file, line and column where the map has them: the same call site (every method
 * answers as V8's does, with `this` the real site), but for its position and what it prints. Whatever formats the
 * trace (Node's default, or a hook installed before this one) reads it as it reads any frame.
 */
function mappedFrame(site: NodeJS.CallSite): NodeJS.CallSite {
  const fileName = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (!fileName?.endsWith('.mjs') || line === null || column === null) return site;
  const file = fileName.startsWith('file:') ? fileURLToPath(fileName) : fileName;
  const origin = mapOf(file)?.findOrigin(line, column);
  if (!origin || !('fileName' in origin)) return site;
  const source = projectPath(origin.fileName);
  const text = site
    .toString()
    .replace(`${fileName}:${line}:${column}`, `${source}:${origin.lineNumber}:${origin.columnNumber}`);
  const answers: Partial<Record<keyof NodeJS.CallSite | 'toString', () => unknown>> = {
    getFileName: () => source,
    getScriptNameOrSourceURL: () => source,
    getLineNumber: () => origin.lineNumber,
    getColumnNumber: () => origin.columnNumber,
    toString: () => text,
  };
  return new Proxy(site, {
    get(target, property) {
      const answer = answers[property as keyof typeof answers];
      if (answer) return answer;
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Maps the stacks of errors thrown from the bundle that holds `moduleUrl` (pass `import.meta.url`), if a source
 * map sits beside it: a bundled function does; running from the TypeScript sources (tests, the CLI), nothing is
 * installed and the runtime's own traces stand. Frames the map does not cover print as they would have.
 */
export function mapStackTraces(moduleUrl: string): void {
  if (!moduleUrl.startsWith('file:')) return;
  const bundle = fileURLToPath(moduleUrl);
  if (!bundle.endsWith('.mjs') || !existsSync(`${bundle}.map`)) return;
  const format = Error.prepareStackTrace;
  if (!format) return;
  // A frame that cannot be mapped, for whatever reason, prints as it would have: a stack is never lost to this.
  const frame = (site: NodeJS.CallSite) => {
    try {
      return mappedFrame(site);
    } catch {
      return site;
    }
  };
  Error.prepareStackTrace = (error, sites) => format(error, sites.map(frame));
}
