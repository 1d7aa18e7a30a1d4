/**
 * HTML that is safe by construction: every page and mail body is built with the `html` tag, which escapes each
 * interpolated string; only `SafeHtml` (what `html` or `raw` made) and arrays of it go in as they are. Unescaped
 * text cannot be written by accident: a string is always text, never markup.
 *
 *   html`<p>${name}</p>`                 name escaped
 *   html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`   an array of SafeHtml, joined with nothing
 *   undefined, null and false insert nothing (`${cond && html`...`}`)
 */
import { escapeHtml } from '../text.ts';

/** Markup made by `html` or `raw`: the only values the tag inserts unescaped. */
export class SafeHtml {
  readonly #markup: string;
  /** Use `html` or `raw`: the constructor is not part of the API (it would take any string as markup). */
  private constructor(markup: string) {
    this.#markup = markup;
  }
  /** The one way out to a string: a response body, a mail part. */
  toString(): string {
    return this.#markup;
  }
  /** @internal Made only by this module. */
  static make(markup: string): SafeHtml {
    return new SafeHtml(markup);
  }
}

/** What may be interpolated: text (escaped), markup, lists of them, or nothing. */
export type HtmlValue = SafeHtml | string | number | undefined | null | false | readonly HtmlValue[];

function piece(value: HtmlValue): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(piece).join('');
  return escapeHtml(String(value));
}

/** The auto-escaping tag. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += piece(values[i] as HtmlValue) + (strings[i + 1] ?? '');
  return SafeHtml.make(out);
}

/** Markup pieces joined by a separator that is itself markup (`html`\n``) or nothing. */
export function joinHtml(parts: readonly HtmlValue[], separator: SafeHtml = EMPTY): SafeHtml {
  return SafeHtml.make(parts.map(piece).join(separator.toString()));
}

/** Text as markup, escaped: for a value built apart from a template. */
export function text(value: string): SafeHtml {
  return SafeHtml.make(escapeHtml(value));
}

/**
 * Markup taken as it is. Only for markup this code base made safe another way: the CSP-hashed style sheet and
 * the postmortem document's HTML (markdown-it with HTML off, core/postmortem-document.ts). Every call says why.
 */
export function raw(markup: string): SafeHtml {
  return SafeHtml.make(markup);
}

export const EMPTY: SafeHtml = SafeHtml.make('');
/** A line break between pieces of a page's source (the pages are written one element a line). */
export const NEWLINE: SafeHtml = SafeHtml.make('\n');
