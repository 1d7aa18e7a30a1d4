/**
 * The SLO report as a mail (text and HTML) and its CSV attachments. The HTML is for mail clients: no script, no
 * style sheet, no remote image; layout and charts are tables with inline styles and percentage widths (bars are
 * cells whose width is the value's share), one column at most 600 px wide that shrinks to 390 px and below,
 * long keys and names wrap. Every piece is built with the `html` tag, so every piece of user text (keys,
 * services, teams, titles, the report's title) is escaped; links are the caller's signed view links.
 */
import type { Severity } from '../config.ts';
import { EMPTY, type HtmlValue, html, joinHtml, NEWLINE, type SafeHtml } from '../html/html.ts';
import type { Conformance, Distribution, DistributionChange, PeriodFigures, SloReport } from '../report.ts';
import { headerSafe } from '../text.ts';
import { durationText, type EmailMessage, mailTime } from './layout.ts';

export interface ReportEmailOptions {
  title: string;
  /** The signed, read-only page of an incident for this mail's recipients; keys are plain text without it. */
  viewUrlFor?: (key: string) => string;
  /**
   * Rows of the handbook's list the mail shows (most overdue first; default 25): a year's backlog can hold
   * thousands, which belong in the attachments, not in a mail body clients clip (Gmail at ~100 KB).
   */
  listRows?: number;
}

const SEVERITIES: readonly Severity[] = [1, 2, 3];
const FONT = 'font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.4;color:#111111';
const WRAP = 'word-wrap:break-word;overflow-wrap:anywhere;word-break:break-word';
/** Cells inherit the wrapping from their table (overflow-wrap and word-break are inherited): bytes matter. */
const CELL = 'padding:4px 6px 4px 0;vertical-align:top;text-align:left';
const ROW_CELL = 'padding:4px 6px 4px 0;vertical-align:top;border-bottom:1px solid #f0f0f0';
/** The attributes of a layout table: fixed column widths for the content, automatic for the page's frame. */
const tableAttributes = (layout: 'fixed' | 'auto') =>
  html`role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;border-collapse:collapse;table-layout:${layout};${WRAP}"`;
const TABLE = tableAttributes('fixed');

// ---------------------------------------------------------------------------------------------------------
// Formatting

const day = (iso: string) => iso.slice(0, 10);
/** The period as people read it: `to` is exclusive, so a week ends the day before. */
function periodText(p: { from: string; to: string }): string {
  const last = new Date(Date.parse(p.to) - 1).toISOString();
  return day(p.from) === day(last) ? day(p.from) : `${day(p.from)} to ${day(last)}`;
}
/** `1,234` and `10.1`: thousands separated, as people read a large number. */
const grouped = (digits: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
/** A share as a percentage, `95,399%` (a budget can be used many times over). */
const pct = (share: number | undefined) =>
  share === undefined ? 'n/a' : `${grouped(String(Math.round(share * 100)))}%`;
const dur = (ms: number | undefined) => (ms === undefined ? 'n/a' : durationText(ms));
function signedDur(ms: number | undefined): string {
  if (ms === undefined) return 'n/a';
  if (Math.round(Math.abs(ms) / 60_000) === 0) return '±0 min';
  return `${ms > 0 ? '+' : '-'}${durationText(Math.abs(ms))}`;
}
const recurrenceLine = (count: number, previous: number) =>
  `${count} ${count === 1 ? 'incident' : 'incidents'} recurred after an earlier one (previous ${previous})`;
const num = (n: number) => {
  const [whole = '', fraction] = (Number.isInteger(n) ? String(n) : n.toFixed(1)).split('.');
  return fraction === undefined ? grouped(whole) : `${grouped(whole)}.${fraction}`;
};

// ---------------------------------------------------------------------------------------------------------
/** "1 false alarm", "2 false alarms". */
const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

// HTML pieces (all built with the html tag: text is escaped, markup is SafeHtml)

/** An email-safe bar: a full-width table, the filled cell's width the value's share of the whole (0-100). */
function bar(share: number, colour = '#2563eb'): SafeHtml {
  const width = share <= 0 ? 0 : Math.max(1, Math.min(100, Math.round(share * 100)));
  const cell = (w: number, c: string) =>
    html`<td width="${w}%" bgcolor="${c}" style="width:${w}%;background:${c};height:10px;font-size:1px;line-height:1px">&nbsp;</td>`;
  const cells =
    width === 0
      ? cell(100, '#e5e7eb')
      : width === 100
        ? cell(100, colour)
        : html`${cell(width, colour)}${cell(100 - width, '#e5e7eb')}`;
  return html`<table ${TABLE}><tr>${cells}</tr></table>`;
}

/** A table with percentage column widths; cells are text (escaped) or markup. */
function table(widths: number[], head: HtmlValue[], rows: HtmlValue[][]): SafeHtml {
  const th = head.map(
    (c, i) =>
      html`<th width="${widths[i] ?? 10}%" style="width:${widths[i] ?? 10}%;${CELL};font-size:12px;color:#555555;border-bottom:1px solid #dddddd;word-break:normal;overflow-wrap:normal">${c}</th>`,
  );
  const body = rows.map((r) => html`<tr>${r.map((c) => html`<td style="${ROW_CELL}">${c}</td>`)}</tr>`);
  return html`<table ${TABLE}><tr>${th}</tr>${body}</table>`;
}

const heading = (title: string) => html`<h3 style="margin:20px 0 6px;font-size:16px">${title}</h3>`;
const para = (content: HtmlValue) => html`<p style="margin:4px 0">${content}</p>`;

// ---------------------------------------------------------------------------------------------------------
// The mail

export function reportEmail(report: SloReport, options: ReportEmailOptions): EmailMessage {
  const cur = report.current;
  const prev = report.previous;
  const keyHtml = (key: string) => {
    const url = options.viewUrlFor?.(key);
    return url ? html`<a href="${url}" style="color:#1d4ed8">${key}</a>` : html`${key}`;
  };
  const keyText = (key: string) => {
    const url = options.viewUrlFor?.(key);
    return url ? `${key} <${url}>` : key;
  };
  const keysHtml = (keys: string[], total: number) =>
    html`${joinHtml(keys.map(keyHtml), html`, `)}${total > keys.length && html` and ${total - keys.length} more`}`;
  const keysText = (keys: string[], total: number) =>
    keys.map(keyText).join(', ') + (total > keys.length ? ` and ${total - keys.length} more` : '');

  const text: string[] = [];
  const parts: SafeHtml[] = [];
  const section = (title: string) => {
    text.push('', title.toUpperCase());
    parts.push(heading(title));
  };

  // Header
  const subject = headerSafe(`${options.title}: ${periodText(cur)}`, 250);
  text.push(
    options.title,
    `Period: ${periodText(cur)} (previous: ${periodText(prev)})`,
    `Generated ${mailTime(report.generatedAt)}`,
  );
  parts.push(
    html`<h2 style="margin:0 0 4px;font-size:20px">${options.title}</h2>`,
    para(html`Period: <strong>${periodText(cur)}</strong> (previous: ${periodText(prev)})`),
    html`<p style="margin:4px 0;font-size:12px;color:#555555">Generated ${mailTime(report.generatedAt)}</p>`,
  );

  // Incidents by severity
  section('Incidents');
  const maxSev = Math.max(1, ...SEVERITIES.map((s) => Math.max(cur.bySeverity[s], prev.bySeverity[s])));
  text.push(
    `Total: ${cur.incidents} (previous ${prev.incidents}); minutes of impact: ${num(cur.impactMinutes)} (previous ${num(prev.impactMinutes)})`,
  );
  for (const s of SEVERITIES) text.push(`- Sev ${s}: ${cur.bySeverity[s]} (previous ${prev.bySeverity[s]})`);
  // False alarms and duplicates are counted, not measured: they add no minutes of impact and no TTD/TTR.
  const noImpact = (f: typeof cur) =>
    (f.byResolution?.['false-alarm'] ?? 0) +
    (f.byResolution?.duplicate ?? 0) +
    (f.byResolution?.['cleared-before-acknowledgement'] ?? 0);
  text.push(
    `- Resolved without impact of their own: ${counted(cur.byResolution?.['false-alarm'] ?? 0, 'false alarm')}, ${counted(cur.byResolution?.duplicate ?? 0, 'duplicate')}, ${cur.byResolution?.['cleared-before-acknowledgement'] ?? 0} cleared before acknowledgement (previous ${noImpact(prev)}); not counted in the minutes of impact`,
  );
  parts.push(
    table(
      [22, 16, 16, 46],
      ['Severity', 'This period', 'Previous', ''],
      [
        ...SEVERITIES.map((s) => [
          `Sev ${s}`,
          String(cur.bySeverity[s]),
          String(prev.bySeverity[s]),
          bar(cur.bySeverity[s] / maxSev, s === 1 ? '#b91c1c' : s === 2 ? '#ea580c' : '#ca8a04'),
        ]),
        [
          html`<strong>Total</strong>`,
          html`<strong>${cur.incidents}</strong>`,
          String(prev.incidents),
          EMPTY,
        ],
        [
          'False alarms, duplicates, cleared before acknowledgement',
          String(noImpact(cur)),
          String(noImpact(prev)),
          EMPTY,
        ],
        ['Minutes of impact', num(cur.impactMinutes), num(prev.impactMinutes), EMPTY],
      ],
    ),
  );

  // By service
  section('By service');
  const prevService = new Map(prev.byService.map((s) => [s.service, s]));
  const services = cur.byService.filter(
    (s) => s.incidents > 0 || (prevService.get(s.service)?.incidents ?? 0) > 0,
  );
  const maxService = Math.max(1, ...services.map((s) => s.incidents));
  if (services.length === 0) {
    text.push('No incidents in either period.');
    parts.push(para('No incidents in either period.'));
  } else {
    for (const s of services) {
      const p = prevService.get(s.service);
      text.push(
        `- ${s.name}: ${s.incidents} (sev 1/2/3: ${s.bySeverity[1]}/${s.bySeverity[2]}/${s.bySeverity[3]}; previous ${p?.incidents ?? 0}), ${num(s.impactMinutes)} min of impact`,
      );
    }
    parts.push(
      table(
        [28, 16, 16, 16, 24],
        ['Service', 'Count', 'Prev.', 'Impact (min)', ''],
        services.map((s) => [
          s.name,
          html`${s.incidents}<br><span style="font-size:11px;color:#555555">${s.bySeverity[1]}/${s.bySeverity[2]}/${s.bySeverity[3]}</span>`,
          String(prevService.get(s.service)?.incidents ?? 0),
          num(s.impactMinutes),
          bar(s.incidents / maxService),
        ]),
      ),
      html`<p style="margin:2px 0;font-size:11px;color:#555555">Under each count: sev 1/2/3.</p>`,
    );
  }

  // Availability
  const objectives = cur.byService.filter((s) => s.availabilityObjective !== undefined);
  if (objectives.length > 0) {
    section('Availability objectives');
    for (const s of objectives) {
      text.push(
        `- ${s.name} (${s.availabilityObjective}%): ${num(s.impactMinutes)} of ${num(s.allowedMinutes ?? 0)} minutes allowed: ${pct(s.budgetUsed)} of the budget used${(s.budgetUsed ?? 0) > 1 ? ' (OVER BUDGET)' : ''}`,
      );
    }
    parts.push(
      table(
        [28, 14, 16, 14, 28],
        ['Service', 'Target', 'Allowed (min)', 'Used (min)', 'Budget used'],
        objectives.map((s) => {
          const used = s.budgetUsed ?? 0;
          return [
            s.name,
            html`${String(s.availabilityObjective)}%`,
            num(s.allowedMinutes ?? 0),
            num(s.impactMinutes),
            html`${bar(Math.min(1, used), used > 1 ? '#b91c1c' : '#16a34a')}<span style="font-size:11px">${pct(used)}${used > 1 && ' over budget'}</span>`,
          ];
        }),
      ),
    );
  }

  // Distributions
  section('Time to detect and recover');
  const approx = (d: Distribution) => (d.approximate ? ' (approx.)' : '');
  const distRows = (label: string, d: DistributionChange) =>
    (
      [
        ['median', 'medianMs'],
        ['p90', 'p90Ms'],
        ['mean', 'meanMs'],
      ] as const
    ).map(([name, field]) => ({
      label: `${label} ${name}${approx(d.current)}`,
      current: dur(d.current[field]),
      previous: dur(d.previous[field]),
      change: signedDur(d.change[field]),
    }));
  const dists = [
    ...distRows('Time to detect', report.timeToDetect),
    ...distRows('Time to recover', report.timeToRecover),
  ];
  text.push(
    `Incidents measured: detect ${report.timeToDetect.current.count}, recover ${report.timeToRecover.current.count} (MTTR is the mean time to recover)`,
  );
  for (const d of dists) text.push(`- ${d.label}: ${d.current} (previous ${d.previous}, change ${d.change})`);
  parts.push(
    table(
      [34, 22, 22, 22],
      ['', 'This period', 'Previous', 'Change'],
      dists.map((d) => [d.label, d.current, d.previous, d.change]),
    ),
    html`<p style="margin:2px 0;font-size:11px;color:#555555">MTTR is the mean time to recover.</p>`,
  );

  // The handbook's list
  section('Root causes not yet fixed (sev 1-2)');
  const list = report.rootCausesNotFixed;
  if (list.count === 0) {
    text.push('None: every sev 1-2 incident has its priority actions done.');
    parts.push(para('None: every sev 1-2 incident has its priority actions done.'));
  } else {
    const rows = list.rows.slice(0, Math.max(0, options.listRows ?? 25));
    const shown = rows.length < list.count ? ` (the ${rows.length} most overdue shown)` : '';
    text.push(
      `${list.count} ${list.count === 1 ? 'incident' : 'incidents'} with open priority actions${shown}`,
    );
    for (const r of rows) {
      text.push(
        `- ${keyText(r.key)}: sev ${r.severity}, ${r.service}, owner ${r.ownerTeams.join(', ')}, ${r.openPriorityActions} open${r.postmortemPending ? ' (postmortem not approved)' : ''}, age ${r.ageDays === undefined ? 'n/a' : `${r.ageDays} d`}, ${r.overdueDays > 0 ? `${r.overdueDays} d overdue` : 'not overdue'}`,
      );
    }
    parts.push(
      para(
        html`${list.count} ${list.count === 1 ? 'incident' : 'incidents'} with open priority actions${shown}`,
      ),
      table(
        [22, 8, 30, 10, 14, 16],
        ['Incident', 'Sev', 'Service / owner', 'Open', 'Age', 'Overdue'],
        rows.map((r) => [
          keyHtml(r.key),
          String(r.severity),
          html`${r.service}<br><span style="font-size:12px;color:#555555">${r.ownerTeams.join(', ')}</span>`,
          r.postmortemPending
            ? html`${r.openPriorityActions}<br><span style="font-size:11px;color:#555555">postmortem not approved</span>`
            : String(r.openPriorityActions),
          r.ageDays === undefined ? 'n/a' : `${r.ageDays} d`,
          r.overdueDays > 0 ? html`<strong style="color:#b91c1c">${r.overdueDays} d</strong>` : '-',
        ]),
      ),
    );
  }

  // Priority actions
  section('Priority actions');
  const pa = report.priorityActions;
  const onTime = (p: PeriodFigures) => p.priorityActionsOnTime;
  text.push(
    `Open: ${pa.open}; due within ${pa.dueSoonDays} days: ${pa.dueSoon}; overdue: ${pa.overdue}`,
    `Completed on time (due this period): ${pct(onTime(cur).share)} of ${onTime(cur).applicable} (previous ${pct(onTime(prev).share)} of ${onTime(prev).applicable})`,
  );
  parts.push(
    table(
      [50, 25, 25],
      ['', 'This period', 'Previous'],
      [
        ['Open now', String(pa.open), EMPTY],
        [`Due within ${pa.dueSoonDays} days`, String(pa.dueSoon), EMPTY],
        ['Overdue', pa.overdue > 0 ? html`<strong style="color:#b91c1c">${pa.overdue}</strong>` : '0', EMPTY],
        [
          'Completed on time (due this period)',
          html`${pct(onTime(cur).share)} of ${onTime(cur).applicable}${onTime(cur).share !== undefined && bar(onTime(cur).share ?? 0, '#16a34a')}`,
          `${pct(onTime(prev).share)} of ${onTime(prev).applicable}`,
        ],
      ],
    ),
  );
  if (onTime(cur).missedCount > 0) {
    text.push(`Late: ${keysText(onTime(cur).missed, onTime(cur).missedCount)}`);
    parts.push(para(html`Late: ${keysHtml(onTime(cur).missed, onTime(cur).missedCount)}`));
  }

  // Postmortems
  section('Postmortems');
  const pm = (p: PeriodFigures) => p.postmortems;
  const bd = report.parameters.postmortemBusinessDays;
  const pmRows: [string, (p: PeriodFigures) => number][] = [
    ['Opened', (p) => pm(p).total],
    [`Not approved within ${bd} business days`, (p) => pm(p).lateApproval],
    ['In review', (p) => pm(p).byStatus['in-review']],
    ['Draft', (p) => pm(p).byStatus.draft],
    ['Published', (p) => pm(p).byStatus.published],
  ];
  for (const [label, get] of pmRows) text.push(`- ${label}: ${get(cur)} (previous ${get(prev)})`);
  parts.push(
    table(
      [50, 25, 25],
      ['', 'This period', 'Previous'],
      pmRows.map(([label, get]) => [label, String(get(cur)), String(get(prev))]),
    ),
  );
  if (pm(cur).lateApproval > 0) {
    text.push(`Late: ${keysText(pm(cur).lateKeys, pm(cur).lateApproval)}`);
    parts.push(para(html`Late: ${keysHtml(pm(cur).lateKeys, pm(cur).lateApproval)}`));
  }

  // Conformance
  section('Process conformance');
  const rules: [string, (p: PeriodFigures) => Conformance][] = [
    ["Acknowledged within the severity's timeout", (p) => p.conformance.acknowledged],
    [
      `First comms within ${report.parameters.firstCommsMinutes} minutes of acknowledgement`,
      (p) => p.conformance.firstComms,
    ],
    ['Updates posted before they were due', (p) => p.conformance.updates],
    [`Postmortems approved within ${bd} business days`, (p) => p.conformance.postmortemApproved],
  ];
  const ruleRows: HtmlValue[][] = [];
  for (const [label, get] of rules) {
    const c = get(cur);
    const p = get(prev);
    text.push(`- ${label}: ${pct(c.share)} (${c.met} of ${c.applicable}; previous ${pct(p.share)})`);
    if (c.missedCount > 0) text.push(`  missed: ${keysText(c.missed, c.missedCount)}`);
    ruleRows.push([
      html`${label}${c.missedCount > 0 && html`<br><span style="font-size:12px;color:#555555">Missed: ${keysHtml(c.missed, c.missedCount)}</span>`}`,
      html`${pct(c.share)}<br><span style="font-size:11px;color:#555555">${c.met} of ${c.applicable}</span>`,
      pct(p.share),
      c.share === undefined
        ? EMPTY
        : bar(c.share, c.share >= 0.9 ? '#16a34a' : c.share >= 0.7 ? '#ca8a04' : '#b91c1c'),
    ]);
  }
  parts.push(table([44, 16, 14, 26], ['Rule', 'This period', 'Prev.', ''], ruleRows));

  // Root causes and recurrences
  section('Root-cause categories');
  const categories = Object.entries(cur.rootCauses).filter(
    ([c, n]) => n > 0 || (prev.rootCauses[c as keyof typeof prev.rootCauses] ?? 0) > 0,
  );
  if (categories.length === 0) {
    text.push('No postmortems in the period.');
    parts.push(para('No postmortems in the period.'));
  } else {
    const maxCat = Math.max(1, ...categories.map(([, n]) => n));
    const label = (c: string) => (c === 'unset' ? 'not set' : c);
    for (const [c, n] of categories)
      text.push(`- ${label(c)}: ${n} (previous ${prev.rootCauses[c as keyof typeof prev.rootCauses] ?? 0})`);
    parts.push(
      table(
        [30, 16, 16, 38],
        ['Category', 'This period', 'Previous', ''],
        categories.map(([c, n]) => [
          label(c),
          String(n),
          String(prev.rootCauses[c as keyof typeof prev.rootCauses] ?? 0),
          bar(n / maxCat, '#7c3aed'),
        ]),
      ),
    );
  }
  section('Recurrences');
  const rec = cur.recurrences;
  text.push(recurrenceLine(rec.count, prev.recurrences.count));
  for (const r of rec.incidents) text.push(`- ${keyText(r.key)} recurs after ${keyText(r.recurrenceOf)}`);
  if (rec.count > rec.incidents.length) text.push(`  and ${rec.count - rec.incidents.length} more`);
  parts.push(
    para(recurrenceLine(rec.count, prev.recurrences.count)),
    ...(rec.incidents.length > 0
      ? [
          html`<ul style="margin:4px 0;padding-left:20px">${rec.incidents.map((r) => html`<li style="${WRAP}">${keyHtml(r.key)} recurs after ${keyHtml(r.recurrenceOf)}</li>`)}${rec.count > rec.incidents.length && html`<li>and ${rec.count - rec.incidents.length} more</li>`}</ul>`,
        ]
      : []),
  );

  // Comms lists that bounce: stakeholders who did not get the updates.
  const bounces = report.commsBounces ?? { total: 0, rows: [] };
  if (bounces.total > 0) {
    section('Comms addresses that bounced');
    const rows = bounces.rows.slice(0, Math.max(0, options.listRows ?? 25));
    const intro = `${bounces.total} ${bounces.total === 1 ? 'address' : 'addresses'} of the comms lists did not get incident updates this period${rows.length < bounces.total ? ` (the ${rows.length} latest shown)` : ''}: fix or remove them.`;
    text.push(intro);
    const outcome = (r: (typeof rows)[number]) =>
      `${r.outcome === 'complained' ? 'marked as spam' : r.outcome === 'rejected' ? 'rejected by SES' : 'bounced'}${r.detail ? `: ${r.detail}` : ''}`;
    for (const r of rows)
      text.push(
        `- ${r.address}: ${outcome(r)} (${mailTime(r.lastAt)}; ${keysText(r.incidents, r.incidentCount)})`,
      );
    parts.push(
      para(intro),
      table(
        [38, 40, 22],
        ['Address', 'What happened', 'Incidents'],
        rows.map((r) => [
          html`<span style="${WRAP}">${r.address}</span>`,
          html`${outcome(r)}<br><span style="font-size:11px;color:#555555">${mailTime(r.lastAt)}</span>`,
          keysHtml(r.incidents, r.incidentCount),
        ]),
      ),
    );
  }

  const footer = 'The incident and action rows are attached as CSV files.';
  text.push('', footer, '');
  parts.push(html`<p style="margin:20px 0 0;font-size:12px;color:#555555">${footer}</p>`);

  const document = joinHtml(
    [
      html`<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`,
      html`<title>${options.title}</title></head>`,
      html`<body style="margin:0;padding:0;background:#f4f4f5">`,
      html`<table ${tableAttributes('auto')}><tr><td align="center" style="padding:8px">`,
      html`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;border-collapse:collapse;background:#ffffff">`,
      html`<tr><td style="padding:12px;${FONT};${WRAP}">`,
      ...parts,
      html`</td></tr></table></td></tr></table></body></html>`,
    ],
    NEWLINE,
  );
  return { subject, text: text.join('\n'), html: document.toString() };
}
