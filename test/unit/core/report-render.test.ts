import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createReportAccumulator } from '../../../functions/core/report.ts';
import {
  actionRowsCsv,
  csvCell,
  incidentCsvHeader,
  incidentRowsCsv,
  reportEmail,
} from '../../../functions/core/report-render.ts';
import { HOSTILE, handReport, reportOptions } from './report-support.ts';

const viewUrlFor = (key: string) => `https://hotline.example.com/links/tok-${key}?a=1&b=2`;

/** A minimal RFC 4180 reader, to check that what is written reads back cell for cell. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

describe('the SLO report mail', () => {
  const report = handReport();
  const mail = reportEmail(report, { title: 'Weekly SLO report', viewUrlFor });

  it('names the report and its period in the subject', () => {
    expect(mail.subject).toBe('Weekly SLO report: 2026-11-23 to 2026-11-29');
  });

  it('carries the figures in the text part', () => {
    expect(mail.text).toContain('Total: 4 (previous 1); minutes of impact: 365 (previous 60)');
    expect(mail.text).toContain('- Sev 1: 1 (previous 0)');
    expect(mail.text).toContain(
      '- Checkout (99.9%): 245 of 10.1 minutes allowed: 2,431% of the budget used (OVER BUDGET)',
    );
    expect(mail.text).toContain('- Time to detect median: 8 min (previous 20 min, change -13 min)');
    expect(mail.text).toContain('- Time to recover mean: 1 h 42 min (previous 1 h 0 min, change +42 min)');
    expect(mail.text).toContain(
      `- HOT-11 <${viewUrlFor('HOT-11')}>: sev 1, checkout, owner Payments, Platform, 2 open, age 5 d, 5 d overdue`,
    );
    expect(mail.text).toContain('Open: 4; due within 7 days: 1; overdue: 1');
    expect(mail.text).toContain("- Acknowledged within the severity's timeout: 75% (3 of 4; previous 100%)");
    expect(mail.text).toContain(
      `  missed: HOT-12 <${viewUrlFor('HOT-12')}>, HOT-14 <${viewUrlFor('HOT-14')}>`,
    );
    expect(mail.text).toContain('- Not approved within 5 business days: 0 (previous 1)');
    expect(mail.text).toContain('- change: 1 (previous 0)');
    expect(mail.text).toContain(
      `HOT-13 <${viewUrlFor('HOT-13')}> recurs after HOT-11 <${viewUrlFor('HOT-11')}>`,
    );
  });

  it('links every incident it names to its view page, escaped', () => {
    for (const key of ['HOT-11', 'HOT-12', 'HOT-13', 'HOT-14']) {
      expect(mail.html).toContain(`href="https://hotline.example.com/links/tok-${key}?a=1&amp;b=2"`);
    }
    const plain = reportEmail(report, { title: 'Weekly SLO report' });
    expect(plain.html).not.toContain('<a ');
    expect(plain.text).not.toContain('https://');
  });

  it('is mail-safe: no script, no images, no style sheet, only percentage widths but the 600 px column', () => {
    expect(mail.html).not.toMatch(/<script|<img|<link|<style|url\(|@import|<iframe|<form|<svg/i);
    expect(mail.html).not.toMatch(/\son\w+=/i);
    const pixelWidths = mail.html.match(/width:\s*\d+px|width="\d+"/g) ?? [];
    expect(pixelWidths).toEqual(['width:600px']);
    expect(mail.html).toContain('max-width:600px');
    expect(mail.html).toContain('overflow-wrap:anywhere');
    // Every bar is a table row whose widths add up to 100%.
    const bars = [...mail.html.matchAll(/<tr>((?:<td width="\d+%" bgcolor[^>]*>&nbsp;<\/td>)+)<\/tr>/g)];
    expect(bars.length).toBeGreaterThan(5);
    for (const [, cells] of bars) {
      const sum = [...(cells ?? '').matchAll(/width="(\d+)%"/g)].reduce((n, m) => n + Number(m[1]), 0);
      expect(sum).toBe(100);
    }
  });

  it('escapes every piece of user text', () => {
    const hostile = reportEmail(handReport({ hostile: true }), {
      title: `Q4 & <b>${HOSTILE}</b>`,
      viewUrlFor,
    });
    expect(hostile.html).not.toContain('<script>');
    expect(hostile.html).not.toContain('<b>');
    expect(hostile.html).toContain('Q4 &amp; &lt;b&gt;&lt;script&gt;');
    expect(hostile.html).toContain('svc&quot;&lt;script&gt;');
    expect(hostile.subject).not.toMatch(/[\r\n]/);
  });

  it("shows the handbook's list up to a number of rows, most overdue first", () => {
    const short = reportEmail(report, { title: 'Weekly', viewUrlFor, listRows: 1 });
    expect(short.text).toContain('2 incidents with open priority actions (the 1 most overdue shown)');
    expect(short.text).toContain('- HOT-11 <');
    expect(short.text).not.toMatch(/- HOT-12 <[^>]*>: sev 2/);
  });

  it('says so when there is nothing to list', () => {
    const empty = createReportAccumulator(reportOptions).result();
    const m = reportEmail(empty, { title: 'Weekly' });
    expect(m.text).toContain('None: every sev 1-2 incident has its priority actions done.');
    expect(m.text).toContain('No incidents in either period.');
    expect(m.text).toContain('n/a');
  });
});

describe('CSV attachments', () => {
  it('writes RFC 4180 with CRLF and reads back cell for cell', () => {
    const csv = incidentRowsCsv(handReport({ hostile: true }));
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual([...incidentCsvHeader]);
    expect(rows).toHaveLength(6);
    for (const row of rows) expect(row).toHaveLength(incidentCsvHeader.length);
    const hot11 = rows.find((r) => r[0] === 'HOT-11');
    expect(hot11).toEqual([
      'HOT-11',
      '1',
      'checkout',
      'resolved',
      'Incident HOT-11',
      '2026-11-24T10:05:00.000Z',
      '2026-11-24T10:00:00.000Z',
      '2026-11-24T10:05:00.000Z',
      '2026-11-24T10:08:00.000Z',
      '2026-11-24T11:05:00.000Z',
      '5',
      '65',
      '65',
      '',
    ]);
    const hostile = rows.find((r) => r[0] === 'HOT-15');
    expect(hostile?.[4]).toBe(`'=HYPERLINK("http://evil.example","click"), ${HOSTILE}\r\nnext line`);
  });

  it('neutralises formulas in action rows', () => {
    const rows = parseCsv(actionRowsCsv(handReport({ hostile: true })));
    const a8 = rows.find((r) => r[0] === 'a8');
    expect(a8?.[6]).toBe(`'-2+3 "quoted", with comma`);
    expect(a8?.[7]).toBe(`'@team ${HOSTILE}`);
    expect(rows).toHaveLength(9);
  });

  it('quotes and neutralises any text so that it reads back as written, with a leading quote on formulas', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 5 }), (cells) => {
        const line = `${cells.map(csvCell).join(',')}\r\n`;
        const [row] = parseCsv(line);
        expect(row).toEqual(cells.map((c) => (/^[=+\-@\t\r]/.test(c) ? `'${c}` : c)));
        for (const written of row ?? []) expect(written).not.toMatch(/^[=+\-@\t\r]/);
      }),
    );
  });

  it('writes numbers as numbers and nothing for absent values', () => {
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(2.5)).toBe('2.5');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(Number.NaN)).toBe('');
  });
});
