import { join } from 'node:path';
import { readJson, writeJson } from './data-files.ts';
import { ServiceError } from './errors.ts';

/**
 * Parameter Store for the local target: the parameters the stack's custom resources create at start (and any an
 * administrator puts), kept in the data folder (parameters.json, mode 0600: it holds SecureString values in
 * clear) so credentials stay stable across restarts. Answers PutParameter, GetParameter (WithDecryption),
 * GetParameters, DeleteParameter and DescribeParameters over the SDK's awsJson1.1 protocol (aws-api.ts).
 */

export interface LocalParameter {
  name: string;
  arn: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
  version: number;
  keyId?: string;
  description?: string;
  lastModifiedDate: string;
}

type Stored = Record<string, Omit<LocalParameter, 'name' | 'arn'>>;

const TYPES = ['String', 'StringList', 'SecureString'] as const;
/** Standard tier: values up to 4 KB. */
const MAX_STANDARD_VALUE_BYTES = 4096;

/** A parameter's ARN: a path name's leading `/` is not repeated after `parameter`. */
export function parameterArn(region: string, account: string, name: string): string {
  return `arn:aws:ssm:${region}:${account}:parameter/${name.replace(/^\//, '')}`;
}

/**
 * The name a request's `Name` gives (a name, or an ARN), without a `:version` or `:label` selector. An ARN does
 * not show a path name's leading `/`: a name with a `/` in it is a path (SSM requires those to start with one).
 */
export function parameterNameOf(nameOrArn: string): string {
  const arn = /^arn:[^:]+:ssm:[^:]*:[^:]*:parameter\/(.+)$/.exec(nameOrArn);
  const name = arn?.[1] ? (arn[1].includes('/') ? `/${arn[1]}` : arn[1]) : nameOrArn;
  return name.replace(/:[^/:]+$/, '');
}

export class ParameterStore {
  private readonly file: string;
  private readonly parameters = new Map<string, LocalParameter>();

  constructor(
    dataDir: string,
    private readonly region: string,
    private readonly account: string,
  ) {
    this.file = join(dataDir, 'parameters.json');
    for (const [name, stored] of Object.entries(readJson<Stored>(this.file) ?? {}))
      this.parameters.set(name, { name, arn: parameterArn(region, account, name), ...stored });
  }

  list(): LocalParameter[] {
    return [...this.parameters.values()];
  }

  get(nameOrArn: string | undefined): LocalParameter {
    const name = parameterNameOf(required(nameOrArn, 'Name'));
    const found = this.parameters.get(name);
    if (!found) throw new ServiceError('ParameterNotFound', `Parameter ${name} not found.`);
    return found;
  }

  find(nameOrArn: string): LocalParameter | undefined {
    return this.parameters.get(parameterNameOf(nameOrArn));
  }

  /** PutParameter: a new parameter, or a new version when `overwrite`; else ParameterAlreadyExists. */
  put(request: {
    name: string | undefined;
    value: string | undefined;
    type?: string | undefined;
    overwrite?: boolean | undefined;
    keyId?: string | undefined;
    description?: string | undefined;
    tier?: string | undefined;
  }): LocalParameter {
    const name = parameterNameOf(required(request.name, 'Name'));
    const value = required(request.value, 'Value');
    if (request.tier && request.tier !== 'Standard')
      throw new ServiceError('ValidationException', 'The local target keeps standard parameters only.');
    if (Buffer.byteLength(value) > MAX_STANDARD_VALUE_BYTES)
      throw new ServiceError(
        'ValidationException',
        `Standard tier parameters support a maximum parameter value of ${MAX_STANDARD_VALUE_BYTES} characters.`,
      );
    const existing = this.parameters.get(name);
    if (existing && !request.overwrite)
      throw new ServiceError(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this request value, set the overwrite option in the request to true.',
      );
    const type = (request.type ?? existing?.type) as LocalParameter['type'] | undefined;
    if (!type || !TYPES.includes(type))
      throw new ServiceError('ValidationException', `Type must be one of ${TYPES.join(', ')}`);
    const parameter: LocalParameter = {
      name,
      arn: parameterArn(this.region, this.account, name),
      type,
      value,
      version: (existing?.version ?? 0) + 1,
      ...(type === 'SecureString' ? { keyId: request.keyId ?? existing?.keyId ?? 'alias/aws/ssm' } : {}),
      ...(request.description !== undefined || existing?.description !== undefined
        ? { description: request.description ?? existing?.description }
        : {}),
      lastModifiedDate: new Date().toISOString(),
    };
    this.parameters.set(name, parameter);
    this.save();
    return parameter;
  }

  delete(nameOrArn: string | undefined): void {
    const { name } = this.get(nameOrArn);
    this.parameters.delete(name);
    this.save();
  }

  private save(): void {
    const stored: Stored = {};
    for (const { name, arn: _arn, ...rest } of this.parameters.values()) stored[name] = rest;
    writeJson(this.file, stored, 0o600);
  }
}

function required(value: string | undefined, field: string): string {
  if (typeof value !== 'string' || value === '')
    throw new ServiceError('ValidationException', `1 validation error detected: ${field} must not be null`);
  return value;
}
