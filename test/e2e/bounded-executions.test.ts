import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WAITS_PER_EXECUTION } from '../../functions/core/executions.ts';
import { eventually } from '../support/eventually.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';
import { longIncidents } from '../support/long-incidents.ts';
import { postmortemReadyForApproval } from '../support/postmortem-flow.ts';

/**
 * However long an incident lasts, each execution of its workflow stays within Step Functions' 25,000 history
 * events (and its year): every loop goes through a token wait, each wait counts itself, and an execution that has
 * waited enough hands the incident over to the next (`HOT-12`, `HOT-12-2`, ...). Time is scaled (a 15-minute
 * wait takes under a millisecond); the local target counts the history events AWS would write.
 */

let hotline: HotlineTarget;
const { client, api, executionsOf, declare, incident, generation, expectHandedOver } = longIncidents(
  () => hotline,
);

describe('executions within the history limit however long the incident lasts (15 minutes scaled to 9 ms)', () => {
  beforeAll(async () => {
    // Short waits still outlast a step (a few ms), as on AWS: a wait hands over before it times out.
    hotline = await startHotline({ waitScale: 0.000_01 });
  });
  afterAll(async () => hotline?.stop());

  it('keeps a sev 1 open for 60 days with no update in executions far from the limit', async () => {
    const key = await declare(1, 'Checkout down for weeks');
    await eventually(
      async () => ((await incident(key)).incident.status === 'paged' ? true : undefined),
      'the page',
    );
    expect((await api('POST', `/incidents/${key}/acknowledge`, {})).status).toBe(200);
    // Overdue rechecks every 15 minutes: 96 a day, 5,760 in 60 days; an execution waits WAITS_PER_EXECUTION times.
    const generations = Math.ceil((60 * 96) / (WAITS_PER_EXECUTION + 1));
    await generation(key, generations);
    expectHandedOver(key, generations);
    const { timeline, incident: now } = await incident(key);
    expect(now.status).toBe('fixing');
    expect(timeline.filter((e: { kind: string }) => e.kind === 'workflow.continued')).toHaveLength(
      generations - 1,
    );
    // The incident goes on in the last execution: resolved, it opens the postmortem.
    expect((await api('POST', `/incidents/${key}/resolve`, { supportCases: 0 })).status).toBe(200);
    await eventually(
      async () => ((await api('GET', `/incidents/${key}/postmortem`)).status === 200 ? true : undefined),
      'the postmortem opened by the last execution',
    );
  }, 700_000);
});

describe('a postmortem waiting 12 weeks for its approvers (two business days scaled to 0.2 s)', () => {
  beforeAll(async () => {
    hotline = await startHotline({ waitScale: 0.000_01 });
  });
  afterAll(async () => hotline?.stop());

  it('reminds the pending approvers every two business days in one execution far from the limit', async () => {
    const key = await postmortemReadyForApproval(client, 'Refunds failing');
    expect((await api('POST', `/incidents/${key}/postmortem/request-approval`, {})).status).toBe(200);
    // 12 weeks: 60 business days, a reminder every 2 (waits of two business days or more, 0.2 s here).
    hotline.target.stepFunctions.setWaitScale(0.000_001);
    const [execution] = executionsOf(key);
    const reminders = () =>
      execution?.events.filter((e) => e.type === 'StateEntered' && e.state === 'RemindApprovers').length ?? 0;
    await eventually(
      async () => (reminders() >= 30 ? true : undefined),
      'thirty reminders of the approvers',
      120_000,
    );
    expect(execution?.status).toBe('RUNNING');
    expect(execution?.historyEvents ?? 0).toBeLessThan(2_000);
    const { postmortem } = (await api('GET', `/incidents/${key}/postmortem`)).body;
    expect(postmortem.status).toBe('in-review');
  }, 200_000);
});
