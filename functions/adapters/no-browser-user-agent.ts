/**
 * Bundles replace `bowser` with this module (esbuild alias, see IncidentFunction). The SDK imports it dynamically
 * in its browser user agent provider (`@aws-sdk/core`, util-user-agent-browser), which Node never uses. esbuild
 * drops it from a bundle made of one file, but keeps every dynamically imported module as a chunk of its own when
 * it splits (infra/bundling/function-bundling.ts): 34 KB in every function's asset that nothing loads. A call that
 * reaches it says so.
 */
export function parse(): never {
  throw new Error('browser user agents are not bundled (functions/adapters/no-browser-user-agent.ts)');
}
