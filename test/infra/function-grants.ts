import type { Capability } from '../../functions/adapters/capabilities.ts';
import { type FunctionId, functionDeclarations, functionIds } from '../../functions/handlers/capabilities.ts';

/*
 * The IAM actions each capability stands for, as AWS authorises the calls its adapter makes: written here again,
 * apart from the stack's binding code, so that test/infra/functions.test.ts checks the template against what the
 * declarations (functions/handlers/capabilities.ts) mean, not against the code that produced it.
 */
const actionsOf: Record<Capability, { table?: string[]; index?: string; calls?: string[] }> = {
  table: {},
  'table:get': { table: ['dynamodb:GetItem'] },
  'table:query': { table: ['dynamodb:Query'] },
  'table:index:gsi1': { index: 'gsi1' },
  'table:index:gsi2': { index: 'gsi2' },
  'table:index:gsi3': { index: 'gsi3' },
  'table:write': { table: ['dynamodb:PutItem', 'dynamodb:UpdateItem'] },
  'table:put': { table: ['dynamodb:PutItem'] },
  'table:update': { table: ['dynamodb:UpdateItem'] },
  'table:delete': { table: ['dynamodb:DeleteItem'] },
  mail: { calls: ['ses:SendEmail'] },
  // SES v2 SendEmail with Content.Raw is authorised as SendRawEmail.
  'mail:raw': { calls: ['ses:SendRawEmail'] },
  // The link keys' SecureString parameter (no KMS call: the AWS managed key aws/ssm).
  links: { calls: ['ssm:GetParameter'] },
  publicBaseUrl: {},
  'workflow:start': { calls: ['states:StartExecution'] },
  'workflow:executions': { calls: ['states:DescribeExecution'] },
  'workflow:callback': { calls: ['states:SendTaskSuccess'] },
  'secrets:alertSources': { calls: ['ssm:GetParameter'] },
  metrics: {},
  // Both channels, when the organisation configures both (each only on its identity and configuration set).
  pager: { calls: ['sms-voice:SendTextMessage', 'sms-voice:SendVoiceMessage'] },
  'pager:text': { calls: ['sms-voice:SendTextMessage'] },
  // The channel check's reads (the SMS and Voice ones when the organisation pages by phone, as the example does).
  'channels:check': {
    calls: [
      'ses:GetAccount',
      'ses:GetSuppressedDestination',
      'sms-voice:DescribeAccountAttributes',
      'sms-voice:DescribeSpendLimits',
      'sms-voice:DescribeOptedOutNumbers',
    ],
  },
  // SNS invokes the function (its resource policy); the function calls nothing on the topic.
  'sms:replies': {},
  // The same for the mail events topic.
  'mail:events': {},
  // And for the mail replies topic.
  'mail:replies': {},
  // Lambda's poller reads the table's stream with the function's role (event source mapping).
  'reports:runs': {
    calls: [
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ],
  },
};

export interface FunctionGrants {
  /** Calls on the table itself. */
  table: string[];
  /** The indexes it may Query. */
  indexes: string[];
  /** Other calls, on the mail identity, the state machine and the credential parameters. */
  calls: string[];
}

export function grantsOf(id: FunctionId): FunctionGrants {
  const uses: readonly Capability[] = functionDeclarations[id].uses;
  return {
    table: [...new Set(uses.flatMap((c) => actionsOf[c].table ?? []))],
    indexes: uses.flatMap((c) => actionsOf[c].index ?? []),
    calls: [...new Set(uses.flatMap((c) => actionsOf[c].calls ?? []))],
  };
}

/** The functions whose code sends mail, simple or raw (each mail links a page: PUBLIC_BASE_URL and the keys). */
export const mailingFunctions = functionIds.filter((id) => grantsOf(id).calls.some(isMailSend));

/** SES's send actions (the channel check's SES reads are not mail). */
export function isMailSend(action: string): boolean {
  return action === 'ses:SendEmail' || action === 'ses:SendRawEmail';
}
