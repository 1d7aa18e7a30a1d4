import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { indexes, keys } from '../../../functions/core/keys.ts';
import { publicStatusId } from '../../../functions/core/status-page.ts';
import { httpEvent, lambdaContext } from '../../support/events.ts';
import { useTestOrganisation } from '../../support/organisation.ts';
import { parseXml } from '../../support/xml.ts';

const ddb = mockClient(DynamoDBDocumentClient);

let handler: typeof import('../../../functions/handlers/status-page.ts').handler;

beforeAll(async () => {
  process.env.TABLE_NAME = 'incidents';
  process.env.PUBLIC_BASE_URL = 'https://incidents.example.com';
  useTestOrganisation();
  ({ handler } = await import('../../../functions/handlers/status-page.ts'));
});

const openedAt = new Date(Date.now() - 3600_000).toISOString();
/** An entry as the table holds it: keys, index attributes, the type tag and the public fields. */
const stored = {
  ...keys.statusEntry('01JINCIDENT'),
  ...indexes.statusPage.values(openedAt),
  type: 'statusEntry',
  publicId: publicStatusId('01JINCIDENT'),
  openedAt,
  products: ['Checkout'],
  updates: {
    'initial-1': { at: openedAt, text: 'We are investigating issues with <Checkout>.' },
  },
};

beforeEach(() => {
  ddb.reset();
  ddb.on(QueryCommand).resolves({ Items: [stored] });
});

const request = (path: string, method = 'GET') =>
  handler(httpEvent({ method, path, routeKey: `${method} ${path}` }), lambdaContext);

describe('GET /status, /status.json, /status.atom', () => {
  it.each([
    ['/status', 'text/html; charset=utf-8'],
    ['/status.json', 'application/json'],
    ['/status.atom', 'application/atom+xml'],
  ])('%s answers %s from exactly one Query of the status page index, and no Scan', async (path, type) => {
    const response = await request(path);

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'content-type': type,
      'cache-control': 'public, max-age=30',
      'x-content-type-options': 'nosniff',
    });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
    expect(ddb.commandCalls(ScanCommand)).toHaveLength(0);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    const query = ddb.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(query).toMatchObject({
      TableName: 'incidents',
      IndexName: 'gsi3',
      KeyConditionExpression: '#pk = :pk AND #sk >= :since',
      ExpressionAttributeNames: { '#pk': 'gsi3pk', '#sk': 'gsi3sk' },
      ScanIndexForward: false,
    });
    expect(query?.ExpressionAttributeValues?.[':pk']).toBe('STATUSPAGE');
    // From 7 days ago: open entries (`~<openedAt>`) sort after every time, so they are always in range.
    const since = Date.parse(String(query?.ExpressionAttributeValues?.[':since']));
    expect(Math.abs(since - (Date.now() - 7 * 86_400_000))).toBeLessThan(60_000);
  });

  it('renders the entry in each format, escaped, with the title of the organisation', async () => {
    const html = (await request('/status')).body ?? '';
    expect(html).toContain('<h1>Incidents status</h1>');
    expect(html).toContain('We are investigating issues with &lt;Checkout&gt;.');
    expect(html).not.toContain('01JINCIDENT');

    const json = JSON.parse((await request('/status.json')).body ?? '');
    expect(json.incidents).toEqual([
      {
        id: publicStatusId('01JINCIDENT'),
        status: 'investigating',
        statusText: 'Investigating',
        products: ['Checkout'],
        updates: [{ at: openedAt, text: 'We are investigating issues with <Checkout>.' }],
      },
    ]);

    const feed = parseXml((await request('/status.atom')).body ?? '');
    const self = feed.children.find((c) => c.name === 'link' && c.attributes.rel === 'self');
    expect(self?.attributes.href).toBe('https://incidents.example.com/status.atom');
    expect(feed.children.filter((c) => c.name === 'entry')).toHaveLength(1);
  });

  it('answers HEAD with the same headers and no body', async () => {
    const response = await request('/status.atom', 'HEAD');
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe('application/atom+xml');
    expect(response.body).toBe('');
  });

  it('answers 503 with Retry-After when the table is briefly unavailable (and nothing is cached)', async () => {
    ddb.on(QueryCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    const response = await request('/status');
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'retry-after': '1', 'cache-control': 'no-store' });
  });
});
