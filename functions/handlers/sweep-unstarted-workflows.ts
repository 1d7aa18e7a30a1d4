import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { ulid } from 'ulid';
import { AlertGroupsRepository } from '../adapters/alert-groups-repository.ts';
import { channelFactsPort } from '../adapters/channel-facts.ts';
import { ChannelHealthRepository } from '../adapters/channel-health-repository.ts';
import { CommsRepository } from '../adapters/comms-repository.ts';
import { organisation } from '../adapters/config.ts';
import { HeartbeatsRepository } from '../adapters/heartbeats-repository.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { mailerPort } from '../adapters/mailer.ts';
import { metricsPort, sweepNeedsAttention } from '../adapters/metrics.ts';
import { OverridesRepository } from '../adapters/overrides-repository.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { workflowExecutionsPort, workflowStarterPort } from '../adapters/workflow.ts';
import { sweepItemFailure } from '../core/sweeps.ts';
import { type ChannelCheckResult, checkChannels } from '../use-cases/channel-health.ts';
import { checkHeartbeats } from '../use-cases/heartbeats.ts';
import { sweepUnstartedWorkflows } from '../use-cases/sweep-unstarted-workflows.ts';
import { linkedTo } from './capabilities.ts';

/** The namespace comes from POWERTOOLS_METRICS_NAMESPACE; the operators' alarm watches SweepsNeedAttention. */
const use = linkedTo('SweepUnstartedWorkflows');
const metrics = use(metricsPort)();
const stores = use(
  repositoriesPort({
    incidents: IncidentsRepository,
    comms: CommsRepository,
    groups: AlertGroupsRepository,
    heartbeats: HeartbeatsRepository,
    channelHealth: ChannelHealthRepository,
    overrides: OverridesRepository,
  }),
);
const starter = use(workflowStarterPort);
const executions = use(workflowExecutionsPort);
const mailer = use(mailerPort);
const links = use(linksPort);
const channelFacts = use(channelFactsPort);

/** A factor in (0, 1] of the event, or undefined. */
const scaleOf = (value: unknown) =>
  typeof value === 'number' && value > 0 && value <= 1 ? value : undefined;

/**
 * Scheduled every minute. `graceSeconds` in the event overrides the default wait (operators, tests);
 * `heartbeatTimeScale` shortens the heartbeats' windows as the local target's scaled time does its waits.
 * `channelTimeScale` shortens the channel check's hour likewise. Answers what the unstarted-workflow sweep did,
 * `heartbeats` when the check paged or told anyone, or failed, and `channels` when the channel check told the
 * operators or someone taking over a schedule, or failed.
 */
export const handler = middy<{
  graceSeconds?: unknown;
  heartbeatTimeScale?: unknown;
  channelTimeScale?: unknown;
}>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const org = organisation();
    const { incidents, comms, groups, heartbeats, channelHealth, overrides } = stores();
    const grace =
      typeof event?.graceSeconds === 'number' && event.graceSeconds >= 0 ? event.graceSeconds : undefined;
    const outbox = { comms, mailer: mailer(), ...links(), now: () => new Date() };
    const workflow = { ...starter(), ...executions() };
    const result = await sweepUnstartedWorkflows(
      { ...outbox, incidents, workflow, organisation: org },
      grace,
    );
    // Started workflows (an opening request failed after writing its incident) and incidents it could not start
    // (the next run tries again) both need an operator; recorded running workflows do not.
    await sweepNeedsAttention(metrics, 'UnstartedWorkflows', result.started.length + result.failed.length, {
      ...result,
    });
    if (result.recorded.length > 0)
      logger.info('recorded running workflows', { sweep: 'UnstartedWorkflows', ...result });
    // The channels ride on this schedule too, checked at most hourly (one read a minute otherwise): quiet ones
    // are told to the operators once per change and to the person taking over a schedule.
    const channels = await checkChannels(
      {
        organisation: org,
        channelHealth,
        facts: channelFacts(),
        mailer: outbox.mailer,
        overrides,
        handoffNotices: channelHealth,
        now: outbox.now,
      },
      scaleOf(event?.channelTimeScale),
    ).catch(
      (error: unknown): ChannelCheckResult => ({
        checked: false,
        quiet: [],
        handoffs: {},
        notices: [],
        failed: [sweepItemFailure('channels', error)],
      }),
    );
    await sweepNeedsAttention(metrics, 'Channels', channels.failed.length, channelSummary(channels));
    if (channels.checked || channels.failed.length > 0 || channels.told)
      logger.info('channels checked', { sweep: 'Channels', ...channelSummary(channels) });
    // The answer names the channel check when it told anyone or failed, as it does the heartbeats.
    const toldOrFailed =
      channels.told !== undefined || Object.keys(channels.handoffs).length > 0 || channels.failed.length > 0;
    const withChannels = toldOrFailed ? { ...result, channels: channelSummary(channels) } : result;
    if (!org.heartbeats) return withChannels;
    // The heartbeats ride on this schedule (every minute) rather than on one of their own, so their idle cost is
    // one read per heartbeat a firing. A silent one pages through its incident's workflow; the operators' alarm
    // hears of heartbeats the check could not handle.
    const checked = await checkHeartbeats(
      { ...outbox, incidents, groups, heartbeats, workflow, organisation: org, newId: ulid },
      scaleOf(event?.heartbeatTimeScale),
    );
    await sweepNeedsAttention(metrics, 'Heartbeats', checked.failed.length, { ...checked });
    const acted = checked.silent.length + checked.back.length + checked.failed.length > 0;
    if (acted) logger.info('heartbeats checked', { sweep: 'Heartbeats', ...checked });
    return acted ? { ...withChannels, heartbeats: checked } : withChannels;
  });

/** What the log and the answer say of the channel check: the quiet channels without their details. */
function channelSummary(c: ChannelCheckResult) {
  return {
    checked: c.checked,
    quiet: c.quiet.map(({ personId, channel, problem }) => ({
      ...(personId ? { personId } : {}),
      channel,
      problem,
    })),
    ...(c.told ? { told: c.told } : {}),
    handoffs: c.handoffs,
    ...(c.notices.length > 0 ? { notices: c.notices } : {}),
    failed: c.failed,
  };
}
