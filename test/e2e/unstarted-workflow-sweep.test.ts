import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnFor } from '../../functions/adapters/workflow.ts';
import { eventually } from '../support/eventually.ts';
import { fixture } from '../support/fixtures.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * No incident left unpaged: an incident whose opening request failed after writing it (Step Functions down for
 * as long as the sender kept retrying) is found by the scheduled sweep, which starts its workflow, so its
 * incident manager is paged, and tells the operators. Time is scaled: the sweep is invoked with a zero grace.
 */

type Mail = { subject: string; destination: { to: string[] }; body: { text?: string } };

let hotline: HotlineTarget;
/** The target's log (the functions' lines too), for what the sweep says it did. */
const logLines: string[] = [];
beforeAll(async () => {
  hotline = await startHotline({ log: (line) => logLines.push(line) });
});
afterAll(async () => hotline?.stop());

const api = (path: string, init: RequestInit = {}) => fetch(`${hotline.target.urls.api}${path}`, init);
const mails = async () =>
  ((await (await fetch(`${hotline.target.urls.ses}/store`)).json()) as { emails: Mail[] }).emails;
const sweepFunction = () => {
  const fn = hotline.target.functions.functions.find((f) =>
    f.logicalId.startsWith('SweepUnstartedWorkflows'),
  );
  if (!fn) throw new Error('the stack has no SweepUnstartedWorkflows function');
  return fn.arn;
};
const sweep = (graceSeconds?: number) =>
  hotline.target.functions.invoke(
    sweepFunction(),
    graceSeconds === undefined ? {} : { graceSeconds },
  ) as Promise<{
    started: string[];
    recorded: string[];
    failed: { item: string; error: string }[];
  }>;

describe('the unstarted-workflow sweep', () => {
  it('is scheduled every minute by EventBridge Scheduler in the stack', () => {
    const schedules = hotline.target.schedules.schedules.filter((s) =>
      s.targets.some((t) => t.arn === sweepFunction()),
    );
    expect(schedules.map((s) => [s.kind, s.expression, s.enabled])).toEqual([
      ['scheduler', 'rate(1 minute)', true],
    ]);
  });

  it('pages an incident whose workflow could not be started while its sender retried, and tells the operators', async () => {
    const body = {
      ...fixture<Record<string, unknown>>('alertmanager', 'firing-v4'),
      groupKey: 'sweep-group-1',
    };
    const post = () =>
      api('/alerts/alertmanager', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${hotline.secretOf('alertmanager')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
    // Step Functions refuses every start while the sender tries: it gets a 5xx each time, then gives up.
    hotline.target.stepFunctions.refuseStarts(() => true);
    for (let attempt = 0; attempt < 2; attempt++) expect((await post()).status).toBe(503);

    const listed = await api('/incidents?status=new', { headers: hotline.operator() });
    const [incident] = ((await listed.json()) as { incidents: { key: string }[] }).incidents;
    expect(incident).toBeDefined();
    const key = incident?.key ?? '';
    const executionArn = executionArnFor(hotline.target.stateMachines[0] ?? '', key);
    expect(() => hotline.target.stepFunctions.describeExecution(executionArn)).toThrow(/does not exist/i);
    expect((await mails()).filter((m) => m.subject.startsWith(key))).toEqual([]);

    // The outage ends; the sender has given up. Within its grace the sweep leaves the incident alone.
    hotline.target.stepFunctions.refuseStarts(undefined);
    expect(await sweep()).toEqual({ started: [], recorded: [], failed: [] });
    expect(await sweep(0)).toEqual({ started: [key], recorded: [], failed: [] });

    const page = await eventually(
      async () =>
        (await mails()).find(
          (m) => m.subject.startsWith(`${key} `) && m.destination.to.includes('payments-oncall@example.com'),
        ),
      'the page to the incident manager',
    );
    expect(page.body.text).toContain('/links/');
    expect(hotline.target.stepFunctions.describeExecution(executionArn).status).toBe('RUNNING');
    const operators = await eventually(async () => {
      const sent = (await mails()).filter((m) => m.destination.to.includes('sre-platform@example.com'));
      return sent.length >= 3 ? sent : undefined;
    }, 'the mails to the operators');
    // The incident's own notice, and the alarms as the alarm topic would send them: on the sweep's metric, and on
    // the API's 5xx answers to the sender while Step Functions refused the start.
    expect(operators.map((m) => m.subject).sort()).toEqual([
      'ALARM: "AlarmsApiServerErrors" in us-east-1',
      'ALARM: "AlarmsSweepsNeedAttention" in us-east-1',
      expect.stringMatching(new RegExp(`^${key} .*Workflow started late`)),
    ]);
    const detail = (await (await api(`/incidents/${key}`, { headers: hotline.operator() })).json()) as {
      incident: { workflowStartedAt?: string };
      timeline: { kind: string; text: string }[];
    };
    expect(detail.incident.workflowStartedAt).toBeDefined();
    expect(detail.timeline.filter((e) => e.kind === 'workflow.recovered').map((e) => e.text)).toEqual([
      expect.stringContaining('Workflow started by the sweep'),
      expect.stringContaining('Told operators sre-platform@example.com'),
    ]);

    // Nothing twice: the next run finds nothing to do, and the sender's next delivery attaches to the incident.
    expect(await sweep(0)).toEqual({ started: [], recorded: [], failed: [] });
    const again = await post();
    expect(again.status).toBe(202);
    expect(((await again.json()) as { incidents: { key: string }[] }).incidents.map((i) => i.key)).toEqual([
      key,
    ]);
    expect((await mails()).filter((m) => m.destination.to.includes('sre-platform@example.com'))).toHaveLength(
      3,
    );
  });
  it('starts the others when one incident will not start, and the alarm on the failures mails the operators', async () => {
    const post = (groupKey: string) =>
      api('/alerts/alertmanager', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${hotline.secretOf('alertmanager')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ ...fixture<Record<string, unknown>>('alertmanager', 'firing-v4'), groupKey }),
      });
    const newKeys = async () =>
      (
        (await (await api('/incidents?status=new', { headers: hotline.operator() })).json()) as {
          incidents: { key: string }[];
        }
      ).incidents.map((i) => i.key);
    // Two incidents whose requests could not start their workflows, the first opened first.
    hotline.target.stepFunctions.refuseStarts(() => true);
    const before = await newKeys();
    expect((await post('sweep-group-stuck')).status).toBe(503);
    const [stuck] = (await newKeys()).filter((k) => !before.includes(k));
    expect((await post('sweep-group-fine')).status).toBe(503);
    const [fine] = (await newKeys()).filter((k) => !before.includes(k) && k !== stuck);
    expect(stuck).toBeDefined();
    expect(fine).toBeDefined();

    // Step Functions still refuses the first one's execution: the sweep starts the second all the same.
    hotline.target.stepFunctions.refuseStarts((name) => name === stuck);
    const swept = await sweep(0);
    expect(swept.started).toEqual([fine]);
    expect(swept.failed).toEqual([{ item: stuck, error: expect.any(String) }]);
    // One metric for every sweep: one started and one left undone count 2. The alarm mailed the operators (if the
    // test above did not already put it in ALARM within its period: then, as on AWS, it does not mail again), and
    // the sweep's log says which sweep and which items.
    const alarm = await eventually(
      async () =>
        (await mails()).find((m) => m.subject === 'ALARM: "AlarmsSweepsNeedAttention" in us-east-1'),
      'the alarm on the sweeps',
    );
    expect(alarm.destination.to).toEqual(['sre-platform@example.com']);
    expect(hotline.target.alarms.state('AlarmsSweepsNeedAttention')?.state).toBe('ALARM');
    const said = await eventually(
      async () =>
        logLines.find(
          (line) => line.includes('"message":"sweep needs attention"') && line.includes(`"item":"${stuck}"`),
        ),
      'the sweep log line',
    );
    expect(said).toContain('"sweep":"UnstartedWorkflows"');
    expect(said).toContain('"count":2');
    expect(said).toContain(`"started":["${fine}"]`);

    // The refusal ends: the next run starts the one left over.
    hotline.target.stepFunctions.refuseStarts(undefined);
    expect(await sweep(0)).toEqual({ started: [stuck], recorded: [], failed: [] });
  });
});
