import { randomInt, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { readJson, writeJson } from './data-files.ts';
import { ServiceError } from './errors.ts';
import { type StackModel, secretSuffix } from './template.ts';

/**
 * The template's AWS::SecretsManager::Secret resources with values generated at first start, in the shape their
 * GenerateSecretString describes, and kept in the data folder (secrets.json, mode 0600) so they stay stable.
 * Each is tagged as CloudFormation tags what it creates (`aws:cloudformation:stack-name`, `...:logical-id`,
 * `...:stack-id`, besides the template's Tags).
 *
 * A start is a stack update: a secret secrets.json holds that the template no longer declares (a 0.2.0 secret
 * after an upgrade) is a resource the update removes. CloudFormation deletes those last, in the cleanup phase
 * after every new resource is created, so such a secret is still there (listed, readable, with its tags) while
 * the custom resources run, and `dropRemoved()` deletes it once they have.
 */

export interface LocalSecret {
  logicalId: string;
  name: string;
  arn: string;
  value: string;
  versionId: string;
  createdDate: string;
  description?: string;
  tags: Record<string, string>;
  /** Declared by an earlier template only: deleted in the cleanup phase (`dropRemoved`). */
  removed?: boolean;
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

type Stored = Record<
  string,
  {
    value: string;
    versionId: string;
    createdDate: string;
    /** Recorded since tags exist locally: what a secret no longer in the template is found by. */
    name?: string;
    description?: string;
    tags?: Record<string, string>;
  }
>;
type Log = (line: string) => void;

const FILTER_KEYS = [
  'description',
  'name',
  'tag-key',
  'tag-value',
  'primary-region',
  'owning-service',
  'all',
];

/** The tags CloudFormation puts on what it creates. */
function cloudFormationTags(model: StackModel, logicalId: string): Record<string, string> {
  return {
    'aws:cloudformation:stack-name': model.stackName,
    'aws:cloudformation:logical-id': logicalId,
    'aws:cloudformation:stack-id': `arn:aws:cloudformation:${model.region}:${model.account}:stack/${model.stackName}/local`,
  };
}

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
        Description?: string;
        Tags?: Array<{ Key?: unknown; Value?: unknown }>;
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
      const tags: Record<string, string> = {};
      for (const tag of props.Tags ?? [])
        if (typeof tag.Key === 'string' && typeof tag.Value === 'string') tags[tag.Key] = tag.Value;
      Object.assign(tags, cloudFormationTags(model, logicalId));
      this.secrets.set(logicalId, {
        logicalId,
        name,
        arn: model.arn(logicalId),
        value: entry.value,
        versionId: entry.versionId,
        createdDate: entry.createdDate,
        ...(typeof props.Description === 'string' ? { description: props.Description } : {}),
        tags,
      });
      if (entry.name !== name || entry.description !== props.Description) changed = true;
    }
    // Declared by an earlier template: there until the cleanup phase.
    for (const [logicalId, entry] of Object.entries(stored)) {
      if (this.secrets.has(logicalId)) continue;
      const name = entry.name ?? logicalId.replace(/[0-9A-F]{8}$/, '');
      this.secrets.set(logicalId, {
        logicalId,
        name,
        arn: `arn:aws:secretsmanager:${model.region}:${model.account}:secret:${name}-${secretSuffix(name)}`,
        value: entry.value,
        versionId: entry.versionId,
        createdDate: entry.createdDate,
        ...(entry.description !== undefined ? { description: entry.description } : {}),
        tags: entry.tags ?? cloudFormationTags(model, logicalId),
        removed: true,
      });
    }
    if (changed) this.save();
  }

  /**
   * The cleanup phase of the update: deletes the secrets the template no longer declares (from secrets.json
   * too). Their names, for the log.
   */
  dropRemoved(): string[] {
    const removed = [...this.secrets.values()].filter((s) => s.removed);
    if (removed.length === 0) return [];
    for (const s of removed) this.secrets.delete(s.logicalId);
    const stored = readJson<Stored>(this.file) ?? {};
    for (const s of removed) delete stored[s.logicalId];
    writeJson(this.file, stored, 0o600);
    return removed.map((s) => s.name);
  }

  list(): LocalSecret[] {
    return [...this.secrets.values()];
  }

  /**
   * ListSecrets' Filters: each filter's values are alternatives, filters all apply. A value matches the start of
   * the field (a tag's key or value, the name, the description; `all` any of them), and `!` before it negates
   * the match, as Secrets Manager documents for ListSecrets.
   */
  filter(filters: ReadonlyArray<{ Key?: unknown; Values?: unknown }>): LocalSecret[] {
    const fields = (s: LocalSecret, key: string): string[] => {
      switch (key) {
        case 'name':
          return [s.name];
        case 'description':
          return s.description !== undefined ? [s.description] : [];
        case 'tag-key':
          return Object.keys(s.tags);
        case 'tag-value':
          return Object.values(s.tags);
        case 'all':
          return [
            s.name,
            ...(s.description ? [s.description] : []),
            ...Object.keys(s.tags),
            ...Object.values(s.tags),
          ];
        default:
          return [];
      }
    };
    for (const f of filters) {
      if (typeof f.Key !== 'string' || !FILTER_KEYS.includes(f.Key))
        throw new ServiceError(
          'ValidationException',
          `Filters.Key must be one of ${FILTER_KEYS.join(', ')}, not ${JSON.stringify(f.Key)}`,
        );
      if (!Array.isArray(f.Values) || f.Values.length === 0 || f.Values.some((v) => typeof v !== 'string'))
        throw new ServiceError('ValidationException', `Filters ${f.Key}: Values must be a list of strings`);
    }
    return this.list().filter((s) =>
      filters.every((f) =>
        (f.Values as string[]).some((value) => {
          const negated = value.startsWith('!');
          const prefix = negated ? value.slice(1) : value;
          const hit = fields(s, f.Key as string).some((field) => field.startsWith(prefix));
          return negated ? !hit : hit;
        }),
      ),
    );
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
      stored[s.logicalId] = {
        value: s.value,
        versionId: s.versionId,
        createdDate: s.createdDate,
        name: s.name,
        ...(s.description !== undefined ? { description: s.description } : {}),
        tags: s.tags,
      };
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
