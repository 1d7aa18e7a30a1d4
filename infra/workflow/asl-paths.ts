/**
 * Reading a synthesized Amazon States Language definition for the paths its states read, and following what a
 * payload written at one path reaches. On AWS a JSONPath that points to nothing is a `States.Runtime` error,
 * which no Catch takes: the execution dies. The tests use this to prove that every payload the functions hand
 * back to the workflow carries what the states after it read.
 */

export type AslJson = null | boolean | number | string | AslJson[] | { [key: string]: AslJson };

export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Resource?: string;
  ResultPath?: string | null;
  Choices?: AslChoiceRule[];
  Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string | null }>;
  [key: string]: unknown;
}

export interface AslChoiceRule {
  Next?: string;
  Variable?: string;
  And?: AslChoiceRule[];
  Or?: AslChoiceRule[];
  Not?: AslChoiceRule;
  [operator: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
}

/** A state's ResultPath as written, `$` when absent (the whole input is replaced), null when discarded. */
export function resultPathOf(state: AslState): string | null {
  return state.ResultPath === undefined ? '$' : state.ResultPath;
}

const isInputPath = (path: string) => path === '$' || path.startsWith('$.') || path.startsWith('$[');

/** Every JSONPath into the state's input in an intrinsic function's arguments (`States.Format('{}', $.a)`). */
function pathsInIntrinsic(expression: string): string[] {
  return [...expression.matchAll(/(?<![$\w])\$(?:\.[A-Za-z_][\w]*|\[\d+\])+/g)].map((m) => m[0]);
}

function pathsInParameters(value: unknown, into: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) pathsInParameters(item, into);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, inner] of Object.entries(value)) {
    if (key.endsWith('.$') && typeof inner === 'string') {
      if (isInputPath(inner)) into.push(inner);
      else if (inner.startsWith('States.')) into.push(...pathsInIntrinsic(inner));
    } else {
      pathsInParameters(inner, into);
    }
  }
}

function pathsInRule(rule: AslChoiceRule, into: string[]): void {
  if (rule.Variable && isInputPath(rule.Variable)) into.push(rule.Variable);
  for (const [operator, operand] of Object.entries(rule)) {
    if (operator.endsWith('Path') && typeof operand === 'string' && isInputPath(operand)) into.push(operand);
  }
}

/**
 * The JSONPaths into its input a state reads when it runs (not `$$.` context paths): InputPath, Parameters,
 * ItemsPath, the *Path fields of Task and Wait, and Choice variables. A Choice's `IsPresent` tests read nothing
 * that must exist: they are left out.
 */
export function pathsReadBy(state: AslState): string[] {
  const paths: string[] = [];
  if (typeof state.InputPath === 'string' && isInputPath(state.InputPath)) paths.push(state.InputPath);
  pathsInParameters(state.Parameters, paths);
  pathsInParameters(state.ItemSelector, paths);
  for (const field of [
    'ItemsPath',
    'TimeoutSecondsPath',
    'HeartbeatSecondsPath',
    'SecondsPath',
    'TimestampPath',
  ]) {
    const value = state[field];
    if (typeof value === 'string' && isInputPath(value)) paths.push(value);
  }
  if (state.Type === 'Choice') {
    for (const rule of state.Choices ?? []) {
      const found: string[] = [];
      collectReads(rule, found, new Set());
      paths.push(...found);
    }
  }
  return [...new Set(paths)];
}

/**
 * The paths a rule reads that must exist. An `IsPresent` test reads nothing that must exist, and guards the
 * rules after it in the same `And` (Step Functions stops at the first false operand).
 */
function collectReads(rule: AslChoiceRule, into: string[], guarded: ReadonlySet<string>): void {
  if (rule.And) {
    const inner = new Set(guarded);
    for (const operand of rule.And) {
      collectReads(operand, into, inner);
      if (operand.IsPresent === true && operand.Variable) inner.add(operand.Variable);
    }
    return;
  }
  if (rule.Or || rule.Not) {
    for (const inner of [...(rule.Or ?? []), ...(rule.Not ? [rule.Not] : [])])
      collectReads(inner, into, guarded);
    return;
  }
  if ('IsPresent' in rule) return;
  const found: string[] = [];
  pathsInRule(rule, found);
  into.push(...found.filter((path) => !guarded.has(path)));
}

/** The value at a simple JSONPath (`$.a.b`, `$.a[0]`), or undefined when it points to nothing. */
export function valueAt(input: unknown, path: string): unknown {
  if (path === '$') return input;
  let value: unknown = input;
  for (const [, name, index] of path.slice(1).matchAll(/\.([A-Za-z_][\w-]*)|\[(\d+)\]/g)) {
    if (value === null || typeof value !== 'object') return undefined;
    value =
      name !== undefined ? (value as Record<string, unknown>)[name] : (value as unknown[])[Number(index)];
    if (value === undefined) return undefined;
  }
  return value;
}

/** `inner` is `outer` or lies under it (`$.review.round` under `$.review`). */
export function isUnder(inner: string, outer: string): boolean {
  return outer === '$' || inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
}

/** A Choice rule's outcome on a partly known input: undefined when it reads something not known. */
function evaluate(
  rule: AslChoiceRule,
  known: (path: string) => { known: boolean; value?: unknown },
): boolean | undefined {
  if (rule.And) return all(rule.And.map((r) => evaluate(r, known)));
  if (rule.Or) return any(rule.Or.map((r) => evaluate(r, known)));
  if (rule.Not) {
    const inner = evaluate(rule.Not, known);
    return inner === undefined ? undefined : !inner;
  }
  if (!rule.Variable) return undefined;
  const variable = known(rule.Variable);
  if (!variable.known) return undefined;
  if ('IsPresent' in rule) return (variable.value !== undefined) === rule.IsPresent;
  if ('StringEquals' in rule) return variable.value === rule.StringEquals;
  if ('NumericEquals' in rule) return variable.value === rule.NumericEquals;
  if ('BooleanEquals' in rule) return variable.value === rule.BooleanEquals;
  return undefined;
}

const all = (values: Array<boolean | undefined>) =>
  values.includes(false) ? false : values.every((v) => v === true) ? true : undefined;
const any = (values: Array<boolean | undefined>) =>
  values.includes(true) ? true : values.every((v) => v === false) ? false : undefined;

export interface UnresolvedRead {
  state: string;
  path: string;
}

/**
 * Follows a payload written at `at` (a Task's ResultPath) from the state `from` runs into, to every state that
 * can run while the payload is still there, and answers each path under `at` that one of them reads and the
 * payload does not carry. Choices that test the payload are decided by it; the others are followed every way.
 * A state that writes its own result over `at` ends the payload's reach along its Next, not along its Catches
 * (a caught error leaves the input as it was, beside the error).
 */
export function unresolvedReads(
  definition: AslDefinition,
  from: string,
  at: string,
  payload: unknown,
): UnresolvedRead[] {
  const problems: UnresolvedRead[] = [];
  const seen = new Set<string>();
  const relative = (path: string) => (at === '$' ? path : `$${path.slice(at.length)}`);
  const known = (path: string) =>
    isUnder(path, at) ? { known: true, value: valueAt(payload, relative(path)) } : { known: false };
  const overwrites = (resultPath: string | null) => resultPath !== null && isUnder(at, resultPath);

  const visit = (name: string | undefined) => {
    if (name === undefined || seen.has(name)) return;
    seen.add(name);
    const state = definition.States[name];
    if (!state) throw new Error(`the definition has no state ${name}`);
    for (const path of pathsReadBy(state)) {
      if (isUnder(path, at) && valueAt(payload, relative(path)) === undefined)
        problems.push({ state: name, path });
    }
    if (state.Type === 'Choice') {
      let decided = false;
      for (const rule of state.Choices ?? []) {
        const outcome = evaluate(rule, known);
        if (outcome === false) continue;
        visit(rule.Next);
        if (outcome === true) {
          decided = true;
          break;
        }
      }
      if (!decided) visit(state.Default);
      return;
    }
    for (const handler of state.Catch ?? []) {
      if (!overwrites(handler.ResultPath === undefined ? '$' : handler.ResultPath)) visit(handler.Next);
    }
    if (state.Type === 'Succeed' || state.Type === 'Fail' || state.End) return;
    if ((state.Type === 'Task' || state.Type === 'Pass') && overwrites(resultPathOf(state))) return;
    visit(state.Next);
  };

  // Only the state's Next: its own Catches run with its input as it was, without the payload.
  visit(definition.States[from]?.Next);
  return problems;
}

/** The task-token waits of a definition (`.waitForTaskToken` resources), with where their output lands. */
export function tokenWaits(definition: AslDefinition): Array<{ name: string; resultPath: string | null }> {
  return Object.entries(definition.States)
    .filter(
      ([, state]) => state.Type === 'Task' && String(state.Resource ?? '').endsWith('.waitForTaskToken'),
    )
    .map(([name, state]) => ({ name, resultPath: resultPathOf(state) }));
}

/**
 * The ASL of a synthesized template's one state machine, with each CloudFormation expression in it replaced by
 * its JSON text so the whole parses.
 */
export function definitionOfTemplate(template: {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}): AslDefinition {
  const machine = Object.values(template.Resources ?? {}).find(
    (r) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  const body = machine?.Properties?.DefinitionString as
    | string
    | { 'Fn::Join': [string, unknown[]] }
    | undefined;
  if (body === undefined) throw new Error('the template has no state machine');
  if (typeof body === 'string') return JSON.parse(body);
  const text = body['Fn::Join'][1]
    .map((part) => (typeof part === 'string' ? part : JSON.stringify(part).replaceAll('"', "'")))
    .join('');
  return JSON.parse(text);
}

/** Every path of a set, with the objects that contain it (`$.a.b` -> `$.a.b`, `$.a`). */
function withParents(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const path of paths) {
    let current = path;
    while (current !== '$') {
      out.add(current);
      const cut = Math.max(current.lastIndexOf('.'), current.lastIndexOf('['));
      if (cut <= 0) break;
      current = current.slice(0, cut);
    }
  }
  return out;
}

const join = (base: string, relative: string) => (base === '$' ? relative : `${base}${relative.slice(1)}`);

/**
 * One thing a state may write at its ResultPath: the paths it always produces (relative, `$.x`) and the values of
 * those a Choice tests (`$.event` = `resolved`), so that a Choice after it goes only where that value leads.
 */
export interface OutputVariant {
  paths: readonly string[];
  values?: Readonly<Record<string, string>>;
}
export type StateOutputs = (name: string, state: AslState) => readonly OutputVariant[];

export interface FlowProblem {
  state: string;
  path: string;
}

/** What may hold at a state on one route: the paths present, and the values Choices test. */
interface Alternative {
  paths: Set<string>;
  values: Map<string, string>;
}

const keyOf = (alt: Alternative) =>
  `${[...alt.paths].sort().join(',')}|${[...alt.values]
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',')}`;

function choiceOutcome(rule: AslChoiceRule, alt: Alternative): boolean | undefined {
  if (rule.And) return all(rule.And.map((r) => choiceOutcome(r, alt)));
  if (rule.Or) return any(rule.Or.map((r) => choiceOutcome(r, alt)));
  if (rule.Not) {
    const inner = choiceOutcome(rule.Not, alt);
    return inner === undefined ? undefined : !inner;
  }
  if (!rule.Variable) return undefined;
  if ('IsPresent' in rule) return alt.paths.has(rule.Variable) === rule.IsPresent ? true : undefined;
  const value = alt.values.get(rule.Variable);
  if ('StringEquals' in rule && value !== undefined) return value === rule.StringEquals;
  return undefined;
}

/**
 * Proves that every path a state reads is produced on every route into it. Each route is followed with what it
 * carries (the paths present, and the values Choices test): from the execution's input, each Task replaces what
 * is under its ResultPath with one of the things it may write (`outputs`), each Catch adds the error at its
 * ResultPath to the input as it was, and each Choice sends a route only where its values lead (both ways when it
 * does not know). Answers every read that some route into its state leaves missing.
 */
export function unproducedReads(
  definition: AslDefinition,
  executionInput: OutputVariant,
  outputs: StateOutputs,
): FlowProblem[] {
  const seen = new Map<string, Map<string, Alternative>>();
  const queue: Array<[string, Alternative]> = [];
  const arrive = (name: string | undefined, alt: Alternative) => {
    if (!name) return;
    const at = seen.get(name) ?? new Map<string, Alternative>();
    seen.set(name, at);
    const key = keyOf(alt);
    if (at.has(key)) return;
    at.set(key, alt);
    queue.push([name, alt]);
  };
  const written = (alt: Alternative, resultPath: string | null, variant: OutputVariant): Alternative => {
    if (resultPath === null) return alt;
    const paths = [...alt.paths].filter((p) => !isUnder(p, resultPath));
    const values = new Map([...alt.values].filter(([p]) => !isUnder(p, resultPath)));
    for (const [path, value] of Object.entries(variant.values ?? {}))
      values.set(join(resultPath, path), value);
    return {
      paths: withParents([
        ...paths,
        ...(resultPath === '$' ? [] : [resultPath]),
        ...variant.paths.map((p) => join(resultPath, p)),
      ]),
      values,
    };
  };
  arrive(definition.StartAt, {
    paths: withParents(executionInput.paths),
    values: new Map(Object.entries(executionInput.values ?? {})),
  });
  while (queue.length > 0) {
    const [name, alt] = queue.shift() as [string, Alternative];
    const state = definition.States[name];
    if (!state) continue;
    if (state.Type === 'Choice') {
      let decided = false;
      for (const rule of state.Choices ?? []) {
        const outcome = choiceOutcome(rule, alt);
        if (outcome === false) continue;
        arrive(rule.Next, alt);
        if (outcome === true) {
          decided = true;
          break;
        }
      }
      if (!decided) arrive(state.Default, alt);
      continue;
    }
    for (const handler of state.Catch ?? []) {
      const at = handler.ResultPath === undefined ? '$' : handler.ResultPath;
      arrive(handler.Next, written(alt, at, { paths: ['$.Error', '$.Cause'] }));
    }
    if (state.Type === 'Succeed' || state.Type === 'Fail' || state.End) continue;
    if (state.Type === 'Task' || state.Type === 'Pass') {
      for (const variant of outputs(name, state))
        arrive(state.Next, written(alt, resultPathOf(state), variant));
    } else {
      arrive(state.Next, alt);
    }
  }
  const problems: FlowProblem[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    const reads = pathsReadBy(state);
    const missing = new Set<string>();
    for (const alt of seen.get(name)?.values() ?? [])
      for (const path of reads) if (!alt.paths.has(path)) missing.add(path);
    for (const path of missing) problems.push({ state: name, path });
  }
  return problems;
}

/** The paths Choices test: the only values worth following a route by. */
export function choiceVariables(definition: AslDefinition): Set<string> {
  const out = new Set<string>();
  const visit = (rule: AslChoiceRule) => {
    if (rule.Variable) out.add(rule.Variable);
    for (const inner of [...(rule.And ?? []), ...(rule.Or ?? []), ...(rule.Not ? [rule.Not] : [])])
      visit(inner);
  };
  for (const state of Object.values(definition.States)) for (const rule of state.Choices ?? []) visit(rule);
  return out;
}

/** The `step` a Task's Parameters name (the payload of a LambdaInvoke, or its Payload when token-waiting). */
export function stepOf(state: AslState): string | undefined {
  const parameters = state.Parameters as Record<string, unknown> | undefined;
  const payload = (parameters?.Payload ?? parameters) as Record<string, unknown> | undefined;
  return typeof payload?.step === 'string' ? payload.step : undefined;
}

/** The keys a Task's Parameters give its function (`x.$` counts as `x`). */
export function parameterKeys(state: AslState): string[] {
  const parameters = state.Parameters as Record<string, unknown> | undefined;
  const payload = (parameters?.Payload ?? parameters) as Record<string, unknown> | undefined;
  return Object.keys(payload ?? {}).map((key) => key.replace(/\.\$$/, ''));
}
