import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Incident } from '../../functions/core/incident.ts';
import { issueLink, parseSigningKeys } from '../../functions/core/links.ts';
import { type FakeParameterStore, fakeParameterStore } from './fake-parameter-store.ts';
import { useTestOrganisation } from './organisation.ts';

/**
 * What the unit tests of the signed-link handlers (`/links/{token}` and `/links/{token}/edit`) share: DynamoDB
 * and Step Functions mocked and reset before each test, the link keys served by a fake Parameter Store, the
 * test organisation, and the handler imported once all that is in place.
 */

const LINK_KEYS_PARAMETER = '/hotline/Hotline/link-signing-keys';
export const linkSigningSecret = JSON.stringify({ activeKeyId: 'k1', k1: 's'.repeat(64) });

export function linkHandlerHarness<Handler>(load: () => Promise<{ handler: Handler }>) {
  const ddb = mockClient(DynamoDBDocumentClient);
  const sfn = mockClient(SFNClient);
  let parameters: FakeParameterStore | undefined;
  let loaded: Handler | undefined;
  beforeAll(async () => {
    process.env.TABLE_NAME = 'incidents';
    process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Incident';
    process.env.LINK_SIGNING_KEYS_PARAMETER = LINK_KEYS_PARAMETER;
    parameters = await fakeParameterStore({ [LINK_KEYS_PARAMETER]: linkSigningSecret });
    useTestOrganisation();
    ({ handler: loaded } = await load());
  });
  afterAll(() => parameters?.close());
  beforeEach(() => {
    ddb.reset();
    sfn.reset();
  });
  const handler = (): Handler => {
    if (loaded === undefined) throw new Error('the link handler is imported in beforeAll');
    return loaded;
  };
  /** The fake Parameter Store (a test rotates the keys in it). */
  const keyStore = (): FakeParameterStore => {
    if (parameters === undefined) throw new Error('the parameter store starts in beforeAll');
    return parameters;
  };
  return { ddb, sfn, handler, keyStore, keysParameter: LINK_KEYS_PARAMETER };
}

/** An incident of the checkout service, as a link's incident. */
export function linkIncident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: '01JINCIDENT',
    key: 'HOT-9',
    number: 9,
    status: 'paged',
    severity: 2,
    service: 'checkout',
    summary: 'Checkout slow',
    products: [],
    source: 'alertmanager',
    impactStartedAt: '2026-11-20T09:00:00.000Z',
    detectedAt: '2026-11-20T09:01:00.000Z',
    openedAt: '2026-11-20T09:01:00.000Z',
    executionName: 'HOT-9',
    updatedAt: '2026-11-20T09:01:00.000Z',
    ...overrides,
  };
}

/** A link of `action` to the incident for `recipient`, signed with the harness's key (or `secret`'s). */
export function signedLink(
  incident: Incident,
  action: string,
  options: { recipient: string; ttlHours: number; now?: Date; id?: string; secret?: string },
): string {
  return issueLink(parseSigningKeys(options.secret ?? linkSigningSecret), {
    id: options.id ?? '01JLINK',
    incidentId: incident.id,
    key: incident.key,
    action,
    recipient: options.recipient,
    ttlHours: options.ttlHours,
    now: options.now ?? new Date(),
  });
}
