import * as z from 'zod/mini';
import { loopEvents } from './response.ts';

/*
 * The part of the workflow's contract (core/workflow-contracts.ts) that every function resuming a token wait
 * needs: what each wait is resumed with, and the checker. Apart from the steps' contracts, so that those
 * functions do not build every step's schemas when they load; the resumes' own are built on the first resume.
 */

export const count = z.number().check(z.int(), z.gte(0));
export const seconds = z.number().check(z.int(), z.gte(1));
export const isoTime = z.string().check(z.minLength(20), z.maxLength(40));

export const loopPlan = z.object({ event: z.enum(loopEvents), waitSeconds: seconds, since: isoTime });

/**
 * What each token wait is resumed with (SendTaskSuccess's output, built only by core/workflow-resume.ts), by the
 * ResultPath it lands at. A wait's own answer is ignored: the resume is what the states after it read.
 */
const resumeSchemas = () =>
  ({
    ack: z.discriminatedUnion('event', [
      z.object({ event: z.literal('acknowledged'), by: z.string() }),
      z.object({
        event: z.enum(['resolved', 'raised', 'lowered', 'continue', 'cleared', 'refired', 'undeliverable']),
        severity: z.number(),
      }),
    ]),
    loop: loopPlan,
    review: z.object({
      event: z.enum(['approval-requested', 'approved', 'changes-requested', 'continue']),
      round: count,
      waitSeconds: seconds,
    }),
  }) as const;
let resumes: ReturnType<typeof resumeSchemas> | undefined;

/** The resumes' schemas, built once: on the first resume, or by what reads the whole contract. */
export function resumeContracts(): ReturnType<typeof resumeSchemas> {
  resumes ??= resumeSchemas();
  return resumes;
}

export class ContractError extends Error {
  override name = 'ContractError';
}

/** A value against one schema of the contract: its data, or a ContractError naming what is wrong. */
export function checked(schema: z.ZodMiniType, value: unknown, what: string): unknown {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new ContractError(`${what} breaks the workflow's contract: ${issues}`);
  }
  return result.data;
}

/** A resume payload, checked where it is built. */
export function resumeOutput<T>(wait: keyof ReturnType<typeof resumeSchemas>, value: T): T {
  checked(resumeContracts()[wait], value, `the resume of a ${wait} wait`);
  return value;
}
