/**
 * A small, strict XML 1.0 reader for tests: it accepts only well-formed documents (one root, balanced and
 * properly nested tags, quoted attributes without `<`, no duplicate attributes, `&` only in the five predefined
 * entities or character references, no characters XML forbids) and answers the element tree, so a test can
 * assert structure instead of matching text. Enough for the feeds we render: no DTDs, no CDATA.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own character data, entities decoded. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const NAME_START = /[A-Za-z_:]/;
const NAME_CHAR = /[A-Za-z0-9_:.-]/;

export class XmlError extends Error {}

export function parseXml(source: string): XmlElement {
  let at = 0;
  const fail = (why: string): never => {
    throw new XmlError(`${why} at ${at}: ${JSON.stringify(source.slice(Math.max(0, at - 20), at + 20))}`);
  };
  for (const char of source) {
    const code = char.codePointAt(0) ?? 0;
    const allowed =
      code === 0x9 ||
      code === 0xa ||
      code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd) ||
      code >= 0x10000;
    if (!allowed) fail(`character U+${code.toString(16)} is not allowed in XML`);
  }
  const skipSpace = () => {
    while (at < source.length && ' \t\r\n'.includes(source[at] ?? '')) at++;
  };
  const name = (): string => {
    const start = at;
    if (!NAME_START.test(source[at] ?? '')) fail('expected a name');
    while (at < source.length && NAME_CHAR.test(source[at] ?? '')) at++;
    return source.slice(start, at);
  };
  const decode = (raw: string): string => {
    let out = '';
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i] ?? '';
      if (c === '<') fail('raw < in character data or attribute');
      if (c !== '&') {
        out += c;
        continue;
      }
      const end = raw.indexOf(';', i);
      if (end < 0) fail('unterminated entity');
      const ref = raw.slice(i + 1, end);
      if (ref.startsWith('#x') && /^#x[0-9A-Fa-f]+$/.test(ref))
        out += String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
      else if (ref.startsWith('#') && /^#[0-9]+$/.test(ref))
        out += String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
      else if (ref in ENTITIES) out += ENTITIES[ref];
      else fail(`unknown entity &${ref};`);
      i = end;
    }
    return out;
  };

  if (source.startsWith('<?xml')) {
    const end = source.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    at = end + 2;
  }
  skipSpace();

  const element = (): XmlElement => {
    if (source[at] !== '<') fail('expected <');
    at++;
    const tag = name();
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = at;
      skipSpace();
      if (source.startsWith('/>', at)) {
        at += 2;
        return { name: tag, attributes, children: [], text: '' };
      }
      if (source[at] === '>') {
        at++;
        break;
      }
      if (at === before) fail('expected whitespace before an attribute');
      const attribute = name();
      skipSpace();
      if (source[at] !== '=') fail('expected = after an attribute name');
      at++;
      skipSpace();
      const quote = source[at];
      if (quote !== '"' && quote !== "'") fail('attribute values must be quoted');
      const end = source.indexOf(quote as string, at + 1);
      if (end < 0) fail('unterminated attribute value');
      if (Object.hasOwn(attributes, attribute)) fail(`duplicate attribute ${attribute}`);
      attributes[attribute] = decode(source.slice(at + 1, end));
      at = end + 1;
    }
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      const next = source.indexOf('<', at);
      if (next < 0) fail(`<${tag}> is not closed`);
      text += decode(source.slice(at, next));
      at = next;
      if (source.startsWith('</', at)) {
        at += 2;
        const closing = name();
        if (closing !== tag) fail(`</${closing}> closes <${tag}>`);
        skipSpace();
        if (source[at] !== '>') fail('expected >');
        at++;
        return { name: tag, attributes, children, text };
      }
      if (source.startsWith('<!--', at)) {
        const end = source.indexOf('-->', at);
        if (end < 0) fail('unterminated comment');
        at = end + 3;
        continue;
      }
      if (source.startsWith('<!', at) || source.startsWith('<?', at))
        fail('no DTD, CDATA or processing instruction expected');
      children.push(element());
    }
  };

  const root = element();
  skipSpace();
  if (at !== source.length) fail('content after the root element');
  return root;
}

/** The children of an element with a name. */
export const childrenNamed = (element: XmlElement, name: string) =>
  element.children.filter((child) => child.name === name);

/** The one child of an element with a name (fails when there is none or more than one). */
export function only(element: XmlElement, name: string): XmlElement {
  const found = childrenNamed(element, name);
  if (found.length !== 1) throw new XmlError(`<${element.name}> has ${found.length} <${name}>, expected 1`);
  return found[0] as XmlElement;
}
