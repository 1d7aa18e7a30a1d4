import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReadMail } from '../../functions/use-cases/mail-replies.ts';
import { functionCodeOptions } from '../../infra/bundling/bundle.ts';
import { htmlEntitiesPlugin, keptEntities } from '../../infra/bundling/html-entities.ts';
import { projectRoot } from '../../infra/constructs/incident-function.ts';

// postal-mime's own table (not among the package's exports: read from its file, as the plugin does).
const { htmlEntities } = (await import(
  pathToFileURL(join(projectRoot, 'node_modules/postal-mime/dist/esm/html-entities.js')).href
)) as { htmlEntities: Record<string, string> };

describe('keptEntities', () => {
  it('keeps the Latin-1 and punctuation names of postal-mime`s table, legacy forms included, and no others', () => {
    const kept = keptEntities(htmlEntities);
    expect(kept).toMatchObject({
      '&nbsp;': '\u00a0',
      '&nbsp': '\u00a0',
      '&amp;': '&',
      '&AMP': '&',
      '&lt;': '<',
      '&eacute;': '\u00e9',
      '&Uuml;': '\u00dc',
      '&mdash;': '\u2014',
      '&rsquo;': '\u2019',
      '&hellip;': '\u2026',
      '&euro;': '\u20ac',
      '&trade;': '\u2122',
    });
    for (const dropped of [
      '&Alpha;',
      '&Afr;',
      '&rarr;',
      '&CounterClockwiseContourIntegral;',
      '&NotEqualTilde;',
    ])
      expect(kept[dropped], dropped).toBeUndefined();
    for (const [name, value] of Object.entries(kept)) expect(htmlEntities[name], name).toBe(value);
    expect(Object.keys(kept).length).toBeLessThan(Object.keys(htmlEntities).length / 5);
  });
});

describe('a bundle of the mail reader with the plugin', () => {
  const work = mkdtempSync(join(tmpdir(), 'hotline-entities-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const bundle = async (name: string, plugins: Plugin[]) => {
    const outfile = join(work, `${name}.mjs`);
    const result = await build({
      entryPoints: [join(projectRoot, 'functions/adapters/inbound-mail.ts')],
      outfile,
      ...functionCodeOptions,
      plugins,
      metafile: true,
      logLevel: 'silent',
    });
    const bytes = Object.values(result.metafile.outputs)[0]?.bytes ?? 0;
    const { readMail } = (await import(pathToFileURL(outfile).href)) as {
      readMail: (raw: Uint8Array) => Promise<ReadMail>;
    };
    return { bytes, readMail };
  };

  // postal-mime makes text of an HTML part (decoding its entities) where a node has no plain part beside it: here
  // the second part of a mixed message, after a plain one (an HTML-only mail has no text at all, and
  // use-cases/mail-replies.ts reads its HTML itself).
  const mixed = (html: string) =>
    new TextEncoder().encode(
      [
        'From: Ada <ada@example.com>',
        'To: page+x@replies.example.com',
        'Subject: Re: HOT-1',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'see below',
        '--b1',
        'Content-Type: text/html; charset=utf-8',
        '',
        html,
        '--b1--',
        '',
      ].join('\r\n'),
    );

  it('makes the same text of an HTML part as the full table does, for every name it keeps, and is 35 KB smaller', async () => {
    const full = await bundle('full', []);
    const small = await bundle('small', [htmlEntitiesPlugin]);
    expect(full.bytes - small.bytes).toBeGreaterThan(35_000);
    const body =
      '<p>Ack&nbsp;&mdash; on it&hellip; caf&eacute; &amp; co&rsquo;s &#8217;n&#x2019; &euro;5</p><p>&AMP &copy</p>';
    const read = await small.readMail(mixed(body));
    expect(read.from).toBe('ada@example.com');
    expect(read.text).toBe((await full.readMail(mixed(body))).text);
    expect(read.text).toContain('Ack\u00a0\u2014 on it\u2026 caf\u00e9 & co\u2019s \u2019n\u2019 \u20ac5');
    // A name it does not keep is left as written, as postal-mime leaves a name it does not know.
    const unkept = '<p>ack &rarr; &Alpha;</p>';
    expect((await small.readMail(mixed(unkept))).text).toContain('ack &rarr; &Alpha;');
    expect((await full.readMail(mixed(unkept))).text).toContain('ack \u2192 \u0391');
  });
});
