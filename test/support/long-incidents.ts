import { expect } from 'vitest';
import { HISTORY_EVENT_LIMIT } from '../../infra/local/stepfunctions.ts';
import { eventually } from './eventually.ts';
import { hotlineClient } from './hotline-client.ts';
import type { HotlineTarget } from './hotline-target.ts';

/**
 * Incidents that last for weeks on the local target, time scaled: their executions, the generation they run in
 * (`HOT-12`, `HOT-12-2`, ...) and the proof that each handed over within Step Functions' history limit.
 */
export function longIncidents(target: () => HotlineTarget) {
  const client = hotlineClient(target);
  const { api } = client;
  const executionsOf = (key: string) =>
    target()
      .target.stepFunctions.executionsOf()
      .filter((e) => e.name === key || e.name.startsWith(`${key}-`))
      .sort((a, b) => a.startDate.localeCompare(b.startDate));

  async function declare(severity: 1 | 2 | 3, summary: string): Promise<string> {
    const { body } = await api('POST', '/incidents', {
      summary,
      description: 'Customers cannot complete checkout.',
      severity,
      service: 'checkout',
    });
    return body.key as string;
  }

  const incident = async (key: string) => (await api('GET', `/incidents/${key}`)).body;

  /**
   * Until the incident runs in its `generation`-th execution (`HOT-12-<generation>`): watched on the local target
   * (reading the incident through the API 10 times a second would read its thousands of timeline entries each time),
   * then read from the incident once.
   */
  async function generation(key: string, n: number): Promise<void> {
    const name = `${key}-${n}`;
    await eventually(
      async () => (executionsOf(key).some((e) => e.name === name) ? true : undefined),
      `execution ${name}`,
      600_000,
      100,
    );
    await eventually(
      async () => ((await incident(key)).incident.executionName === name ? true : undefined),
      `${key} to name execution ${name}`,
    );
  }

  /** Every execution of the incident but the last ended handing over; none went past the history limit. */
  function expectHandedOver(key: string, generations: number) {
    const executions = executionsOf(key);
    expect(executions.map((e) => e.name).slice(0, generations)).toEqual(
      Array.from({ length: generations }, (_, i) => (i === 0 ? key : `${key}-${i + 1}`)),
    );
    for (const execution of executions.slice(0, -1)) {
      expect(execution.status, execution.name).toBe('SUCCEEDED');
      expect(
        execution.events.some((e) => e.state === 'Continued'),
        execution.name,
      ).toBe(true);
    }
    for (const execution of executions) {
      expect(execution.historyEvents ?? 0, execution.name).toBeLessThan(HISTORY_EVENT_LIMIT);
      expect(execution.status, execution.name).not.toBe('FAILED');
    }
  }

  return { client, api, executionsOf, declare, incident, generation, expectHandedOver };
}
