import * as z from 'zod/mini';
import { httpLink } from './alert.ts';
import { ValidationError } from './errors.ts';
import { isIncidentKey } from './incident.ts';
import {
  actionCategories,
  actionKinds,
  type Postmortem,
  type PostmortemAction,
  type PostmortemFields,
  postmortemLimits,
  type RootCauseCategory,
  rootCauseCategories,
  textFields,
} from './postmortem.ts';
import { isEmailAddress } from './response.ts';
import { utf8Length } from './text.ts';
import './validation.ts';

/**
 * The edit a person makes to a postmortem, from the API (JSON), the editor page (a form) and the CLI (Markdown,
 * see postmortem-markdown.ts): one schema with the caps of `postmortemLimits`, and the rule that applies it.
 * Text is stored as typed (HTML, Markdown, `<script>` are text: pages escape it); only what becomes a link
 * (tracker URLs) or reaches a mail header (the owner) is restricted. Line ends are stored as LF: browsers send
 * a textarea's as CRLF, and one form keeps every rendering (page, Markdown) the same.
 */

export function normaliseNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;
const LINE_BREAK = /[\r\n\u2028\u2029]/;

const atMost = (max: number) => `at most ${max} characters`;
/** Text caps count UTF-8 bytes, as the items that store it do: a character outside ASCII takes 2 to 4. */
const atMostBytes = (max: number) =>
  `at most ${max.toLocaleString('en')} bytes (UTF-8: about ${max.toLocaleString('en')} characters of plain English, fewer with accents, other scripts or emoji)`;
const withinBytes = (max: number) => z.refine<string>((v) => utf8Length(v) <= max, atMostBytes(max));

/** Multi-line text, as typed (line ends as LF), capped in bytes. */
const text = (max: number) =>
  z.pipe(
    z.pipe(z.string({ error: 'must be text' }), z.transform(normaliseNewlines)),
    z.string().check(withinBytes(max)),
  );

/** One line of text with something in it (timeline rows, whys, action titles), capped in bytes. */
const line = (max: number, needed: string) =>
  z.string({ error: needed }).check(
    withinBytes(max),
    z.refine((v) => !LINE_BREAK.test(v), 'must be one line'),
    z.refine((v) => v.trim() !== '', needed),
  );

const UTC_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * An ISO-8601 time as UTC with ms: `2026-11-30T14:30:00.000Z`. A time without a zone (a form's
 * datetime-local, `2026-11-30 14:30`) is UTC: postmortem timelines are in UTC.
 */
export function utcTime(value: string): string | undefined {
  const m = UTC_TIME.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', frac = '0', zone = 'Z'] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const check = new Date(local);
  // Date.UTC rolls 31 February over to March: refuse what the calendar does not have.
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  )
    return undefined;
  let offsetMinutes = 0;
  if (!/^(z|utc)$/i.test(zone)) {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (!zm) return undefined;
    const hours = Number(zm[2]);
    const mins = Number(zm[3] ?? '0');
    if (hours > 14 || mins > 59) return undefined;
    offsetMinutes = (zm[1] === '-' ? -1 : 1) * (hours * 60 + mins);
  }
  const time = local - offsetMinutes * 60_000;
  const year = new Date(time).getUTCFullYear();
  return year >= 1970 && year <= 9999 ? new Date(time).toISOString() : undefined;
}

const oneOf = (values: readonly string[]) => `must be one of ${values.join(', ')}`;

/**
 * The edit's schemas, built on the first edit read (not when the module loads: the functions that import this
 * module for its rules, or to show a postmortem, do not build them).
 */
function editSchemas() {
  const isoTime = z.pipe(
    z.string({ error: 'a time is missing' }),
    z.transform((value: string, ctx) => {
      const time = utcTime(value);
      if (time === undefined) {
        ctx.issues.push({
          code: 'custom',
          message: 'must be an ISO-8601 time such as 2026-11-30T14:30:00Z (UTC unless it names a zone)',
          input: value,
        });
        return z.NEVER;
      }
      return time;
    }),
  );

  const rootCauseCategory = z.pipe(
    z.nullable(z.string({ error: oneOf(rootCauseCategories) })),
    z.transform((value: string | null, ctx): RootCauseCategory | null => {
      if (value === null || value.trim() === '' || value.trim() === 'none') return null;
      if ((rootCauseCategories as readonly string[]).includes(value)) return value as RootCauseCategory;
      ctx.issues.push({
        code: 'custom',
        message: `${oneOf(rootCauseCategories)} (or empty)`,
        input: value,
      });
      return z.NEVER;
    }),
  );

  const incidentKey = z
    .string({ error: 'must be an incident key like HOT-42' })
    .check(z.refine(isIncidentKey, 'must be an incident key like HOT-42'));

  const timelineRow = z.strictObject({
    at: isoTime,
    text: line(postmortemLimits.timelineText, 'a timeline row needs text'),
  });

  const fieldsEditSchema = z.strictObject({
    summary: z.optional(text(postmortemLimits.summary)),
    leadup: z.optional(text(postmortemLimits.text)),
    fault: z.optional(text(postmortemLimits.text)),
    impact: z.optional(text(postmortemLimits.text)),
    detection: z.optional(text(postmortemLimits.text)),
    response: z.optional(text(postmortemLimits.text)),
    recovery: z.optional(text(postmortemLimits.text)),
    timeline: z.optional(
      z
        .array(timelineRow, { error: 'must be a list of { at, text } rows' })
        .check(z.maxLength(postmortemLimits.timelineRows, `at most ${postmortemLimits.timelineRows} rows`)),
    ),
    fiveWhys: z.optional(
      z
        .array(line(postmortemLimits.why, 'a why needs text'), { error: 'must be a list of whys' })
        .check(z.maxLength(postmortemLimits.whys, `at most ${postmortemLimits.whys} whys`)),
    ),
    rootCause: z.optional(text(postmortemLimits.text)),
    rootCauseCategory: z.optional(rootCauseCategory),
    backlogCheck: z.optional(text(postmortemLimits.text)),
    externalSummary: z.optional(text(postmortemLimits.externalSummary)),
    recurrence: z.optional(
      z.strictObject({
        text: z.optional(text(postmortemLimits.text)),
        relatedIncidents: z.optional(
          z
            .array(incidentKey, { error: 'must be a list of incident keys' })
            .check(
              z.maxLength(
                postmortemLimits.relatedIncidents,
                `at most ${postmortemLimits.relatedIncidents} incidents`,
              ),
            ),
        ),
      }),
    ),
    lessons: z.optional(
      z.strictObject({
        wentWell: z.optional(text(postmortemLimits.text)),
        couldBeBetter: z.optional(text(postmortemLimits.text)),
        gotLucky: z.optional(text(postmortemLimits.text)),
      }),
    ),
  });

  const trackerUrl = z.pipe(
    z.string({ error: 'must be an http(s) URL' }),
    z.transform((value: string, ctx) => {
      const url = value.trim();
      if (url === '') return undefined;
      if (url.length > postmortemLimits.url) {
        ctx.issues.push({ code: 'custom', message: atMost(postmortemLimits.url), input: value });
        return z.NEVER;
      }
      if (/\s/.test(url) || !httpLink(url)) {
        ctx.issues.push({ code: 'custom', message: 'must be an http(s) URL (without spaces)', input: value });
        return z.NEVER;
      }
      return url;
    }),
  );

  const ownerTeam = z.string({ error: 'must be a team name' }).check(
    z.maxLength(postmortemLimits.ownerTeam, atMost(postmortemLimits.ownerTeam)),
    // ";" and ":" separate an action's parts in the Markdown rendering ("(owner: team; id: ...)").
    z.refine(
      (v) => !CONTROL.test(v) && !/[;:]/.test(v),
      'must be one line without control characters, ";" or ":"',
    ),
    z.refine((v) => v.trim() !== '', 'is empty (leave it out for the postmortem’s owner team)'),
  );

  /** Who owns the postmortem: an address or a name; it reaches mail headers, so one line, no controls. */
  const owner = z.pipe(
    z.string({ error: 'must be an email address or a name' }),
    z.transform((value: string, ctx) => {
      const trimmed = value.trim();
      if (trimmed === '' || trimmed.length > 200 || CONTROL.test(value)) {
        ctx.issues.push({
          code: 'custom',
          message:
            'must be an email address or a name: one line of at most 200 characters, no control characters',
          input: value,
        });
        return z.NEVER;
      }
      if (trimmed.includes('@') && !isEmailAddress(trimmed)) {
        ctx.issues.push({ code: 'custom', message: 'is not a valid email address', input: value });
        return z.NEVER;
      }
      return trimmed;
    }),
  );

  /** An improvement action's own due date: a day (`2027-01-31`) or a time; stored as UTC ISO. */
  const dueDate = z.pipe(
    z.string({ error: 'must be a date like 2027-01-31' }),
    z.transform((value: string, ctx) => {
      const text = value.trim();
      const at = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
      if (text === '' || Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}/.test(text)) {
        ctx.issues.push({ code: 'custom', message: 'must be a date like 2027-01-31', input: value });
        return z.NEVER;
      }
      return new Date(at).toISOString();
    }),
  );

  /**
   * An action as an edit carries it: status and completion are not the editor's; a priority action's due date
   * follows the service's SLO, an improvement action's may be set (`null` clears it, as `owner: null` clears the
   * person).
   */
  const actionEditSchema = z.object({
    id: z.optional(
      z
        .string({ error: 'must be an action id' })
        .check(z.regex(/^[0-9A-Za-z_-]{1,64}$/, 'must be an action id')),
    ),
    title: line(postmortemLimits.actionTitle, 'an action needs a title'),
    kind: z.enum(actionKinds, { error: oneOf(actionKinds) }),
    category: z.enum(actionCategories, { error: oneOf(actionCategories) }),
    ownerTeam: z.optional(ownerTeam),
    owner: z.optional(z.nullable(owner)),
    dueAt: z.optional(z.nullable(dueDate)),
    trackerUrl: z.optional(trackerUrl),
  });

  const postmortemEditSchema = z.object({
    version: z
      .number({ error: 'the version this edit is based on is missing (a number)' })
      .check(z.int('must be a whole number'), z.nonnegative('must not be negative')),
    owner: z.optional(owner),
    fields: z.optional(fieldsEditSchema),
    actions: z.optional(
      z
        .array(actionEditSchema, { error: 'must be a list of actions' })
        .check(z.maxLength(postmortemLimits.actions, `at most ${postmortemLimits.actions} actions`)),
    ),
  });
  return { fields: fieldsEditSchema, action: actionEditSchema, edit: postmortemEditSchema };
}
let schemas: ReturnType<typeof editSchemas> | undefined;

/** The whole edit's schema (`parsePostmortemEdit` reads with it; the CLI's Markdown round trip too). */
export function postmortemEditSchema(): ReturnType<typeof editSchemas>['edit'] {
  schemas ??= editSchemas();
  return schemas.edit;
}

export type PostmortemEdit = z.output<ReturnType<typeof editSchemas>['edit']>;
export type ActionEdit = z.output<ReturnType<typeof editSchemas>['action']>;
/** What a caller builds before validation (the CLI, tests). */
export type PostmortemEditInput = z.input<ReturnType<typeof editSchemas>['edit']>;

/** `actions[1].title`, `fields.timeline[0].at`: the names the form uses too. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || 'body';
}

/** Validates an edit; a ValidationError names each bad field and what is wrong ("fields.leadup: at most ..."). */
export function parsePostmortemEdit(body: unknown): PostmortemEdit {
  const result = postmortemEditSchema().safeParse(body);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues
      .slice(0, 10)
      .map((issue) => `${fieldPath(issue.path)}: ${issue.message}`)
      .join('; '),
  );
}

// --- the form -------------------------------------------------------------------------------------------------

const LIST_NAME = /^(timeline|fiveWhys|actions)\[(\d{1,4})\](?:\[([A-Za-z]+)\])?$/;

/** The editor form's field names (the page renders them, `editFromForm` reads them). */
export const postmortemFormNames = {
  version: 'version',
  owner: 'owner',
  text: (field: (typeof textFields)[number]) => field,
  rootCauseCategory: 'rootCauseCategory',
  recurrenceText: 'recurrence[text]',
  relatedIncidents: 'recurrence[relatedIncidents]',
  lesson: (part: 'wentWell' | 'couldBeBetter' | 'gotLucky') => `lessons[${part}]`,
  timeline: (index: number, part: 'at' | 'text') => `timeline[${index}][${part}]`,
  why: (index: number) => `fiveWhys[${index}]`,
  action: (
    index: number,
    part: 'id' | 'title' | 'kind' | 'category' | 'ownerTeam' | 'owner' | 'dueAt' | 'trackerUrl' | 'remove',
  ) => `actions[${index}][${part}]`,
} as const;

/**
 * The editor page's form (`application/x-www-form-urlencoded`) as an edit:
 *
 * - `version`, `owner` (blank: unchanged);
 * - the text fields by name (`summary`, `leadup`, `fault`, `impact`, `detection`, `response`, `recovery`,
 *   `rootCause`, `backlogCheck`), `rootCauseCategory` (blank: none);
 * - `recurrence[text]`, `recurrence[relatedIncidents]` (keys separated by commas or spaces);
 * - `lessons[wentWell]`, `lessons[couldBeBetter]`, `lessons[gotLucky]`;
 * - rows by index: `timeline[0][at]`, `timeline[0][text]`; `fiveWhys[0]`; `actions[0][id]`, `[title]`, `[kind]`,
 *   `[category]`, `[ownerTeam]`, `[owner]` (a person; blank clears), `[dueAt]` (an improvement action's date;
 *   blank clears), `[trackerUrl]`, and `[remove]` (checked: the action is dropped).
 *
 * A list is replaced when any of its names is present, in index order; blank rows (a new action without a
 * title or tracker link, a timeline row without time and text, an empty why) are ignored. Names it does not
 * know (a submit button, a CSRF field) are ignored.
 */
export function editFromForm(params: URLSearchParams): PostmortemEdit {
  const edit: Record<string, unknown> = {};
  const fields: Record<string, unknown> = {};
  const lists = {
    timeline: new Map<number, Record<string, string>>(),
    fiveWhys: new Map<number, Record<string, string>>(),
    actions: new Map<number, Record<string, string>>(),
  };
  const present = new Set<keyof typeof lists>();
  for (const [name, value] of params) {
    const m = LIST_NAME.exec(name);
    if (!m) continue;
    const list = m[1] as keyof typeof lists;
    const index = Number(m[2]);
    present.add(list);
    const row = lists[list].get(index) ?? {};
    const key = m[3] ?? 'value';
    if (!(key in row)) row[key] = value;
    lists[list].set(index, row);
  }
  const rows = (list: keyof typeof lists) =>
    [...lists[list].entries()].sort(([a], [b]) => a - b).map(([, row]) => row);
  const get = (name: string) => params.get(name);

  const names = postmortemFormNames;
  const version = get(names.version);
  edit.version =
    version !== null && /^\d{1,15}$/.test(version.trim()) ? Number(version) : (version ?? undefined);
  const ownerValue = get(names.owner);
  if (ownerValue !== null && ownerValue.trim() !== '') edit.owner = ownerValue;

  for (const name of textFields) {
    const value = get(names.text(name));
    if (value !== null) fields[name] = value;
  }
  const category = get(names.rootCauseCategory);
  if (category !== null) fields.rootCauseCategory = category.trim() === '' ? null : category.trim();
  const recurrenceText = get(names.recurrenceText);
  const related = get(names.relatedIncidents);
  if (recurrenceText !== null || related !== null) {
    fields.recurrence = {
      ...(recurrenceText !== null ? { text: recurrenceText } : {}),
      ...(related !== null ? { relatedIncidents: related.split(/[\s,]+/).filter(Boolean) } : {}),
    };
  }
  const lessons: Record<string, string> = {};
  for (const part of ['wentWell', 'couldBeBetter', 'gotLucky'] as const) {
    const value = get(names.lesson(part));
    if (value !== null) lessons[part] = value;
  }
  if (Object.keys(lessons).length > 0) fields.lessons = lessons;

  const blank = (value: string | undefined) => value === undefined || value.trim() === '';
  if (present.has('timeline'))
    fields.timeline = rows('timeline')
      .filter((row) => !(blank(row.at) && blank(row.text)))
      .map((row) => ({ at: row.at ?? '', text: row.text ?? '' }));
  if (present.has('fiveWhys'))
    fields.fiveWhys = rows('fiveWhys')
      .map((row) => row.value ?? '')
      .filter((why) => !blank(why));
  if (present.has('actions')) {
    edit.actions = rows('actions')
      .filter((row) => !(row.remove && row.remove !== '' && row.remove !== 'false'))
      .filter((row) => !(blank(row.id) && blank(row.title) && blank(row.trackerUrl)))
      .map((row) => ({
        ...(blank(row.id) ? {} : { id: row.id?.trim() }),
        title: row.title ?? '',
        kind: row.kind,
        category: row.category,
        ...(blank(row.ownerTeam) ? {} : { ownerTeam: row.ownerTeam }),
        // A form always shows the person and the date: blank clears them.
        ...(row.owner === undefined ? {} : { owner: blank(row.owner) ? null : row.owner }),
        ...(row.dueAt === undefined || row.kind !== 'improvement'
          ? {}
          : { dueAt: blank(row.dueAt) ? null : row.dueAt }),
        ...(blank(row.trackerUrl) ? {} : { trackerUrl: row.trackerUrl }),
      }));
  }
  if (Object.keys(fields).length > 0) edit.fields = fields;
  return parsePostmortemEdit(edit);
}

// --- applying an edit -----------------------------------------------------------------------------------------

/**
 * Timeline rows in time order, rows at the same time in the order given (a stable sort): what a save stores and
 * what every view shows (the document, the mails, the CLI), whatever order the rows were added in. A row whose
 * time does not parse (never saved: the schema refuses it) goes last.
 */
export function inTimeOrder<T extends { readonly at: string }>(rows: readonly T[]): T[] {
  const time = (at: string) => {
    const ms = Date.parse(at);
    return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
  };
  return rows
    .map((row, index) => ({ row, index, ms: time(row.at) }))
    .sort((a, b) => (a.ms === b.ms ? a.index - b.index : a.ms < b.ms ? -1 : 1))
    .map(({ row }) => row);
}

/** Deep equality of stored values: a key holding undefined is the same as no key. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameValue(item, b[i]));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const key of keys) if (!sameValue(ra[key], rb[key])) return false;
  return true;
}

/** The order `changed` names things in: the owner, the template's fields, the actions. */
const FIELD_ORDER = [
  'summary',
  'leadup',
  'fault',
  'impact',
  'detection',
  'response',
  'recovery',
  'timeline',
  'fiveWhys',
  'rootCause',
  'rootCauseCategory',
  'backlogCheck',
  'recurrence',
  'lessons',
  'externalSummary',
] as const satisfies readonly (keyof PostmortemFields)[];

function mergeFields(
  current: PostmortemFields,
  edit: NonNullable<PostmortemEdit['fields']>,
): PostmortemFields {
  const next: PostmortemFields = structuredClone(current);
  for (const name of textFields) {
    const value = edit[name];
    if (value !== undefined) next[name] = value;
  }
  // Kept in time order whatever order the rows were added in: every view shows the saved order.
  if (edit.timeline !== undefined)
    next.timeline = inTimeOrder(edit.timeline.map((row) => ({ at: row.at, text: row.text })));
  if (edit.fiveWhys !== undefined) next.fiveWhys = [...edit.fiveWhys];
  if (edit.rootCauseCategory !== undefined) {
    if (edit.rootCauseCategory === null) delete next.rootCauseCategory;
    else next.rootCauseCategory = edit.rootCauseCategory;
  }
  if (edit.recurrence !== undefined) {
    next.recurrence = {
      text: edit.recurrence.text ?? next.recurrence.text,
      relatedIncidents: edit.recurrence.relatedIncidents
        ? [...new Set(edit.recurrence.relatedIncidents)]
        : next.recurrence.relatedIncidents,
    };
  }
  if (edit.lessons !== undefined) next.lessons = { ...next.lessons, ...definedOnly(edit.lessons) };
  return next;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function mergeActions(pm: Postmortem, edits: readonly ActionEdit[], newId: () => string): PostmortemAction[] {
  const existing = new Map(pm.actions.map((action) => [action.id, action]));
  const seen = new Set<string>();
  return edits.map((edit, i) => {
    const base = { title: edit.title, kind: edit.kind, category: edit.category };
    const tracker = edit.trackerUrl ? { trackerUrl: edit.trackerUrl } : {};
    // A priority action's due date is the SLO's: one sent with it (a GET's shape put back) is ignored.
    const person = (previous?: string) => {
      const chosen = edit.owner === undefined ? previous : (edit.owner ?? undefined);
      return chosen ? { owner: chosen } : {};
    };
    if (edit.id === undefined) {
      const created: PostmortemAction = {
        id: newId(),
        ...base,
        ownerTeam: edit.ownerTeam ?? pm.ownerTeam,
        ...person(),
        ...(edit.dueAt && edit.kind === 'improvement' ? { dueAt: edit.dueAt } : {}),
        ...tracker,
        status: 'open',
      };
      return created;
    }
    const previous = existing.get(edit.id);
    if (!previous)
      throw new ValidationError(
        `actions[${i}].id: this postmortem has no action ${edit.id} (leave the id out for a new action)`,
      );
    if (seen.has(edit.id)) throw new ValidationError(`actions[${i}].id: action ${edit.id} is listed twice`);
    seen.add(edit.id);
    const {
      trackerUrl: _previousTracker,
      owner: _previousOwner,
      dueAt: previousDue,
      dueProvisional: previousProvisional,
      ...kept
    } = previous;
    // Status and completion stay as they were. A priority action keeps its SLO due date (a new one gets it
    // below); an improvement action's own date is the edit's when it names one (null clears it).
    const keptDue = previousDue ? { dueAt: previousDue } : {};
    const due =
      edit.kind === 'priority'
        ? previous.kind === 'priority'
          ? { ...keptDue, ...(previousProvisional ? { dueProvisional: true } : {}) }
          : {}
        : edit.dueAt === null
          ? {}
          : // The date the action had, put back with it (a GET's shape), is not a new choice.
            edit.dueAt !== undefined &&
              !(previousDue !== undefined && Date.parse(edit.dueAt) === Date.parse(previousDue))
            ? { dueAt: edit.dueAt }
            : previousProvisional
              ? {} // a provisional SLO date leaves with the priority
              : keptDue;
    return {
      ...kept,
      ...base,
      ownerTeam: edit.ownerTeam ?? previous.ownerTeam,
      ...person(previous.owner),
      ...due,
      ...tracker,
    };
  });
}

export interface EditContext {
  /** Who saves (an operator identity, or the editor link's holder). */
  by: string;
  now: Date;
  /** A new action's id (a ULID in production). */
  newId: () => string;
  /**
   * The owning service's action SLO (4 or 8 weeks). Given, a priority action without a due date gets a
   * provisional one (`provisionalDue`), and an action no longer priority loses a provisional one; a fixed due
   * date (after approval) is never touched.
   */
  sloWeeks?: number;
}

function withProvisionalDue(
  action: PostmortemAction,
  now: Date,
  sloWeeks: number | undefined,
): PostmortemAction {
  if (sloWeeks === undefined) return action;
  if (action.kind === 'priority' && action.dueAt === undefined)
    return { ...action, dueAt: provisionalDue(now, sloWeeks), dueProvisional: true };
  if (action.kind !== 'priority' && action.dueProvisional) {
    const { dueAt: _dueAt, dueProvisional: _provisional, ...rest } = action;
    return rest;
  }
  return action;
}

/**
 * Applies a validated edit: the fields and actions it carries replace the postmortem's (a list replaces the
 * whole list; an action keeps its id, status and due date; one without an id is new and open), the version
 * goes up by one, and the fields it changed leave `prefilled` (pre-filling never writes them again). With
 * `sloWeeks`, priority actions get a provisional due date (see EditContext).
 * `changed` names what differs (`owner`, template field names, `actions`); with nothing changed the postmortem
 * comes back as it was (same version): there is nothing to save. The version check (a stale edit) is the
 * caller's, before this.
 */
export function applyEdit(
  pm: Postmortem,
  edit: PostmortemEdit,
  context: EditContext,
): { postmortem: Postmortem; changed: string[] } {
  const fields = edit.fields ? mergeFields(pm.fields, edit.fields) : pm.fields;
  const actions = edit.actions
    ? mergeActions(pm, edit.actions, context.newId).map((a) =>
        withProvisionalDue(a, context.now, context.sloWeeks),
      )
    : pm.actions;
  const owner = edit.owner ?? pm.owner;
  const bytes = contentBytes({ fields, actions });
  if (bytes > postmortemLimits.contentBytes) {
    throw new ValidationError(
      `the postmortem would take ${bytes.toLocaleString('en')} bytes; at most ${postmortemLimits.contentBytes.toLocaleString('en')} (UTF-8) fit in one record with its published document: shorten the longest fields`,
    );
  }
  const changed: string[] = [];
  if (owner !== pm.owner) changed.push('owner');
  for (const name of FIELD_ORDER) if (!sameValue(fields[name], pm.fields[name])) changed.push(name);
  if (!sameValue(actions, pm.actions)) changed.push('actions');
  if (changed.length === 0) return { postmortem: pm, changed };
  return {
    postmortem: {
      ...pm,
      owner,
      fields,
      actions,
      version: pm.version + 1,
      updatedAt: context.now.toISOString(),
      updatedBy: context.by,
      prefilled: pm.prefilled.filter((name) => !changed.includes(name)),
    },
    changed,
  };
}

/**
 * The size of what a person wrote, as stored: the UTF-8 bytes of the fields and actions as JSON. The record, each
 * saved version and the published document (Markdown, whose escaping can double it) must each fit DynamoDB's
 * 400 KB item: `postmortemLimits.contentBytes` keeps them all inside it.
 */
export function contentBytes(pm: Pick<Postmortem, 'fields' | 'actions'>): number {
  return utf8Length(JSON.stringify({ fields: pm.fields, actions: pm.actions }));
}

/** A priority action's due date if the postmortem were approved now: `sloWeeks` weeks later (UTC ISO). */
export function provisionalDue(now: Date, sloWeeks: number): string {
  return new Date(now.getTime() + sloWeeks * 7 * 24 * 60 * 60 * 1000).toISOString();
}
