import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

/**
 * postal-mime, which MailReplies reads replies with, makes text of an HTML part that has no plain part beside it
 * (in a mixed message; an HTML-only mail gets no text, and use-cases/mail-replies.ts reads its HTML itself),
 * decoding entities with the whole HTML5 table: 2,231 names, 45 KB of the function's 361 KB, read at every cold
 * start. A reply is read for its first line only (does it say "ack"), so the bundle keeps the names of Latin-1
 * (`&nbsp;`, `&amp;`, `&eacute;`...), of general punctuation (`&mdash;`, `&rsquo;`, `&hellip;`...), `&euro;` and
 * `&trade;`, taken from the library's own table: 339 names, about 5 KB. Numeric references (`&#8217;`) are decoded
 * as before; another name is left as written, as postal-mime leaves any name it does not know.
 */
export const postalMimeEntitiesModule =
  /[\\/]node_modules[\\/]postal-mime[\\/]dist[\\/]esm[\\/]html-entities\.js$/;

/** The entries of postal-mime's table that the bundle keeps (see above). */
export function keptEntities(all: Readonly<Record<string, string>>): Record<string, string> {
  const kept = (value: string): boolean => {
    const [only, ...more] = [...value];
    const code = only?.codePointAt(0);
    if (code === undefined || more.length > 0) return false;
    return code < 0x100 || (code >= 0x2000 && code <= 0x206f) || code === 0x20ac || code === 0x2122;
  };
  return Object.fromEntries(Object.entries(all).filter(([, value]) => kept(value)));
}

export const htmlEntitiesPlugin: Plugin = {
  name: 'postal-mime-html-entities',
  setup(build) {
    build.onLoad({ filter: postalMimeEntitiesModule }, async ({ path }) => {
      const { htmlEntities } = (await import(pathToFileURL(path).href)) as {
        htmlEntities: Record<string, string>;
      };
      return {
        contents: `export const htmlEntities = ${JSON.stringify(keptEntities(htmlEntities))};`,
        loader: 'js',
      };
    });
  },
};
