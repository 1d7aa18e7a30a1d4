import * as z from 'zod/mini';
import { approvalLimits, CONTENT_HASH, type Decision, normaliseComment } from './approvals.ts';
import './validation.ts';

/*
 * The approver's decision form, read with zod: apart from the approval rules (approvals.ts), so that a function
 * that only follows approvals (a repository, a mail sent once) does not bundle the schema library.
 */

/**
 * The decision form as posted (strings; other fields are ignored): `decision` and `contentHash` as the page
 * offered them, and an optional `comment` of at most 2,000 characters (counted after normalising line ends). A
 * request for changes needs a comment.
 */
export const decisionFormSchema = z
  .object({
    decision: z.enum(['approved', 'changes-requested'], { error: 'the form is incomplete' }),
    comment: z.optional(
      z.pipe(
        z.string({ error: 'must be text' }),
        z.transform((v: string) => normaliseComment(v)),
      ),
    ),
    contentHash: z
      .string({ error: 'the form is incomplete' })
      .check(z.regex(CONTENT_HASH, 'the form is incomplete')),
  })
  .check(
    z.refine((form) => form.decision !== 'changes-requested' || form.comment !== undefined, {
      message: 'say what should change: a request for changes needs a comment',
      path: ['comment'],
    }),
    z.refine((form) => (form.comment?.length ?? 0) <= approvalLimits.comment, {
      message: `the comment has more than ${approvalLimits.comment} characters`,
      path: ['comment'],
    }),
  );

export interface DecisionForm {
  decision: Decision;
  comment?: string;
  contentHash: string;
}

export type DecisionFormResult =
  | { ok: true; form: DecisionForm }
  /** What was typed is wrong (no comment for changes, too long): show the form again, with it and the message. */
  | { ok: false; reason: 'invalid'; message: string; comment?: string }
  /** The form's hash or decision is not what the page offered (the link's): refuse, change nothing. */
  | { ok: false; reason: 'mismatch' };

/**
 * Reads a posted decision form against what the confirm page offered: the link's decision and the content hash
 * it is bound to. A form naming another hash or decision is refused as a mismatch, whatever else it says (it
 * would decide on content, or in a way, the page did not offer). Then the comment rules.
 */
export function parseDecisionForm(
  input: unknown,
  offered: { decision: Decision; contentHash: string },
): DecisionFormResult {
  const posted = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  if (posted.contentHash !== offered.contentHash || posted.decision !== offered.decision)
    return { ok: false, reason: 'mismatch' };
  const result = decisionFormSchema.safeParse(posted);
  if (result.success) {
    const { decision, comment, contentHash } = result.data;
    return { ok: true, form: { decision, ...(comment !== undefined ? { comment } : {}), contentHash } };
  }
  return {
    ok: false,
    reason: 'invalid',
    message: result.error.issues.map((i) => i.message).join('; '),
    ...(typeof posted.comment === 'string'
      ? { comment: posted.comment.slice(0, approvalLimits.comment * 2) }
      : {}),
  };
}
