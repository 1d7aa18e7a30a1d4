/**
 * The one layout every mail shares: the subject line, and the text and HTML parts built from the same rows so
 * they never disagree. Each family of mails is its own module beside this one (a function bundles only the mails
 * it sends).
 */

import { html, joinHtml, NEWLINE, type SafeHtml } from '../html/html.ts';
import type { Incident } from '../incident.ts';
import { cap, headerSafe } from '../text.ts';

/** A rendered email: the subject is header-safe, the html part has every piece of user text escaped. */
export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
  /** Where a reply goes (a page's: the incident's reply address, core/mail-replies.ts); the sender when absent. */
  replyTo?: string;
}

export const MAX_BODY_CHARS = 100_000;

/** `<KEY> - Sev <n> - <summary>`: the incident key is in every subject so mail threads and filters work. */
export function subjectFor(
  incident: Pick<Incident, 'key' | 'severity' | 'summary'>,
  suffix?: string,
): string {
  const base = `${incident.key} - Sev ${incident.severity} - ${incident.summary}`;
  return headerSafe(suffix ? `${base} - ${suffix}` : base, 250);
}

export interface Row {
  label: string;
  value: string;
  href?: string;
}

/** A link in a mail: http(s) only (checked where links are made, see `alertLinks` in core/alert.ts). */
export interface MailLink {
  label: string;
  href: string;
}

/** A bullet of a section: text, and the links that go with it (an alert's runbook and graph). */
export type Line = string | { text: string; links: readonly MailLink[] };

const lineText = (l: Line) =>
  typeof l === 'string' ? l : [l.text, ...l.links.map((k) => `${k.label}: ${k.href}`)].join(' | ');
const lineHtml = (l: Line) =>
  typeof l === 'string'
    ? html`${l}`
    : joinHtml([l.text, ...l.links.map((k) => html`<a href="${k.href}">${k.label}</a>`)], html` \u00b7 `);

/** What follows a mail's rows: the same content as text and as markup. */
export interface MailAppendix {
  text: string;
  html: SafeHtml;
}

/**
 * Builds both parts from the same rows so text and html never disagree. An appendix (the postmortem document,
 * an approver's comment) follows them, its html built with the same `html` tag.
 */
export function render(
  title: string,
  intro: string,
  rows: Row[],
  sections: { heading: string; lines: Line[] }[],
  appendix?: MailAppendix,
) {
  const text = [
    title,
    '',
    intro,
    '',
    ...rows.map((r) => `${r.label}: ${r.value}${r.href && r.href !== r.value ? ` <${r.href}>` : ''}`),
    ...sections.flatMap((s) => ['', `${s.heading}:`, ...s.lines.map((l) => `- ${lineText(l)}`)]),
    '',
    ...(appendix ? [appendix.text, ''] : []),
  ].join('\n');
  const cell = (r: Row) => (r.href ? html`<a href="${r.href}">${r.value}</a>` : html`${r.value}`);
  const body = joinHtml(
    [
      html`<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.4">`,
      html`<h2 style="margin:0 0 8px">${title}</h2>`,
      html`<p>${intro}</p>`,
      html`<table style="border-collapse:collapse">`,
      ...rows.map(
        (r) =>
          html`<tr><th style="text-align:left;padding:2px 12px 2px 0;vertical-align:top">${r.label}</th><td>${cell(r)}</td></tr>`,
      ),
      html`</table>`,
      ...sections.flatMap((s) => [
        html`<h3 style="margin:16px 0 4px">${s.heading}</h3>`,
        html`<ul>`,
        ...s.lines.map((l) => html`<li>${lineHtml(l)}</li>`),
        html`</ul>`,
      ]),
      ...(appendix ? [appendix.html] : []),
      html`</body></html>`,
    ],
    NEWLINE,
  );
  return { text: cap(text, MAX_BODY_CHARS), html: cap(body.toString(), MAX_BODY_CHARS) };
}

/**
 * The row that links an incident's page: a signed, read-only view link for the mail's recipients (people open
 * mails without an operator token). Every mail that names an incident carries it.
 */
export function incidentRow(incident: Pick<Incident, 'key'>, viewUrl: string | undefined): Row {
  return viewUrl
    ? { label: 'Incident', value: `${incident.key} (open the incident page)`, href: viewUrl }
    : { label: 'Incident', value: incident.key };
}

const localClocks = new Map<string, Intl.DateTimeFormat | undefined>();

/** `YYYY-MM-DD HH:MM` as the clock in `timeZone` shows the instant; undefined for a zone Intl does not know. */
function localClock(date: Date, timeZone: string): string | undefined {
  if (!localClocks.has(timeZone)) {
    let f: Intl.DateTimeFormat | undefined;
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
      });
    } catch {
      f = undefined;
    }
    localClocks.set(timeZone, f);
  }
  const f = localClocks.get(timeZone);
  if (!f) return undefined;
  const part = Object.fromEntries(f.formatToParts(date).map((p) => [p.type, p.value]));
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}`;
}

/**
 * A time as a mail's reader reads it: `2026-12-06 03:04 UTC` (stored times are ISO-8601 with milliseconds), and,
 * where the reader's time zone is known (a service's business hours), the local clock after it:
 * `2026-12-06 03:04 UTC (04:04 Europe/Paris)`, with the local date when it is another day. Text that is not a
 * time is shown as it is. Every mail prints its times through this.
 */
export function mailTime(iso: string, timeZone?: string): string {
  const date = new Date(iso);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(iso) || Number.isNaN(date.getTime())) return iso;
  const utc = date.toISOString();
  const shown = `${utc.slice(0, 10)} ${utc.slice(11, 16)} UTC`;
  if (!timeZone || /^(Etc\/)?(UTC|GMT|Zulu)$/i.test(timeZone)) return shown;
  const local = localClock(date, timeZone);
  if (!local) return shown;
  return `${shown} (${local.startsWith(utc.slice(0, 10)) ? local.slice(11) : local} ${timeZone})`;
}

/** "1 h 23 min" from milliseconds. */
export function durationText(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
}
