import { describe, expect, it } from 'vitest';
import {
  type AuthRequest,
  type Decision,
  evaluate,
  type NamedPolicy,
  PolicyEvaluator,
  type PolicyStatement,
  supportedConditionOperators,
  unsupportedElements,
} from '../../../infra/local/iam/policy.ts';

// Expectations follow AWS's IAM documentation: policy evaluation logic, the Action/NotAction/Resource/
// NotResource/Condition element pages, the condition operators page and the multivalued-keys page.

const account = '000000000000';
const table = `arn:aws:dynamodb:us-east-1:${account}:table/Hotline-IncidentTable`;
const fn = `arn:aws:lambda:us-east-1:${account}:function:F`;
// A policy variable, spelled so that it is not a placeholder of this file's own template strings.
const username = `\${aws:username}`;

function policy(name: string, ...statements: PolicyStatement[]): NamedPolicy {
  return { name, document: { Version: '2012-10-17', Statement: statements } };
}

function allowAll(extra: Partial<PolicyStatement> = {}): PolicyStatement {
  return { Effect: 'Allow', Action: '*', Resource: '*', ...extra };
}

function isAllowed(
  policies: NamedPolicy[],
  action: string,
  resource: string,
  context?: AuthRequest['context'],
) {
  return evaluate(policies, { action, resource, ...(context ? { context } : {}) }).allowed;
}

/** Whether one statement's condition holds, read through an Allow (holds → allowed). */
function holds(condition: PolicyStatement['Condition'], context?: AuthRequest['context']): boolean {
  return isAllowed([policy('P', allowAll({ Condition: condition }))], 'sqs:SendMessage', '*', context);
}

describe('decisions', () => {
  it('allows through a matching Allow and names the statement', () => {
    const p = policy(
      'Grants',
      { Effect: 'Allow', Action: 'ses:SendEmail', Resource: '*' },
      { Sid: 'Read', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: table },
    );
    expect(evaluate([p], { action: 'dynamodb:GetItem', resource: table })).toEqual({
      allowed: true,
      statement: { policy: 'Grants', index: 1, sid: 'Read' },
    });
  });

  it('lets an explicit Deny in the same policy win over an Allow', () => {
    const p = policy(
      'P',
      { Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
      { Sid: 'NoDelete', Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: table },
    );
    expect(evaluate([p], { action: 'dynamodb:DeleteItem', resource: table })).toEqual({
      allowed: false,
      reason: 'explicit-deny',
      statement: { policy: 'P', index: 1, sid: 'NoDelete' },
    });
    expect(isAllowed([p], 'dynamodb:GetItem', table)).toBe(true);
  });

  it('lets an explicit Deny in another policy win over an Allow, whatever the order', () => {
    const grant = policy('Grant', { Effect: 'Allow', Action: 'dynamodb:Query', Resource: table });
    const guard = policy('Guard', { Effect: 'Deny', Action: 'dynamodb:Query', Resource: '*' });
    for (const policies of [
      [grant, guard],
      [guard, grant],
    ]) {
      expect(evaluate(policies, { action: 'dynamodb:Query', resource: table })).toEqual({
        allowed: false,
        reason: 'explicit-deny',
        statement: { policy: 'Guard', index: 0 },
      });
    }
  });

  it('denies implicitly when no statement matches, or there is no policy', () => {
    const p = policy('P', { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: table });
    const implicit: Decision = { allowed: false, reason: 'implicit-deny' };
    expect(evaluate([p], { action: 'dynamodb:PutItem', resource: table })).toEqual(implicit);
    expect(evaluate([p], { action: 'dynamodb:GetItem', resource: `${table}2` })).toEqual(implicit);
    expect(evaluate([], { action: 'dynamodb:GetItem', resource: table })).toEqual(implicit);
  });

  it('does not let a Deny that does not match deny', () => {
    const p = policy(
      'P',
      { Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
      { Effect: 'Deny', Action: 'dynamodb:DeleteTable', Resource: '*' },
    );
    expect(isAllowed([p], 'dynamodb:DeleteItem', table)).toBe(true);
  });

  it('accepts a single statement object instead of a list', () => {
    const p: NamedPolicy = {
      name: 'One',
      document: { Statement: { Effect: 'Allow', Action: 'ses:SendEmail', Resource: '*' } },
    };
    expect(evaluate([p], { action: 'ses:SendEmail', resource: '*' })).toEqual({
      allowed: true,
      statement: { policy: 'One', index: 0 },
    });
  });
});

describe('actions', () => {
  const with_ = (Action: string | string[]) => [policy('P', { Effect: 'Allow', Action, Resource: '*' })];

  it('compares service prefix and action name case-insensitively', () => {
    expect(isAllowed(with_('DynamoDB:getitem'), 'dynamodb:GetItem', table)).toBe(true);
    expect(isAllowed(with_('dynamodb:GetItem'), 'DYNAMODB:GETITEM', table)).toBe(true);
    expect(isAllowed(with_('dynamodb:GetItem'), 'dynamodb:GetItems', table)).toBe(false);
  });

  it('expands * within the action', () => {
    expect(isAllowed(with_('dynamodb:Get*'), 'dynamodb:GetItem', table)).toBe(true);
    expect(isAllowed(with_('dynamodb:Get*'), 'dynamodb:Get', table)).toBe(true);
    expect(isAllowed(with_('dynamodb:Get*'), 'dynamodb:BatchGetItem', table)).toBe(false);
    expect(isAllowed(with_('dynamodb:Get*'), 'dynamodbx:GetItem', table)).toBe(false);
    expect(isAllowed(with_('dynamodb:*Item'), 'dynamodb:BatchGetItem', table)).toBe(true);
  });

  it('lets service:* match every action of that service only', () => {
    expect(isAllowed(with_('s3:*'), 's3:GetObject', '*')).toBe(true);
    expect(isAllowed(with_('s3:*'), 'sqs:SendMessage', '*')).toBe(false);
    expect(isAllowed(with_('s3:*'), 's3control:ListJobs', '*')).toBe(false);
  });

  it('lets * alone match every action', () => {
    expect(isAllowed(with_('*'), 'iam:CreateUser', '*')).toBe(true);
    expect(isAllowed(with_('*'), 'states:SendTaskSuccess', table)).toBe(true);
  });

  it('lets ? match exactly one character', () => {
    expect(isAllowed(with_('dynamodb:?etItem'), 'dynamodb:GetItem', table)).toBe(true);
    expect(isAllowed(with_('dynamodb:?etItem'), 'dynamodb:etItem', table)).toBe(false);
    expect(isAllowed(with_('dynamodb:?etItem'), 'dynamodb:GGetItem', table)).toBe(false);
  });

  it('treats regular-expression characters in an action literally', () => {
    expect(isAllowed(with_('dynamodb:Get.tem'), 'dynamodb:GetItem', table)).toBe(false);
  });

  it('matches any action of an Action list', () => {
    const p = with_(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(isAllowed(p, 'dynamodb:Query', table)).toBe(true);
    expect(isAllowed(p, 'dynamodb:GetItem', table)).toBe(true);
    expect(isAllowed(p, 'dynamodb:Scan', table)).toBe(false);
  });
});

describe('resources', () => {
  const with_ = (Resource: string | string[]) => [policy('P', { Effect: 'Allow', Action: '*', Resource })];
  const index = `arn:aws:dynamodb:us-east-1:${account}:table/T/index/*`;

  it('expands * in the resource part, across slashes', () => {
    expect(
      isAllowed(
        with_(index),
        'dynamodb:Query',
        `arn:aws:dynamodb:us-east-1:${account}:table/T/index/ByStatus`,
      ),
    ).toBe(true);
    expect(
      isAllowed(with_(index), 'dynamodb:Query', `arn:aws:dynamodb:us-east-1:${account}:table/T/index/a/b`),
    ).toBe(true);
    expect(isAllowed(with_(index), 'dynamodb:Query', `arn:aws:dynamodb:us-east-1:${account}:table/T`)).toBe(
      false,
    );
    expect(
      isAllowed(with_(index), 'dynamodb:Query', `arn:aws:dynamodb:us-east-1:${account}:table/T2/index/x`),
    ).toBe(false);
  });

  it('does not match another region or account', () => {
    expect(
      isAllowed(with_(index), 'dynamodb:Query', `arn:aws:dynamodb:eu-west-1:${account}:table/T/index/x`),
    ).toBe(false);
    expect(
      isAllowed(with_(index), 'dynamodb:Query', 'arn:aws:dynamodb:us-east-1:111111111111:table/T/index/x'),
    ).toBe(false);
    const anyRegion = `arn:aws:dynamodb:*:${account}:table/T`;
    expect(
      isAllowed(with_(anyRegion), 'dynamodb:Query', `arn:aws:dynamodb:eu-west-1:${account}:table/T`),
    ).toBe(true);
    expect(
      isAllowed(with_(anyRegion), 'dynamodb:Query', 'arn:aws:dynamodb:eu-west-1:111111111111:table/T'),
    ).toBe(false);
  });

  it('keeps a * in an ARN segment from swallowing the next segments', () => {
    // As one flat glob, `arn:aws:lambda:*:function:F` would match by letting * eat "us-east-1:000000000000".
    expect(isAllowed(with_('arn:aws:lambda:*:function:F'), 'lambda:InvokeFunction', fn)).toBe(false);
    expect(isAllowed(with_(`arn:aws:lambda:us-*:${account}:function:F`), 'lambda:InvokeFunction', fn)).toBe(
      true,
    );
  });

  it('expands a * that ends a shortened ARN over the rest of the ARN', () => {
    expect(
      isAllowed(
        with_('arn:aws:logs:*'),
        'logs:PutLogEvents',
        `arn:aws:logs:us-east-1:${account}:log-group:g`,
      ),
    ).toBe(true);
    expect(isAllowed(with_('arn:aws:logs:*'), 'sqs:SendMessage', `arn:aws:sqs:us-east-1:${account}:q`)).toBe(
      false,
    );
    expect(
      isAllowed(with_('arn:aws:logs:us-east-1'), 'logs:PutLogEvents', `arn:aws:logs:us-east-1:${account}:x`),
    ).toBe(false);
  });

  it('matches a function and its versions and aliases, as CDK grants invoke', () => {
    const p = with_([fn, `${fn}:*`]);
    expect(isAllowed(p, 'lambda:InvokeFunction', fn)).toBe(true);
    expect(isAllowed(p, 'lambda:InvokeFunction', `${fn}:live`)).toBe(true);
    expect(isAllowed(p, 'lambda:InvokeFunction', `${fn}:3`)).toBe(true);
    expect(isAllowed(p, 'lambda:InvokeFunction', `${fn}G`)).toBe(false);
    expect(isAllowed(p, 'lambda:InvokeFunction', `${fn}G:3`)).toBe(false);
  });

  it('compares ARNs case-sensitively', () => {
    expect(isAllowed(with_(table), 'dynamodb:GetItem', table.replace('Hotline', 'hotline'))).toBe(false);
    expect(isAllowed(with_(table), 'dynamodb:GetItem', table.replace('arn:aws', 'ARN:AWS'))).toBe(false);
    expect(isAllowed(with_(table), 'dynamodb:GetItem', table)).toBe(true);
  });

  it('lets ? match exactly one character', () => {
    const p = with_(`arn:aws:sqs:us-east-1:${account}:q?`);
    expect(isAllowed(p, 'sqs:SendMessage', `arn:aws:sqs:us-east-1:${account}:q1`)).toBe(true);
    expect(isAllowed(p, 'sqs:SendMessage', `arn:aws:sqs:us-east-1:${account}:q12`)).toBe(false);
    expect(isAllowed(p, 'sqs:SendMessage', `arn:aws:sqs:us-east-1:${account}:q`)).toBe(false);
  });

  it('lets * alone match any resource', () => {
    expect(isAllowed(with_('*'), 'xray:PutTraceSegments', '*')).toBe(true);
    expect(isAllowed(with_('*'), 'dynamodb:GetItem', table)).toBe(true);
  });

  it('matches any resource of a Resource list, with an Action list', () => {
    const identity = `arn:aws:ses:us-east-1:${account}:identity/sender@example.com`;
    const set = `arn:aws:ses:us-east-1:${account}:configuration-set/Set`;
    const p = [
      policy('P', {
        Effect: 'Allow',
        Action: ['ses:SendEmail', 'ses:SendRawEmail'],
        Resource: [identity, set],
      }),
    ];
    expect(isAllowed(p, 'ses:SendEmail', identity)).toBe(true);
    expect(isAllowed(p, 'ses:SendRawEmail', set)).toBe(true);
    expect(isAllowed(p, 'ses:SendEmail', `arn:aws:ses:us-east-1:${account}:identity/other@example.com`)).toBe(
      false,
    );
    expect(isAllowed(p, 'ses:SendBulkEmail', identity)).toBe(false);
  });
});

describe('NotAction and NotResource', () => {
  it('lets an Allow with NotAction match every action but the listed ones', () => {
    const p = [policy('P', { Effect: 'Allow', NotAction: ['iam:*', 'dynamodb:DeleteTable'], Resource: '*' })];
    expect(isAllowed(p, 'dynamodb:GetItem', table)).toBe(true);
    expect(isAllowed(p, 'iam:CreateUser', '*')).toBe(false);
    expect(isAllowed(p, 'DynamoDB:deletetable', table)).toBe(false);
  });

  it('lets a Deny with NotAction deny everything else', () => {
    const p = [policy('P', allowAll(), { Effect: 'Deny', NotAction: 'dynamodb:*', Resource: '*' })];
    expect(isAllowed(p, 'dynamodb:Query', table)).toBe(true);
    expect(evaluate(p, { action: 'ses:SendEmail', resource: '*' })).toMatchObject({
      reason: 'explicit-deny',
    });
  });

  it('lets NotResource match every resource but the listed ones', () => {
    const secret = `arn:aws:dynamodb:us-east-1:${account}:table/Secret*`;
    const p = [policy('P', { Effect: 'Allow', Action: 'dynamodb:*', NotResource: secret })];
    expect(isAllowed(p, 'dynamodb:GetItem', table)).toBe(true);
    expect(isAllowed(p, 'dynamodb:GetItem', `arn:aws:dynamodb:us-east-1:${account}:table/Secrets`)).toBe(
      false,
    );
    expect(isAllowed(p, 'ses:SendEmail', table)).toBe(false);
  });

  it('lets a Deny with NotResource fence the principal in', () => {
    const p = [
      policy('P', allowAll(), { Effect: 'Deny', Action: 'dynamodb:*', NotResource: [table, `${table}/*`] }),
    ];
    expect(isAllowed(p, 'dynamodb:Query', `${table}/index/ByStatus`)).toBe(true);
    expect(isAllowed(p, 'dynamodb:Query', `${table}2`)).toBe(false);
    expect(isAllowed(p, 'ses:SendEmail', `${table}2`)).toBe(true);
  });
});

describe('conditions: string operators', () => {
  it('StringEquals: exact and case-sensitive, OR over values, key names case-insensitive', () => {
    const c = { StringEquals: { 'aws:PrincipalTag/Team': ['ops', 'sre'] } };
    expect(holds(c, { 'aws:PrincipalTag/Team': 'sre' })).toBe(true);
    expect(holds(c, { 'AWS:principaltag/team': 'ops' })).toBe(true);
    expect(holds(c, { 'aws:PrincipalTag/Team': 'Ops' })).toBe(false);
    expect(holds(c, { 'aws:PrincipalTag/Team': 'op*' })).toBe(false);
    expect(holds({ StringEquals: { k: 'o*' } }, { k: 'ops' })).toBe(false);
  });

  it('StringEquals: an absent key does not match', () => {
    expect(holds({ StringEquals: { 'aws:PrincipalTag/Team': 'ops' } })).toBe(false);
    expect(holds({ StringEquals: { 'aws:PrincipalTag/Team': 'ops' } }, { other: 'ops' })).toBe(false);
  });

  it('StringNotEquals: NOR over values; an absent key makes it true', () => {
    const c = { StringNotEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } };
    expect(holds(c, { 'aws:RequestedRegion': 'ap-south-1' })).toBe(true);
    expect(holds(c, { 'aws:RequestedRegion': 'eu-west-1' })).toBe(false);
    expect(holds(c, { 'aws:RequestedRegion': 'US-EAST-1' })).toBe(true);
    expect(holds(c)).toBe(true);
  });

  it('StringEqualsIgnoreCase and StringNotEqualsIgnoreCase', () => {
    expect(holds({ StringEqualsIgnoreCase: { k: 'Ops' } }, { k: 'oPS' })).toBe(true);
    expect(holds({ StringEqualsIgnoreCase: { k: 'Ops' } }, { k: 'dev' })).toBe(false);
    expect(holds({ StringEqualsIgnoreCase: { k: 'Ops' } })).toBe(false);
    expect(holds({ StringNotEqualsIgnoreCase: { k: 'Ops' } }, { k: 'oPS' })).toBe(false);
    expect(holds({ StringNotEqualsIgnoreCase: { k: 'Ops' } }, { k: 'dev' })).toBe(true);
    expect(holds({ StringNotEqualsIgnoreCase: { k: 'Ops' } })).toBe(true);
  });

  it('StringLike and StringNotLike take * and ? anywhere, case-sensitively', () => {
    const like = { StringLike: { 's3:prefix': ['home/*', 'pub?'] } };
    expect(holds(like, { 's3:prefix': 'home/a/b' })).toBe(true);
    expect(holds(like, { 's3:prefix': 'pub1' })).toBe(true);
    expect(holds(like, { 's3:prefix': 'pub12' })).toBe(false);
    expect(holds(like, { 's3:prefix': 'Home/a' })).toBe(false);
    expect(holds(like)).toBe(false);
    const notLike = { StringNotLike: { 's3:prefix': 'home/*' } };
    expect(holds(notLike, { 's3:prefix': 'home/x' })).toBe(false);
    expect(holds(notLike, { 's3:prefix': 'etc/x' })).toBe(true);
    expect(holds(notLike)).toBe(true);
  });
});

describe('conditions: ARN operators', () => {
  const source = `arn:aws:sns:us-east-1:${account}:topic-alerts`;

  it('ArnEquals and ArnLike match segment by segment with wildcards', () => {
    for (const op of ['ArnEquals', 'ArnLike']) {
      expect(
        holds({ [op]: { 'aws:SourceArn': `arn:aws:sns:*:${account}:topic-*` } }, { 'aws:SourceArn': source }),
      ).toBe(true);
      expect(
        holds({ [op]: { 'aws:SourceArn': 'arn:aws:sns:*:111111111111:*' } }, { 'aws:SourceArn': source }),
      ).toBe(false);
      expect(
        holds({ [op]: { 'aws:SourceArn': 'arn:aws:sns:*:topic-alerts' } }, { 'aws:SourceArn': source }),
      ).toBe(false);
      expect(holds({ [op]: { 'aws:SourceArn': source } }, { 'aws:SourceArn': source.toUpperCase() })).toBe(
        false,
      );
      expect(holds({ [op]: { 'aws:SourceArn': '*' } }, { 'aws:SourceArn': 'not-an-arn' })).toBe(true);
      expect(holds({ [op]: { 'aws:SourceArn': 'arn:*:*:*:*:*' } }, { 'aws:SourceArn': 'not-an-arn' })).toBe(
        false,
      );
      expect(holds({ [op]: { 'aws:SourceArn': source } })).toBe(false);
    }
  });

  it('ArnNotEquals and ArnNotLike are their complements, true for an absent key', () => {
    for (const op of ['ArnNotEquals', 'ArnNotLike']) {
      expect(
        holds({ [op]: { 'aws:SourceArn': 'arn:aws:sns:*:*:topic-*' } }, { 'aws:SourceArn': source }),
      ).toBe(false);
      expect(holds({ [op]: { 'aws:SourceArn': 'arn:aws:sqs:*:*:*' } }, { 'aws:SourceArn': source })).toBe(
        true,
      );
      expect(holds({ [op]: { 'aws:SourceArn': source } })).toBe(true);
    }
  });
});

describe('conditions: Bool, Numeric, Date, IP, Binary', () => {
  it('Bool compares true/false, given as strings or JSON booleans', () => {
    expect(holds({ Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'true' })).toBe(true);
    expect(holds({ Bool: { 'aws:SecureTransport': true } }, { 'aws:SecureTransport': 'true' })).toBe(true);
    expect(holds({ Bool: { 'aws:SecureTransport': false } }, { 'aws:SecureTransport': 'true' })).toBe(false);
    expect(holds({ Bool: { 'aws:SecureTransport': 'false' } }, { 'aws:SecureTransport': 'false' })).toBe(
      true,
    );
    expect(holds({ Bool: { 'aws:SecureTransport': 'false' } })).toBe(false);
  });

  it('Bool in a Deny refuses insecure transport only when the key says so', () => {
    const p = [
      policy('P', allowAll(), {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    ];
    expect(isAllowed(p, 's3:GetObject', '*', { 'aws:SecureTransport': 'false' })).toBe(false);
    expect(isAllowed(p, 's3:GetObject', '*', { 'aws:SecureTransport': 'true' })).toBe(true);
    expect(isAllowed(p, 's3:GetObject', '*')).toBe(true);
  });

  it('Numeric operators compare numbers, not text', () => {
    const ctx = { 's3:max-keys': '10' };
    expect(holds({ NumericEquals: { 's3:max-keys': '10.0' } }, ctx)).toBe(true);
    expect(holds({ NumericEquals: { 's3:max-keys': 9 } }, ctx)).toBe(false);
    expect(holds({ NumericNotEquals: { 's3:max-keys': 9 } }, ctx)).toBe(true);
    expect(holds({ NumericNotEquals: { 's3:max-keys': 10 } }, ctx)).toBe(false);
    expect(holds({ NumericLessThan: { 's3:max-keys': '9' } }, ctx)).toBe(false);
    expect(holds({ NumericLessThan: { 's3:max-keys': '11' } }, ctx)).toBe(true);
    expect(holds({ NumericLessThan: { 's3:max-keys': '10' } }, ctx)).toBe(false);
    expect(holds({ NumericLessThanEquals: { 's3:max-keys': '10' } }, ctx)).toBe(true);
    expect(holds({ NumericGreaterThan: { 's3:max-keys': '9' } }, { 's3:max-keys': '100' })).toBe(true);
    expect(holds({ NumericGreaterThan: { 's3:max-keys': '10' } }, ctx)).toBe(false);
    expect(holds({ NumericGreaterThanEquals: { 's3:max-keys': '10' } }, ctx)).toBe(true);
    expect(holds({ NumericGreaterThanEquals: { 's3:max-keys': '11' } }, ctx)).toBe(false);
    expect(holds({ NumericLessThan: { 's3:max-keys': '11' } }, { 's3:max-keys': 'ten' })).toBe(false);
    expect(holds({ NumericLessThan: { 's3:max-keys': '11' } }, { 's3:max-keys': '' })).toBe(false);
  });

  it('Numeric operators: an absent key is false, except for NumericNotEquals', () => {
    expect(holds({ NumericLessThanEquals: { 's3:max-keys': '10' } })).toBe(false);
    expect(holds({ NumericEquals: { 's3:max-keys': '10' } })).toBe(false);
    expect(holds({ NumericNotEquals: { 's3:max-keys': '10' } })).toBe(true);
  });

  it('Date operators read ISO 8601 and epoch seconds', () => {
    const now = { 'aws:CurrentTime': '2026-11-20T10:00:00Z' };
    expect(holds({ DateGreaterThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } }, now)).toBe(true);
    expect(holds({ DateLessThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } }, now)).toBe(false);
    expect(holds({ DateLessThanEquals: { 'aws:CurrentTime': '2026-11-20T10:00:00Z' } }, now)).toBe(true);
    expect(holds({ DateGreaterThanEquals: { 'aws:CurrentTime': '2026-11-20T10:00:01Z' } }, now)).toBe(false);
    const epoch = String(Date.parse('2026-11-20T10:00:00Z') / 1000);
    expect(holds({ DateEquals: { 'aws:CurrentTime': epoch } }, now)).toBe(true);
    expect(holds({ DateNotEquals: { 'aws:CurrentTime': epoch } }, now)).toBe(false);
    expect(holds({ DateGreaterThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } })).toBe(false);
    expect(holds({ DateNotEquals: { 'aws:CurrentTime': epoch } })).toBe(true);
  });

  it('IpAddress and NotIpAddress take CIDR ranges and bare addresses, IPv4 and IPv6', () => {
    const c = {
      IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:DB8:1234:5678::/64', '198.51.100.7'] },
    };
    expect(holds(c, { 'aws:SourceIp': '203.0.113.200' })).toBe(true);
    expect(holds(c, { 'aws:SourceIp': '203.0.114.1' })).toBe(false);
    expect(holds(c, { 'aws:SourceIp': '198.51.100.7' })).toBe(true);
    expect(holds(c, { 'aws:SourceIp': '198.51.100.8' })).toBe(false);
    expect(holds(c, { 'aws:SourceIp': '2001:db8:1234:5678:abcd::1' })).toBe(true);
    expect(holds(c, { 'aws:SourceIp': '2001:db8:1234:5679::1' })).toBe(false);
    expect(holds(c, { 'aws:SourceIp': 'not-an-ip' })).toBe(false);
    expect(holds(c)).toBe(false);
    expect(
      holds(
        { IpAddress: { 'aws:SourceIp': '::ffff:192.0.2.0/120' } },
        { 'aws:SourceIp': '::ffff:192.0.2.9' },
      ),
    ).toBe(true);
    expect(holds({ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }, { 'aws:SourceIp': '10.1.2.3' })).toBe(true);
    const not = { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } };
    expect(holds(not, { 'aws:SourceIp': '10.9.9.9' })).toBe(false);
    expect(holds(not, { 'aws:SourceIp': '192.168.0.1' })).toBe(true);
    expect(holds(not)).toBe(true);
  });

  it('BinaryEquals compares the base64 text', () => {
    expect(holds({ BinaryEquals: { k: 'QmluYXJ5' } }, { k: 'QmluYXJ5' })).toBe(true);
    expect(holds({ BinaryEquals: { k: 'QmluYXJ5' } }, { k: 'qmluyxj5' })).toBe(false);
    expect(holds({ BinaryEquals: { k: 'QmluYXJ5' } })).toBe(false);
  });
});

describe('conditions: Null, IfExists, combination', () => {
  it('Null true holds only when the key is absent, false only when it is present', () => {
    expect(holds({ Null: { 'aws:TokenIssueTime': 'true' } })).toBe(true);
    expect(
      holds({ Null: { 'aws:TokenIssueTime': true } }, { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z' }),
    ).toBe(false);
    expect(
      holds({ Null: { 'aws:TokenIssueTime': 'false' } }, { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z' }),
    ).toBe(true);
    expect(holds({ Null: { 'aws:TokenIssueTime': 'false' } })).toBe(false);
    expect(holds({ Null: { 'aws:TokenIssueTime': 'false' } }, { 'aws:TokenIssueTime': undefined })).toBe(
      false,
    );
    expect(holds({ Null: { 'aws:TagKeys': 'true' } }, { 'aws:TagKeys': [] })).toBe(true);
  });

  it('...IfExists holds for an absent key and tests a present one', () => {
    const c = { StringEqualsIfExists: { 'ec2:InstanceType': ['t3.micro', 't3.small'] } };
    expect(holds(c)).toBe(true);
    expect(holds(c, { 'ec2:InstanceType': 't3.small' })).toBe(true);
    expect(holds(c, { 'ec2:InstanceType': 'm5.large' })).toBe(false);
    expect(holds({ NumericLessThanIfExists: { n: '5' } })).toBe(true);
    expect(holds({ NumericLessThanIfExists: { n: '5' } }, { n: '7' })).toBe(false);
    expect(holds({ ArnLikeIfExists: { a: 'arn:aws:sns:*:*:*' } }, { a: 'arn:aws:sqs:us-east-1:1:q' })).toBe(
      false,
    );
    expect(holds({ StringNotEqualsIfExists: { k: 'x' } }, { k: 'x' })).toBe(false);
    expect(holds({ StringNotEqualsIfExists: { k: 'x' } })).toBe(true);
    expect(holds({ BoolIfExists: { 'aws:MultiFactorAuthPresent': 'true' } })).toBe(true);
  });

  it('ANDs operators and keys, ORs values of one key', () => {
    const c = {
      StringEquals: { team: ['ops', 'sre'], env: 'prod' },
      Bool: { 'aws:SecureTransport': 'true' },
    };
    expect(holds(c, { team: 'sre', env: 'prod', 'aws:SecureTransport': 'true' })).toBe(true);
    expect(holds(c, { team: 'dev', env: 'prod', 'aws:SecureTransport': 'true' })).toBe(false);
    expect(holds(c, { team: 'ops', env: 'test', 'aws:SecureTransport': 'true' })).toBe(false);
    expect(holds(c, { team: 'ops', env: 'prod', 'aws:SecureTransport': 'false' })).toBe(false);
    expect(holds(c, { team: 'ops', env: 'prod' })).toBe(false);
  });

  it('an unmet condition keeps a Deny from applying', () => {
    const p = [
      policy('P', allowAll(), {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { StringNotEquals: { 'aws:RequestedRegion': 'us-east-1' } },
      }),
    ];
    expect(isAllowed(p, 'sqs:SendMessage', '*', { 'aws:RequestedRegion': 'us-east-1' })).toBe(true);
    expect(isAllowed(p, 'sqs:SendMessage', '*', { 'aws:RequestedRegion': 'eu-west-1' })).toBe(false);
    // The documented rule for negated operators: an absent key makes the condition true, so the Deny applies.
    expect(isAllowed(p, 'sqs:SendMessage', '*')).toBe(false);
  });
});

describe('conditions: set operators on multivalued keys', () => {
  const allowed = ['PostDateTime', 'Message', 'Tags'];

  it('ForAllValues: every request value must match a policy value; absent or empty is true', () => {
    const c = { 'ForAllValues:StringLike': { 'dynamodb:Attributes': allowed } };
    expect(holds(c, { 'dynamodb:Attributes': ['PostDateTime', 'Message'] })).toBe(true);
    expect(holds(c, { 'dynamodb:Attributes': ['PostDateTime', 'UserName'] })).toBe(false);
    expect(holds(c, { 'dynamodb:Attributes': 'Tags' })).toBe(true);
    expect(holds(c, { 'dynamodb:Attributes': [] })).toBe(true);
    expect(holds(c)).toBe(true);
  });

  it('ForAnyValue: some request value must match a policy value; absent or empty is false', () => {
    const c = { 'ForAnyValue:StringEquals': { 'dynamodb:Attributes': ['ID', 'PostDateTime'] } };
    expect(holds(c, { 'dynamodb:Attributes': ['UserName', 'Message', 'PostDateTime'] })).toBe(true);
    expect(holds(c, { 'dynamodb:Attributes': ['UserName'] })).toBe(false);
    expect(holds(c, { 'dynamodb:Attributes': [] })).toBe(false);
    expect(holds(c)).toBe(false);
    expect(holds({ 'ForAnyValue:StringEqualsIfExists': { 'dynamodb:Attributes': 'ID' } })).toBe(true);
  });

  it('set operators with negated operators test each request value against all policy values', () => {
    const all = { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret', 'owner'] } };
    expect(holds(all, { 'aws:TagKeys': ['team', 'env'] })).toBe(true);
    expect(holds(all, { 'aws:TagKeys': ['team', 'owner'] })).toBe(false);
    expect(holds(all)).toBe(true);
    const any = { 'ForAnyValue:StringNotLike': { 'aws:TagKeys': 'key1*' } };
    expect(holds(any, { 'aws:TagKeys': ['key1a', 'other'] })).toBe(true);
    expect(holds(any, { 'aws:TagKeys': ['key1a', 'key1b'] })).toBe(false);
    expect(holds(any)).toBe(false);
  });

  it('a Deny with ForAnyValue refuses a request carrying a forbidden value', () => {
    const p = [
      policy('P', allowAll(), {
        Effect: 'Deny',
        Action: 'dynamodb:PutItem',
        Resource: table,
        Condition: { 'ForAnyValue:StringLike': { 'dynamodb:Attributes': ['ID', 'PostDateTime'] } },
      }),
    ];
    expect(
      isAllowed(p, 'dynamodb:PutItem', table, { 'dynamodb:Attributes': ['Message', 'PostDateTime'] }),
    ).toBe(false);
    expect(isAllowed(p, 'dynamodb:PutItem', table, { 'dynamodb:Attributes': ['UserName'] })).toBe(true);
  });

  it('a multivalued key without a set operator: any match for matching operators, no match for negated ones', () => {
    expect(holds({ StringEquals: { k: 'b' } }, { k: ['a', 'b'] })).toBe(true);
    expect(holds({ StringEquals: { k: 'c' } }, { k: ['a', 'b'] })).toBe(false);
    expect(holds({ StringNotEquals: { k: 'b' } }, { k: ['a', 'b'] })).toBe(false);
    expect(holds({ StringNotEquals: { k: 'c' } }, { k: ['a', 'b'] })).toBe(true);
  });
});

describe('unsupportedElements', () => {
  const problemsOf = (statement: unknown, version: unknown = '2012-10-17') =>
    unsupportedElements({
      name: 'X',
      document: { Version: version, Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }, statement] },
    } as NamedPolicy);

  it('accepts policies shaped like the project’s grants', () => {
    const grants: NamedPolicy = {
      name: 'HandlerRoleDefaultPolicy',
      document: {
        Version: '2012-10-17',
        Statement: [
          { Action: ['dynamodb:GetItem', 'dynamodb:Query'], Effect: 'Allow', Resource: table },
          {
            Action: [
              'dynamodb:BatchWriteItem',
              'dynamodb:PutItem',
              'dynamodb:UpdateItem',
              'dynamodb:DeleteItem',
            ],
            Effect: 'Allow',
            Resource: [table, `${table}/index/*`],
          },
          {
            Action: 'ses:SendEmail',
            Effect: 'Allow',
            Resource: [
              `arn:aws:ses:us-east-1:${account}:identity/sender@example.com`,
              `arn:aws:ses:us-east-1:${account}:configuration-set/Set`,
            ],
          },
          { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*' },
          { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: [fn, `${fn}:*`] },
          {
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Effect: 'Allow',
            Resource: `arn:aws:secretsmanager:us-east-1:${account}:secret:LinkKeys-??????`,
          },
          {
            Sid: 'Region',
            Effect: 'Deny',
            NotAction: 'iam:*',
            NotResource: table,
            Condition: { StringNotEquals: { 'aws:RequestedRegion': 'us-east-1' }, BoolIfExists: { k: true } },
          },
        ],
      },
    };
    expect(unsupportedElements(grants)).toEqual([]);
    expect(unsupportedElements({ name: 'NoVersion', document: { Statement: [allowAll()] } })).toEqual([]);
  });

  it('reports a Principal or NotPrincipal', () => {
    expect(problemsOf({ ...allowAll(), Principal: { AWS: '*' } })).toEqual([
      'Policy X statement 1: Principal is not supported in an identity-based policy',
    ]);
    expect(problemsOf({ ...allowAll(), NotPrincipal: { AWS: '*' } })).toEqual([
      'Policy X statement 1: NotPrincipal is not supported in an identity-based policy',
    ]);
  });

  it('reports an unknown or missing Effect', () => {
    expect(problemsOf({ ...allowAll(), Effect: 'allow' })).toEqual([
      'Policy X statement 1: Effect "allow" is not Allow or Deny',
    ]);
    expect(problemsOf({ Action: '*', Resource: '*' })).toHaveLength(1);
  });

  it('reports a statement without Action/NotAction or without Resource/NotResource, or with both', () => {
    expect(problemsOf({ Effect: 'Allow', Resource: '*' })).toEqual([
      'Policy X statement 1: neither Action nor NotAction is given',
    ]);
    expect(problemsOf({ Effect: 'Allow', Action: '*' })).toEqual([
      'Policy X statement 1: neither Resource nor NotResource is given',
    ]);
    expect(problemsOf({ ...allowAll(), NotAction: 's3:*' })).toEqual([
      'Policy X statement 1: both Action and NotAction are given',
    ]);
  });

  it('reports unknown condition operators and prefixes', () => {
    expect(problemsOf(allowAll({ Condition: { StringEqualz: { k: 'v' } } }))).toEqual([
      'Policy X statement 1: condition operator StringEqualz is not supported',
    ]);
    expect(problemsOf(allowAll({ Condition: { 'ForSomeValues:StringEquals': { k: 'v' } } }))).toHaveLength(1);
    expect(problemsOf(allowAll({ Condition: { 'ForAnyValue:Null': { k: 'true' } } }))).toHaveLength(1);
    expect(problemsOf(allowAll({ Condition: { NullIfExists: { k: 'true' } } }))).toHaveLength(1);
    expect(problemsOf(allowAll({ Condition: { stringequals: { k: 'v' } } }))).toHaveLength(1);
  });

  it('reports policy variables wherever they appear', () => {
    expect(problemsOf(allowAll({ Resource: `arn:aws:s3:::b/home/${username}/*` }))).toEqual([
      `Policy X statement 1: Resource value "arn:aws:s3:::b/home/${username}/*" uses a policy variable, which is not supported`,
    ]);
    expect(problemsOf({ Effect: 'Allow', Action: '*', NotResource: [username] })).toHaveLength(1);
    expect(problemsOf(allowAll({ Action: `iam:${username}` }))).toHaveLength(1);
    expect(
      problemsOf(allowAll({ Condition: { StringLike: { 's3:prefix': `home/${username}/` } } })),
    ).toHaveLength(1);
    expect(
      problemsOf(allowAll({ Condition: { StringEquals: { [`aws:ResourceTag/${username}`]: 'x' } } })),
    ).toHaveLength(1);
  });

  it('reports unresolved CloudFormation intrinsics in actions, resources and condition values', () => {
    const getAtt = { 'Fn::GetAtt': ['Table', 'Arn'] };
    expect(problemsOf({ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: [table, getAtt] })).toEqual([
      'Policy X statement 1: Resource value {"Fn::GetAtt":["Table","Arn"]} is not a string (an unresolved CloudFormation intrinsic?)',
    ]);
    expect(problemsOf({ Effect: 'Allow', Action: { Ref: 'A' }, Resource: '*' })).toHaveLength(1);
    expect(problemsOf({ Effect: 'Allow', NotAction: [{ Ref: 'A' }], Resource: '*' })).toHaveLength(1);
    expect(
      problemsOf(allowAll({ Condition: { StringEquals: { k: { Ref: 'AWS::Region' } } } } as never)),
    ).toHaveLength(1);
    expect(problemsOf({ Effect: 'Allow', Action: 7, Resource: '*' })).toHaveLength(1);
  });

  it('reports a Version other than 2012-10-17', () => {
    expect(problemsOf(allowAll(), '2008-10-17')).toEqual([
      'Policy X: Version "2008-10-17" is not supported (only 2012-10-17)',
    ]);
  });

  it('reports unknown elements and values an operator cannot read', () => {
    expect(problemsOf({ ...allowAll(), Conditions: {} })).toEqual([
      'Policy X statement 1: element Conditions is not supported',
    ]);
    expect(problemsOf(allowAll({ Condition: { NumericLessThan: { n: 'ten' } } }))).toHaveLength(1);
    expect(problemsOf(allowAll({ Condition: { Bool: { b: 'yes' } } }))).toHaveLength(1);
    expect(problemsOf(allowAll({ Condition: { IpAddress: { ip: '10.0.0.0/33' } } }))).toHaveLength(1);
    expect(problemsOf(allowAll({ Condition: { DateLessThan: { d: 'tomorrow' } } }))).toHaveLength(1);
    expect(problemsOf(allowAll({ Condition: { Null: { k: 'maybe' } } }))).toHaveLength(1);
  });

  it('names the statement by index and Sid', () => {
    expect(problemsOf({ Sid: 'Odd', Effect: 'Allow', Action: '*' })).toEqual([
      'Policy X statement 1 (Odd): neither Resource nor NotResource is given',
    ]);
  });

  it('accepts every operator it lists as supported', () => {
    for (const operator of supportedConditionOperators) {
      const value = operator.endsWith('Null')
        ? 'true'
        : operator.includes('Numeric')
          ? '1'
          : operator.includes('Date')
            ? '2026-01-01T00:00:00Z'
            : operator.includes('Bool')
              ? 'true'
              : operator.includes('Ip')
                ? '10.0.0.0/8'
                : 'arn:aws:s3:::b';
      expect(problemsOf(allowAll({ Condition: { [operator]: { k: value } } })), operator).toEqual([]);
    }
    for (const name of [
      'StringEquals',
      'StringNotEquals',
      'StringEqualsIgnoreCase',
      'StringNotEqualsIgnoreCase',
      'StringLike',
      'StringNotLike',
      'ArnEquals',
      'ArnLike',
      'ArnNotEquals',
      'ArnNotLike',
      'Bool',
      'NumericEquals',
      'NumericNotEquals',
      'NumericLessThan',
      'NumericLessThanEquals',
      'NumericGreaterThan',
      'NumericGreaterThanEquals',
      'Null',
      'StringLikeIfExists',
      'ForAnyValue:StringLike',
      'ForAllValues:StringEquals',
    ]) {
      expect(supportedConditionOperators).toContain(name);
    }
  });

  it('makes evaluate fail closed on a statement it cannot read', () => {
    const unreadableDeny = policy('P', allowAll(), {
      Effect: 'Deny',
      Action: 'nothing:Matches',
      Resource: '*',
      Condition: { StringEqualz: { k: 'v' } },
    });
    expect(isAllowed([unreadableDeny], 'sqs:SendMessage', '*')).toBe(false);
    const unreadableAllow = policy('P', allowAll({ Resource: `arn:aws:s3:::${username}` }));
    expect(isAllowed([unreadableAllow], 'sqs:SendMessage', `arn:aws:s3:::${username}`)).toBe(false);
    const oldVersion: NamedPolicy = {
      name: 'Old',
      document: { Version: '2008-10-17', Statement: [allowAll()] },
    };
    expect(isAllowed([oldVersion], 'sqs:SendMessage', '*')).toBe(false);
  });
});

describe('PolicyEvaluator', () => {
  const policies = [
    policy(
      'Grants',
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query'],
        Resource: [table, `${table}/index/*`],
      },
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [fn, `${fn}:*`] },
      {
        Effect: 'Allow',
        Action: 'ses:SendEmail',
        Resource: '*',
        Condition: { StringEquals: { 'ses:FromAddress': 'sender@example.com' } },
      },
    ),
    policy('Guard', {
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    }),
  ];
  const requests: AuthRequest[] = [];
  for (const action of [
    'dynamodb:GetItem',
    'DYNAMODB:query',
    'dynamodb:Scan',
    'lambda:InvokeFunction',
    'ses:SendEmail',
  ]) {
    for (const resource of [table, `${table}/index/ByStatus`, fn, `${fn}:live`, `${fn}G`, '*']) {
      for (const context of [
        undefined,
        { 'aws:SecureTransport': 'true' },
        { 'aws:SecureTransport': 'false' },
        { 'ses:FromAddress': 'sender@example.com', 'aws:SecureTransport': 'true' },
        { 'SES:fromaddress': 'other@example.com' },
      ]) {
        requests.push({ action, resource, ...(context ? { context } : {}) });
      }
    }
  }

  it('decides like evaluate, on first use and from its cache', () => {
    const evaluator = new PolicyEvaluator(policies);
    for (let round = 0; round < 3; round++) {
      for (const request of requests) {
        expect(evaluator.evaluate(request), JSON.stringify(request)).toEqual(evaluate(policies, request));
      }
    }
    expect(requests.some((request) => evaluate(policies, request).allowed)).toBe(true);
    expect(requests.some((request) => !evaluate(policies, request).allowed)).toBe(true);
  });

  it('keys its cache on the context, not only the action and resource', () => {
    const evaluator = new PolicyEvaluator(policies);
    const base = { action: 'dynamodb:GetItem', resource: table };
    expect(evaluator.evaluate({ ...base, context: { 'aws:SecureTransport': 'true' } }).allowed).toBe(true);
    expect(evaluator.evaluate({ ...base, context: { 'aws:SecureTransport': 'false' } })).toMatchObject({
      reason: 'explicit-deny',
    });
    expect(evaluator.evaluate({ ...base, context: { 'aws:SecureTransport': 'true' } }).allowed).toBe(true);
    const send = { action: 'ses:SendEmail', resource: '*' };
    expect(
      evaluator.evaluate({ ...send, context: { 'ses:FromAddress': 'sender@example.com' } }).allowed,
    ).toBe(true);
    expect(
      evaluator.evaluate({ ...send, context: { 'ses:FromAddress': ['sender@example.com', 'x'] } }).allowed,
    ).toBe(true);
    expect(evaluator.evaluate({ ...send, context: { 'ses:FromAddress': 'x' } }).allowed).toBe(false);
    expect(evaluator.evaluate(send).allowed).toBe(false);
  });

  it('stays correct past its cache bound', () => {
    const evaluator = new PolicyEvaluator(policies);
    for (let i = 0; i < 12_000; i++) {
      const resource = `${table}/index/I${i}`;
      expect(evaluator.evaluate({ action: 'dynamodb:Query', resource }).allowed).toBe(true);
      expect(
        evaluator.evaluate({ action: 'dynamodb:Query', resource: `${resource}x`.replace('index', 'stream') })
          .allowed,
      ).toBe(false);
    }
    expect(evaluator.evaluate({ action: 'dynamodb:Query', resource: `${table}/index/I0` }).allowed).toBe(
      true,
    );
  });
});
