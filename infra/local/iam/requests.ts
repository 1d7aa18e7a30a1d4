import { createHash, randomUUID } from 'node:crypto';

/**
 * What AWS authorises for each API request that reaches the local stand-ins (dynalite, aws-ses-v2-local and the
 * local AWS endpoint): the request's IAM action(s), the resource ARN(s) they apply to and the condition keys the
 * request sets, as the Service Authorization Reference describes them. Pure: the caller reads the request and
 * supplies lookups into the local state; evaluating policies is another module's job. A request this cannot map
 * throws UnmappedCallError, so enforcement refuses it rather than letting it through unchecked.
 */

/** One IAM authorisation AWS checks for a request: an action on one resource ARN, with condition keys. */
export interface Authorization {
  action: string;
  resource: string;
  context?: Record<string, string | string[] | undefined>;
}

export type Protocol = 'awsJson' | 'restJson' | 'query';

/** What a request asks, for authorisation and logs. */
export interface AwsCall {
  service: string; // 'dynamodb' | 'ses' | 'states' | 'secretsmanager' | 'ssm' | 'lambda' | ...
  operation: string; // the API operation name, e.g. 'PutItem', 'SendEmail'
  /** The wire protocol the request came in on: it decides the shape of the AccessDenied answer. */
  protocol: Protocol;
  /** Every authorisation AWS checks; all must be allowed. Empty only for calls AWS does not authorise. */
  authorizations: Authorization[];
}

/** Where the caller is and how names become ARNs (the caller supplies lookups into the local state). */
export interface CallEnvironment {
  region: string;
  account: string;
  /** A task token -> the ARN of the state machine whose execution issued it (undefined when unknown). */
  stateMachineOfToken?: (token: string) => string | undefined;
  /** A Secrets Manager SecretId (name, partial or full ARN) -> the secret's full ARN. */
  secretArn?: (secretId: string) => string | undefined;
  /** A secret's full ARN -> its tags (undefined when unknown): the ResourceTag condition keys. */
  secretTags?: (arn: string) => Record<string, string> | undefined;
  /** A Lambda FunctionName (name, partial ARN or ARN, maybe qualified) -> the unqualified function ARN. */
  functionArn?: (name: string) => string | undefined;
}

/** Thrown for a request that cannot be mapped (unknown operation): enforcement refuses what it cannot authorise. */
export class UnmappedCallError extends Error {
  override name = 'UnmappedCallError';
}

type Json = Record<string, unknown>;
type Context = NonNullable<Authorization['context']>;

const record = (value: unknown): Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

const arnOf = (env: CallEnvironment, service: string, resource: string) =>
  `arn:${partitionOf(env.region)}:${service}:${env.region}:${env.account}:${resource}`;

/** Keeps the keys that have a value, and no context at all when none has: logs stay short. */
function contextOf(entries: Context): Context | undefined {
  const kept = Object.entries(entries).filter(
    ([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0),
  );
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

function authorization(action: string, resource: string, context?: Context): Authorization {
  const ctx = context && contextOf(context);
  return ctx ? { action, resource, context: ctx } : { action, resource };
}

/** Identical checks (two transaction items on one table) decide alike: one is enough. */
function distinct(authorizations: Authorization[]): Authorization[] {
  const seen = new Set<string>();
  return authorizations.filter((a) => {
    const key = JSON.stringify([a.action, a.resource, a.context ?? null]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function required(body: Json, field: string, what: string): string {
  const value = str(body[field]);
  // AWS rejects such a request as invalid before authorising it; locally, refusing it is the safe side.
  if (!value) throw new UnmappedCallError(`${what} without ${field}: nothing to authorise it against`);
  return value;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? value[0] : value;
}

/** The access key id in a SigV4 `Authorization` header (or a presigned query's X-Amz-Credential), if any. */
export function accessKeyOf(
  headers: Record<string, string | string[] | undefined>,
  url?: string,
): string | undefined {
  const auth = header(headers, 'authorization');
  if (auth) {
    // SigV4 and SigV4a: `<algorithm> Credential=<key id>/<date>/<region>/<service>/aws4_request, ...`.
    const v4 = /\bCredential=([^/,\s]+)\//.exec(auth);
    if (v4?.[1]) return v4[1];
    const v2 = /^AWS ([^:\s]+):/.exec(auth);
    if (v2?.[1]) return v2[1];
  }
  const query = url?.split('?')[1];
  if (query === undefined) return undefined;
  const params = new URLSearchParams(query);
  const credential = params.get('X-Amz-Credential') ?? params.get('x-amz-credential');
  return credential?.split('/')[0] || params.get('AWSAccessKeyId') || undefined;
}

// ---------------------------------------------------------------------------------------------------- DynamoDB

const DYNAMODB_TARGET = 'DynamoDB_20120810.';

const DYNAMODB_ITEM_OPERATIONS = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem']);
const DYNAMODB_TABLE_OPERATIONS = new Set([
  'DescribeTable',
  'CreateTable',
  'DeleteTable',
  'UpdateTable',
  'DescribeTimeToLive',
  'UpdateTimeToLive',
  'DescribeContinuousBackups',
]);
const DYNAMODB_ACCOUNT_OPERATIONS = new Set(['ListTables', 'DescribeLimits', 'DescribeEndpoints']);
const DYNAMODB_TAG_OPERATIONS = new Set(['TagResource', 'UntagResource', 'ListTagsOfResource']);

/** Transaction items: the member names the per-item action; there is no IAM action for a transaction itself. */
const TRANSACT_ITEM_ACTIONS: Record<string, string> = {
  Get: 'dynamodb:GetItem',
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

const dynamoDbContext = (body: Json, enclosing?: string): Context => ({
  'dynamodb:ReturnValues': str(body.ReturnValues),
  'dynamodb:ReturnConsumedCapacity': str(body.ReturnConsumedCapacity),
  'dynamodb:Select': str(body.Select),
  'dynamodb:EnclosingOperation': enclosing,
});

/** A DynamoDB JSON 1.0 request (x-amz-target `DynamoDB_20120810.<Op>`, JSON body). */
export function dynamoDbCall(target: string, body: unknown, env: CallEnvironment): AwsCall {
  if (!target.startsWith(DYNAMODB_TARGET)) {
    throw new UnmappedCallError(
      `dynamodb: ${target || 'a request without x-amz-target'} is not a DynamoDB call`,
    );
  }
  const operation = target.slice(DYNAMODB_TARGET.length);
  const b = record(body);
  const table = (name: string) => (name.startsWith('arn:') ? name : arnOf(env, 'dynamodb', `table/${name}`));
  const tableOf = (item: Json) => table(required(item, 'TableName', `dynamodb:${operation}`));
  const call = (authorizations: Authorization[]): AwsCall => ({
    service: 'dynamodb',
    operation,
    protocol: 'awsJson',
    authorizations: distinct(authorizations),
  });

  if (DYNAMODB_ITEM_OPERATIONS.has(operation) || DYNAMODB_TABLE_OPERATIONS.has(operation)) {
    return call([authorization(`dynamodb:${operation}`, tableOf(b), dynamoDbContext(b))]);
  }
  if (DYNAMODB_ACCOUNT_OPERATIONS.has(operation)) {
    return call([authorization(`dynamodb:${operation}`, '*')]);
  }
  if (DYNAMODB_TAG_OPERATIONS.has(operation)) {
    return call([
      authorization(`dynamodb:${operation}`, required(b, 'ResourceArn', `dynamodb:${operation}`)),
    ]);
  }
  switch (operation) {
    case 'Query':
    case 'Scan': {
      const index = str(b.IndexName);
      const resource = index ? `${tableOf(b)}/index/${index}` : tableOf(b);
      return call([authorization(`dynamodb:${operation}`, resource, dynamoDbContext(b))]);
    }
    case 'BatchGetItem':
    case 'BatchWriteItem': {
      const tables = Object.keys(record(b.RequestItems));
      if (tables.length === 0) throw new UnmappedCallError(`dynamodb:${operation} without RequestItems`);
      return call(
        tables.map((name) => authorization(`dynamodb:${operation}`, table(name), dynamoDbContext(b))),
      );
    }
    case 'TransactGetItems':
    case 'TransactWriteItems': {
      const items = Array.isArray(b.TransactItems) ? b.TransactItems.map(record) : [];
      if (items.length === 0) throw new UnmappedCallError(`dynamodb:${operation} without TransactItems`);
      return call(
        items.map((item) => {
          const [kind, action] =
            Object.entries(TRANSACT_ITEM_ACTIONS).find(([k]) => item[k] !== undefined) ?? [];
          if (!kind || !action) {
            throw new UnmappedCallError(
              `dynamodb:${operation}: an item with none of Get/Put/Update/Delete/ConditionCheck`,
            );
          }
          const member = record(item[kind]);
          return authorization(action, tableOf(member), {
            ...dynamoDbContext(member, operation),
            'dynamodb:ReturnConsumedCapacity': str(b.ReturnConsumedCapacity),
          });
        }),
      );
    }
    default:
      throw new UnmappedCallError(`dynamodb: operation ${operation} is not mapped to IAM authorisations`);
  }
}

// ---------------------------------------------------------------------------------------------------------- SES

/** `"Name" <a@b>`, `Name <a@b>` or `a@b` -> `a@b`: SES authorises the address, whatever the display name. */
function addressOf(mailbox: string): string {
  const angle = /<([^<>]*)>\s*$/.exec(mailbox);
  return (angle?.[1] ?? mailbox).trim();
}

function displayNameOf(mailbox: string): string | undefined {
  const at = mailbox.lastIndexOf('<');
  if (at < 0) return undefined;
  const name = mailbox
    .slice(0, at)
    .trim()
    .replace(/^"(.*)"$/, '$1');
  return name || undefined;
}

/** An address list header split at the commas outside quotes and angle brackets. */
function mailboxes(list: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  let angled = false;
  for (const c of list) {
    if (c === '"') quoted = !quoted;
    else if (c === '<' && !quoted) angled = true;
    else if (c === '>' && !quoted) angled = false;
    if (c === ',' && !quoted && !angled) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out.map((m) => m.trim()).filter((m) => m.length > 0);
}

/** The header section of a base64 raw MIME message, unfolded, by lower-case header name. */
function rawHeaders(base64: string | undefined): Map<string, string> {
  const headers = new Map<string, string>();
  if (!base64) return headers;
  const text = Buffer.from(base64, 'base64').toString('utf8');
  const end = /\r?\n\r?\n/.exec(text);
  const section = (end ? text.slice(0, end.index) : text).replace(/\r?\n[ \t]+/g, ' ');
  for (const line of section.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    // The first occurrence wins, as for the sender SES takes from the message.
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}

const rawRecipients = (headers: Map<string, string>) =>
  ['to', 'cc', 'bcc'].flatMap((h) => mailboxes(headers.get(h) ?? '')).map(addressOf);

interface SendRequest {
  version: '1' | '2';
  action: string;
  /** The From mailbox, display name and all. */
  from: string | undefined;
  /** A sending-authorisation identity ARN (FromEmailAddressIdentityArn, SourceArn, FromArn): used as is. */
  identityArn?: string | undefined;
  recipients: string[];
  configurationSet?: string | undefined;
  template?: string | undefined;
  contactList?: string | undefined;
  feedbackAddress?: string | undefined;
}

/**
 * SES checks the sending action on the From identity and, when the mail goes through one, on the configuration
 * set (and the template and contact list a v2 send names): all must be allowed. The condition keys are the same
 * on each.
 */
function sendAuthorizations(send: SendRequest, env: CallEnvironment): Authorization[] {
  if (!send.from && !send.identityArn) {
    throw new UnmappedCallError(`${send.action} without a From address: nothing to authorise it against`);
  }
  const address = send.from ? addressOf(send.from) : undefined;
  const context: Context = {
    'ses:FromAddress': address,
    'ses:FromDisplayName': send.from ? displayNameOf(send.from) : undefined,
    'ses:Recipients': send.recipients,
    'ses:FeedbackAddress': send.feedbackAddress ? addressOf(send.feedbackAddress) : undefined,
    'ses:ApiVersion': send.version,
  };
  const resources = [
    send.identityArn ?? arnOf(env, 'ses', `identity/${address}`),
    send.configurationSet && arnOf(env, 'ses', `configuration-set/${send.configurationSet}`),
    send.template &&
      (send.template.startsWith('arn:') ? send.template : arnOf(env, 'ses', `template/${send.template}`)),
    send.contactList && arnOf(env, 'ses', `contact-list/${send.contactList}`),
  ].filter((r): r is string => typeof r === 'string' && r.length > 0);
  return resources.map((resource) => authorization(send.action, resource, context));
}

/** The one resource a mapped SES v2 operation is authorised on (the action is `ses:<Operation>`). */
type SesV2Resource = (labels: Record<string, string>, body: Json, env: CallEnvironment) => string;

const anyResource: SesV2Resource = () => '*';
const sesResource =
  (kind: string, label: string): SesV2Resource =>
  (labels, _body, env) =>
    arnOf(env, 'ses', `${kind}/${labels[label]}`);

/** SES v2 REST routes (method, path template from the SDK's model) that are mapped besides SendEmail. */
const SES_V2_ROUTES: Array<[method: string, template: string, operation: string, resource: SesV2Resource]> = [
  ['GET', '/v2/email/account', 'GetAccount', anyResource],
  ['PUT', '/v2/email/account/sending', 'PutAccountSendingAttributes', anyResource],
  ['PUT', '/v2/email/account/suppression', 'PutAccountSuppressionAttributes', anyResource],
  ['GET', '/v2/email/suppression/addresses', 'ListSuppressedDestinations', anyResource],
  ['PUT', '/v2/email/suppression/addresses', 'PutSuppressedDestination', anyResource],
  ['GET', '/v2/email/suppression/addresses/{EmailAddress}', 'GetSuppressedDestination', anyResource],
  ['DELETE', '/v2/email/suppression/addresses/{EmailAddress}', 'DeleteSuppressedDestination', anyResource],
  ['POST', '/v2/email/list-identities', 'ListEmailIdentities', anyResource],
  [
    'POST',
    '/v2/email/identities',
    'CreateEmailIdentity',
    (_labels, body, env) =>
      arnOf(env, 'ses', `identity/${required(body, 'EmailIdentity', 'ses:CreateEmailIdentity')}`),
  ],
  [
    'GET',
    '/v2/email/identities/{EmailIdentity}',
    'GetEmailIdentity',
    sesResource('identity', 'EmailIdentity'),
  ],
  [
    'DELETE',
    '/v2/email/identities/{EmailIdentity}',
    'DeleteEmailIdentity',
    sesResource('identity', 'EmailIdentity'),
  ],
  ['POST', '/v2/email/list-configuration-sets', 'ListConfigurationSets', anyResource],
  [
    'GET',
    '/v2/email/configuration-sets/{ConfigurationSetName}',
    'GetConfigurationSet',
    sesResource('configuration-set', 'ConfigurationSetName'),
  ],
  ['GET', '/v2/email/templates', 'ListEmailTemplates', anyResource],
  ['GET', '/v2/email/templates/{TemplateName}', 'GetEmailTemplate', sesResource('template', 'TemplateName')],
];

function matchTemplate(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = path.replace(/\/+$/, '').split('/');
  if (want.length !== got.length) return undefined;
  const labels: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const actual = got[i] ?? '';
    const label = /^\{(\w+)\}$/.exec(part)?.[1];
    if (label) {
      if (!actual) return undefined;
      try {
        labels[label] = decodeURIComponent(actual);
      } catch {
        throw new UnmappedCallError(`${path}: ${actual} is not a valid URI component`);
      }
    } else if (part !== actual) return undefined;
  }
  return labels;
}

function sesV2Call(method: string, path: string, body: string, env: CallEnvironment): AwsCall {
  const call = (operation: string, authorizations: Authorization[]): AwsCall => ({
    service: 'ses',
    operation,
    protocol: 'restJson',
    authorizations,
  });
  let parsed: Json = {};
  if (body.trim().length > 0) {
    try {
      parsed = record(JSON.parse(body));
    } catch {
      throw new UnmappedCallError(`ses: ${method} ${path} has a body that is not JSON`);
    }
  }
  if (method === 'POST' && matchTemplate('/v2/email/outbound-emails', path)) {
    const content = record(parsed.Content);
    const raw = content.Raw === undefined ? undefined : record(content.Raw);
    const headers = rawHeaders(raw ? str(raw.Data) : undefined);
    const destination = record(parsed.Destination);
    const listed = [
      ...strings(destination.ToAddresses),
      ...strings(destination.CcAddresses),
      ...strings(destination.BccAddresses),
    ].map(addressOf);
    const from = str(parsed.FromEmailAddress) ?? mailboxes(headers.get('from') ?? '')[0];
    const template = record(content.Template);
    return call(
      'SendEmail',
      sendAuthorizations(
        {
          version: '2',
          // SES v2 authorises a raw-content SendEmail as SendRawEmail, not SendEmail.
          action: raw ? 'ses:SendRawEmail' : 'ses:SendEmail',
          from,
          identityArn: str(parsed.FromEmailAddressIdentityArn),
          recipients: listed.length > 0 || !raw ? listed : rawRecipients(headers),
          configurationSet: str(parsed.ConfigurationSetName),
          template: str(template.TemplateArn) ?? str(template.TemplateName),
          contactList: str(record(parsed.ListManagementOptions).ContactListName),
          feedbackAddress: str(parsed.FeedbackForwardingEmailAddress),
        },
        env,
      ),
    );
  }
  for (const [routeMethod, template, operation, resource] of SES_V2_ROUTES) {
    if (routeMethod !== method) continue;
    const labels = matchTemplate(template, path);
    if (labels) return call(operation, [authorization(`ses:${operation}`, resource(labels, parsed, env))]);
  }
  throw new UnmappedCallError(`ses: ${method} ${path} is not a mapped SES v2 operation`);
}

/** `Prefix.member.1`, `Prefix.member.2`, ... in member order. */
function members(form: URLSearchParams, prefix: string): string[] {
  const found: Array<[number, string]> = [];
  for (const [key, value] of form) {
    const n = key.startsWith(`${prefix}.member.`) ? Number(key.slice(prefix.length + 8)) : Number.NaN;
    if (Number.isInteger(n)) found.push([n, value]);
  }
  return found.sort(([a], [b]) => a - b).map(([, v]) => v);
}

/** SES v1 operations that name no resource: AWS authorises them on `*`. */
const SES_V1_ACCOUNT_OPERATIONS = new Set([
  'GetSendQuota',
  'GetSendStatistics',
  'GetAccountSendingEnabled',
  'ListIdentities',
  'ListVerifiedEmailAddresses',
  'ListConfigurationSets',
  'ListTemplates',
]);

function sesV1Call(form: URLSearchParams, env: CallEnvironment): AwsCall {
  const operation = form.get('Action') ?? '';
  const call = (authorizations: Authorization[]): AwsCall => ({
    service: 'ses',
    operation,
    protocol: 'query',
    authorizations,
  });
  const destination = [
    ...members(form, 'Destination.ToAddresses'),
    ...members(form, 'Destination.CcAddresses'),
    ...members(form, 'Destination.BccAddresses'),
  ].map(addressOf);
  const common = {
    version: '1' as const,
    configurationSet: form.get('ConfigurationSetName') ?? undefined,
    feedbackAddress: form.get('ReturnPath') ?? undefined,
  };
  switch (operation) {
    case 'SendEmail':
    case 'SendTemplatedEmail':
      return call(
        sendAuthorizations(
          {
            ...common,
            action: `ses:${operation}`,
            from: form.get('Source') ?? undefined,
            identityArn: form.get('SourceArn') ?? undefined,
            recipients: destination,
            template:
              operation === 'SendTemplatedEmail'
                ? (form.get('TemplateArn') ?? form.get('Template') ?? undefined)
                : undefined,
          },
          env,
        ),
      );
    case 'SendRawEmail': {
      const headers = rawHeaders(form.get('RawMessage.Data') ?? undefined);
      const listed = members(form, 'Destinations').map(addressOf);
      return call(
        sendAuthorizations(
          {
            ...common,
            action: 'ses:SendRawEmail',
            from: form.get('Source') ?? mailboxes(headers.get('from') ?? '')[0],
            identityArn: form.get('FromArn') ?? form.get('SourceArn') ?? undefined,
            recipients: listed.length > 0 ? listed : rawRecipients(headers),
          },
          env,
        ),
      );
    }
    default:
      if (SES_V1_ACCOUNT_OPERATIONS.has(operation)) return call([authorization(`ses:${operation}`, '*')]);
      throw new UnmappedCallError(
        `ses: ${operation ? `operation ${operation}` : 'a query request without Action'} is not mapped to IAM authorisations`,
      );
  }
}

/** An SES request: v2 REST (`/v2/email/...`) or v1 query (form body with Action=...). */
export function sesCall(
  method: string,
  path: string,
  body: string,
  contentType: string | undefined,
  env: CallEnvironment,
): AwsCall {
  const [pathname = '', query = ''] = path.split('?');
  if (pathname.startsWith('/v2/')) return sesV2Call(method.toUpperCase(), pathname, body, env);
  const form = new URLSearchParams(query);
  const isForm = (contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
  if (isForm || /(^|&)Action=/.test(body)) {
    for (const [key, value] of new URLSearchParams(body)) form.append(key, value);
  }
  if (form.has('Action')) return sesV1Call(form, env);
  throw new UnmappedCallError(`ses: ${method} ${pathname} is neither an SES v2 nor an SES v1 query request`);
}

// ------------------------------------------------------------------------------------- the local AWS endpoint

type ResourceOf = (body: Json, env: CallEnvironment, operation: string) => Authorization[];

const byField =
  (service: string, field: string): ResourceOf =>
  (b, _env, operation) => [
    authorization(`${service}:${operation}`, required(b, field, `${service}:${operation}`)),
  ];
const everything =
  (service: string): ResourceOf =>
  (_b, _env, operation) => [authorization(`${service}:${operation}`, '*')];

const taskToken: ResourceOf = (b, env, operation) => {
  const token = required(b, 'taskToken', `states:${operation}`);
  // The Service Authorization Reference lists no resource type for SendTaskSuccess/Failure/Heartbeat, yet AWS
  // is observed to authorise them against the state machine whose execution issued the token (denials read
  // `... not authorized to perform: states:SendTaskFailure on resource: arn:aws:states:...:stateMachine:<name>`),
  // and policies scoped to that state machine work. So: the state machine when the token is known; `*` when it
  // is not (AWS would answer TaskDoesNotExist or InvalidToken after authorising).
  return [authorization(`states:${operation}`, env.stateMachineOfToken?.(token) ?? '*')];
};

const STATES_OPERATIONS: Record<string, ResourceOf> = {
  StartExecution: byField('states', 'stateMachineArn'),
  StartSyncExecution: byField('states', 'stateMachineArn'),
  DescribeStateMachine: byField('states', 'stateMachineArn'),
  UpdateStateMachine: byField('states', 'stateMachineArn'),
  DeleteStateMachine: byField('states', 'stateMachineArn'),
  PublishStateMachineVersion: byField('states', 'stateMachineArn'),
  ListStateMachineVersions: byField('states', 'stateMachineArn'),
  ListStateMachineAliases: byField('states', 'stateMachineArn'),
  DeleteStateMachineVersion: byField('states', 'stateMachineVersionArn'),
  // A Map Run's child executions are listed by the Map Run's ARN instead of the state machine's.
  ListExecutions: (b, _env, operation) => [
    authorization(
      `states:${operation}`,
      str(b.stateMachineArn) ?? required(b, 'mapRunArn', `states:${operation}`),
    ),
  ],
  DescribeExecution: byField('states', 'executionArn'),
  StopExecution: byField('states', 'executionArn'),
  GetExecutionHistory: byField('states', 'executionArn'),
  DescribeStateMachineForExecution: byField('states', 'executionArn'),
  RedriveExecution: byField('states', 'executionArn'),
  ListMapRuns: byField('states', 'executionArn'),
  DescribeMapRun: byField('states', 'mapRunArn'),
  UpdateMapRun: byField('states', 'mapRunArn'),
  DescribeStateMachineAlias: byField('states', 'stateMachineAliasArn'),
  UpdateStateMachineAlias: byField('states', 'stateMachineAliasArn'),
  DeleteStateMachineAlias: byField('states', 'stateMachineAliasArn'),
  DescribeActivity: byField('states', 'activityArn'),
  DeleteActivity: byField('states', 'activityArn'),
  GetActivityTask: byField('states', 'activityArn'),
  TagResource: byField('states', 'resourceArn'),
  UntagResource: byField('states', 'resourceArn'),
  ListTagsForResource: byField('states', 'resourceArn'),
  SendTaskSuccess: taskToken,
  SendTaskFailure: taskToken,
  SendTaskHeartbeat: taskToken,
  ListStateMachines: everything('states'),
  ListActivities: everything('states'),
  ValidateStateMachineDefinition: everything('states'),
  // Creating a state machine hands it a role: AWS checks iam:PassRole on that role as well.
  CreateStateMachine: (b, env, operation) => [
    authorization(
      `states:${operation}`,
      arnOf(env, 'states', `stateMachine:${required(b, 'name', `states:${operation}`)}`),
    ),
    authorization('iam:PassRole', required(b, 'roleArn', `states:${operation}`), {
      'iam:PassedToService': 'states.amazonaws.com',
    }),
  ],
  CreateActivity: (b, env, operation) => [
    authorization(
      `states:${operation}`,
      arnOf(env, 'states', `activity:${required(b, 'name', `states:${operation}`)}`),
    ),
  ],
};

/**
 * The secret a SecretId names. When the local state does not know it, AWS still authorises against the ARN the
 * request names (then answers ResourceNotFound), so a name becomes the ARN it would have without its suffix.
 */
function secretResource(secretId: string, env: CallEnvironment): string {
  return (
    env.secretArn?.(secretId) ??
    (secretId.startsWith('arn:') ? secretId : arnOf(env, 'secretsmanager', `secret:${secretId}`))
  );
}

const secretContext = (b: Json): Context => ({
  'secretsmanager:SecretId': str(b.SecretId),
  'secretsmanager:VersionId': str(b.VersionId),
  'secretsmanager:VersionStage': str(b.VersionStage),
  'secretsmanager:KmsKeyId': str(b.KmsKeyId),
  'secretsmanager:Description': str(b.Description),
  'secretsmanager:RotationLambdaARN': str(b.RotationLambdaARN),
});

/**
 * The secret's tags, under both keys Secrets Manager's actions take: `aws:ResourceTag/<key>` and
 * `secretsmanager:ResourceTag/<key>` (Service Authorization Reference, AWS Secrets Manager).
 */
function secretTagContext(arn: string, env: CallEnvironment): Context {
  const context: Context = {};
  for (const [key, value] of Object.entries(env.secretTags?.(arn) ?? {})) {
    context[`aws:ResourceTag/${key}`] = value;
    context[`secretsmanager:ResourceTag/${key}`] = value;
  }
  return context;
}

const bySecretId: ResourceOf = (b, env, operation) => {
  const arn = secretResource(required(b, 'SecretId', `secretsmanager:${operation}`), env);
  return [
    authorization(`secretsmanager:${operation}`, arn, {
      ...secretContext(b),
      ...secretTagContext(arn, env),
    }),
  ];
};

const SECRETSMANAGER_OPERATIONS: Record<string, ResourceOf> = {
  GetSecretValue: bySecretId,
  DescribeSecret: bySecretId,
  PutSecretValue: bySecretId,
  UpdateSecret: bySecretId,
  UpdateSecretVersionStage: bySecretId,
  DeleteSecret: bySecretId,
  RestoreSecret: bySecretId,
  RotateSecret: bySecretId,
  CancelRotateSecret: bySecretId,
  ListSecretVersionIds: bySecretId,
  GetResourcePolicy: bySecretId,
  PutResourcePolicy: bySecretId,
  DeleteResourcePolicy: bySecretId,
  TagResource: bySecretId,
  UntagResource: bySecretId,
  ReplicateSecretToRegions: bySecretId,
  RemoveRegionsFromReplication: bySecretId,
  StopReplicationToReplica: bySecretId,
  ValidateResourcePolicy: (b, env, operation) =>
    str(b.SecretId) ? bySecretId(b, env, operation) : everything('secretsmanager')(b, env, operation),
  ListSecrets: everything('secretsmanager'),
  GetRandomPassword: everything('secretsmanager'),
  // The new secret's ARN ends in a suffix AWS generates before it authorises. Six literal `?` stand for it:
  // a policy can only name a secret that does not exist yet by a wildcard (`secret:Name-*`, `secret:Name-??????`),
  // and a wildcard matches them as it matches any six characters.
  CreateSecret: (b, env, operation) => {
    const name = required(b, 'Name', `secretsmanager:${operation}`);
    return [
      authorization(`secretsmanager:${operation}`, arnOf(env, 'secretsmanager', `secret:${name}-??????`), {
        'secretsmanager:Name': name,
        ...secretContext(b),
      }),
    ];
  },
  // AWS documents that a batch needs BatchGetSecretValue, GetSecretValue on every secret it names, and
  // ListSecrets when it selects secrets by filter (whose matches are not known before it runs).
  BatchGetSecretValue: (b, env, operation) => [
    authorization(`secretsmanager:${operation}`, '*'),
    ...strings(b.SecretIdList).map((id) =>
      authorization('secretsmanager:GetSecretValue', secretResource(id, env), {
        'secretsmanager:SecretId': id,
      }),
    ),
    ...(b.Filters !== undefined ? [authorization('secretsmanager:ListSecrets', '*')] : []),
  ],
};

/**
 * A parameter's ARN from the `Name` a request gives (a name or an ARN; a `:version` or `:label` selector is not
 * part of the resource). A path name's leading `/` is not repeated after `parameter`.
 */
function parameterResource(name: string, env: CallEnvironment): string {
  if (name.startsWith('arn:')) return name.replace(/(:parameter\/.*?):[^/:]+$/, '$1');
  return arnOf(env, 'ssm', `parameter/${name.replace(/^\//, '').replace(/:[^/:]+$/, '')}`);
}

const byParameterName: ResourceOf = (b, env, operation) => [
  authorization(`ssm:${operation}`, parameterResource(required(b, 'Name', `ssm:${operation}`), env)),
];

const byParameterNames: ResourceOf = (b, env, operation) => {
  const names = strings(b.Names);
  if (names.length === 0)
    throw new UnmappedCallError(`ssm:${operation} without Names: nothing to authorise it against`);
  return names.map((name) => authorization(`ssm:${operation}`, parameterResource(name, env)));
};

/**
 * Parameter Store. A SecureString under the AWS managed key (aws/ssm) needs no KMS permission of the caller: that
 * key's policy lets the account's principals use it through Parameter Store. The local target keeps only such
 * parameters, so it authorises the ssm actions alone (a customer managed key would add kms:Encrypt/Decrypt).
 */
const SSM_OPERATIONS: Record<string, ResourceOf> = {
  GetParameter: byParameterName,
  DeleteParameter: byParameterName,
  GetParameterHistory: byParameterName,
  LabelParameterVersion: byParameterName,
  UnlabelParameterVersion: byParameterName,
  PutParameter: (b, env, operation) => [
    authorization(`ssm:${operation}`, parameterResource(required(b, 'Name', `ssm:${operation}`), env), {
      'ssm:Overwrite': b.Overwrite === true ? 'true' : 'false',
    }),
    // Tags on a new parameter are authorised as tagging it.
    ...(Array.isArray(b.Tags) && b.Tags.length > 0
      ? [authorization('ssm:AddTagsToResource', parameterResource(str(b.Name) ?? '', env))]
      : []),
  ],
  GetParameters: byParameterNames,
  DeleteParameters: byParameterNames,
  GetParametersByPath: (b, env, operation) => [
    authorization(`ssm:${operation}`, parameterResource(required(b, 'Path', `ssm:${operation}`), env), {
      'ssm:Recursive': b.Recursive === true ? 'true' : 'false',
    }),
  ],
  DescribeParameters: everything('ssm'),
};

/**
 * The resource a request's OriginationIdentity is authorised as (iam/requests.ts): an ARN as given, a phone number
 * id, pool id or sender ID as its ARN, and a phone number as the ARN of the phone number resource the local
 * target stands in for it (a stable id made from the number: IAM knows numbers only by id).
 */
function localIdentityResource(
  identity: string,
  destination: string | undefined,
  arn: (resource: string) => string,
): string {
  if (identity.startsWith('arn:')) return identity;
  if (/^phone-[0-9a-f]{32}$/.test(identity)) return arn(`phone-number/${identity}`);
  if (/^pool-[0-9a-f]{32}$/.test(identity)) return arn(`pool/${identity}`);
  if (/^\+?[1-9]\d{1,18}$/.test(identity))
    return arn(`phone-number/phone-${createHash('md5').update(identity).digest('hex')}`);
  return arn(`sender-id/${identity}/${countryOf(destination)}`);
}

/** A sender ID's ARN ends in the destination's country: the few calling codes the local target tells apart. */
function countryOf(number: string | undefined): string {
  const codes: Array<[string, string]> = [
    ['+1', 'US'],
    ['+44', 'GB'],
    ['+33', 'FR'],
    ['+49', 'DE'],
    ['+61', 'AU'],
    ['+91', 'IN'],
    ['+81', 'JP'],
    ['+34', 'ES'],
    ['+39', 'IT'],
    ['+31', 'NL'],
  ];
  return codes.find(([code]) => number?.startsWith(code))?.[1] ?? 'ZZ';
}

/**
 * End User Messaging SMS and Voice (v2). AWS authorises a send against the origination identity it goes from
 * (phone number, sender ID or pool) and the configuration set it names (Service Authorization Reference). A text
 * without an identity (the service picks one) is authorised on `*`, which no grant naming identities covers.
 */
const sendMessage: ResourceOf = (b, env, operation) => {
  const arn = (resource: string) => arnOf(env, 'sms-voice', resource);
  const identity = str(b.OriginationIdentity);
  const configurationSet = str(b.ConfigurationSetName);
  // A voice message must name its identity: without one the service refuses the request as invalid before it
  // authorises anything, and so does the emulator.
  if (!identity && operation === 'SendVoiceMessage') return [];
  return [
    authorization(
      `sms-voice:${operation}`,
      identity ? localIdentityResource(identity, str(b.DestinationPhoneNumber), arn) : '*',
    ),
    ...(configurationSet
      ? [
          authorization(
            `sms-voice:${operation}`,
            configurationSet.startsWith('arn:')
              ? configurationSet
              : arn(`configuration-set/${configurationSet}`),
          ),
        ]
      : []),
  ];
};

const SMS_VOICE_OPERATIONS: Record<string, ResourceOf> = {
  SendTextMessage: sendMessage,
  SendVoiceMessage: sendMessage,
  // The channel check's reads: the opt-out list by its name or ARN; the account's attributes and spend limits
  // have no resource type.
  DescribeOptedOutNumbers: (b, env, operation) => {
    const list = required(b, 'OptOutListName', `sms-voice:${operation}`);
    return [
      authorization(
        `sms-voice:${operation}`,
        list.startsWith('arn:') ? list : arnOf(env, 'sms-voice', `opt-out-list/${list}`),
      ),
    ];
  },
  DescribeAccountAttributes: everything('sms-voice'),
  DescribeSpendLimits: everything('sms-voice'),
};

const AWS_JSON_SERVICES: Array<[prefix: string, service: string, operations: Record<string, ResourceOf>]> = [
  ['AWSStepFunctions.', 'states', STATES_OPERATIONS],
  ['secretsmanager.', 'secretsmanager', SECRETSMANAGER_OPERATIONS],
  ['AmazonSSM.', 'ssm', SSM_OPERATIONS],
  ['PinpointSMSVoiceV2.', 'sms-voice', SMS_VOICE_OPERATIONS],
];

/** Lambda REST routes that invoke or read a function (path template from the SDK's model) and their action. */
const LAMBDA_ROUTES: Array<[method: string, template: string, operation: string, action: string]> = [
  ['POST', '/2015-03-31/functions/{FunctionName}/invocations', 'Invoke', 'lambda:InvokeFunction'],
  [
    'POST',
    '/2021-11-15/functions/{FunctionName}/response-streaming-invocations',
    'InvokeWithResponseStream',
    'lambda:InvokeFunction',
  ],
  ['GET', '/2015-03-31/functions/{FunctionName}', 'GetFunction', 'lambda:GetFunction'],
  [
    'GET',
    '/2015-03-31/functions/{FunctionName}/configuration',
    'GetFunctionConfiguration',
    'lambda:GetFunctionConfiguration',
  ],
];

/**
 * A FunctionName (`F`, `F:q`, `123456789012:function:F[:q]`, `arn:aws:lambda:r:a:function:F[:q]`) -> its
 * unqualified ARN and its qualifier.
 */
function lambdaFunction(name: string, env: CallEnvironment): { arn: string; qualifier: string | undefined } {
  const parts = name.split(':');
  let account = env.account;
  let region = env.region;
  let fn: string;
  let qualifier: string | undefined;
  if (name.startsWith('arn:')) {
    region = parts[3] || region;
    account = parts[4] || account;
    fn = parts[6] ?? '';
    qualifier = parts[7];
  } else if (parts[1] === 'function') {
    account = parts[0] || account;
    fn = parts[2] ?? '';
    qualifier = parts[3];
  } else {
    fn = parts[0] ?? '';
    qualifier = parts[1];
  }
  if (!fn) throw new UnmappedCallError(`lambda: ${name} is not a function name`);
  const built = arnOf({ ...env, region, account }, 'lambda', `function:${fn}`);
  return { arn: env.functionArn?.(name) ?? built, qualifier: qualifier || undefined };
}

function lambdaCall(
  method: string,
  pathname: string,
  query: string,
  env: CallEnvironment,
): AwsCall | undefined {
  if (method === 'GET' && /^\/2015-03-31\/functions\/?$/.test(pathname)) {
    return {
      service: 'lambda',
      operation: 'ListFunctions',
      protocol: 'restJson',
      authorizations: [authorization('lambda:ListFunctions', '*')],
    };
  }
  for (const [routeMethod, template, operation, action] of LAMBDA_ROUTES) {
    if (routeMethod !== method) continue;
    const name = matchTemplate(template, pathname)?.FunctionName;
    if (name === undefined) continue;
    const fn = lambdaFunction(name, env);
    // A qualified call (version or alias, in the name or as ?Qualifier=) is authorised on the qualified ARN,
    // which a policy naming only the unqualified function does not cover.
    const qualifier = new URLSearchParams(query).get('Qualifier') || fn.qualifier;
    return {
      service: 'lambda',
      operation,
      protocol: 'restJson',
      authorizations: [authorization(action, qualifier ? `${fn.arn}:${qualifier}` : fn.arn)],
    };
  }
  return undefined;
}

/**
 * A request to the local AWS endpoint: Step Functions / Secrets Manager / SSM Parameter Store (awsJson, by
 * x-amz-target) and Lambda Invoke (REST path).
 */
export function awsEndpointCall(
  method: string,
  path: string,
  target: string | undefined,
  body: unknown,
  env: CallEnvironment,
): AwsCall {
  if (target) {
    for (const [prefix, service, operations] of AWS_JSON_SERVICES) {
      if (!target.startsWith(prefix)) continue;
      const operation = target.slice(prefix.length);
      const resources = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
      if (!resources) {
        throw new UnmappedCallError(`${service}: operation ${operation} is not mapped to IAM authorisations`);
      }
      return {
        service,
        operation,
        protocol: 'awsJson',
        authorizations: distinct(resources(record(body), env, operation)),
      };
    }
    throw new UnmappedCallError(`x-amz-target ${target} is not a service the local AWS endpoint maps`);
  }
  const [pathname = '', query = ''] = path.split('?');
  const lambda = lambdaCall(method.toUpperCase(), pathname, query, env);
  if (lambda) return lambda;
  throw new UnmappedCallError(
    `${pathname.startsWith('/20') ? 'lambda' : 'unknown service'}: ${method} ${pathname} is not a mapped operation`,
  );
}

// ----------------------------------------------------------------------------------------------- AccessDenied

/** AWS's message: the implicit deny names the missing allow, the explicit one the deny that won. */
export function accessDeniedMessage(
  principalArn: string,
  authorization: Authorization,
  reason: 'implicit-deny' | 'explicit-deny',
): string {
  const { action, resource } = authorization;
  const why =
    reason === 'explicit-deny'
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${action} action`;
  return `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
}

const xmlEscape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);

const DEFAULT_PROTOCOL: Record<string, Protocol> = {
  dynamodb: 'awsJson',
  states: 'awsJson',
  secretsmanager: 'awsJson',
  ssm: 'awsJson',
  'sms-voice': 'awsJson',
  lambda: 'restJson',
  ses: 'restJson',
};

/**
 * AWS's AccessDenied answer for a service's protocol, in the shape the SDK v3 turns into an error named
 * AccessDeniedException (AccessDenied for SES v1) carrying the message. SES speaks two protocols: pass the
 * call's `protocol` ('query' for v1); the others have one.
 */
export function accessDeniedResponse(
  service: string,
  message: string,
  options: { protocol?: Protocol; requestId?: string } = {},
): { status: number; headers: Record<string, string>; body: string } {
  const protocol = options.protocol ?? DEFAULT_PROTOCOL[service];
  const requestId = options.requestId ?? randomUUID();
  const json = (status: number, contentType: string, body: Json, extra: Record<string, string> = {}) => ({
    status,
    headers: { 'content-type': contentType, 'x-amzn-requestid': requestId, ...extra },
    body: JSON.stringify(body),
  });
  const restJson = { 'x-amzn-errortype': 'AccessDeniedException' };
  if (service === 'dynamodb') {
    return json(400, 'application/x-amz-json-1.0', {
      __type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException',
      message,
    });
  }
  if (service === 'states') {
    return json(400, 'application/x-amz-json-1.0', {
      __type: 'com.amazonaws.swf.service.v2.model#AccessDeniedException',
      message,
    });
  }
  // awsJson1.1; Secrets Manager capitalises Message, and the SDK reads `message ?? Message`.
  if (service === 'secretsmanager') {
    return json(400, 'application/x-amz-json-1.1', { __type: 'AccessDeniedException', Message: message });
  }
  if (service === 'ssm') {
    return json(400, 'application/x-amz-json-1.1', { __type: 'AccessDeniedException', message });
  }
  // awsJson1.0; End User Messaging capitalises Message (the SDK reads `message ?? Message`).
  if (service === 'sms-voice') {
    return json(400, 'application/x-amz-json-1.0', { __type: 'AccessDeniedException', Message: message });
  }
  if (service === 'lambda') return json(403, 'application/json', { Message: message }, restJson);
  if (service === 'ses' && protocol === 'query') {
    return {
      status: 403,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body:
        '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">' +
        `<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${xmlEscape(message)}</Message></Error>` +
        `<RequestId>${requestId}</RequestId></ErrorResponse>`,
    };
  }
  if (service === 'ses') return json(403, 'application/json', { message }, restJson);
  throw new Error(`accessDeniedResponse: no AccessDenied shape for service ${service}`);
}
