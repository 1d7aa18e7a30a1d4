import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WAITS_PER_EXECUTION } from '../../functions/core/executions.ts';
import { eventually } from '../support/eventually.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';
import { longIncidents } from '../support/long-incidents.ts';

/**
 * An unacknowledged page goes on for weeks (the handbook's escalation, then the IMOC again at every acknowledge
 * timeout) in executions that each stay within Step Functions' history limit: each page's wait counts itself, and
 * an execution that has waited enough hands the incident over to the next, where the escalation goes on at the
 * tier it had reached. Time is scaled; the local target counts the history events AWS would write.
 */

let hotline: HotlineTarget;
const { api, declare, incident, generation, expectHandedOver } = longIncidents(() => hotline);

describe('an unacknowledged page for 30 days (15 minutes scaled to 9 ms)', () => {
  beforeAll(async () => {
    hotline = await startHotline({ waitScale: 0.000_01 });
  });
  afterAll(async () => hotline?.stop());

  it('keeps paging an unacknowledged sev 2 for 30 days, escalation going on from tier to tier', async () => {
    const key = await declare(2, 'Nobody answers');
    // Acknowledge timeouts of 15 minutes: 96 pages a day (the IMOC from the third), 2,880 in 30 days.
    const generations = Math.ceil((30 * 96) / (WAITS_PER_EXECUTION + 1));
    await generation(key, generations);
    expectHandedOver(key, generations);
    const { incident: now } = await incident(key);
    expect(now.status).toBe('paged');
    // The escalation went on where it was in each new execution: it never started over at the primary.
    expect(now.pageTier).toBeGreaterThan(WAITS_PER_EXECUTION * (generations - 1));
    // And the incident manager's acknowledgement still ends it.
    expect((await api('POST', `/incidents/${key}/acknowledge`, {})).status).toBe(200);
    await eventually(
      async () => ((await incident(key)).incident.firstCommsAt ? true : undefined),
      'the response in the last execution',
    );
  }, 700_000);
});
