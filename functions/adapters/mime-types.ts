/**
 * Bundles replace `mime-types` with this module (esbuild alias, see IncidentFunction). mimetext, the MIME library
 * of the functions that mail reports, imports it for one call: `contentType(type)`, to check that an attachment's
 * content type is not `false`. The real module answers that from mime-db, a database of every type and file
 * extension (about 137 KB of each report function's bundle). Every attachment we make names its full type
 * (`text/csv`), for which mime-types answers the type itself (with a charset added, which mimetext does not use):
 * so does this, and `false` for anything that is not a `type/subtype` (mime-types would look a bare extension up;
 * we never pass one).
 */
export function contentType(type: unknown): string | false {
  if (typeof type !== 'string' || !/^[\w.+-]+\/[\w.+-]+(?:\s*;.*)?$/.test(type)) return false;
  return type;
}
