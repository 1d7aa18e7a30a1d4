import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { WAITS_PER_EXECUTION } from '../../functions/core/executions.ts';
import { keys } from '../../functions/core/keys.ts';
import { alertSourceParameterName } from '../../infra/constructs/secrets.ts';
import { synthesize } from '../../infra/local/synth.ts';
import { type LocalTarget, startLocalTarget } from '../../infra/local/target.ts';
import { eventually } from '../support/eventually.ts';
import { about, decisionLinks, type Json, type Mail } from '../support/hotline-client.ts';
import { completePostmortem } from '../support/postmortem-flow.ts';
import {
  fixturesDir,
  incidentItems,
  type ReleaseRecordings,
  type StepRecording,
  shapeOf,
} from './step-recordings.ts';

/*
 * Records what a release's state machine definition gives each workflow step: runs a journey that reaches every
 * step (a sev 2 paged twice, acknowledged, an update overdue, resolved, its postmortem reminded, approval
 * reminded and given, published; a sev 3 whose team is reminded) on the local target and keeps the first input
 * of each shape with the incident's records at that moment. Run it once per release, before the release, and
 * commit the file: test/upgrade/replay-step-inputs.test.ts replays every recorded release through the current
 * code.
 *
 *   npm run record:steps                          # the current stack, as the release in package.json
 *   npm run record:steps -- --assembly <cdk.out> --release 0.1.0   # an older release's synthesized stack
 */

const JOURNEY =
  'sev 2: paged, escalated, acknowledged, update overdue, (from 0.2.0: continued in a new execution,) update, ' +
  'resolved, postmortem reminded, completed, approval requested and reminded, approved from mail, published; ' +
  'sev 3: team notified and reminded, resolved; ' +
  '(from 0.2.0:) sev 2 from an alert that clears, fires again, clears again and resolves as cleared; ' +
  '(from 0.2.0:) sev 1 whose page bounces, escalated at once';

const { values } = parseArgs({
  options: { assembly: { type: 'string' }, release: { type: 'string' }, out: { type: 'string' } },
});
const release =
  values.release ??
  (
    JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
const work = mkdtempSync(join(tmpdir(), 'hotline-record-'));
const assemblyDir = values.assembly ?? (await synthesize({ outdir: join(work, 'cdk.out') }));

const recordings: StepRecording[] = [];
const seen = new Set<string>();
let target: LocalTarget | undefined;
let doc: DynamoDBDocumentClient | undefined;

target = await startLocalTarget({
  assemblyDir,
  stackName: 'Hotline',
  dataDir: join(work, 'data'),
  ports: { api: 0, ses: 0, aws: 0, dynamodb: 0 },
  log: () => undefined,
  iam: 'enforce',
  waitScale: 0.001,
  retryIntervalOverrides: { OpenPostmortem: 0 },
  async beforeInvoke({ stateName, payload }) {
    const input = payload as Record<string, unknown> | null;
    if (!input || typeof input.step !== 'string' || typeof input.incidentId !== 'string') return;
    const shape = shapeOf(input);
    if (seen.has(shape) || !doc || !target) return;
    seen.add(shape);
    const items = await incidentItems(doc, target.tables[0] ?? '', {
      incidentId: input.incidentId,
      key: String(input.key),
    });
    recordings.push({ step: input.step, state: stateName, input, items });
  },
});
const running = target;
// Releases from 0.2.0 on continue a long incident in a new execution: the journey makes one continue.
const continues = JSON.stringify(running.model.template).includes('continueExecution');
doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    endpoint: running.urls.dynamodb,
    region: running.model.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  }),
);

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${running.urls.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${running.operatorToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}
function must(what: string, result: { status: number; body: Json }, status = 200): Json {
  if (result.status !== status) throw new Error(`${what}: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}
const mails = async () =>
  ((await (await fetch(`${running.urls.ses}/store`)).json()) as { emails: Mail[] }).emails;
const waitForMails = (what: string, match: (m: Mail) => boolean, count = 1) =>
  eventually(
    async () => {
      const found = (await mails()).filter(match);
      return found.length >= count ? found : undefined;
    },
    what,
    120_000,
  );
const recorded = (step: string) =>
  eventually(async () => recordings.some((r) => r.step === step) || undefined, `a ${step} step`, 120_000);
const declare = async (severity: number, summary: string) =>
  must(
    'declare',
    await api('POST', '/incidents', {
      summary,
      description: 'Card payments fail at checkout.',
      severity,
      service: 'checkout',
    }),
    201,
  ).key as string;

try {
  // A sev 2 paged, escalated once, then acknowledged.
  const key = await declare(2, 'Card payments failing');
  await waitForMails('the escalated page', about(key, ' - Escalated page'));
  must('acknowledge', await api('POST', `/incidents/${key}/acknowledge`, {}));
  // No update within the cadence: the overdue step runs; then an update and the resolution.
  await recorded('updateOverdue');
  if (continues) {
    // As if the execution had waited its fill: the next wait hands the incident over to a new execution.
    await doc.send(
      new UpdateCommand({
        TableName: running.tables[0],
        Key: keys.incident(must('detail', await api('GET', `/incidents/${key}`)).incident.id),
        UpdateExpression: 'SET waitsCount = :n',
        ExpressionAttributeValues: { ':n': WAITS_PER_EXECUTION },
      }),
    );
  }
  must(
    'update',
    await api('POST', `/incidents/${key}/updates`, {
      summary: 'Rolled back the release.',
      status: ['Rollback done', 'Error rate falling'],
      nextSteps: ['Watch the error rate', 'Find the cause'],
      impact: 'Some card payments fail.',
      customers: { internal: 0, external: 40 },
      rootCause: 'currently unknown',
      eta: 'no ETA',
      nextUpdateAt: new Date(Date.now() + 60 * 60_000).toISOString(),
    }),
    201,
  );
  // The postmortem's days go by in seconds: reminded, completed, sent for approval, reminded, approved.
  running.stepFunctions.setWaitScale(0.000_01);
  must('resolve', await api('POST', `/incidents/${key}/resolve`, { supportCases: 1 }));
  await recorded('remindPostmortem');
  const { postmortem } = must('postmortem', await api('GET', `/incidents/${key}/postmortem`));
  must(
    'complete',
    await api('PUT', `/incidents/${key}/postmortem`, {
      version: postmortem.version,
      ...completePostmortem('Add a check of connection pool sizes to the change review checklist'),
    }),
  );
  must('request approval', await api('POST', `/incidents/${key}/postmortem/request-approval`, {}));
  await recorded('remindApprovers');
  const [request] = await waitForMails(
    'the approval request',
    (m) => about(key, ' - Postmortem approval requested')(m) && m.destination.to.length > 0,
  );
  const { approve } = decisionLinks(request as Mail);
  const page = await (await fetch(approve)).text();
  const decided = await fetch(approve, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      decision: 'approved',
      contentHash: /name="contentHash" value="([^"]+)"/.exec(page)?.[1] ?? '',
    }).toString(),
  });
  if (decided.status !== 200) throw new Error(`approve: ${decided.status}`);
  await recorded('publishPostmortem');
  if (continues) await recorded('resumeExecution');

  // A sev 3: the team is told, reminded, and the incident resolved.
  running.stepFunctions.setWaitScale(0.001);
  const minor = await declare(3, 'Search results slow');
  await recorded('remindTeam');
  must('resolve', await api('POST', `/incidents/${minor}/resolve`, { supportCases: 0 }));
  await recorded('finalComms');

  // From 0.2.0: an alert that clears before anyone acknowledges, fires again, clears again, and the incident
  // resolves as cleared after the grace.
  if (JSON.stringify(running.model.template).includes('resolveCleared')) {
    const secret = (
      JSON.parse(running.parameters[alertSourceParameterName('Hotline', 'alertmanager')] ?? '{}') as {
        current: string;
      }
    ).current;
    // The grace (15 minutes) lasts 9 s: time to fire again within it.
    running.stepFunctions.setWaitScale(0.01);
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const alert = async (status: 'firing' | 'resolved') => {
      const labels = { alertname: 'CheckoutErrors', service: 'checkout', severity: 'high' };
      const response = await fetch(`${running.urls.api}/alerts/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          version: '4',
          groupKey: 'record:cleared',
          status,
          receiver: 'hotline',
          groupLabels: {},
          commonLabels: labels,
          commonAnnotations: { summary: 'Checkout errors' },
          externalURL: 'http://alertmanager.example.com:9093',
          alerts: [
            {
              status,
              labels,
              annotations: { summary: 'Checkout errors' },
              startsAt,
              endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
              fingerprint: 'record0cleared01',
            },
          ],
        }),
      });
      must(`alert ${status}`, { status: response.status, body: (await response.json()) as Json }, 202);
    };
    await alert('firing');
    await recorded('waitForAcknowledgement');
    await alert('resolved');
    await recorded('alertsCleared');
    await alert('firing');
    await recorded('resumeEscalation');
    await alert('resolved');
    await recorded('resolveCleared');
  }

  // From 0.2.0: a page that bounces for everyone escalates at once (its mail events).
  if (JSON.stringify(running.model.template).includes('EscalateNow')) {
    running.setMailOutcome((address) => (address === 'payments-oncall@example.com' ? 'bounce' : undefined));
    await declare(1, 'Card payments down');
    await eventually(
      async () => recordings.some((r) => r.state === 'EscalateNow') || undefined,
      'the EscalateNow state',
      120_000,
    );
    running.setMailOutcome(undefined);
  }

  const out: ReleaseRecordings = { release, journey: JOURNEY, recordings };
  const file = values.out ?? join(fixturesDir, `${release}.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  // In the house format, so that the lint passes on the file as written.
  execFileSync(
    join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'biome'),
    ['format', '--write', file],
    {
      stdio: 'ignore',
    },
  );
  const steps = [...new Set(recordings.map((r) => r.step))];
  console.log(`${recordings.length} inputs of ${steps.length} steps (${steps.join(', ')}) -> ${file}`);
} finally {
  await running.stop();
  rmSync(work, { recursive: true, force: true });
}
