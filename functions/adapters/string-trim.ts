/**
 * Bundles replace `@babel/runtime-corejs3/core-js/instance/trim` with this module (esbuild alias, see
 * IncidentFunction). mimetext's build calls it as `trim(value).call(value)` to trim an address: core-js's
 * polyfill of String.prototype.trim for engines without one (about 12 KB of each report function's bundle). Node
 * has it: this answers the value's own `trim`, as the polyfill does for a value whose `trim` is not the string one.
 */
export default function trimOf(value: { trim: () => string }): () => string {
  return value.trim;
}
