/**
 * Prepares a synthesized Amazon States Language definition for aws-local-stepfunctions, working around what the
 * emulator gets wrong or lacks while keeping the workflow's meaning:
 * - `IsPresent: false` (and the other negative type tests) never match in the emulator: rewritten to `Not {…: true}`.
 * - Wait states become Tasks on a local "wait" resource, so the runner can scale or override every wait (including
 *   SecondsPath/TimestampPath) and sleep longer than a Node timer allows.
 * - Task timeouts are enforced by the runner (so they can be scaled and so no 60 s default applies); the emulator
 *   is given the largest timeout a Node timer can hold.
 * - `ResultPath: "$"` keeps the input in the emulator (AWS replaces the input with the result, as when it is
 *   absent): the key is removed, which means the same on AWS.
 */

export const WAIT_RESOURCE = 'arn:aws:states:::hotline-local:wait';
/** Marker the emulator puts where `$$.Task.Token` is read; each task invocation swaps in a fresh token. */
export const TASK_TOKEN_PLACEHOLDER = '__hotline_local_task_token__';
/** The largest timeout a Node timer holds (2^31-1 ms); a larger one would fire at once. */
export const MAX_TIMER_SECONDS = 2_147_483;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type State = Record<string, Json>;
interface Definition {
  StartAt: string;
  States: Record<string, State>;
  TimeoutSeconds?: number;
  [key: string]: Json | undefined;
}

/** What the runner needs to know about each Task (and former Wait) state. */
export interface TaskInfo {
  stateName: string;
  originalType: 'Task' | 'Wait';
  resource: string;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  /** Set when TimeoutSecondsPath/HeartbeatSecondsPath are used: Parameters are wrapped so the emulator resolves them. */
  wrapped: boolean;
}

export const WRAPPED_PAYLOAD = '__hotlinePayload';
export const WRAPPED_TIMEOUT = '__hotlineTimeoutSeconds';
export const WRAPPED_HEARTBEAT = '__hotlineHeartbeatSeconds';

export interface PreparedDefinition {
  definition: Definition;
  tasks: Map<string, TaskInfo>;
  /** State names that appear more than once (in different Parallel/Map scopes): overrides are keyed by name. */
  duplicateNames: string[];
}

const NEGATIVE_TESTS = ['IsPresent', 'IsNull', 'IsString', 'IsNumeric', 'IsBoolean', 'IsTimestamp'];

export function prepareDefinition(source: unknown): PreparedDefinition {
  const definition = structuredClone(source) as Definition;
  if (!definition || typeof definition !== 'object' || typeof definition.States !== 'object') {
    throw new Error('The state machine definition has no States');
  }
  if (definition.QueryLanguage === 'JSONata') {
    throw new Error(
      'JSONata state machines are not supported locally (aws-local-stepfunctions ignores JSONata)',
    );
  }
  if (typeof definition.TimeoutSeconds === 'number' && definition.TimeoutSeconds > MAX_TIMER_SECONDS) {
    delete definition.TimeoutSeconds;
  }
  const tasks = new Map<string, TaskInfo>();
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  const visit = (states: Record<string, State>) => {
    for (const [name, state] of Object.entries(states)) {
      if (seen.has(name)) duplicates.add(name);
      seen.add(name);
      if (state.QueryLanguage === 'JSONata') {
        throw new Error(`State ${name} uses JSONata, which the local emulator ignores`);
      }
      if (state.Type === 'Choice') rewriteChoice(state);
      if (state.ResultPath === '$') delete state.ResultPath;
      for (const handler of asArray(state.Catch)) {
        if (handler && typeof handler === 'object' && (handler as State).ResultPath === '$')
          delete (handler as State).ResultPath;
      }
      if (state.Type === 'Wait') states[name] = waitAsTask(name, state, tasks);
      if (state.Type === 'Task') prepareTask(name, state, tasks);
      for (const branch of asArray(state.Branches)) visit(branchStates(branch));
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) visit(branchStates(processor));
    }
  };
  visit(definition.States);
  return { definition, tasks, duplicateNames: [...duplicates] };
}

function asArray(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}

function branchStates(branch: Json): Record<string, State> {
  const states = (branch as { States?: Record<string, State> } | null)?.States;
  return states ?? {};
}

function rewriteChoice(state: State): void {
  state.Choices = asArray(state.Choices).map((rule) => rewriteRule(rule as State, true));
}

/** `{Variable, IsPresent: false}` -> `{Not: {Variable, IsPresent: true}}`, at any depth of And/Or/Not. */
function rewriteRule(rule: State, topLevel: boolean): State {
  if (Array.isArray(rule.And)) rule.And = rule.And.map((r) => rewriteRule(r as State, false));
  if (Array.isArray(rule.Or)) rule.Or = rule.Or.map((r) => rewriteRule(r as State, false));
  if (rule.Not && typeof rule.Not === 'object') rule.Not = rewriteRule(rule.Not as State, false);
  const negative = NEGATIVE_TESTS.find((test) => rule[test] === false);
  if (!negative || typeof rule.Variable !== 'string') return rule;
  const test: State = { Variable: rule.Variable, [negative]: true };
  const rewritten: State = { Not: test };
  if (topLevel && rule.Next !== undefined) rewritten.Next = rule.Next;
  return rewritten;
}

function waitAsTask(name: string, state: State, tasks: Map<string, TaskInfo>): State {
  const parameters: State = { 'input.$': '$' };
  if (state.Seconds !== undefined) parameters.seconds = state.Seconds;
  if (state.SecondsPath !== undefined) parameters['seconds.$'] = state.SecondsPath;
  if (state.Timestamp !== undefined) parameters.timestamp = state.Timestamp;
  if (state.TimestampPath !== undefined) parameters['timestamp.$'] = state.TimestampPath;
  const task: State = {
    Type: 'Task',
    Resource: WAIT_RESOURCE,
    Parameters: parameters,
    TimeoutSeconds: MAX_TIMER_SECONDS,
  };
  for (const key of ['Comment', 'InputPath', 'OutputPath', 'Next', 'End']) {
    const value = state[key];
    if (value !== undefined) task[key] = value;
  }
  tasks.set(name, { stateName: name, originalType: 'Wait', resource: WAIT_RESOURCE, wrapped: false });
  return task;
}

function prepareTask(name: string, state: State, tasks: Map<string, TaskInfo>): void {
  const info: TaskInfo = {
    stateName: name,
    originalType: 'Task',
    resource: String(state.Resource),
    wrapped: false,
  };
  if (typeof state.TimeoutSeconds === 'number') info.timeoutSeconds = state.TimeoutSeconds;
  if (typeof state.HeartbeatSeconds === 'number') info.heartbeatSeconds = state.HeartbeatSeconds;
  if (typeof state.TimeoutSecondsPath === 'string' || typeof state.HeartbeatSecondsPath === 'string') {
    const wrapped: State = {};
    if (state.Parameters !== undefined) wrapped[WRAPPED_PAYLOAD] = state.Parameters;
    else wrapped[`${WRAPPED_PAYLOAD}.$`] = '$';
    if (typeof state.TimeoutSecondsPath === 'string')
      wrapped[`${WRAPPED_TIMEOUT}.$`] = state.TimeoutSecondsPath;
    if (typeof state.HeartbeatSecondsPath === 'string')
      wrapped[`${WRAPPED_HEARTBEAT}.$`] = state.HeartbeatSecondsPath;
    state.Parameters = wrapped;
    info.wrapped = true;
  }
  delete state.TimeoutSecondsPath;
  delete state.HeartbeatSecondsPath;
  delete state.HeartbeatSeconds;
  state.TimeoutSeconds = MAX_TIMER_SECONDS;
  tasks.set(name, info);
}

/** Replaces the token placeholder wherever the definition copied `$$.Task.Token` into the task input. */
export function injectToken(value: Json, token: string): Json {
  if (typeof value === 'string') return value.split(TASK_TOKEN_PLACEHOLDER).join(token);
  if (Array.isArray(value)) return value.map((v) => injectToken(v, token));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, injectToken(v, token)]));
  }
  return value;
}
