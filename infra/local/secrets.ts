import { randomInt, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { readJson, writeJson } from './data-files.ts';
import { ServiceError } from './errors.ts';
import type { StackModel } from './template.ts';

/**
 * The template's AWS::SecretsManager::Secret resources with values generated at first start, in the shape their
 * GenerateSecretString describes, and kept in the data folder (secrets.json, mode 0600) so they stay stable.
 */

export interface LocalSecret {
  logicalId: string;
  name: string;
  arn: string;
  value: string;
  versionId: string;
  createdDate: string;
}

interface Generate {
  SecretStringTemplate?: string;
  GenerateStringKey?: string;
  PasswordLength?: number;
  ExcludeCharacters?: string;
  ExcludeLowercase?: boolean;
  ExcludeUppercase?: boolean;
  ExcludeNumbers?: boolean;
  ExcludePunctuation?: boolean;
  IncludeSpace?: boolean;
  RequireEachIncludedType?: boolean;
}

type Stored = Record<string, { value: string; versionId: string; createdDate: string }>;
type Log = (line: string) => void;

const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

export class SecretStore {
  private readonly secrets = new Map<string, LocalSecret>();
  private readonly file: string;

  constructor(model: StackModel, dataDir: string, log: Log) {
    this.file = join(dataDir, 'secrets.json');
    const stored = readJson<Stored>(this.file) ?? {};
    let changed = false;
    for (const [logicalId, resource] of model.resourcesOfType('AWS::SecretsManager::Secret')) {
      const props = (model.resolve(resource.Properties ?? {}, `${logicalId}.Properties`) ?? {}) as {
        SecretString?: string;
        GenerateSecretString?: Generate;
      };
      const name = model.physicalName(logicalId);
      let entry = stored[logicalId];
      if (entry && !fitsShape(entry.value, props.GenerateSecretString)) {
        log(`[secrets] ${name}: the stored value no longer has the template's shape, generating a new one`);
        entry = undefined;
      }
      if (!entry) {
        entry = {
          value: props.SecretString ?? generateSecretString(props.GenerateSecretString ?? {}),
          versionId: randomUUID(),
          createdDate: new Date().toISOString(),
        };
        stored[logicalId] = entry;
        changed = true;
      }
      this.secrets.set(logicalId, { logicalId, name, arn: model.arn(logicalId), ...entry });
    }
    if (changed) this.save();
  }

  list(): LocalSecret[] {
    return [...this.secrets.values()];
  }

  /** By ARN, name, or partial ARN (without the 6-character suffix), as Secrets Manager accepts. */
  find(secretId: string | undefined): LocalSecret {
    const found = [...this.secrets.values()].find(
      (s) => s.arn === secretId || s.name === secretId || s.arn.replace(/-[A-Za-z0-9]{6}$/, '') === secretId,
    );
    if (!found)
      throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return found;
  }

  /** A new current value (what rotation does); the previous version is not kept locally. */
  put(secretId: string | undefined, value: string | undefined): LocalSecret {
    const secret = this.find(secretId);
    if (typeof value !== 'string')
      throw new ServiceError('InvalidParameterException', 'SecretString is required');
    secret.value = value;
    secret.versionId = randomUUID();
    this.save();
    return secret;
  }

  private save(): void {
    const stored: Stored = {};
    for (const s of this.secrets.values()) {
      stored[s.logicalId] = { value: s.value, versionId: s.versionId, createdDate: s.createdDate };
    }
    const previous = readJson<Stored>(this.file) ?? {};
    writeJson(this.file, { ...previous, ...stored }, 0o600);
  }
}

/** What CloudFormation generates: a random password, or a JSON template with the password under a key. */
export function generateSecretString(spec: Generate): string {
  const password = generatePassword(spec);
  if (spec.SecretStringTemplate === undefined || spec.GenerateStringKey === undefined) return password;
  const template = JSON.parse(spec.SecretStringTemplate) as Record<string, unknown>;
  return JSON.stringify({ ...template, [spec.GenerateStringKey]: password });
}

function generatePassword(spec: Generate): string {
  const length = spec.PasswordLength ?? 32;
  const excluded = new Set(spec.ExcludeCharacters ?? '');
  const keep = (chars: string) => [...chars].filter((c) => !excluded.has(c)).join('');
  const groups = [
    spec.ExcludeLowercase ? '' : keep('abcdefghijklmnopqrstuvwxyz'),
    spec.ExcludeUppercase ? '' : keep('ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
    spec.ExcludeNumbers ? '' : keep('0123456789'),
    spec.ExcludePunctuation ? '' : keep(PUNCTUATION),
    spec.IncludeSpace ? ' ' : '',
  ].filter((g) => g.length > 0);
  const all = groups.join('');
  if (all.length === 0) throw new Error('GenerateSecretString excludes every character');
  const chars = Array.from({ length }, () => all[randomInt(all.length)] as string);
  if (spec.RequireEachIncludedType !== false && length >= groups.length) {
    // One character of each included type, at distinct random positions.
    const positions = new Set<number>();
    while (positions.size < groups.length) positions.add(randomInt(length));
    [...positions].forEach((position, i) => {
      const group = groups[i] as string;
      chars[position] = group[randomInt(group.length)] as string;
    });
  }
  return chars.join('');
}

function fitsShape(value: string, spec: Generate | undefined): boolean {
  if (!spec?.GenerateStringKey) return true;
  try {
    const parsed = JSON.parse(value) as Record<string, unknown>;
    return typeof parsed[spec.GenerateStringKey] === 'string';
  } catch {
    return false;
  }
}
