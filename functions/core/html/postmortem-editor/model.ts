import {
  type Check,
  type Postmortem,
  type PostmortemChecks,
  type TextField,
  textFields,
} from '../../postmortem.ts';
import { postmortemFormNames } from '../../postmortem-edit.ts';

export const names = postmortemFormNames;
export const LESSON_PARTS = ['wentWell', 'couldBeBetter', 'gotLucky'] as const;
export type LessonPart = (typeof LESSON_PARTS)[number];
/** The text parts under "What happened", in the template's order. */
export const WHAT_HAPPENED = [
  'summary',
  'leadup',
  'fault',
  'impact',
  'detection',
  'response',
  'recovery',
] as const satisfies readonly TextField[];

/** New rows offered under what is there: no script, so adding a row is filling a blank one. */
export const BLANK_ROWS = { timeline: 3, actions: 2, whys: 1 } as const;

/** The lists a person can ask for one more blank row of without saving. */
export const ROW_LISTS = ['actions', 'timeline'] as const;
export type RowList = (typeof ROW_LISTS)[number];

/**
 * The submit buttons "Add another action row" and "Add another timeline row": they post the whole form, which is
 * rendered again with what was typed and one more blank row; nothing is saved.
 */
export const ADD_ROW_INTENT = {
  name: 'intent',
  value: { actions: 'add-action-row', timeline: 'add-timeline-row' },
} as const satisfies { name: string; value: Record<RowList, string> };

/** The list an "add a row" post asks for one more blank row of, if it is one. */
export function addRowIntent(form: URLSearchParams): RowList | undefined {
  const intent = form.get(ADD_ROW_INTENT.name);
  return ROW_LISTS.find((list) => ADD_ROW_INTENT.value[list] === intent);
}

/** An action as the form holds it: strings as typed. */
export interface ActionValues {
  id: string;
  title: string;
  kind: string;
  category: string;
  ownerTeam: string;
  /** The person who does it (blank: none). */
  owner: string;
  /** An improvement action's own due date, `YYYY-MM-DD` (blank: none; a priority action's is the SLO's). */
  dueAt: string;
  trackerUrl: string;
  remove: boolean;
}

/** What the form shows: the saved postmortem's values, or what a person typed (a refused save). */
export interface EditorValues {
  /** The version the next save edits (a hidden field). */
  version: string;
  owner: string;
  text: Record<TextField, string>;
  rootCauseCategory: string;
  recurrenceText: string;
  relatedIncidents: string;
  lessons: Record<LessonPart, string>;
  timeline: { at: string; text: string }[];
  fiveWhys: string[];
  actions: ActionValues[];
}

/** What the page says above the form. */
export type EditorNotice =
  /** After a save (Post/Redirect/Get): the version it made. */
  | { kind: 'saved'; version: number; by: string; at: string }
  /** A save that changed nothing. */
  | { kind: 'unchanged'; version: number }
  /**
   * The save named a version that is not the current one: the other edits, newest last. Nothing was saved. The
   * form holds the merge (`mergeStale`): `taken` fields only the others changed (their text now), `conflicts`
   * fields both changed (the typed text, theirs shown beside it).
   */
  | {
      kind: 'stale';
      yourVersion: string;
      others: { version: number; by: string; at: string; changed: string[] }[];
      taken: MergeField[];
      conflicts: MergeField[];
    }
  /** The save was refused: the validation message (`fields.leadup: at most ...; actions[1].title: ...`). */
  | { kind: 'invalid'; message: string }
  /** "Add another … row": the form as typed with one more blank row (`list`); nothing was saved. */
  | { kind: 'row-added'; list: RowList }
  /** The postmortem can no longer be edited (approved, published). */
  | { kind: 'closed'; tried: boolean }
  /** After a correction of the incident's measures (Post/Redirect/Get). */
  | { kind: 'measures-corrected' }
  /** A correction of the measures refused (the message says why); what was typed is kept in its form. */
  | { kind: 'measures-refused'; message: string; status: 400 | 409 }
  /** After "Ask for approval" (Post/Redirect/Get): approval was requested on this version. */
  | { kind: 'requested'; version: number }
  /**
   * "Ask for approval" asked nobody: the blocking checks of the version saved, or (none blocking) why not. The
   * form was saved first (`saved`: the version it made, or that nothing had changed), so nothing typed is lost.
   */
  | {
      kind: 'not-requested';
      saved?: { version: number; changed: boolean };
      blocking: readonly Check[];
      reason?: string;
    };

/** One approver as the editor shows them: their decision that counts for the request, and an earlier one. */
export interface EditorApprover {
  address: string;
  mandatory: boolean;
  /** Their decision on the content in review (or last reviewed): it counts. */
  decision?: { decision: 'approved' | 'changes-requested'; at: string; version: number };
  /** Their latest decision on earlier content: shown, it does not count. */
  earlier?: { decision: 'approved' | 'changes-requested'; at: string; version: number };
}

/** Where approval stands: who is (or would be) asked, the last request, and its requests for changes. */
export interface EditorApproval {
  approvers: EditorApprover[];
  /** The request in review, or the last one made (it sent the postmortem back, or approved it). */
  request?: { at: string; by: string; version: number };
  /** The last request's requests for changes (they sent it back to draft), oldest first. */
  changesRequested: {
    approver: string;
    mandatory: boolean;
    at: string;
    version: number;
    comment: string;
  }[];
}

/** The editor's second submit button: save the form, then ask the approvers. */
export const REQUEST_APPROVAL_INTENT = { name: 'intent', value: 'request-approval' } as const;

export interface PostmortemEditorView {
  /** The postmortem as saved now. */
  postmortem: Postmortem;
  /** The checks of the saved version. */
  checks: PostmortemChecks;
  incident: { key: string; summary: string; severity: number; service: string };
  /** Who the link was sent to (saves are recorded as theirs), and until when it works. */
  recipient: string;
  expiresAt: string;
  /** Where the form posts: the link itself, relative (`./<token>`). */
  formAction: string;
  /** What the form shows: `valuesOf(postmortem)`, or the typed values of a refused save. */
  values: EditorValues;
  /** Saved versions, oldest first (who, when, what changed). */
  history: { version: number; by: string; at: string; changed: string[] }[];
  notice?: EditorNotice;
  /** Shown, not editable (approved or published). */
  readOnly: boolean;
  /** Who approves, and what they decided (absent: the page says nothing about approval). */
  approval?: EditorApproval;
  /** The form was posted with "Ask for approval" and refused before anyone was asked (invalid, stale). */
  approvalNotAsked?: boolean;
  /** Blank rows offered under the filled ones (default `BLANK_ROWS`): more after "Add another … row". */
  blankRows?: Partial<Record<RowList, number>>;
  /**
   * The incident's measures as recorded now, for the correction form (it posts the `version` it was made on),
   * and what was typed in it when a correction was refused.
   */
  measures: MeasuresFormView;
}

/** The correction of the measures (a form of its own): the times as recorded now, and a refused one's text. */
export interface MeasuresFormView {
  impactStartedAt?: string;
  detectedAt?: string;
  impactEndedAt?: string;
  /** The last correction's time ('' before any): a correction posted on an older one is refused as stale. */
  version: string;
  typed?: Record<string, string>;
}

/** The correction form's intent and its version field (the time fields are the responder page's). */
export const MEASURES_INTENT = { name: 'intent', value: 'measures' } as const;
export const MEASURES_VERSION = 'measuresVersion';

/** What an editor link answers: the page with its status, or a redirect after a save. */
export type EditorResult =
  | { kind: 'postmortem-editor'; status: 200 | 400 | 409; view: PostmortemEditorView }
  | { kind: 'postmortem-saved'; location: string };

export function isEditorResult(value: { kind: string }): value is EditorResult {
  return value.kind === 'postmortem-editor' || value.kind === 'postmortem-saved';
}

/** The parts of the form a stale save is merged by. */
export const mergeFields = [
  'owner',
  ...textFields,
  'timeline',
  'fiveWhys',
  'rootCauseCategory',
  'recurrence.text',
  'recurrence.relatedIncidents',
  'lessons.wentWell',
  'lessons.couldBeBetter',
  'lessons.gotLucky',
  'actions',
] as const;
export type MergeField = (typeof mergeFields)[number];
