import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads a synthesized stack (a cloud assembly directory) and resolves CloudFormation intrinsics to local values.
 * Everything the local target runs is derived from here, so a resource added to the CDK stack shows up locally
 * without a hand-kept copy.
 */

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  Condition?: string;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Parameters?: Record<string, { Type?: string; Default?: unknown }>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Conditions?: Record<string, unknown>;
}

interface AssetManifest {
  files?: Record<string, { source: { path: string; packaging?: string } }>;
}

export interface Assembly {
  dir: string;
  stackName: string;
  template: CfnTemplate;
  assets: AssetManifest;
  /** The stack's region when the stack is bound to one, else us-east-1. */
  region: string;
}

export const LOCAL_ACCOUNT = '000000000000';
const DEFAULT_REGION = 'us-east-1';
const URL_SUFFIX = 'amazonaws.com';

export class TemplateError extends Error {
  override name = 'TemplateError';
}

export function loadAssembly(dir: string, stackName: string): Assembly {
  const templatePath = join(dir, `${stackName}.template.json`);
  if (!existsSync(templatePath)) {
    const found = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.template.json')) : [];
    throw new TemplateError(
      `No template for stack "${stackName}" in ${dir}` +
        (found.length > 0 ? ` (found: ${found.map((f) => f.replace('.template.json', '')).join(', ')})` : ''),
    );
  }
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as CfnTemplate;
  const assetsPath = join(dir, `${stackName}.assets.json`);
  const assets = existsSync(assetsPath)
    ? (JSON.parse(readFileSync(assetsPath, 'utf8')) as AssetManifest)
    : {};
  return { dir, stackName, template, assets, region: stackRegion(dir, stackName) };
}

function stackRegion(dir: string, stackName: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      artifacts?: Record<string, { environment?: string }>;
    };
    const region = manifest.artifacts?.[stackName]?.environment?.split('/').pop();
    return region && region !== 'unknown-region' ? region : DEFAULT_REGION;
  } catch {
    return DEFAULT_REGION;
  }
}

/** URLs of the local stand-ins; the API URL replaces the HTTP API's execute-api endpoint wherever it appears. */
export interface LocalUrls {
  api: string;
  aws: string;
  dynamodb: string;
  ses: string;
}

export interface FunctionBundle {
  /** The asset directory of the bundle. */
  dir: string;
  /** Absolute path of the handler module (index.mjs for NodejsFunction ESM bundles). */
  file: string;
  exportName: string;
}

const NO_VALUE = Symbol('AWS::NoValue');

/** Property holding the physical name per resource type, when the template sets one. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::IAM::Role': 'RoleName',
  'AWS::SES::ConfigurationSet': 'Name',
  'AWS::SES::EmailIdentity': 'EmailIdentity',
  'AWS::SMSVOICE::ConfigurationSet': 'ConfigurationSetName',
  'AWS::Scheduler::Schedule': 'Name',
  'AWS::Scheduler::ScheduleGroup': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::ApiGatewayV2::Api': 'Name',
};

export class StackModel {
  readonly region: string;
  readonly account = LOCAL_ACCOUNT;
  readonly stackName: string;
  readonly template: CfnTemplate;
  private readonly names = new Map<string, string>();
  private readonly resolvingNames = new Set<string>();
  private urls: LocalUrls | undefined;

  constructor(readonly assembly: Assembly) {
    this.region = assembly.region;
    this.stackName = assembly.stackName;
    this.template = assembly.template;
    this.assignReadableNames();
  }

  /** The local URLs must be known before values that embed them (API endpoint) are resolved. */
  setUrls(urls: LocalUrls): void {
    this.urls = urls;
  }

  /** Resources of the given types whose Condition (if any) holds. */
  resourcesOfType(...types: string[]): Array<[logicalId: string, resource: CfnResource]> {
    return Object.entries(this.template.Resources).filter(
      ([, r]) => types.includes(r.Type) && (r.Condition === undefined || this.condition(r.Condition)),
    );
  }

  resource(logicalId: string): CfnResource {
    const r = this.template.Resources[logicalId];
    if (!r) throw new TemplateError(`The template has no resource "${logicalId}"`);
    return r;
  }

  /** Readable, unique construct id: from aws:cdk:path when present, else the logical id without its hash. */
  readableName(logicalId: string): string {
    return this.names.get(logicalId) ?? logicalId;
  }

  /** The local physical name: the name the template sets, else the readable construct id. */
  physicalName(logicalId: string): string {
    const r = this.resource(logicalId);
    const prop = NAME_PROPERTY[r.Type];
    const declared = prop ? r.Properties?.[prop] : undefined;
    if (declared !== undefined && !this.resolvingNames.has(logicalId)) {
      this.resolvingNames.add(logicalId);
      try {
        const value = this.resolve(declared, `${logicalId}.${prop}`);
        if (typeof value === 'string' && value !== '') return value;
      } finally {
        this.resolvingNames.delete(logicalId);
      }
    }
    return this.readableName(logicalId);
  }

  arn(logicalId: string): string {
    const r = this.resource(logicalId);
    const name = this.physicalName(logicalId);
    const { region, account } = this;
    switch (r.Type) {
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${account}:function:${name}`;
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable':
        return `arn:aws:dynamodb:${region}:${account}:table/${name}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${region}:${account}:stateMachine:${name}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${secretSuffix(name)}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${account}:role/${name}`;
      case 'AWS::Events::Rule':
        return `arn:aws:events:${region}:${account}:rule/${name}`;
      case 'AWS::Scheduler::Schedule':
        return `arn:aws:scheduler:${region}:${account}:schedule/default/${name}`;
      case 'AWS::SES::ConfigurationSet':
        return `arn:aws:ses:${region}:${account}:configuration-set/${name}`;
      case 'AWS::SMSVOICE::ConfigurationSet':
        return `arn:aws:sms-voice:${region}:${account}:configuration-set/${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${region}:${account}:log-group:${name}:*`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${name}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${region}:${account}:${name}`;
      default: {
        const [, service = 'local', kind = 'resource'] = r.Type.split('::');
        return `arn:aws:${service.toLowerCase()}:${region}:${account}:${kind.toLowerCase()}/${name}`;
      }
    }
  }

  /** The 10-character id the HTTP API gets locally; execute-api URLs built from it are rewritten to the local URL. */
  apiId(logicalId: string): string {
    return createHash('sha256').update(logicalId).digest('hex').slice(0, 10);
  }

  ref(logicalId: string): unknown {
    const pseudo = this.pseudo(logicalId);
    if (pseudo !== undefined) return pseudo;
    const parameter = this.template.Parameters?.[logicalId];
    if (parameter) {
      if (parameter.Default === undefined) {
        throw new TemplateError(
          `Parameter "${logicalId}" has no default, and the local target cannot ask for one`,
        );
      }
      return parameter.Type?.startsWith('List<') || parameter.Type === 'CommaDelimitedList'
        ? String(parameter.Default).split(',')
        : parameter.Default;
    }
    const r = this.resource(logicalId);
    switch (r.Type) {
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::SecretsManager::Secret':
      case 'AWS::SNS::Topic':
        return this.arn(logicalId);
      case 'AWS::ApiGatewayV2::Api':
        return this.apiId(logicalId);
      case 'AWS::SQS::Queue':
        return `${this.urls?.aws ?? 'http://localhost'}/${this.account}/${this.physicalName(logicalId)}`;
      default:
        return this.physicalName(logicalId);
    }
  }

  getAtt(logicalId: string, attribute: string): unknown {
    const r = this.resource(logicalId);
    if (attribute === 'Arn') return this.arn(logicalId);
    switch (`${r.Type}.${attribute}`) {
      case 'AWS::ApiGatewayV2::Api.ApiEndpoint':
        return this.requireUrls(`${logicalId}.ApiEndpoint`).api;
      case 'AWS::ApiGatewayV2::Api.ApiId':
        return this.apiId(logicalId);
      case 'AWS::StepFunctions::StateMachine.Name':
        return this.physicalName(logicalId);
      case 'AWS::DynamoDB::Table.StreamArn':
      case 'AWS::DynamoDB::GlobalTable.StreamArn':
        return `${this.arn(logicalId)}/stream/local`;
      case 'AWS::DynamoDB::GlobalTable.TableId':
      case 'AWS::DynamoDB::Table.TableId':
      case 'AWS::IAM::Role.RoleId':
        return createHash('sha256').update(logicalId).digest('hex').slice(0, 20).toUpperCase();
      case 'AWS::SecretsManager::Secret.Id':
        return this.arn(logicalId);
      default:
        return `${this.physicalName(logicalId)}.${attribute}`;
    }
  }

  /** Resolves every intrinsic in `value`; `where` names the property in errors. */
  resolve(value: unknown, where: string): unknown {
    const out = this.resolveValue(value, where);
    return out === NO_VALUE ? undefined : out;
  }

  resolveString(value: unknown, where: string): string {
    const out = this.resolve(value, where);
    if (typeof out !== 'string') throw new TemplateError(`${where} does not resolve to a string`);
    return out;
  }

  /** The asset directory and handler module of a Lambda function, from Code.S3Key and the assets manifest. */
  functionBundle(logicalId: string): FunctionBundle {
    const props = this.resource(logicalId).Properties ?? {};
    const code = (props.Code ?? {}) as Record<string, unknown>;
    const name = this.readableName(logicalId);
    if (code.ZipFile !== undefined) {
      throw new TemplateError(
        `Function ${name} has inline code (ZipFile), which the local target does not run`,
      );
    }
    const key = this.resolve(code.S3Key, `${logicalId}.Code.S3Key`);
    const hash = typeof key === 'string' ? key.replace(/\.zip$/, '') : undefined;
    const source = hash ? this.assembly.assets.files?.[hash]?.source : undefined;
    if (!hash || !source) {
      throw new TemplateError(
        `Function ${name}: its code asset (${String(key)}) is not in the assets manifest`,
      );
    }
    const dir = join(this.assembly.dir, source.path);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new TemplateError(
        `Function ${name}: its code asset ${dir} is not a directory (synthesize with bundling)`,
      );
    }
    const handler = typeof props.Handler === 'string' ? props.Handler : 'index.handler';
    const dot = handler.lastIndexOf('.');
    const modulePath = handler.slice(0, dot);
    const exportName = handler.slice(dot + 1);
    const file = ['.mjs', '.js', '.cjs'].map((ext) => join(dir, modulePath + ext)).find((f) => existsSync(f));
    if (!file)
      throw new TemplateError(`Function ${name}: no ${modulePath}.mjs/.js/.cjs in its bundle ${dir}`);
    return { dir, file, exportName };
  }

  condition(name: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new TemplateError(`Unknown condition "${name}"`);
    return Boolean(this.resolve(definition, `Conditions.${name}`));
  }

  private requireUrls(where: string): LocalUrls {
    if (!this.urls) throw new TemplateError(`${where} needs the local URLs, which are not known yet`);
    return this.urls;
  }

  private pseudo(name: string): unknown {
    switch (name) {
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return this.account;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return URL_SUFFIX;
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.region}:${this.account}:stack/${this.stackName}/local`;
      case 'AWS::NotificationARNs':
        return [];
      case 'AWS::NoValue':
        return NO_VALUE;
      default:
        return undefined;
    }
  }

  private resolveValue(value: unknown, where: string): unknown {
    if (Array.isArray(value)) {
      return value.map((v, i) => this.resolveValue(v, `${where}[${i}]`)).filter((v) => v !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') {
      return typeof value === 'string' ? this.localiseUrls(value) : value;
    }
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (
      entries.length === 1 &&
      first &&
      (first[0] === 'Ref' || first[0].startsWith('Fn::') || first[0] === 'Condition')
    ) {
      return this.intrinsic(first[0], first[1], where);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const resolved = this.resolveValue(v, `${where}.${k}`);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  private intrinsic(fn: string, arg: unknown, where: string): unknown {
    const r = (v: unknown) => this.resolveValue(v, where);
    const list = (v: unknown): unknown[] => {
      const out = r(v);
      if (!Array.isArray(out)) throw new TemplateError(`${where}: ${fn} expects a list`);
      return out;
    };
    switch (fn) {
      case 'Ref':
        return this.ref(String(arg));
      case 'Condition':
        return this.condition(String(arg));
      case 'Fn::GetAtt': {
        const [id, ...attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
        return this.getAtt(String(id), attr.map((a) => String(r(a))).join('.'));
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown];
        return this.localiseUrls(list(parts).map(String).join(separator));
      }
      case 'Fn::Sub':
        return this.sub(arg, where);
      case 'Fn::Select': {
        const [index, items] = arg as [unknown, unknown];
        const picked = list(items)[Number(r(index))];
        if (picked === undefined) throw new TemplateError(`${where}: Fn::Select index out of range`);
        return picked;
      }
      case 'Fn::Split': {
        const [separator, source] = arg as [string, unknown];
        return String(r(source)).split(separator);
      }
      case 'Fn::Base64':
        return Buffer.from(String(r(arg))).toString('base64');
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((z) => `${this.region}${z}`);
      case 'Fn::FindInMap': {
        const [map, top, second] = list(arg).map(String);
        const found = this.template.Mappings?.[map ?? '']?.[top ?? '']?.[second ?? ''];
        if (found === undefined)
          throw new TemplateError(`${where}: Fn::FindInMap ${map}/${top}/${second} not found`);
        return r(found);
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
        return this.condition(condition) ? r(whenTrue) : r(whenFalse);
      }
      case 'Fn::Equals': {
        const [a, b] = list(arg);
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::Not':
        return !list(arg)[0];
      case 'Fn::And':
        return list(arg).every(Boolean);
      case 'Fn::Or':
        return list(arg).some(Boolean);
      case 'Fn::ToJsonString':
        return JSON.stringify(r(arg));
      case 'Fn::Length':
        return list(arg).length;
      default:
        throw new TemplateError(`${where}: ${fn} is not supported by the local target`);
    }
  }

  private sub(arg: unknown, where: string): string {
    const [text, variables] = Array.isArray(arg)
      ? [String(arg[0]), (arg[1] ?? {}) as Record<string, unknown>]
      : [String(arg), {}];
    const replaced = text.replace(/\$\{(!?)([^}]+)\}/g, (_, literal: string, name: string) => {
      if (literal) return `\${${name}}`;
      if (name in variables) return String(this.resolveValue(variables[name], where));
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::'))
        return String(this.getAtt(name.slice(0, dot), name.slice(dot + 1)));
      return String(this.ref(name));
    });
    return this.localiseUrls(replaced);
  }

  /** `https://<apiId>.execute-api.<region>.amazonaws.com` (how CDK spells the API URL) -> the local API URL. */
  private localiseUrls(text: string): string {
    if (!this.urls || !text.includes('.execute-api.')) return text;
    let out = text;
    for (const [id] of this.resourcesOfType('AWS::ApiGatewayV2::Api')) {
      out = out
        .split(`https://${this.apiId(id)}.execute-api.${this.region}.${URL_SUFFIX}`)
        .join(this.urls.api);
    }
    return out;
  }

  private assignReadableNames(): void {
    const candidates = new Map<string, string>();
    for (const [id, r] of Object.entries(this.template.Resources)) {
      candidates.set(id, candidateName(id, r, this.stackName));
    }
    const counts = new Map<string, number>();
    for (const name of candidates.values()) counts.set(name, (counts.get(name) ?? 0) + 1);
    for (const [id, name] of candidates) this.names.set(id, counts.get(name) === 1 ? name : id);
  }
}

function candidateName(logicalId: string, r: CfnResource, stackName: string): string {
  const path = r.Metadata?.['aws:cdk:path'];
  if (typeof path === 'string') {
    const segments = path.split('/').filter((s, i) => !(i === 0 && s === stackName));
    while (segments.length > 1 && ['Resource', 'Default'].includes(segments.at(-1) ?? '')) segments.pop();
    const last = segments.at(-1);
    if (last) return sanitise(last);
  }
  return logicalId.replace(/[0-9A-F]{8}$/, '') || logicalId;
}

function sanitise(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '-');
}

/** Secrets Manager appends 6 random characters to a secret's ARN; locally they derive from the name. */
export function secretSuffix(name: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const digest = createHash('sha256').update(name).digest();
  return Array.from(digest.subarray(0, 6), (b) => alphabet[b % alphabet.length]).join('');
}
