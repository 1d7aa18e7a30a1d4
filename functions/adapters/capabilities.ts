/*
 * What a function may use of AWS: each capability is a port its handler receives, the environment variables the
 * stack sets for it and the IAM grant that goes with them (infra/constructs/incident-function.ts reads this
 * table), and what the local target lets the function call (it enforces the grants of the synthesized template).
 * Functions declare their capabilities in functions/handlers/capabilities.ts. No side effects here: the stack
 * imports this module.
 */

export const capabilities = {
  /** The repositories over the one table (no grant by itself: the table capabilities below grant the calls). */
  table: { env: ['TABLE_NAME'] },
  /** GetItem (consistent reads of one item). */
  'table:get': { env: ['TABLE_NAME'] },
  /** Query on the table's own keys: the items of one partition (a timeline, a postmortem's versions). */
  'table:query': { env: ['TABLE_NAME'] },
  /** Query on gsi1: every incident by time. */
  'table:index:gsi1': { env: ['TABLE_NAME'] },
  /** Query on gsi2: a service's incidents by time. */
  'table:index:gsi2': { env: ['TABLE_NAME'] },
  /** Query on gsi3, the sparse lists: unstarted workflows, the status page, postmortems by status, actions. */
  'table:index:gsi3': { env: ['TABLE_NAME'] },
  /** PutItem and UpdateItem (every create is conditional, every change conditional on the state it leaves). */
  'table:write': { env: ['TABLE_NAME'] },
  /** PutItem only: for a function that creates items (each once, conditionally) and changes none. */
  'table:put': { env: ['TABLE_NAME'] },
  /** UpdateItem only: for a function that changes items and claims work (a leased claim is an UpdateItem) but creates none with PutItem. */
  'table:update': { env: ['TABLE_NAME'] },
  /** DeleteItem: only to release a claim the function holds (a link use, an alert delivery, a report run). */
  'table:delete': { env: ['TABLE_NAME'] },
  /** ses:SendEmail (simple content) from the sender identity through the configuration set. Needs `links`. */
  mail: { env: ['SES_CONFIGURATION_SET'] },
  /** ses:SendRawEmail: SES v2 SendEmail with raw MIME content (attachments) is authorised as SendRawEmail. */
  'mail:raw': { env: ['SES_CONFIGURATION_SET'] },
  /** The link signing keys (ssm:GetParameter on their SecureString parameter) and the origin links are made on. */
  links: { env: ['LINK_SIGNING_KEYS_PARAMETER', 'PUBLIC_BASE_URL'] },
  /** The origin of the links a page names (no grant). */
  publicBaseUrl: { env: ['PUBLIC_BASE_URL'] },
  /** states:StartExecution on the state machine. */
  'workflow:start': { env: ['STATE_MACHINE_ARN'] },
  /** states:DescribeExecution on the state machine's executions. */
  'workflow:executions': { env: ['STATE_MACHINE_ARN'] },
  /** states:SendTaskSuccess: resumes a waiting task (the token names its execution, so no variable). */
  'workflow:callback': { env: [] },
  /** Each alert source's credential (ssm:GetParameter on its SecureString parameter), in `<SOURCE>_CREDENTIAL_PARAMETER`. */
  'secrets:alertSources': { env: [] },
  /**
   * Started by the table's stream for each new report run record (an event source mapping filtered to those
   * INSERTs, adapters/report-runs.ts), with the stream reads Lambda's poller makes with the function's role
   * (dynamodb:DescribeStream, GetRecords, GetShardIterator, ListStreams on the stream) and its failure
   * destination (the operators' topic). No variable: the event names the run.
   */
  'reports:runs': { env: [] },
  /**
   * sms-voice:SendTextMessage and sms-voice:SendVoiceMessage, each only from the organisation's configured
   * origination identity and through its configuration set (`paging` in the organisation file). Every variable is
   * set; a channel the organisation does not configure has empty ones, and its pages are refused (recorded).
   */
  pager: {
    env: [
      'PAGER_SMS_ORIGINATION_IDENTITY',
      'PAGER_SMS_CONFIGURATION_SET',
      'PAGER_VOICE_ORIGINATION_IDENTITY',
      'PAGER_VOICE_CONFIGURATION_SET',
      'PAGER_VOICE_ID',
    ],
  },
  /**
   * Subscribed to the two-way SMS topic (a Lambda subscription): replies to the origination number arrive as SNS
   * notifications. TWO_WAY_SMS_TOPIC_ARN names the topic, so a notification from any other is ignored. No grant:
   * SNS invokes the function through its resource policy, and the function calls nothing on the topic.
   */
  'sms:replies': { env: ['TWO_WAY_SMS_TOPIC_ARN'] },
  /**
   * Subscribed to the mail events topic (the configuration set's event destination: delivery, bounce, complaint,
   * reject, delay). MAIL_EVENTS_TOPIC_ARN names the topic, so a notification from any other is ignored. No grant,
   * as for `sms:replies`.
   */
  'mail:events': { env: ['MAIL_EVENTS_TOPIC_ARN'] },
  /**
   * Subscribed to the mail replies topic (the SES receipt rule's SNS action, when `mailReplies` is configured).
   * MAIL_REPLIES_TOPIC_ARN names the topic, so a notification from any other is ignored. No grant, as for
   * `sms:replies`.
   */
  'mail:replies': { env: ['MAIL_REPLIES_TOPIC_ARN'] },
  /**
   * `pager`'s text channel alone: sms-voice:SendTextMessage from the configured SMS origination identity through
   * its configuration set, for a function that answers by text and never calls (the SMS replies).
   */
  'pager:text': { env: ['PAGER_SMS_ORIGINATION_IDENTITY', 'PAGER_SMS_CONFIGURATION_SET'] },
  /**
   * Reads what AWS says about the channels (adapters/channel-facts.ts): ses:GetAccount and
   * ses:GetSuppressedDestination (no resource type: `*`); with SMS or voice paging, sms-voice:DescribeAccountAttributes
   * and sms-voice:DescribeSpendLimits (`*`) and sms-voice:DescribeOptedOutNumbers on the default opt-out list.
   */
  'channels:check': { env: [] },
  /** Powertools Metrics' namespace: metrics go out as log lines (no grant). */
  metrics: { env: ['POWERTOOLS_METRICS_NAMESPACE'] },
} as const satisfies Record<string, { env: readonly string[] }>;

export type Capability = keyof typeof capabilities;
export const capabilityNames = Object.keys(capabilities) as Capability[];

/** The environment variable naming an alert source's credential parameter: `ALERTMANAGER_CREDENTIAL_PARAMETER`. */
export function sourceCredentialEnv(source: string): string {
  return `${source.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_CREDENTIAL_PARAMETER`;
}

/**
 * An adapter a handler builds for one capability. Handlers build ports through their function's declaration
 * (`linkedTo` in handlers/capabilities.ts), so using a capability that is not declared fails when the module
 * loads, not in production after a deploy.
 */
export interface PortFactory<C extends Capability, T> {
  readonly capability: C;
  build(): T;
}

export function port<C extends Capability, T>(capability: C, build: () => T): PortFactory<C, T> {
  return { capability, build };
}

/** The value of a variable the stack sets for a capability; missing, the function was not bound to it. */
export function boundEnv(name: string, capability: Capability): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: declare "${capability}" for this function`);
  return value;
}
