import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Pages and mail bodies are built only with the `html` tag of core/html/html.ts (DESIGN.md: "an auto-escaping
 * HTML template is the only way pages are built"). This reads every module of functions/core and fails on
 * markup written any other way: a string or an untagged template holding a tag, a direct call of `escapeHtml`,
 * or a `raw()` without the comment that says why its markup is safe.
 */
const CORE = join(import.meta.dirname, '../../../functions/core');

/**
 * Modules still built the old way (each interpolation remembering to escape). Each is debt: convert it and take
 * it off this list (the last test fails while a listed module is already clean, so the list only shrinks).
 */
const NOT_YET_CONVERTED = new Set([
  // The postmortem editor, split into its parts; each still escapes by hand (issue 21 part 2: convert them).
  'html/postmortem-editor/model.ts',
  'html/postmortem-editor/fields.ts',
  'html/postmortem-editor/page.ts',
  'mails/report.ts', // the SLO report mail (table layout for mail clients)
  'status-page.ts', // the public status page (and its Atom feed, which is XML)
  'postmortem-document.ts', // wraps markdown-it's output in a document
]);

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? modules(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** An element's start or end tag, or the doctype (not `<!--`: Markdown writes those too). */
const TAG = /<(\/?[a-zA-Z][a-zA-Z0-9-]*|!doctype)(\s|>|\/|$)/i;

function findings(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const name = relative(CORE, file).replaceAll('\\', '/');
  const out: string[] = [];
  const where = (node: ts.Node) => `${name}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const taggedHtml = (node: ts.Node): boolean => {
    const template = ts.isTemplateHead(node)
      ? node.parent
      : ts.isTemplateMiddle(node) || ts.isTemplateTail(node)
        ? node.parent.parent
        : node;
    const parent = template.parent;
    return (
      parent !== undefined &&
      ts.isTaggedTemplateExpression(parent) &&
      ts.isIdentifier(parent.tag) &&
      parent.tag.text === 'html'
    );
  };
  const visit = (node: ts.Node) => {
    if (
      (ts.isStringLiteral(node) ||
        ts.isNoSubstitutionTemplateLiteral(node) ||
        ts.isTemplateHead(node) ||
        ts.isTemplateMiddle(node) ||
        ts.isTemplateTail(node)) &&
      TAG.test(node.text) &&
      !ts.isImportDeclaration(node.parent) &&
      !taggedHtml(node)
    ) {
      out.push(`${where(node)} markup outside html\`\`: ${JSON.stringify(node.text.slice(0, 60))}`);
    }
    if (ts.isIdentifier(node) && node.text === 'escapeHtml' && name !== 'text.ts') {
      out.push(`${where(node)} escapeHtml used directly (interpolate into html\`\` instead)`);
    }
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'raw' &&
      name !== 'html/html.ts'
    ) {
      const line = sf.getLineAndCharacterOfPosition(node.getStart()).line;
      const before = source
        .split('\n')
        .slice(Math.max(0, line - 3), line + 1)
        .join('\n');
      if (!/\/\/ raw: /.test(before)) out.push(`${where(node)} raw() without a "// raw: why" comment`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

describe('HTML is built only with the html tag', () => {
  // html/html.ts is the one module that turns text into markup.
  const files = modules(CORE).filter((f) => relative(CORE, f).replaceAll('\\', '/') !== 'html/html.ts');
  const byName = new Map(files.map((f) => [relative(CORE, f).replaceAll('\\', '/'), findings(f)]));

  it('finds no markup written outside html`` in functions/core (but the modules not yet converted)', () => {
    const found = [...byName.entries()].filter(([n]) => !NOT_YET_CONVERTED.has(n)).flatMap(([, f]) => f);
    expect(found).toEqual([]);
  });

  it('catches what it looks for (the scanner is not blind)', () => {
    const model = byName.get('html/postmortem-editor/model.ts') ?? [];
    const fields = byName.get('html/postmortem-editor/fields.ts') ?? [];
    expect(model.some((f) => f.includes('escapeHtml'))).toBe(true);
    expect(fields.some((f) => f.includes('markup outside'))).toBe(true);
  });

  it('lists only modules that still need converting', () => {
    const clean = [...NOT_YET_CONVERTED].filter((n) => (byName.get(n) ?? []).length === 0);
    expect(clean).toEqual([]);
  });
});
