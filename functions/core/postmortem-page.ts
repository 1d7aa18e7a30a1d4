/**
 * The postmortem owner's editor: the page an `edit-postmortem` link opens. One server-rendered form of the whole
 * template (no script), with the handbook's guide beside each field and choice, the checks of the saved version,
 * and blank rows to add timeline rows, whys and actions. The form posts the version it was rendered from; a
 * stale or invalid save is answered with the same form rendered from what was typed, so nothing typed is lost.
 *
 * Its parts live in core/html/postmortem-editor/ (read them in this order):
 *   model.ts   what the page shows and answers (view, form values, notices, results)
 *   form.ts    form values from a postmortem or a post, the merge of a stale save, field ids and labels
 *   fields.ts  the template's fields with their guides: text parts, timeline, whys, category, lessons, actions
 *   review.ts  around the form: checks, the notice of the last save, approvals, the save bar
 *   page.ts    the page put together, and its responses
 * This module keeps their names importable from here.
 */

export {
  changedLabel,
  fieldId,
  mergeStale,
  problemsOf,
  valuesFromForm,
  valuesOf,
} from './html/postmortem-editor/form.ts';
export {
  type ActionValues,
  BLANK_ROWS,
  type EditorApproval,
  type EditorApprover,
  type EditorNotice,
  type EditorResult,
  type EditorValues,
  isEditorResult,
  type MergeField,
  mergeFields,
  type PostmortemEditorView,
  REQUEST_APPROVAL_INTENT,
} from './html/postmortem-editor/model.ts';
export { editorResponse, renderPostmortemEditor } from './html/postmortem-editor/page.ts';
