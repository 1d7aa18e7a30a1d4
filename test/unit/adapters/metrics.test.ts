import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { metricsPort, sweepNeedsAttention } from '../../../functions/adapters/metrics.ts';

/**
 * The sweeps' one metric: a datapoint only when there is something to count (CloudWatch bills a custom metric for
 * each hour it gets one, zeros included), with no dimension but Powertools' `service`, so one alarm metric covers
 * every sweep.
 */
describe('sweepNeedsAttention', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const emitted = async (run: (metrics: () => Promise<Metrics>) => Promise<void>) => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const metrics = new Metrics({ namespace: 'Hotline', serviceName: 'hotline' });
    await run(() => Promise.resolve(metrics));
    // Whatever the handler might still flush: nothing, as the metric went out on its own.
    metrics.publishStoredMetrics();
    vi.mocked(process.stdout.write).mockRestore();
    return lines.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  };

  it('publishes nothing when there is nothing to count, and does not load the library for it', async () => {
    expect(await emitted((m) => sweepNeedsAttention(m, 'UnstartedWorkflows', 0, { started: [] }))).toEqual(
      [],
    );
    const load = vi.fn(() => Promise.reject(new Error('not loaded when there is nothing to count')));
    await sweepNeedsAttention(load, 'Channels', 0, {});
    expect(load).not.toHaveBeenCalled();
  });

  it('loads and makes the Metrics of the port once, on first use, in the namespace the stack sets', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'HotlineTest');
    const load = metricsPort.build();
    const first = load();
    expect(await first).toBeInstanceOf(Metrics);
    expect(load()).toBe(first);
    vi.unstubAllEnvs();
  });

  it('publishes the count in SweepsNeedAttention with the service dimension only', async () => {
    const [emf, ...more] = await emitted((m) =>
      sweepNeedsAttention(m, 'ActionReminders', 2, { failed: [{ item: 'a:due', error: 'x' }] }),
    );
    expect(more).toEqual([]);
    expect(emf).toMatchObject({
      service: 'hotline',
      SweepsNeedAttention: 2,
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'Hotline',
            Dimensions: [['service']],
            Metrics: [{ Name: 'SweepsNeedAttention', Unit: 'Count' }],
          },
        ],
      },
    });
    expect(emf).not.toHaveProperty('sweep');
  });
});
