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

/** What is built outside the tag in one module's source (`name` as it is under functions/core). */
function findings(name: string, source: string): string[] {
  const sf = ts.createSourceFile(name, source, ts.ScriptTarget.Latest, true);
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
  it('finds no markup written outside html`` in functions/core', () => {
    // html/html.ts is the one module that turns text into markup.
    const found = modules(CORE)
      .map((file) => [relative(CORE, file).replaceAll('\\', '/'), file] as const)
      .filter(([name]) => name !== 'html/html.ts')
      .flatMap(([name, file]) => findings(name, readFileSync(file, 'utf8')));
    expect(found).toEqual([]);
  });

  it.each([
    ['a string holding a tag', "const p = '<p>' + name + '</p>';", /markup outside/],
    ['an untagged template holding a tag', `const p = \`<li>\${name}</li>\`;`, /markup outside/],
    ['a template with another tag', `const p = css\`<b>\${name}</b>\`;`, /markup outside/],
    ['the doctype', "const d = '<!doctype html>';", /markup outside/],
    [
      'escapeHtml called directly',
      "import { escapeHtml } from './text.ts';\nescapeHtml(x);",
      /escapeHtml used/,
    ],
    ['raw() with no reason', 'const r = raw(markdown);', /raw\(\) without/],
  ])('catches %s (the scanner is not blind)', (_what, source, finding) => {
    expect(findings('pages.ts', source).join('\n')).toMatch(finding);
  });

  it.each([
    ['markup in html``', `const p = html\`<p>\${name}</p>\`;`],
    ['nested html``', `const l = html\`<ul>\${items.map((i) => html\`<li>\${i}</li>\`)}</ul>\`;`],
    ['a raw() that says why', '// raw: the style sheet, hashed into the CSP\nconst s = raw(STYLE);'],
    ['an HTML comment in text', "const md = '<!-- not a tag -->';"],
  ])('accepts %s', (_what, source) => {
    expect(findings('pages.ts', source)).toEqual([]);
  });
});
