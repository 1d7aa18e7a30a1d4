import { createHmac } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PageCodesRepository } from '../../functions/adapters/page-codes-repository.ts';
import { Table } from '../../functions/adapters/table.ts';
import { WAITS_PER_EXECUTION } from '../../functions/core/executions.ts';
import { indexes, keys } from '../../functions/core/keys.ts';
import { replyAddress } from '../../functions/core/mail-replies.ts';
import { type Grant, PolicyEvaluator, withoutGrant } from '../../infra/local/iam/policy.ts';
import { eventually } from '../support/eventually.ts';
import { fixture, fixtureText } from '../support/fixtures.ts';
import { about, decisionLinks, hotlineClient, type Json, type Mail } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';
import { completePostmortem } from '../support/postmortem-flow.ts';
import { exceptionFor } from './least-privilege-exceptions.ts';

/**
 * The whole journey on the local target with IAM enforced from the synthesized template, and no call denied:
 * alerts from every source, a page acknowledged from its mail, comms, a resolution, the postmortem edited and
 * sent for approval from its editor page, a change request and an approval from mail, publication, actions,
 * lists, the status page, the SLO report mailed, the schedules, an on-call override, a schedule's calendar feed, a workflow started by the sweep, a failed
 * workflow, an acknowledgement by SMS reply, a silent heartbeat, a test page. Then least privilege, measured: every grant of every function is used by a call of the journey (or
 * listed with its reason in least-privilege-exceptions.ts), and removing any used grant denies a call the
 * journey made (the table is printed).
 */

let hotline: HotlineTarget;
const client = hotlineClient(() => hotline);
const { api, waitForMails } = client;
const to = (address: string) => (m: Mail) => m.destination.to.includes(address);

beforeAll(async () => {
  hotline = await startHotline({
    // Faults are off (rate 0) until a step turns them on; a fixed draw makes every injected fault a refusal.
    faults: {},
    faultRandom: () => 0.1,
    retryIntervalOverrides: { OpenPostmortem: 0 },
  });
});
afterAll(async () => hotline?.stop());

const base = () => hotline.target.urls.api;
const LINK = /https?:\/\/[^\s"'<>]+\/links\/v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

async function alert(source: string, body: string, headers: Record<string, string>) {
  return fetch(`${base()}/alerts/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}
const keyOf = async (response: Response) =>
  ((await response.json()) as { incidents: { key: string }[] }).incidents[0]?.key ?? '';

function genericHeaders(body: string, id = `msg_${ulid()}`) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const mac = createHmac('sha256', Buffer.from(hotline.secretOf('generic'), 'base64'))
    .update(`${id}.${timestamp}.${body}`)
    .digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${mac}` };
}

/** The hidden fields of a link's confirm page, posted back (what the browser's button sends). */
async function confirm(link: string, extra: Record<string, string> = {}): Promise<Response> {
  const page = await (await fetch(link)).text();
  const fields = new URLSearchParams();
  for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    fields.set(name ?? '', (value ?? '').replaceAll('&amp;', '&').replaceAll('&quot;', '"'));
  for (const [name, value] of Object.entries(extra)) fields.set(name, value);
  return fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: fields.toString(),
  });
}

const detail = async (key: string) => (await api('GET', `/incidents/${key}`)).body;
const adminDb = () =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: hotline.target.urls.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
/** Until the workflow's wait has kept its task token on the incident (what a callback resumes). */
async function waitingOn(key: string, token: 'ackTaskToken' | 'loopTaskToken') {
  const id = (await detail(key)).incident.id as string;
  await eventually(async () => {
    const item = await adminDb().send(
      new GetCommand({ TableName: hotline.target.tables[0], Key: keys.incident(id) }),
    );
    return item.Item?.[token] ? true : undefined;
  }, `${key} to wait (${token})`);
}
const functionArn = (id: string) => hotline.target.functions.find(id)?.arn ?? id;

const anUpdate = () => ({
  summary: 'Rolling back the configuration change.',
  status: ['Errors at 5%', 'Rollback started'],
  nextSteps: ['Finish the rollback', 'Watch the error rate'],
  impact: 'Some card payments fail.',
  customers: { internal: 0, external: 40 },
  rootCause: 'A configuration change.',
  eta: 'no ETA',
  nextUpdateAt: new Date(Date.now() + 30 * 60_000).toISOString(),
  external: 'Some payments fail; we are rolling back a change.',
});

let main = '';
let responder = '';
let approved = '';
let improvementDue = '';

describe('the journey with IAM enforced', () => {
  it('takes alerts from every source that presents a credential', async () => {
    const am = fixture<Json>('alertmanager', 'firing-v4');
    const opened = await alert(
      'alertmanager',
      JSON.stringify({ ...am, groupKey: `least-privilege:${ulid()}` }),
      { authorization: `Bearer ${hotline.secretOf('alertmanager')}` },
    );
    expect(opened.status).toBe(202);
    main = await keyOf(opened);

    const grafana = fixtureText('grafana', 'firing');
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', hotline.secretOf('grafana'))
      .update(`${timestamp}:${grafana}`)
      .digest('hex');
    expect(
      (
        await alert('grafana', grafana, {
          'x-grafana-alerting-signature': signature,
          'x-grafana-alerting-signature-timestamp': timestamp,
        })
      ).status,
    ).toBe(202);
    const pagerduty = {
      ...fixture<Json>('pagerduty', 'trigger'),
      routing_key: hotline.secretOf('pagerduty'),
    };
    expect((await alert('pagerduty', JSON.stringify(pagerduty), {})).status).toBe(202);
    const generic = fixtureText('generic', 'firing');
    expect((await alert('generic', generic, genericHeaders(generic))).status).toBe(202);
  });

  it('acknowledges from the page mail and wakes the comms loop when every alert of a group resolved', async () => {
    const [page] = await waitForMails('the page of the main incident', about(main, ' - Paged'));
    const link = LINK.exec((page as Mail).body.text)?.[0] ?? '';
    await waitingOn(main, 'ackTaskToken');
    const acknowledged = await confirm(link);
    expect(acknowledged.status).toBe(200);
    expect((await detail(main)).incident.status).toBe('fixing');
    // The page offers the incident manager's responder page (a link of its own, LinkDecision).
    responder =
      /<a href="([^"]+)" rel="noreferrer">Open your responder page/.exec(await acknowledged.text())?.[1] ??
      '';
    expect(responder).toMatch(LINK);

    // A datadog monitor opens, is acknowledged by an operator, and recovers while the comms loop waits.
    const headers = { 'x-hotline-token': hotline.secretOf('datadog') };
    const datadog = await keyOf(await alert('datadog', fixtureText('datadog', 'triggered'), headers));
    await eventually(
      async () => ((await detail(datadog)).incident.status === 'paged' ? true : undefined),
      'paged',
    );
    expect(
      (
        await api('POST', `/incidents/${datadog}/acknowledge`, {
          incidentManager: 'payments-oncall@example.com',
        })
      ).status,
    ).toBe(200);
    // The comms loop waits: its task token is kept on the incident (what ingest resumes).
    await waitingOn(datadog, 'loopTaskToken');
    expect((await alert('datadog', fixtureText('datadog', 'recovered'), headers)).status).toBe(202);
    await eventually(
      async () =>
        (await detail(datadog)).timeline.some((e: Json) => e.kind === 'alerts.all-resolved')
          ? true
          : undefined,
      'the all-resolved notice',
    );
    // Resolved, and the monitor triggers again: a new incident, a recurrence the SLO report names and links.
    expect((await api('POST', `/incidents/${datadog}/resolve`, { supportCases: 0 })).status).toBe(200);
    const again = await keyOf(await alert('datadog', fixtureText('datadog', 'triggered'), headers));
    expect(again).not.toBe(datadog);
    expect((await detail(again)).incident.recurrenceOf).toBe(datadog);
  });

  it('runs the comms and the resolution, and lists and shows incidents', async () => {
    await waitingOn(main, 'loopTaskToken');
    const update = await api('POST', `/incidents/${main}/updates`, anUpdate());
    expect(update.status).toBe(201);
    expect((await api('POST', `/incidents/${main}/resolve`, { supportCases: 3 })).status).toBe(200);
    expect((await api('GET', '/incidents')).status).toBe(200);
    expect((await api('GET', '/incidents?service=checkout')).status).toBe(200);
    for (const page of ['/status', '/status.json', '/status.atom'])
      expect((await fetch(`${base()}${page}`)).status).toBe(200);
  });

  it('edits the postmortem on its page and asks for approval from there; a change request sends it back', async () => {
    const [owner] = await waitForMails('the owner mail', about(main, ' - Postmortem'));
    const editor =
      /^Write the postmortem: .*<(https?:\/\/\S+\/links\/v1\.[^>]+)>$/m.exec(
        (owner as Mail).body.text,
      )?.[1] ?? '';
    // A correction of the measures while the postmortem is a draft (its pre-filled text follows): from the API,
    // then from the editor's own correction form (PostmortemEditor), then from the responder page.
    const recorded = (await api('GET', `/incidents/${main}`)).body.incident;
    const earlier = (minutes: number) =>
      new Date(Date.parse(recorded.impactStartedAt) - minutes * 60_000).toISOString();
    const correction = { impactStartedAt: earlier(1), reason: 'The alert started late' };
    expect((await api('POST', `/incidents/${main}/measures`, correction)).status).toBe(200);
    const once = (await api('GET', `/incidents/${main}`)).body.incident;
    const corrected = await fetch(editor, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        intent: 'measures',
        measuresVersion: once.measuresCorrectedAt,
        impactStartedAt: earlier(2),
        reason: 'Two minutes earlier, by the load balancer logs',
      }).toString(),
      redirect: 'manual',
    });
    expect(corrected.status).toBe(303);
    // ...and from the incident manager's responder page (LinkDecision), which pre-fills the draft again too.
    const page = await (await fetch(responder)).text();
    const fromResponder = await fetch(responder, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        intent: 'measures',
        version: /<input type="hidden" name="version" value="([^"]*)">/.exec(page)?.[1] ?? '',
        impactStartedAt: earlier(3),
        reason: 'Three minutes earlier, by the CDN logs',
      }).toString(),
      redirect: 'manual',
    });
    expect(fromResponder.status).toBe(303);
    const { postmortem } = (await api('GET', `/incidents/${main}/postmortem`)).body;
    const completed = await api('PUT', `/incidents/${main}/postmortem`, {
      version: postmortem.version,
      ...completePostmortem('Add a check of connection pool sizes to the change review checklist'),
    });
    expect(completed.status).toBe(200);
    // The editor's "Ask for approval", with a leadup typed on the page.
    const asked = await fetch(editor, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        version: String(completed.body.postmortem.version),
        leadup: 'A configuration change at 14:20 UTC lowered the pool size to 5.',
        intent: 'request-approval',
      }).toString(),
    });
    expect(asked.status).toBe(200);
    const [request] = await waitForMails(
      'the approval request',
      (m) => about(main, ' - Postmortem approval requested')(m) && to('head-of-payments@example.com')(m),
    );
    const { changes } = decisionLinks(request as Mail);
    expect((await confirm(changes, { comment: 'Name the owner of the checklist.' })).status).toBe(200);
    await waitForMails('the comment to the owner', about(main, ' - Postmortem changes requested'));
  });

  it('asks again from the API, approves from mail and publishes; follows the actions', async () => {
    const { postmortem } = (await api('GET', `/incidents/${main}/postmortem`)).body;
    expect(postmortem.status).toBe('draft');
    const edited = await api('PUT', `/incidents/${main}/postmortem`, {
      version: postmortem.version,
      ...completePostmortem(
        'Add a check of connection pool sizes, owned by the platform team, to the change review',
      ),
    });
    expect(edited.status).toBe(200);
    expect((await api('POST', `/incidents/${main}/postmortem/request-approval`, {})).status).toBe(200);
    const requests = await waitForMails(
      'the approval asked again',
      (m) => about(main, ' - Postmortem approval requested')(m) && to('head-of-payments@example.com')(m),
      2,
    );
    const { approve } = decisionLinks(requests.at(-1) as Mail);
    expect((await confirm(approve)).status).toBe(200);
    await waitForMails('the published postmortem', about(main, ' - Postmortem published'));
    approved = main;
    expect((await api('GET', '/postmortems?status=published')).status).toBe(200);
    const actions = (await api('GET', '/actions')).body.actions as Json[];
    const [priority, improvement] = ['priority', 'improvement'].map((kind) =>
      actions.find((a) => a.incidentKey === approved && a.kind === kind),
    );
    expect((await api('POST', `/actions/${priority?.id}/complete`, { note: 'Done in review.' })).status).toBe(
      200,
    );
    improvementDue = improvement?.id as string;
  });

  it('opens a postmortem asked for after a sev 3 ended, with an execution of its own', async () => {
    const declared = await api('POST', '/incidents', {
      summary: 'Search slow for some customers',
      description: 'Search takes 10 s for some queries.',
      severity: 3,
      service: 'checkout',
    });
    const key = declared.body.key as string;
    expect((await api('POST', `/incidents/${key}/resolve`, { supportCases: 0 })).status).toBe(200);
    await eventually(
      async () =>
        hotline.target.stepFunctions.describeExecution(
          hotline.target.stepFunctions.executionsOf().find((e) => e.name === key)?.executionArn ?? '',
        ).status !== 'RUNNING'
          ? true
          : undefined,
      'the sev 3 execution to end',
    );
    expect([200, 201]).toContain((await api('POST', `/incidents/${key}/postmortem`, {})).status);
    await waitForMails('the sev 3 owner mail', about(key, ' - Postmortem'));
  });

  it('continues an incident whose execution has waited its fill in a new execution', async () => {
    const declared = await api('POST', '/incidents', {
      summary: 'Refunds delayed',
      description: 'Refunds take hours to reach customers.',
      severity: 2,
      service: 'checkout',
    });
    const key = declared.body.key as string;
    expect(
      (await api('POST', `/incidents/${key}/acknowledge`, { incidentManager: 'payments-oncall@example.com' }))
        .status,
    ).toBe(200);
    await waitingOn(key, 'loopTaskToken');
    // As if the execution had looped all the waits it may hold: the next wait hands over.
    await adminDb().send(
      new UpdateCommand({
        TableName: hotline.target.tables[0],
        Key: keys.incident((await detail(key)).incident.id as string),
        UpdateExpression: 'SET waitsCount = :n',
        ExpressionAttributeValues: { ':n': WAITS_PER_EXECUTION },
      }),
    );
    expect((await api('POST', `/incidents/${key}/updates`, anUpdate())).status).toBe(201);
    await eventually(
      async () => ((await detail(key)).incident.executionName === `${key}-2` ? true : undefined),
      'the incident to continue in a new execution',
    );
    expect((await api('POST', `/incidents/${key}/resolve`, { supportCases: 0 })).status).toBe(200);
    await waitForMails('the owner mail of the continued incident', about(key, ' - Postmortem'));
  });

  it('starts a workflow its request could not start, which finds the incident acknowledged already', async () => {
    hotline.target.stepFunctions.refuseStarts(() => true);
    const body = fixtureText('generic', 'firing').replace(
      /"group":\s*"[^"]*"/,
      `"group": "least-privilege-${ulid()}"`,
    );
    // The delivery it claimed is given back when processing fails, so the sender's retry is processed.
    expect((await alert('generic', body, genericHeaders(body))).status).toBe(503);
    const key = ((await api('GET', '/incidents?status=new')).body.incidents as Json[])[0]?.key as string;
    expect(
      (await api('POST', `/incidents/${key}/acknowledge`, { incidentManager: 'payments-oncall@example.com' }))
        .status,
    ).toBe(200);
    hotline.target.stepFunctions.refuseStarts(undefined);
    const swept = (await hotline.target.functions.invoke(functionArn('SweepUnstartedWorkflows'), {
      graceSeconds: 0,
    })) as { started: string[] };
    expect(swept.started).toContain(key);
    // The acknowledgement wait finds it acknowledged and resumes itself into the response.
    await eventually(
      async () => ((await detail(key)).incident.firstCommsAt ? true : undefined),
      'the response of the swept incident',
    );
  });

  it('releases a link use when the decision fails, so the link can be used again', async () => {
    const am = fixture<Json>('alertmanager', 'firing-v4');
    const key = await keyOf(
      await alert('alertmanager', JSON.stringify({ ...am, groupKey: `least-privilege:${ulid()}` }), {
        authorization: `Bearer ${hotline.secretOf('alertmanager')}`,
      }),
    );
    const [page] = await waitForMails('the page', about(key, ' - Paged'));
    const link = LINK.exec((page as Mail).body.text)?.[0] ?? '';
    await eventually(
      async () => ((await detail(key)).incident.status === 'paged' ? true : undefined),
      'paged',
    );
    // Step Functions refuses every call: the acknowledgement is recorded, resuming the workflow fails.
    hotline.target.setFaults({ stepFunctions: 1 });
    const failed = await confirm(link);
    hotline.target.setFaults({ stepFunctions: 0 });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    // The link use was given back: the link answers again (it tells who acknowledged), not "used".
    const again = await confirm(link);
    expect(again.status).toBeLessThan(500);
    expect((await detail(key)).incident.status).toBe('fixing');
  });

  it('mails the SLO report on demand and on its schedule, and sweeps the actions', async () => {
    const period = {
      from: new Date(Date.now() - 7 * 86_400_000).toISOString(),
      to: new Date().toISOString(),
    };
    expect((await api('POST', '/reports/slo', { ...period, mail: true })).status).toBe(200);
    expect((await api('POST', '/reports/slo', { ...period, service: 'checkout', mail: true })).status).toBe(
      200,
    );
    // A long period runs in the background (RunSloReport, started by the table stream): 202, then its result by its id.
    const year = {
      from: new Date(Date.now() - 90 * 86_400_000).toISOString(),
      to: new Date().toISOString(),
      mail: true,
    };
    for (const scope of [{}, { service: 'checkout' }]) {
      const started = await api('POST', '/reports/slo', { ...year, ...scope });
      expect(started.status).toBe(202);
      const runId = started.body.runId as string;
      await eventually(async () => {
        const run = await api('GET', `/reports/slo/${runId}`);
        return run.status === 200 ? run : undefined;
      }, 'the long report to be done');
    }
    // The weekly run reports the last full week before it fires: a run a week from now reports this one.
    const weekAhead = new Date(Date.now() + 7 * 86_400_000).toISOString();
    await hotline.target.functions.invoke(functionArn('SendSloReports'), { scheduledTime: weekAhead });
    await waitForMails('a report mail', (m) => m.subject.includes('SLO report'));
    // An open action falls due (its due date moved into the past, as time would): the hourly sweep reminds. Two
    // days back: an improvement is reminded at its due day's business morning, which for a due time of a minute
    // ago is still to come between midnight and the morning of a business day (the test failed then).
    const dueAt = new Date(Date.now() - 2 * 86_400_000).toISOString();
    await adminDb().send(
      new UpdateCommand({
        TableName: hotline.target.tables[0],
        Key: keys.action(improvementDue),
        UpdateExpression: 'SET dueAt = :due, gsi3sk = :sk',
        ExpressionAttributeValues: {
          ':due': dueAt,
          ':sk': indexes.openActions.values(dueAt, improvementDue).gsi3sk,
        },
      }),
    );
    for (const schedule of hotline.target.schedules.schedules)
      await hotline.target.schedules.trigger(schedule.name);
    await waitForMails(
      'the action reminder',
      (m) => m.destination.to.includes('payments-team@example.com') && /action/i.test(m.subject),
    );
  });

  it('records a failed workflow on the incident and tells the operators', async () => {
    const incidentId = (await detail(main)).incident.id as string;
    // A postmortem-only execution of an incident already published fails nowhere; one of an open incident fails
    // its OpenPostmortem step (not resolved), six times, into the failure path.
    const open = await api('POST', '/incidents', {
      summary: 'Checkout timeouts',
      description: 'Timeouts at checkout.',
      severity: 2,
      service: 'checkout',
    });
    const key = open.body.key as string;
    const id = (await detail(key)).incident.id as string;
    const sfn = new SFNClient({
      endpoint: hotline.target.urls.aws,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: hotline.target.stateMachines[0],
        name: `${key}-failing`,
        input: JSON.stringify({ incidentId: id, key, phase: 'postmortem' }),
      }),
    );
    await waitForMails(
      'the operators told',
      (m) =>
        m.subject.startsWith(`${key} `) && m.subject.includes('failed') && to('sre-platform@example.com')(m),
    );
    // The timeline entry is written after the mail went out: wait for it, so the usage below counts its write.
    await eventually(async () => {
      const timeline = (await detail(key)).timeline as Json[];
      return timeline.some((entry) => entry.kind === 'workflow.failed') ? true : undefined;
    }, 'the failure on the timeline');
    expect(incidentId).toBeDefined();
  });

  it('adds an override to a schedule (once, on a retry), answers who is on call, and removes it', async () => {
    const start = new Date(Date.now() + 3_600_000).toISOString();
    const end = new Date(Date.now() + 5 * 3_600_000).toISOString();
    const cover = { personId: 'grace', start, end };
    const added = await api('POST', '/schedules/payments/overrides', cover);
    expect(added.status).toBe(201);
    // The retry finds the override it made: a refused PutItem, then a GetItem.
    expect((await api('POST', '/schedules/payments/overrides', cover)).status).toBe(200);
    const at = encodeURIComponent(new Date(Date.parse(start) + 60_000).toISOString());
    const during = await api('GET', `/schedules/payments/oncall?at=${at}`);
    expect(during.body.onCall.person.id).toBe('grace');
    const removed = await api('DELETE', `/schedules/payments/overrides/${added.body.override.id}`);
    expect(removed.status).toBe(200);
  });

  it("signs a schedule's calendar feed and serves it to a calendar app, with no other credential (ScheduleFeed)", async () => {
    const issued = await api('POST', '/schedules/payments/feed', { days: 30 });
    expect(issued.status).toBe(201);
    const url = issued.body.feed.url as string;
    expect(url.startsWith(`${base()}/links/`) && url.endsWith('/calendar.ics')).toBe(true);
    const feed = await fetch(url);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    const text = await feed.text();
    expect(text).toContain('BEGIN:VCALENDAR');
    expect(text.match(/BEGIN:VEVENT/g)?.length).toBeGreaterThan(10);
  });

  it('acknowledges by SMS reply: the code from the paged number, through the two-way SMS topic, answered by SMS', async () => {
    const declared = await api('POST', '/incidents', {
      summary: 'Card payments failing',
      description: 'About 30% of card payments fail at checkout.',
      severity: 2,
      service: 'checkout',
    });
    const key = declared.body.key as string;
    await waitingOn(key, 'ackTaskToken');
    const id = (await detail(key)).incident.id as string;
    // The page step keeps a code per person it texts; here it is written as that step writes it.
    const phone = '+447700900123';
    await new PageCodesRepository(new Table(adminDb(), hotline.target.tables[0] ?? '')).create({
      code: '135790',
      incidentId: id,
      key,
      personId: 'ada',
      address: 'ada@example.com',
      phone,
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const inbound = await fetch(`${hotline.target.urls.aws}/_local/sms/inbound`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${hotline.target.operatorToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ from: phone, to: '+12065550100', body: 'ACK 135790' }),
    });
    expect(inbound.status).toBe(202);
    await eventually(
      async () => ((await detail(key)).incident.status === 'fixing' ? true : undefined),
      `${key} acknowledged by SMS`,
    );
    await eventually(async () => {
      const response = await fetch(`${hotline.target.urls.aws}/_local/messages`, {
        headers: { authorization: `Bearer ${hotline.target.operatorToken}` },
      });
      const { messages } = (await response.json()) as { messages: { to: string; body: string }[] };
      return messages.some((m) => m.to === phone && m.body.startsWith(`${key} acknowledged`))
        ? true
        : undefined;
    }, 'the answer by SMS');
  });

  it('acknowledges by replying "ack" to the page mail, through the receipt rule and the mail replies topic', async () => {
    const declared = await api('POST', '/incidents', {
      summary: 'Card payments failing',
      description: 'About 30% of card payments fail at checkout.',
      severity: 2,
      service: 'checkout',
    });
    const key = declared.body.key as string;
    await waitingOn(key, 'ackTaskToken');
    const id = (await detail(key)).incident.id as string;
    const address = replyAddress('replies.example.com', { id, key });
    const received = await fetch(`${hotline.target.urls.aws}/_local/mail/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hotline.target.operatorToken}` },
      body: [
        'From: payments-oncall@example.com',
        `To: ${address}`,
        `Subject: Re: ${key}`,
        'Message-ID: <least-privilege@example.com>',
        '',
        'ack',
        '',
      ].join('\r\n'),
    });
    expect(received.status).toBe(202);
    await eventually(
      async () => ((await detail(key)).incident.status === 'fixing' ? true : undefined),
      `${key} acknowledged by mail`,
    );
  });

  it("records a page's mail events, and escalates at once a page that bounced for everyone (MailEvents)", async () => {
    // The bounce comes once the wait has kept its token (as SES's events come seconds after a send), so
    // MailEvents resumes the wait itself (SendTaskSuccess) rather than the wait step finding the mark first.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    hotline.target.setMailOutcome(
      (address) => (address === 'payments-oncall@example.com' ? 'bounce' : undefined),
      { holdUntil: held },
    );
    try {
      const declared = await api('POST', '/incidents', {
        summary: 'Card payments down',
        description: 'No card payment goes through.',
        severity: 1,
        service: 'checkout',
      });
      const key = declared.body.key as string;
      await waitingOn(key, 'ackTaskToken');
      release();
      // Read the incident's partition, marked it, resumed the wait: the backup is paged without the timeout.
      await eventually(
        async () => ((await detail(key)).incident.pageTier === 1 ? true : undefined),
        `${key} escalated at once`,
      );
      // The backup's page is delivered: its event too.
      const kinds = await eventually(async () => {
        const all = ((await detail(key)).timeline as Json[]).map((e) => e.kind);
        return all.includes('mail.delivery') ? all : undefined;
      }, "the backup page's delivery");
      expect(kinds).toEqual(expect.arrayContaining(['mail.failed', 'page.undeliverable', 'mail.delivery']));
    } finally {
      release();
      hotline.target.setMailOutcome(undefined);
    }
  });

  it('pages the operators for a silent heartbeat and tells them when it is back (the every-minute sweep)', async () => {
    const am = fixture<Json>('alertmanager', 'firing-v4');
    const body = JSON.stringify({
      ...am,
      groupKey: '{}:{alertname="Watchdog"}',
      alerts: [{ ...am.alerts[0], labels: { alertname: 'Watchdog' }, fingerprint: 'watchdog' }],
    });
    const headers = { authorization: `Bearer ${hotline.secretOf('alertmanager')}` };
    const beat = await alert('alertmanager', body, headers);
    expect(await beat.json()).toEqual({ incidents: [], heartbeats: ['prometheus-watchdog'] });
    // Its 10-minute window, scaled by 0.001, is 0.6 s.
    const sweep = () =>
      hotline.target.functions.invoke(functionArn('SweepUnstartedWorkflows'), {
        heartbeatTimeScale: 0.001,
      }) as Promise<{ heartbeats?: { silent: { key: string }[]; back: { key: string }[] } }>;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const key = (await sweep()).heartbeats?.silent[0]?.key ?? '';
    expect(key).toMatch(/^HOT-\d+$/);
    await waitForMails('the page to the operators', about(key, ' - Paged', 'sre-platform@example.com'));
    expect((await alert('alertmanager', body, headers)).status).toBe(202);
    expect((await sweep()).heartbeats?.back.map((b) => b.key)).toEqual([key]);
    await waitForMails(
      'the mail that the heartbeat is back',
      about(key, ' - Heartbeat prometheus-watchdog is back', 'sre-platform@example.com'),
    );
  });
});

describe('least privilege, measured on the journey', () => {
  it('pages whoever is on call in a schedule by their rules: mail, SMS and a call (the SRE schedule, unassigned alerts)', async () => {
    // Alan covers the SRE schedule for the next hour: his rules mail, text and call at once.
    const cover = {
      personId: 'alan',
      start: new Date(Date.now() - 1_000).toISOString(),
      end: new Date(Date.now() + 3_600_000).toISOString(),
    };
    expect((await api('POST', '/schedules/sre/overrides', cover)).status).toBe(201);
    const oncall = await api('GET', '/schedules/sre/oncall');
    expect((oncall.body as { onCall: { person: { id: string } } }).onCall.person.id).toBe('alan');
    const address = 'alan@example.com';
    const declared = await api('POST', '/incidents', {
      summary: 'Unowned queue backing up',
      description: 'A queue no service claims is backing up.',
      severity: 2,
      service: 'unknown',
    });
    const key = declared.body.key as string;
    const [page] = await waitForMails(
      'the page to the SRE on call',
      (m) => about(key, ' - Paged')(m) && to(address)(m),
    );
    // Its incident page says who is on call for the service (LinkDecision reads the overrides on gsi3).
    const view = /\(open the incident page\) <(https?:\/\/[^>]+)>/.exec((page as Mail).body.text)?.[1] ?? '';
    const opened = await fetch(view);
    expect(opened.status).toBe(200);
    expect(await opened.text()).toMatch(/<h2>On call<\/h2>[\s\S]*SRE on call:[\s\S]*Alan Turing/);
    await eventually(async () => {
      const { messages } = (await (
        await fetch(`${hotline.target.urls.aws}/_local/messages`, { headers: hotline.operator() })
      ).json()) as { messages: { channel: string; to: string; body: string }[] };
      // Nothing else pages Alan in this journey.
      const mine = messages.filter((m) => m.to === '+447700900456');
      return mine.some((m) => m.channel === 'sms') && mine.some((m) => m.channel === 'voice')
        ? true
        : undefined;
    }, 'the text and the call to Alan');
  });

  it('sends a test page to Grace on each of her channels (once a minute), and answers the last one (TestPages)', async () => {
    const sent = await api('POST', '/people/grace/test-page');
    expect(sent.status).toBe(201);
    expect(sent.body.testPage.channels.map((c: Json) => `${c.channel}:${c.outcome}`)).toEqual([
      'email:sent',
      'sms:sent',
      'voice:sent',
    ]);
    expect((await api('POST', '/people/grace/test-page')).status).toBe(429);
    expect((await api('GET', '/people/grace/test-page')).body.testPage).toEqual(sent.body.testPage);
    await waitForMails(
      'the test page mail to Grace',
      (m) => m.subject === 'Hotline test page for Grace Hopper',
    );
  });

  it('denied no call of the journey', () => {
    expect(hotline.target.iam.deniedCalls()).toEqual([]);
  });

  it('used every grant of every function and service role, but for the listed exceptions', () => {
    const usage = hotline.target.iam.usage().principals;
    const unused: string[] = [];
    for (const [principal, { grants, used }] of Object.entries(usage)) {
      const seen = new Set(used.map((g) => `${g.policy}#${g.index} ${g.action} ${g.resource}`));
      for (const grant of grants) {
        if (seen.has(`${grant.policy}#${grant.index} ${grant.action} ${grant.resource}`)) continue;
        if (exceptionFor(principal, grant.action, grant.resource)) continue;
        unused.push(`${principal}: ${grant.action} on ${grant.resource}`);
      }
    }
    expect(unused).toEqual([]);
  });

  it('denies a call of the journey for each used grant removed from the template (function x grant -> call)', () => {
    const table: string[] = [];
    const unneeded: string[] = [];
    const calls = hotline.target.iam.allowedCalls();
    for (const principal of hotline.target.iam.allPrincipals()) {
      const made = calls.get(principal.name) ?? [];
      const used = hotline.target.iam.usage().principals[principal.name]?.used ?? [];
      for (const grant of used as Grant[]) {
        const without = new PolicyEvaluator(withoutGrant(principal.policies, grant));
        const denied = made.filter((call) => !without.evaluate(call).allowed);
        if (denied.length === 0) unneeded.push(`${principal.name}: ${grant.action} on ${grant.resource}`);
        else
          table.push(
            `${principal.name} x ${grant.action} on ${short(grant.resource)} -> denies ${denied[0]?.action} on ${short(denied[0]?.resource ?? '')}`,
          );
      }
    }
    console.log(`grant removal (function x grant -> the call it denies):\n  ${table.sort().join('\n  ')}`);
    expect(unneeded).toEqual([]);
    expect(table.length).toBeGreaterThan(30);
  });
});

const short = (arn: string) => arn.replace(/^arn:aws:([^:]+):[^:]*:\d*:/, '$1:');
