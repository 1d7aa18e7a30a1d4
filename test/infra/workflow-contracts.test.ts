import { beforeAll, describe, expect, it } from 'vitest';
import {
  executionInput,
  resumes,
  stepInputs,
  stepNames,
  stepOutputs,
} from '../../functions/core/workflow-contracts.ts';
import {
  type AslDefinition,
  type AslState,
  choiceVariables,
  definitionOfTemplate,
  type OutputVariant,
  parameterKeys,
  type StateOutputs,
  stepOf,
  unproducedReads,
} from '../../infra/workflow/asl-paths.ts';
import { States } from '../../infra/workflow/states.ts';
import { synthesized } from './stack.ts';

/**
 * The workflow's contracts, proved against the synthesized definition: every JSONPath a state reads is produced
 * on every route into it (by the execution's input, by the answers of the steps before it, or by the resume of the
 * wait it follows), and every step is given exactly the fields its contract asks for. On AWS a missing path is a
 * States.Runtime error that no Catch takes; here it is a failing test.
 */

type ZodDef = {
  type: string;
  shape?: Record<string, { _zod: { def: ZodDef } }>;
  options?: { _zod: { def: ZodDef } }[];
  entries?: Record<string, string>;
  values?: unknown[];
};
const defOf = (schema: unknown) => (schema as { _zod: { def: ZodDef } })._zod.def;

/** The values a string field may take, when the schema says (an enum or a literal). */
function valuesOf(def: ZodDef): string[] | undefined {
  if (def.type === 'enum' && def.entries) return Object.values(def.entries);
  if (def.type === 'literal' && def.values) return def.values.map(String);
  return undefined;
}

/**
 * What a schema may produce, as variants for the flow proof: the paths it always has (optional fields are not
 * certain), and, for the fields a Choice tests, one variant per value (a union: the variants of its members).
 */
function variantsOf(schema: unknown, tested: ReadonlySet<string>, prefix = '$'): OutputVariant[] {
  const def = defOf(schema);
  if (def.type === 'union' && def.options) return def.options.flatMap((o) => variantsOf(o, tested, prefix));
  if (def.type !== 'object' || !def.shape) return [{ paths: [] }];
  let variants: OutputVariant[] = [{ paths: [], values: {} }];
  for (const [key, value] of Object.entries(def.shape)) {
    const inner = value._zod.def;
    if (inner.type === 'optional') continue;
    const path = `${prefix}.${key}`;
    const options = valuesOf(inner);
    const fieldVariants: OutputVariant[] =
      options && tested.has(path)
        ? options.map((v) => ({ paths: [path], values: { [path]: v } }))
        : variantsOf(value, tested, path).map((v) => ({ paths: [path, ...v.paths], values: v.values ?? {} }));
    variants = variants.flatMap((a) =>
      fieldVariants.map((b) => ({
        paths: [...a.paths, ...b.paths],
        values: { ...(a.values ?? {}), ...(b.values ?? {}) },
      })),
    );
  }
  return variants;
}

/** Top-level keys of an object schema: all of them, and the required ones. */
function keysOf(schema: unknown): { all: string[]; required: string[] } {
  const shape = defOf(schema).shape ?? {};
  return {
    all: Object.keys(shape),
    required: Object.entries(shape)
      .filter(([, v]) => v._zod.def.type !== 'optional')
      .map(([k]) => k),
  };
}

const isTokenWait = (state: AslState) => String(state.Resource ?? '').endsWith('.waitForTaskToken');
const resumeAt: Record<string, keyof typeof resumes> = {
  '$.ack': 'ack',
  '$.loop': 'loop',
  '$.review': 'review',
};

/**
 * What each Task may write at its ResultPath, from the contracts, as seen from there (paths relative to the
 * ResultPath, values for the Choices that test them).
 */
function outputsFrom(overrides: Partial<Record<string, OutputVariant[]>> = {}): StateOutputs {
  return (name, state) => {
    const override = overrides[name];
    if (override) return override;
    const relative = (path: string) =>
      state.ResultPath && state.ResultPath !== '$' ? path.replace(state.ResultPath, '$') : path;
    const tested = new Set([...choiceVariables(definition)].map(relative));
    if (isTokenWait(state)) {
      const family = resumeAt[String(state.ResultPath)];
      if (!family) throw new Error(`${name} resumes into ${state.ResultPath}, which has no resume contract`);
      return variantsOf(resumes[family], tested);
    }
    const step = stepOf(state);
    if (!step) return [{ paths: [] }];
    return variantsOf(stepOutputs[step as keyof typeof stepOutputs], tested);
  };
}

/** Every kind of execution input: an incident's own, a postmortem's own, one continuing another. */
const inputs = (): OutputVariant[] => [
  { paths: ['$.incidentId', '$.key'] },
  { paths: ['$.incidentId', '$.key', '$.phase'], values: { '$.phase': 'postmortem' } },
  { paths: ['$.incidentId', '$.key', '$.phase'], values: { '$.phase': 'continue' } },
];
const problemsWith = (outputs: StateOutputs) =>
  inputs().flatMap((input) => unproducedReads(definition, input, outputs));

let definition: AslDefinition;
beforeAll(async () => {
  definition = definitionOfTemplate((await synthesized()).template.toJSON());
});

describe('the workflow contracts against the state machine', () => {
  it('produces every path a state reads, on every route into it, resumes included', () => {
    expect(problemsWith(outputsFrom())).toEqual([]);
  });

  it('finds a path a route leaves missing: the fault it is there for', () => {
    // The postmortem wait resumed with its event alone, as once: the approval wait has no bound.
    const eventOnly = outputsFrom({
      [States.WaitForPostmortem]: [{ paths: ['$.event'], values: { '$.event': 'approval-requested' } }],
    });
    expect(problemsWith(eventOnly)).toEqual(
      expect.arrayContaining([{ state: States.WaitForApproval, path: '$.review.waitSeconds' }]),
    );
    // A continued execution whose resume point lacks the plan of the wait it goes to.
    const noPlan = outputsFrom({
      [States.ResumeExecution]: [
        { paths: ['$.at', '$.incidentId', '$.key'], values: { '$.at': 'response' } },
      ],
    });
    expect(problemsWith(noPlan)).toEqual(
      expect.arrayContaining([{ state: States.WaitForUpdate, path: '$.loop.waitSeconds' }]),
    );
  });

  it('gives every step exactly the fields of its contract, and runs every step of the contract', () => {
    const used = new Set<string>();
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task') continue;
      const step = stepOf(state);
      if (!step) continue;
      used.add(step);
      const schema = stepInputs[step as keyof typeof stepInputs];
      expect(schema, `${name} runs step ${step}, which has no contract`).toBeDefined();
      const given = parameterKeys(state);
      const { all, required } = keysOf(schema);
      expect(
        required.filter((k) => !given.includes(k)),
        `${name} lacks`,
      ).toEqual([]);
      expect(
        given.filter((k) => !all.includes(k)),
        `${name} gives fields its contract does not know`,
      ).toEqual([]);
    }
    expect([...used].sort()).toEqual([...stepNames].sort());
  });

  it('takes the execution input of every kind of execution', () => {
    for (const input of [
      { incidentId: '01J', key: 'HOT-1' },
      { incidentId: '01J', key: 'HOT-1', phase: 'postmortem' },
      { incidentId: '01J', key: 'HOT-1', phase: 'continue' },
    ]) {
      expect(executionInput.safeParse(input).success, JSON.stringify(input)).toBe(true);
    }
    expect(executionInput.safeParse({ key: 'HOT-1' }).success).toBe(false);
  });
});
