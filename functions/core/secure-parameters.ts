/*
 * The credentials the stack keeps as SSM SecureString parameters (the alert sources' credentials, the link
 * signing keys), and what the deploy-time custom resource does with one. Pure: random bytes come in as a
 * function, the calls go out as a decision the handler carries out.
 */

/** Letters and digits: what Secrets Manager generated with ExcludePunctuation, so no sender has to escape it. */
export const CREDENTIAL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The largest multiple of the alphabet's size below 256: bytes at or above it are skipped (no modulo bias). */
const UNBIASED_LIMIT = 256 - (256 % CREDENTIAL_ALPHABET.length);

/** A credential of `length` characters from the alphabet, uniformly drawn from `randomBytes`. */
export function generateCredential(length: number, randomBytes: (size: number) => Uint8Array): string {
  if (!Number.isInteger(length) || length < 16 || length > 1024)
    throw new Error(`credential length must be an integer from 16 to 1024, not ${length}`);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= UNBIASED_LIMIT) continue;
      out += CREDENTIAL_ALPHABET[byte % CREDENTIAL_ALPHABET.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/**
 * How a parameter's first value is made: a JSON object (`template`, e.g. `{"activeKeyId":"k1"}`) with a
 * generated credential under `generateKey` (`current` for an alert source, `k1` for the link keys).
 */
export interface GeneratedValue {
  template: Record<string, string>;
  generateKey: string;
  length: number;
}

export function generatedValue(spec: GeneratedValue, randomBytes: (size: number) => Uint8Array): string {
  return JSON.stringify({
    ...spec.template,
    [spec.generateKey]: generateCredential(spec.length, randomBytes),
  });
}

/** The properties of a `Custom::SecureStringParameter` resource (CloudFormation passes them all as strings). */
export interface SecureParameterProperties {
  /** The parameter's name, e.g. `/hotline/Hotline/alert-sources/alertmanager`: also the physical id. */
  Name: string;
  /** The JSON object the value starts from. */
  Template: string;
  GenerateKey: string;
  Length: string | number;
  /** `true` keeps the parameter when the resource is deleted (the stack's `retainData`). */
  Retain: string | boolean;
  Description?: string;
}

export interface SecureParameterEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  PhysicalResourceId?: string;
  ResourceProperties: SecureParameterProperties;
  OldResourceProperties?: Partial<SecureParameterProperties>;
}

/**
 * What one event asks of Parameter Store. Create makes the parameter unless it exists (an existing value is
 * kept: a retained parameter of an earlier stack, or a rotated one, is never replaced). Update never touches a
 * value; only a new name creates the parameter under it (the old name then gets a Delete from CloudFormation).
 * Delete removes the parameter only when the stack does not retain data, and only a parameter this resource
 * made (a Create that failed answered with a physical id that is no parameter name).
 */
export type SecureParameterAction =
  | { kind: 'create'; name: string; value: GeneratedValue; description?: string }
  | { kind: 'delete'; name: string }
  | { kind: 'none'; name: string; why: string };

export function secureParameterAction(event: SecureParameterEvent): SecureParameterAction {
  const props = event.ResourceProperties;
  const name = parameterName(props.Name);
  if (event.RequestType === 'Delete') {
    const physical = event.PhysicalResourceId ?? '';
    if (physical !== name) return { kind: 'none', name: physical, why: 'not a parameter this resource made' };
    if (String(props.Retain) !== 'false') return { kind: 'none', name, why: 'the stack retains its data' };
    return { kind: 'delete', name };
  }
  if (event.RequestType === 'Update' && event.PhysicalResourceId === name)
    return { kind: 'none', name, why: 'an update never changes a value' };
  const value = valueSpec(props);
  return {
    kind: 'create',
    name,
    value,
    ...(props.Description !== undefined ? { description: props.Description } : {}),
  };
}

/** SSM names: letters, digits and `_.-/`, a full path from `/`, at most 1011 characters with the path. */
function parameterName(name: unknown): string {
  if (typeof name !== 'string' || !/^\/[A-Za-z0-9_.\-/]{1,1010}$/.test(name) || name.endsWith('/'))
    throw new Error(`Name must be a parameter path such as /hotline/stack/name, not ${JSON.stringify(name)}`);
  return name;
}

function valueSpec(props: SecureParameterProperties): GeneratedValue {
  const template: unknown = JSON.parse(props.Template);
  if (
    typeof template !== 'object' ||
    template === null ||
    Array.isArray(template) ||
    Object.values(template).some((v) => typeof v !== 'string')
  )
    throw new Error('Template must be a JSON object of strings');
  if (typeof props.GenerateKey !== 'string' || props.GenerateKey === '')
    throw new Error('GenerateKey must name the key of the generated credential');
  return {
    template: template as Record<string, string>,
    generateKey: props.GenerateKey,
    length: Number(props.Length),
  };
}
