import { parseSigningKeys } from './links.ts';
import { liveValues } from './secrets.ts';

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
  /**
   * The logical id (without CDK's 8-character hash) of the Secrets Manager secret that held this credential in
   * 0.2.0 (`AlertSourceSecretAlertmanager`, `LinkSigningKeys`): on Create its value is carried over.
   */
  LegacySecretLogicalId?: string;
  /** How a carried value is checked: the shape the functions read (`alert-source-credential` or `link-signing-keys`). */
  Shape?: CredentialShape;
}

export type CredentialShape = 'alert-source-credential' | 'link-signing-keys';

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
  | {
      kind: 'create';
      name: string;
      value: GeneratedValue;
      description?: string;
      /** The 0.2.0 secret to carry the value from, when the resource names one. */
      legacy?: { logicalId: string; shape: CredentialShape };
    }
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
    ...legacySpec(props),
  };
}

function legacySpec(props: SecureParameterProperties): {
  legacy?: { logicalId: string; shape: CredentialShape };
} {
  if (props.LegacySecretLogicalId === undefined || props.LegacySecretLogicalId === '') return {};
  if (!/^[A-Za-z0-9]{1,200}$/.test(props.LegacySecretLogicalId))
    throw new Error(
      `LegacySecretLogicalId must be a logical id, not ${JSON.stringify(props.LegacySecretLogicalId)}`,
    );
  if (props.Shape !== 'alert-source-credential' && props.Shape !== 'link-signing-keys')
    throw new Error(
      'Shape must be alert-source-credential or link-signing-keys when LegacySecretLogicalId is set',
    );
  return { legacy: { logicalId: props.LegacySecretLogicalId, shape: props.Shape } };
}

/**
 * True when `logicalId` (a secret's `aws:cloudformation:logical-id` tag) is the 0.2.0 secret `legacyId` names:
 * CDK made it the construct id followed by an 8-character upper-case hex hash of the construct path.
 */
export function isLegacyLogicalId(logicalId: string, legacyId: string): boolean {
  return logicalId.startsWith(legacyId) && /^[0-9A-F]{8}$/.test(logicalId.slice(legacyId.length));
}

/**
 * The value to carry over from an old secret, or undefined when it does not have the shape the functions read
 * (then the credential is generated, as on a first deploy). An alert source's value is a JSON object of strings
 * with at least one live credential (`current`, maybe `previous`); the link keys' value names an active key of
 * at least 32 characters. The value is carried as it is (a rotation's `previous`, older link keys included), so
 * every sender and every link that worked before the upgrade works after it.
 */
export function carriedValue(secretString: string | undefined, shape: CredentialShape): string | undefined {
  if (typeof secretString !== 'string' || secretString === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  if (Object.values(parsed).some((v) => typeof v !== 'string')) return undefined;
  if (shape === 'link-signing-keys') {
    try {
      parseSigningKeys(secretString);
    } catch {
      return undefined;
    }
    return secretString;
  }
  return liveValues(secretString).length > 0 ? secretString : undefined;
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
