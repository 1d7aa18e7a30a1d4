/**
 * Identity-policy evaluation for the local target, written from AWS's documented evaluation logic (single
 * account; no SCPs, permission boundaries, session policies or resource policies):
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 *
 * The caller resolves CloudFormation intrinsics first; whatever is still not a plain string is reported by
 * `unsupportedElements` rather than guessed at, so that the local target refuses to start instead of allowing
 * (or denying) something AWS would decide differently.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | boolean | number | Array<string | boolean | number>>>;
  Principal?: unknown;
  NotPrincipal?: unknown;
}
export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}
/** One policy of a principal, named for logs (e.g. the AWS::IAM::Policy logical id). */
export interface NamedPolicy {
  name: string;
  document: PolicyDocument;
}
/** Where a decision came from: the policy and statement index (0-based) that matched. */
export interface StatementRef {
  policy: string;
  index: number;
  sid?: string;
}
/** One authorisation: an IAM action (`dynamodb:Query`) on one resource ARN, with the request's condition keys. */
export interface AuthRequest {
  action: string;
  resource: string;
  context?: Record<string, string | string[] | undefined>;
}
export type Decision =
  | { allowed: true; statement: StatementRef }
  | { allowed: false; reason: 'explicit-deny'; statement: StatementRef }
  | { allowed: false; reason: 'implicit-deny' };

const POLICY_VERSION = '2012-10-17';
const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
  'Principal',
  'NotPrincipal',
]);
const DOCUMENT_KEYS = new Set(['Version', 'Id', 'Statement']);

// ---------------------------------------------------------------------------------------------------------
// Wildcards

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `*` is any sequence and `?` exactly one character, everything else literal (IAM has no escape for them). */
function globRegExp(pattern: string, ignoreCase: boolean): RegExp {
  let source = '';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += escapeRegExp(char);
  }
  // `s` so that a `*` also spans newlines: a value is opaque text to IAM, not lines.
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
}

type Matcher = (value: string) => boolean;

function globMatcher(pattern: string, ignoreCase: boolean): Matcher {
  if (pattern === '*') return () => true;
  if (!pattern.includes('*') && !pattern.includes('?')) {
    if (!ignoreCase) return (value) => value === pattern;
    const lower = pattern.toLowerCase();
    return (value) => value.toLowerCase() === lower;
  }
  const re = globRegExp(pattern, ignoreCase);
  return (value) => re.test(value);
}

/** An ARN as IAM compares it: partition, service, region, account and the rest (which keeps its colons). */
function arnSegments(arn: string): string[] {
  const parts = arn.split(':');
  if (parts.length <= 6) return parts;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/**
 * ARN matching, case-sensitive. Both sides are cut into six segments (`arn`, partition, service, region,
 * account, resource); each of the first five is matched on its own, so a `*` in the region cannot reach into
 * the account, while the resource segment is matched whole, so its wildcards span `:` and `/`.
 *
 * AWS's Resource page also says a `*` that ends a segment "can expand to match beyond the colon boundaries".
 * That matters for patterns with fewer than six segments (`arn:aws:logs:*`), which would otherwise never
 * match: with `shortPatterns`, such a pattern's last segment, when it ends in `*`, is matched against the rest
 * of the ARN. A six-segment pattern stays segment by segment. The ARN condition operators document a strict
 * six-segment comparison, so they do not get the short form.
 */
function arnMatcher(pattern: string, shortPatterns: boolean): Matcher {
  if (pattern === '*') return () => true;
  const segments = arnSegments(pattern);
  if (segments.length === 6) {
    const matchers = segments.map((segment) => globMatcher(segment, false));
    return (arn) => {
      const parts = arnSegments(arn);
      return parts.length === 6 && matchers.every((match, i) => match(parts[i] ?? ''));
    };
  }
  const last = segments[segments.length - 1] ?? '';
  if (!shortPatterns || !last.endsWith('*')) return () => false;
  const leading = segments.slice(0, -1).map((segment) => globMatcher(segment, false));
  const rest = globMatcher(last, false);
  return (arn) => {
    const parts = arn.split(':');
    if (parts.length < segments.length) return false;
    return leading.every((match, i) => match(parts[i] ?? '')) && rest(parts.slice(leading.length).join(':'));
  };
}

// ---------------------------------------------------------------------------------------------------------
// Condition operators

/** Compiles one policy value into a test of one request value; undefined when the policy value is invalid. */
type ValueCompiler = (policyValue: string) => Matcher | undefined;

interface OperatorFamily {
  /** "Negated matching" in AWS's tables: the key matches when no policy value matches (NOR). */
  negated: boolean;
  compile: ValueCompiler;
}

function parseNumber(text: string): number {
  // Number('') and Number(' ') are 0, which would turn an empty value into a match.
  return text.trim() === '' ? Number.NaN : Number(text);
}

function numeric(compare: (request: number, policy: number) => boolean): ValueCompiler {
  return (policyValue) => {
    const policy = parseNumber(policyValue);
    if (Number.isNaN(policy)) return undefined;
    return (value) => {
      const request = parseNumber(value);
      return !Number.isNaN(request) && compare(request, policy);
    };
  };
}

/** Dates are ISO 8601 (W3C profile) or epoch seconds, per the Date condition operators' documentation. */
function parseDate(text: string): number {
  const trimmed = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/^\d{4}(-\d{2}(-\d{2}(T.*)?)?)?$/.test(trimmed)) return Number.NaN;
  return Date.parse(trimmed);
}

function date(compare: (request: number, policy: number) => boolean): ValueCompiler {
  return (policyValue) => {
    const policy = parseDate(policyValue);
    if (Number.isNaN(policy)) return undefined;
    return (value) => {
      const request = parseDate(value);
      return !Number.isNaN(request) && compare(request, policy);
    };
  };
}

const stringEquals: ValueCompiler = (policyValue) => (value) => value === policyValue;
const stringEqualsIgnoreCase: ValueCompiler = (policyValue) => {
  const lower = policyValue.toLowerCase();
  return (value) => value.toLowerCase() === lower;
};
const stringLike: ValueCompiler = (policyValue) => globMatcher(policyValue, false);
const arnLike: ValueCompiler = (policyValue) => arnMatcher(policyValue, false);
const bool: ValueCompiler = (policyValue) => {
  const expected = policyValue.toLowerCase();
  if (expected !== 'true' && expected !== 'false') return undefined;
  return (value) => value.toLowerCase() === expected;
};

interface Cidr {
  version: 4 | 6;
  network: bigint;
  prefix: number;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let result = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    result = (result << 8n) | BigInt(octet);
  }
  return result;
}

function parseIpv6(text: string): bigint | undefined {
  let address = text;
  const tail: number[] = [];
  // An embedded IPv4 tail (`::ffff:192.0.2.1`) stands for the last two groups.
  const lastColon = address.lastIndexOf(':');
  const last = address.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIpv4(last);
    if (v4 === undefined) return undefined;
    tail.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    address = address.slice(0, lastColon);
    // Cutting `::1.2.3.4` at its last colon leaves one colon of the `::`; put the other back.
    if (address.endsWith(':')) address += ':';
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    for (const group of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
      groups.push(Number.parseInt(group, 16));
    }
    return groups;
  };
  const head = parseGroups(halves[0] ?? '');
  const after = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!head || !after) return undefined;
  const explicit = head.length + after.length + tail.length;
  let groups: number[];
  if (halves.length === 2) {
    if (explicit > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - explicit).fill(0), ...after, ...tail];
  } else {
    groups = [...head, ...tail];
  }
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
}

function parseIp(text: string): { version: 4 | 6; value: bigint } | undefined {
  const trimmed = text.trim();
  if (trimmed.includes(':')) {
    const value = parseIpv6(trimmed);
    return value === undefined ? undefined : { version: 6, value };
  }
  const value = parseIpv4(trimmed);
  return value === undefined ? undefined : { version: 4, value };
}

/** A CIDR range, or a bare address as its own /32 (/128): the IP address operators' documented default. */
function parseCidr(text: string): Cidr | undefined {
  const [address = '', prefixText, ...extra] = text.trim().split('/');
  if (extra.length > 0) return undefined;
  const ip = parseIp(address);
  if (!ip) return undefined;
  const bits = ip.version === 4 ? 32 : 128;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return undefined;
    prefix = Number(prefixText);
    if (prefix > bits) return undefined;
  }
  return { version: ip.version, network: ip.value >> BigInt(bits - prefix), prefix };
}

const ipAddress: ValueCompiler = (policyValue) => {
  const cidr = parseCidr(policyValue);
  if (!cidr) return undefined;
  const bits = cidr.version === 4 ? 32 : 128;
  return (value) => {
    const ip = parseIp(value);
    return ip?.version === cidr.version && ip.value >> BigInt(bits - cidr.prefix) === cidr.network;
  };
};

const FAMILIES: Record<string, OperatorFamily> = {
  StringEquals: { negated: false, compile: stringEquals },
  StringNotEquals: { negated: true, compile: stringEquals },
  StringEqualsIgnoreCase: { negated: false, compile: stringEqualsIgnoreCase },
  StringNotEqualsIgnoreCase: { negated: true, compile: stringEqualsIgnoreCase },
  StringLike: { negated: false, compile: stringLike },
  StringNotLike: { negated: true, compile: stringLike },
  NumericEquals: { negated: false, compile: numeric((a, b) => a === b) },
  NumericNotEquals: { negated: true, compile: numeric((a, b) => a === b) },
  NumericLessThan: { negated: false, compile: numeric((a, b) => a < b) },
  NumericLessThanEquals: { negated: false, compile: numeric((a, b) => a <= b) },
  NumericGreaterThan: { negated: false, compile: numeric((a, b) => a > b) },
  NumericGreaterThanEquals: { negated: false, compile: numeric((a, b) => a >= b) },
  DateEquals: { negated: false, compile: date((a, b) => a === b) },
  DateNotEquals: { negated: true, compile: date((a, b) => a === b) },
  DateLessThan: { negated: false, compile: date((a, b) => a < b) },
  DateLessThanEquals: { negated: false, compile: date((a, b) => a <= b) },
  DateGreaterThan: { negated: false, compile: date((a, b) => a > b) },
  DateGreaterThanEquals: { negated: false, compile: date((a, b) => a >= b) },
  Bool: { negated: false, compile: bool },
  // The policy holds the base64 text; the request context carries the same encoding, so bytes compare as text.
  BinaryEquals: { negated: false, compile: stringEquals },
  IpAddress: { negated: false, compile: ipAddress },
  NotIpAddress: { negated: true, compile: ipAddress },
  // AWS documents ArnEquals and ArnLike identically (segment-wise, wildcards allowed), likewise the negations.
  ArnEquals: { negated: false, compile: arnLike },
  ArnLike: { negated: false, compile: arnLike },
  ArnNotEquals: { negated: true, compile: arnLike },
  ArnNotLike: { negated: true, compile: arnLike },
};

const SET_OPERATORS = ['ForAnyValue', 'ForAllValues'] as const;
type SetOperator = (typeof SET_OPERATORS)[number];

/** The operators `evaluate` understands, for the synth-time check and docs. */
export const supportedConditionOperators: readonly string[] = Object.freeze([
  ...Object.keys(FAMILIES),
  'Null',
  ...Object.keys(FAMILIES).map((name) => `${name}IfExists`),
  ...SET_OPERATORS.flatMap((set) => [
    ...Object.keys(FAMILIES).map((name) => `${set}:${name}`),
    ...Object.keys(FAMILIES).map((name) => `${set}:${name}IfExists`),
  ]),
]);

interface ParsedOperator {
  name: string;
  set?: SetOperator;
  ifExists: boolean;
  /** Undefined for `Null`, which tests presence rather than values. */
  family?: OperatorFamily;
}

function parseOperator(operator: string): ParsedOperator | undefined {
  let rest = operator;
  let set: SetOperator | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const prefix = rest.slice(0, colon);
    set = SET_OPERATORS.find((candidate) => candidate === prefix);
    if (!set) return undefined;
    rest = rest.slice(colon + 1);
  }
  if (rest === 'Null') return set ? undefined : { name: rest, ifExists: false };
  let ifExists = false;
  if (rest.endsWith('IfExists')) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const family = Object.hasOwn(FAMILIES, rest) ? FAMILIES[rest] : undefined;
  if (!family) return undefined;
  return { name: operator, ...(set ? { set } : {}), ifExists, family };
}

/** A condition value as IAM reads it: JSON strings, numbers and booleans are all compared as text. */
function conditionValues(raw: unknown): string[] | undefined {
  const list = Array.isArray(raw) ? raw : [raw];
  const values: string[] = [];
  for (const item of list) {
    if (typeof item === 'string') values.push(item);
    else if (typeof item === 'number' || typeof item === 'boolean') values.push(String(item));
    else return undefined;
  }
  return values;
}

/** Request values by lower-cased key (condition keys are case-insensitive); absent or empty is undefined. */
type Context = ReadonlyMap<string, readonly string[]>;

function normaliseContext(context: AuthRequest['context']): Context {
  const result = new Map<string, readonly string[]>();
  if (!context) return result;
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    // An empty multi-valued key is "an empty data set", which AWS treats like a missing key.
    if (values.length > 0) result.set(key.toLowerCase(), values);
  }
  return result;
}

type ConditionTest = (context: Context) => boolean;

/**
 * One key under one operator. The rule for a key missing from the request context follows the Condition
 * operators page (reference_policies_elements_condition_operators, "Important" box): "If the key that you
 * specify in a policy condition is not present in the request context, the values do not match and the
 * condition is false. If the policy condition requires that the key is not matched, such as StringNotLike or
 * ArnNotLike, and the right key is not present, the condition is true. This logic applies to all condition
 * operators except ...IfExists and Null check." So: absent key → false for matching operators, true for the
 * negated ones (every `Not` operator), true for any `...IfExists`, and `Null` tests presence itself. With set
 * operators (reference_policies_multi-value-conditions): an empty or missing key makes `ForAllValues` true and
 * `ForAnyValue` false (unless `...IfExists`).
 */
function compileKeyTest(operator: ParsedOperator, key: string, values: readonly string[]): ConditionTest {
  const lowerKey = key.toLowerCase();
  const { family } = operator;
  if (!family) {
    // Null: "true" means the key must be absent, "false" that it must be present; several values are OR-ed.
    const wanted = values.map((value) => value.toLowerCase());
    return (context) => wanted.includes(context.has(lowerKey) ? 'false' : 'true');
  }
  const compiled = values.map((value) => family.compile(value));
  if (compiled.some((matcher) => matcher === undefined)) return () => false;
  const matchers = compiled as Matcher[];
  const matchesAny = (value: string) => matchers.some((match) => match(value));
  // Negated operators are NOR over the policy values: the request value must match none of them.
  const holds = family.negated ? (value: string) => !matchesAny(value) : matchesAny;
  return (context) => {
    const request = context.get(lowerKey);
    if (!request) {
      if (operator.set === 'ForAllValues') return true;
      if (operator.ifExists) return true;
      if (operator.set === 'ForAnyValue') return false;
      return family.negated;
    }
    if (operator.set === 'ForAllValues') return request.every(holds);
    if (operator.set === 'ForAnyValue') return request.some(holds);
    // A multi-valued key without a set operator (which AWS says to avoid): a matching operator holds when
    // some request value matches, a negated one when none does, so that a negation stays the exact complement.
    return family.negated ? request.every(holds) : request.some(holds);
  };
}

// ---------------------------------------------------------------------------------------------------------
// Validation

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function statementsOf(document: unknown): unknown[] {
  if (!isRecord(document)) return [];
  const statement = document.Statement;
  return Array.isArray(statement) ? statement : [statement];
}

function describeValue(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Problems with an Action/Resource-like element: it must be one string or a list of strings. */
function stringListProblems(element: string, raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  const problems: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string') {
      problems.push(
        `${element} value ${describeValue(item)} is not a string (an unresolved CloudFormation intrinsic?)`,
      );
    } else if (item.includes('${')) {
      problems.push(`${element} value "${item}" uses a policy variable, which is not supported`);
    }
  }
  return problems;
}

function conditionProblems(condition: unknown): string[] {
  if (!isRecord(condition)) return [`Condition ${describeValue(condition)} is not an object`];
  const problems: string[] = [];
  for (const [operatorName, block] of Object.entries(condition)) {
    const operator = parseOperator(operatorName);
    if (!operator) {
      problems.push(`condition operator ${operatorName} is not supported`);
      continue;
    }
    if (!isRecord(block)) {
      problems.push(`condition ${operatorName} is not an object of keys`);
      continue;
    }
    for (const [key, raw] of Object.entries(block)) {
      if (key.includes('${'))
        problems.push(`condition key ${key} uses a policy variable, which is not supported`);
      const values = conditionValues(raw);
      if (!values) {
        problems.push(
          `condition ${operatorName} ${key} value ${describeValue(raw)} is not a string, number or boolean (an unresolved CloudFormation intrinsic?)`,
        );
        continue;
      }
      for (const value of values) {
        if (value.includes('${')) {
          problems.push(
            `condition ${operatorName} ${key} value "${value}" uses a policy variable, which is not supported`,
          );
        } else if (operator.family && !operator.family.compile(value)) {
          problems.push(`condition ${operatorName} ${key} value "${value}" is not valid for that operator`);
        } else if (!operator.family && !['true', 'false'].includes(value.toLowerCase())) {
          problems.push(`condition Null ${key} value "${value}" is not true or false`);
        }
      }
    }
  }
  return problems;
}

function statementProblems(statement: unknown): string[] {
  if (!isRecord(statement)) return [`${describeValue(statement)} is not a statement object`];
  const problems: string[] = [];
  for (const key of Object.keys(statement)) {
    if (!STATEMENT_KEYS.has(key)) problems.push(`element ${key} is not supported`);
  }
  if (statement.Sid !== undefined && typeof statement.Sid !== 'string') problems.push('Sid is not a string');
  if (statement.Principal !== undefined) {
    problems.push('Principal is not supported in an identity-based policy');
  }
  if (statement.NotPrincipal !== undefined) {
    problems.push('NotPrincipal is not supported in an identity-based policy');
  }
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    problems.push(`Effect ${describeValue(statement.Effect)} is not Allow or Deny`);
  }
  for (const [positive, negative] of [
    ['Action', 'NotAction'],
    ['Resource', 'NotResource'],
  ] as const) {
    const hasPositive = statement[positive] !== undefined;
    const hasNegative = statement[negative] !== undefined;
    if (hasPositive && hasNegative) problems.push(`both ${positive} and ${negative} are given`);
    if (!hasPositive && !hasNegative) problems.push(`neither ${positive} nor ${negative} is given`);
    if (hasPositive) problems.push(...stringListProblems(positive, statement[positive]));
    if (hasNegative) problems.push(...stringListProblems(negative, statement[negative]));
  }
  if (statement.Condition !== undefined) problems.push(...conditionProblems(statement.Condition));
  return problems;
}

/**
 * What the evaluator does not understand in a policy, as human-readable problems naming the statement
 * (e.g. `Policy X statement 2: NotAction is not supported`); empty when it understands everything.
 * The local target refuses to start (and synth refuses) when any identity policy of the template has a problem,
 * so a new construct cannot silently pass.
 */
export function unsupportedElements(policy: NamedPolicy): string[] {
  const document: unknown = policy.document;
  const problems: string[] = [];
  if (!isRecord(document)) return [`Policy ${policy.name}: the document is not an object`];
  for (const key of Object.keys(document)) {
    if (!DOCUMENT_KEYS.has(key)) problems.push(`Policy ${policy.name}: element ${key} is not supported`);
  }
  if (document.Version !== undefined && document.Version !== POLICY_VERSION) {
    problems.push(
      `Policy ${policy.name}: Version ${describeValue(document.Version)} is not supported (only ${POLICY_VERSION})`,
    );
  }
  if (document.Statement === undefined) problems.push(`Policy ${policy.name}: it has no Statement`);
  else {
    statementsOf(document).forEach((statement, index) => {
      const sid = isRecord(statement) && typeof statement.Sid === 'string' ? ` (${statement.Sid})` : '';
      for (const problem of statementProblems(statement)) {
        problems.push(`Policy ${policy.name} statement ${index}${sid}: ${problem}`);
      }
    });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation

interface CompiledStatement {
  ref: StatementRef;
  effect: 'Allow' | 'Deny';
  matches(action: string, resource: string, context: Context): boolean;
}

function anyOf(raw: unknown, compile: (pattern: string) => Matcher): Matcher {
  const list = (Array.isArray(raw) ? raw : [raw]).filter((item): item is string => typeof item === 'string');
  const matchers = list.map(compile);
  if (list.includes('*')) return () => true;
  return (value) => matchers.some((match) => match(value));
}

/** Action and NotAction (or Resource and NotResource): NotX matches when the value matches none of the list. */
function elementMatcher(
  statement: Record<string, unknown>,
  positive: string,
  negative: string,
  compile: (pattern: string) => Matcher,
): Matcher {
  if (statement[positive] !== undefined) return anyOf(statement[positive], compile);
  const excluded = anyOf(statement[negative], compile);
  return (value) => !excluded(value);
}

function compileStatement(
  policy: string,
  index: number,
  statement: unknown,
  versionOk: boolean,
): CompiledStatement | undefined {
  const problems = statementProblems(statement);
  if (!isRecord(statement)) return undefined;
  const ref: StatementRef = {
    policy,
    index,
    ...(typeof statement.Sid === 'string' ? { sid: statement.Sid } : {}),
  };
  if (problems.length > 0 || !versionOk) {
    // Only reached when the caller skipped `unsupportedElements`: fail closed. An Allow we cannot read grants
    // nothing; a Deny we cannot read denies everything rather than letting a request through.
    if (statement.Effect === 'Allow') return undefined;
    return { ref, effect: 'Deny', matches: () => true };
  }
  const effect = statement.Effect === 'Deny' ? 'Deny' : 'Allow';
  // Action names are case-insensitive (service prefix and action alike); ARNs are case-sensitive.
  const action = elementMatcher(statement, 'Action', 'NotAction', (pattern) => globMatcher(pattern, true));
  const resource = elementMatcher(statement, 'Resource', 'NotResource', (pattern) =>
    arnMatcher(pattern, true),
  );
  const tests: ConditionTest[] = [];
  if (isRecord(statement.Condition)) {
    for (const [operatorName, block] of Object.entries(statement.Condition)) {
      const operator = parseOperator(operatorName);
      if (!operator || !isRecord(block)) continue;
      for (const [key, raw] of Object.entries(block)) {
        tests.push(compileKeyTest(operator, key, conditionValues(raw) ?? []));
      }
    }
  }
  return {
    ref,
    effect,
    matches: (requestAction, requestResource, context) =>
      action(requestAction) && resource(requestResource) && tests.every((test) => test(context)),
  };
}

function compilePolicies(policies: readonly NamedPolicy[]): CompiledStatement[] {
  const compiled: CompiledStatement[] = [];
  for (const policy of policies) {
    const document: unknown = policy.document;
    const versionOk =
      isRecord(document) && (document.Version === undefined || document.Version === POLICY_VERSION);
    statementsOf(document).forEach((statement, index) => {
      // An unknown policy version changes how the whole document reads, so none of its statements is readable.
      const result = compileStatement(policy.name, index, statement, versionOk);
      if (result) compiled.push(result);
    });
  }
  return compiled;
}

function decide(statements: readonly CompiledStatement[], request: AuthRequest): Decision {
  const context = normaliseContext(request.context);
  let allow: StatementRef | undefined;
  for (const statement of statements) {
    if (statement.effect === 'Allow' && allow) continue;
    if (!statement.matches(request.action, request.resource, context)) continue;
    // An explicit deny anywhere overrides every allow, so it ends the evaluation.
    if (statement.effect === 'Deny')
      return { allowed: false, reason: 'explicit-deny', statement: statement.ref };
    allow = statement.ref;
  }
  return allow ? { allowed: true, statement: allow } : { allowed: false, reason: 'implicit-deny' };
}

export function evaluate(policies: readonly NamedPolicy[], request: AuthRequest): Decision {
  return decide(compilePolicies(policies), request);
}

const CACHE_LIMIT = 10_000;

function cacheKey(request: AuthRequest): string {
  const context = normaliseContext(request.context);
  const entries = [...context.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([request.action.toLowerCase(), request.resource, entries]);
}

/** A precompiled, cached evaluator over one principal's policies (decisions cached by action+resource+context). */
export class PolicyEvaluator {
  readonly #statements: readonly CompiledStatement[];
  readonly #cache = new Map<string, Decision>();

  constructor(policies: readonly NamedPolicy[]) {
    this.#statements = compilePolicies(policies);
  }

  evaluate(request: AuthRequest): Decision {
    const key = cacheKey(request);
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const decision = decide(this.#statements, request);
    // Context keys such as aws:CurrentTime make keys unbounded; dropping the oldest keeps memory flat.
    if (this.#cache.size >= CACHE_LIMIT) {
      const oldest = this.#cache.keys().next();
      if (!oldest.done) this.#cache.delete(oldest.value);
    }
    this.#cache.set(key, decision);
    return decision;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Grants: an Allow statement's actions times its resources, for measuring least privilege

/** One grant of a policy: an action pattern on a resource pattern, from one Allow statement. */
export interface Grant {
  policy: string;
  index: number;
  action: string;
  resource: string;
}

const listOf = (raw: unknown): string[] =>
  typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((v) => typeof v === 'string') : [];

/**
 * Every grant of the policies: each Allow statement's Action x Resource, pattern by pattern. A statement with
 * NotAction or NotResource counts as one grant named after the negation.
 */
export function grantsOf(policies: readonly NamedPolicy[]): Grant[] {
  const grants: Grant[] = [];
  for (const policy of policies) {
    statementsOf(policy.document).forEach((statement, index) => {
      if (!isRecord(statement) || statement.Effect !== 'Allow') return;
      const actions = statement.Action !== undefined ? listOf(statement.Action) : ['(NotAction)'];
      const resources = statement.Resource !== undefined ? listOf(statement.Resource) : ['(NotResource)'];
      for (const action of actions)
        for (const resource of resources) grants.push({ policy: policy.name, index, action, resource });
    });
  }
  return grants;
}

/**
 * The grants an allowed request used: of every Allow statement that allows it, the action and resource patterns
 * that match it (a request two statements allow uses both: removing either alone would not deny it).
 */
export function grantsUsedBy(policies: readonly NamedPolicy[], request: AuthRequest): Grant[] {
  const used: Grant[] = [];
  for (const policy of policies) {
    statementsOf(policy.document).forEach((statement, index) => {
      if (!isRecord(statement) || statement.Effect !== 'Allow') return;
      const single: NamedPolicy = {
        name: policy.name,
        document: { Statement: [statement as unknown as PolicyStatement] },
      };
      if (!evaluate([single], request).allowed) return;
      const actions =
        statement.Action !== undefined
          ? listOf(statement.Action).filter((p) => globMatcher(p, true)(request.action))
          : ['(NotAction)'];
      const resources =
        statement.Resource !== undefined
          ? listOf(statement.Resource).filter((p) => arnMatcher(p, true)(request.resource))
          : ['(NotResource)'];
      for (const action of actions)
        for (const resource of resources) used.push({ policy: policy.name, index, action, resource });
    });
  }
  return used;
}

/**
 * The policies without one grant: its statement is split so that every other action and resource it names is
 * still granted (for showing which call needed the grant).
 */
export function withoutGrant(policies: readonly NamedPolicy[], grant: Grant): NamedPolicy[] {
  return policies.map((policy) => {
    if (policy.name !== grant.policy) return policy;
    const statements = statementsOf(policy.document).flatMap((statement, index) => {
      if (index !== grant.index || !isRecord(statement)) return [statement];
      const actions = listOf(statement.Action);
      const resources = listOf(statement.Resource);
      const otherActions = actions.filter((a) => a !== grant.action);
      const otherResources = resources.filter((r) => r !== grant.resource);
      return [
        ...(otherActions.length > 0 ? [{ ...statement, Action: otherActions }] : []),
        ...(otherResources.length > 0
          ? [{ ...statement, Action: [grant.action], Resource: otherResources }]
          : []),
      ];
    });
    return {
      name: policy.name,
      document: { ...policy.document, Statement: statements as PolicyStatement[] },
    };
  });
}
