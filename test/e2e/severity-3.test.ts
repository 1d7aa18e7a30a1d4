import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnFor } from '../../functions/adapters/workflow.ts';
import type { BusinessHours } from '../../functions/core/business-hours.ts';
import {
  businessDayNumber,
  describeLocalTime,
  nextBusinessMorning,
} from '../../functions/core/business-hours.ts';
import { serviceOf } from '../../functions/core/organisation.ts';
import { loadOrganisation } from '../../infra/config.ts';
import { eventually } from '../support/eventually.ts';
import { fixture } from '../support/fixtures.ts';
import { about, hotlineClient, type Json, type Mail } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * Severity 3 as the handbook runs it, on the local target from the synthesized definition with the people's
 * waits scaled down: the owner team is told (never paged, never escalated), reminded at the next business
 * morning and once each business day after, acknowledges from its link; raising to sev 2 pages at once and
 * lowering a paged sev 2 to 3 stops the escalation and tells the team. The stack runs with the shipped example
 * organisation: checkout's team is payments-team@example.com, the unknown service names no team and falls back
 * to its first internal list (incidents@example.com).
 */

/** The checkout service's business hours, from the organisation file the stack was synthesized with. */
let checkoutHours: BusinessHours;
beforeAll(async () => {
  checkoutHours = serviceOf((await loadOrganisation()).organisation, 'checkout').businessHours;
});
const PAGED_PEOPLE = ['payments-oncall@example.com', 'payments-lead@example.com', 'imoc@example.com'];
/** A signed link as mailed: `<base>/links/v1.<kid>.<claims>.<mac>`. */
const LINK = /https?:\/\/[^\s"'<>]+\/links\/v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;

interface StepCall {
  event: Json;
  result: Json;
  /** When the step answered (ms since the epoch). */
  at: number;
}

interface Harness {
  hotline: HotlineTarget;
  /** Every answer of the workflow step function, with what it was asked. */
  steps: StepCall[];
  api(path: string, body?: unknown): Promise<{ status: number; body: Json }>;
  declare(severity: 1 | 2 | 3, summary: string): Promise<string>;
  mails(filter: (m: Mail) => boolean): Promise<Mail[]>;
  waitForMail(what: string, filter: (m: Mail) => boolean, count?: number): Promise<Mail[]>;
  incident(key: string): Promise<Json>;
  statesEntered(key: string): string[];
}

async function harness(waitScale: number): Promise<Harness> {
  const hotline = await startHotline({ waitScale });
  const steps: StepCall[] = [];
  // Record what the workflow steps answer (the waits' timeouts come from them), then answer as before.
  const functions = hotline.target.functions;
  const invoke = functions.invoke.bind(functions);
  functions.invoke = async (idOrArn: string, event: unknown) => {
    const result = await invoke(idOrArn, event);
    if (event && typeof event === 'object' && 'step' in event)
      steps.push({ event: event as Json, result: result as Json, at: Date.now() });
    return result;
  };
  const client = hotlineClient(() => hotline);
  const api = (path: string, body?: unknown) => client.api(body === undefined ? 'GET' : 'POST', path, body);
  const mails = async (filter: (m: Mail) => boolean) => (await client.mails()).filter(filter);
  return {
    hotline,
    steps,
    api,
    async declare(severity, summary) {
      const { status, body } = await api('/incidents', {
        summary,
        description: 'Admins wait a minute for reports.',
        severity,
        service: 'checkout',
      });
      expect(status).toBe(201);
      return body.key as string;
    },
    mails,
    waitForMail: (what, filter, count = 1) =>
      client.waitForMails(count === 1 ? what : `${count} of ${what}`, filter, count),
    async incident(key) {
      return (await api(`/incidents/${key}`)).body;
    },
    statesEntered(key) {
      const arn = executionArnFor(hotline.target.stateMachines[0] ?? '', key);
      return hotline.target.stepFunctions
        .describeExecution(arn)
        .events.filter((e) => e.type === 'StateEntered')
        .map((e) => e.state ?? '');
    },
  };
}

const to = (address: string) => (m: Mail) => m.destination.to.includes(address);
const paged = (key: string) => (m: Mail) => about(key)(m) && PAGED_PEOPLE.some((p) => to(p)(m));
const linksIn = (mail: Mail | undefined) => [...(mail?.body.text ?? '').matchAll(LINK)].map((m) => m[0]);
/** The acknowledge link of a team mail: the row labelled Acknowledge. */
const acknowledgeLinkOf = (mail: Mail | undefined) =>
  /Acknowledge: Acknowledge and take charge <([^>]+)>/.exec(mail?.body.text ?? '')?.[1];

describe('a sev 3 goes to the owner team and is reminded each business morning (waits scaled 1:100,000)', () => {
  let h: Harness;
  beforeAll(async () => {
    // Up to three days to the next business morning run out in about 2.6 s.
    h = await harness(0.00001);
  });
  afterAll(async () => h?.hotline.stop());

  it('mails the team, pages nobody, reminds once per business day, and the team acknowledges from its link', async () => {
    const declaredAt = Date.now();
    const key = await h.declare(3, 'Admin reports slow');

    const [notice] = await h.waitForMail(
      'the team notice',
      (m) => about(key)(m) && to('payments-team@example.com')(m) && m.subject.endsWith('Passed to your team'),
    );
    expect(notice?.subject).toBe(`${key} - Sev 3 - Admin reports slow - Passed to your team`);
    expect(notice?.body.text).toContain('was passed to your team for resolution during business hours');
    const links = linksIn(notice);
    expect(links).toHaveLength(2); // the acknowledge link and the incident page, both signed
    expect(links).toContain(acknowledgeLinkOf(notice));

    // The wait lasts until the next business morning, computed from when the team was told.
    const detail = await h.incident(key);
    expect(detail.incident.status).toBe('new');
    expect(detail.incident.pagedAt).toBeUndefined();
    const notifiedAt = Date.parse(detail.incident.teamNotifiedAt);
    const morning = nextBusinessMorning(checkoutHours, new Date(notifiedAt));
    // That morning, or a later one when the scaled wait has already run out on a busy machine.
    expect(Date.parse(detail.incident.teamReminderDue)).toBeGreaterThanOrEqual(morning.getTime());
    const notify = h.steps.find((s) => s.event.step === 'notifyTeam' && s.event.key === key);
    expect(notify?.result).toMatchObject({ remindAt: morning.toISOString(), round: 0 });
    // The step computed the seconds at its start, between the declaration and the send.
    expect(notify?.result.waitSeconds).toBeGreaterThanOrEqual(
      Math.ceil((morning.getTime() - notifiedAt) / 1000),
    );
    expect(notify?.result.waitSeconds).toBeLessThanOrEqual(
      Math.ceil((morning.getTime() - declaredAt) / 1000),
    );

    // The scaled wait runs out: one reminder for that business morning, then one for the next business day.
    const reminders = await h.waitForMail(
      'two daily reminders',
      (m) => about(key)(m) && m.subject.endsWith('Still not acknowledged'),
      2,
    );
    expect(reminders.every(to('payments-team@example.com'))).toBe(true);
    const firstReminder = h.steps.find((s) => s.event.step === 'remindTeam' && s.event.key === key);
    expect(firstReminder?.event.remindAt).toBe(morning.toISOString());
    // Not before the scaled wait ran out.
    expect((firstReminder?.at ?? 0) - (notify?.at ?? 0)).toBeGreaterThanOrEqual(
      (notify?.result.waitSeconds ?? 0) * 1000 * 0.00001 - 5,
    );
    const afterReminders = await h.incident(key);
    const days = afterReminders.comms
      .filter((c: Json) => c.kind === 'team-reminder')
      .map((c: Json) => c.sequence as number)
      .sort();
    const secondMorning = nextBusinessMorning(checkoutHours, morning);
    expect(days.slice(0, 2)).toEqual([
      businessDayNumber(checkoutHours, morning),
      businessDayNumber(checkoutHours, secondMorning),
    ]);
    // Exactly one reminder mail per business day: each names the next business morning, so no two name the same.
    const reminderMails = await h.mails((m) => about(key)(m) && m.subject.endsWith('Still not acknowledged'));
    const nextNamed = reminderMails.map((m) => /Next reminder: (.*) if still/.exec(m.body.text)?.[1]);
    expect(new Set(nextNamed).size).toBe(reminderMails.length);
    expect(nextNamed.slice(0, 2)).toEqual([
      describeLocalTime(checkoutHours, secondMorning),
      describeLocalTime(checkoutHours, nextBusinessMorning(checkoutHours, secondMorning)),
    ]);

    // Nobody was paged, nothing escalated.
    expect(await h.mails(paged(key))).toEqual([]);
    expect(h.statesEntered(key)).not.toContain('PageIncidentManager');

    // A team member acknowledges from the latest reminder's own link (POST: GET never decides).
    const latest = (await h.mails((m) => about(key)(m) && m.subject.endsWith('Still not acknowledged'))).at(
      -1,
    );
    const link = acknowledgeLinkOf(latest) ?? '';
    expect((await fetch(link)).status).toBe(200);
    expect((await h.incident(key)).incident.status).toBe('new');
    const decided = await fetch(link, { method: 'POST' });
    expect(decided.status).toBe(200);
    expect(await decided.text()).toContain(`You acknowledged ${key}`);
    const acknowledged = await h.incident(key);
    expect(acknowledged.incident).toMatchObject({
      status: 'fixing',
      acknowledgedBy: 'payments-team@example.com',
    });
    // The response starts: the first internal comms go out.
    await h.waitForMail(
      'initial internal comms',
      (m) =>
        about(key)(m) &&
        to('checkout-incidents@example.com')(m) &&
        m.subject === `${key} - Sev 3 - Admin reports slow`,
    );
    expect(h.statesEntered(key)).toContain('StartResponse');
    expect(await h.mails(paged(key))).toEqual([]);
    await h.api(`/incidents/${key}/resolve`, { supportCases: 0 });
    await h.waitForMail('final comms', (m) => m.subject === `${key} - Sev 3 - Admin reports slow - Resolved`);
  });

  it('passes a sev 3 alert for no known service to the default service team (its first internal list), never the IMOC', async () => {
    const alert = fixture<Json>('alertmanager', 'unknown-service-warning-v4');
    const response = await fetch(`${h.hotline.target.urls.api}/alerts/alertmanager`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${h.hotline.secretOf('alertmanager')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ ...alert, groupKey: `${alert.groupKey}:{test="sev3"}` }),
    });
    expect(response.status).toBe(202);
    const key = ((await response.json()) as Json).incidents[0].key as string;
    const [notice] = await h.waitForMail(
      'the team notice',
      (m) => about(key)(m) && m.subject.endsWith('Passed to your team'),
    );
    expect(notice?.destination.to).toEqual(['incidents@example.com']);
    expect(notice?.body.text).toContain('Disk on db-3 will fill within 4 hours');
    // The first reminder comes (scaled); the IMOC, the unknown service's incident manager, hears nothing.
    await h.waitForMail('a reminder', (m) => about(key)(m) && m.subject.endsWith('Still not acknowledged'));
    expect(await h.mails(paged(key))).toEqual([]);
    await h.api(`/incidents/${key}/resolve`, { supportCases: 0 });
  });
});

describe('severity changes before anyone acknowledges (waits scaled 1:200)', () => {
  let h: Harness;
  beforeAll(async () => {
    // Sev 2's 15-minute acknowledge timeout runs out after 4.5 s; the team's wait lasts minutes at least.
    h = await harness(0.005);
  });
  afterAll(async () => h?.hotline.stop());

  it('raising a sev 3 to sev 2 pages the incident manager at once', async () => {
    const key = await h.declare(3, 'Refunds delayed');
    await h.waitForMail('the team notice', (m) => about(key)(m) && to('payments-team@example.com')(m));
    expect(await h.mails(paged(key))).toEqual([]);

    const raisedAt = Date.now();
    const raised = await h.api(`/incidents/${key}/severity`, {
      severity: 2,
      reason: 'Refunds fail for everyone',
    });
    expect(raised).toMatchObject({ status: 200, body: { changed: true, severity: 2 } });
    const [page] = await h.waitForMail(
      'the page',
      (m) => about(key)(m) && to('payments-oncall@example.com')(m),
    );
    expect(page?.subject).toBe(`${key} - Sev 2 - Refunds delayed - Paged`);
    // At once: well before any scaled business-morning wait or acknowledge timeout could have run out.
    expect(Date.now() - raisedAt).toBeLessThan(4_000);
    expect(acknowledgeLinkOf(page)).toMatch(/\/links\/v1\./);
    const detail = await h.incident(key);
    expect(detail.incident.status).toBe('paged');
    // The page came from the workflow's page step for this incident (the route after the raise).
    await eventually(
      async () =>
        h.steps.some(
          (c) =>
            (c.event as { key?: string; step?: string }).key === key &&
            (c.event as { step?: string }).step === 'page',
        )
          ? true
          : undefined,
      `${key}'s page step`,
    );
    await h.api(`/incidents/${key}/resolve`, { supportCases: 0 });
  });

  it('lowering a paged sev 2 to sev 3 stops the escalation and passes it to the team', async () => {
    const key = await h.declare(2, 'Receipts missing');
    await h.waitForMail('the page', (m) => about(key)(m) && to('payments-oncall@example.com')(m));
    const pagedAt = Date.now();
    const lowered = await h.api(`/incidents/${key}/severity`, {
      severity: 3,
      reason: 'Only receipts by email',
    });
    expect(lowered.body).toMatchObject({ changed: true, severity: 3 });
    const [notice] = await h.waitForMail(
      'the team notice',
      (m) => about(key)(m) && to('payments-team@example.com')(m) && m.subject.endsWith('Passed to your team'),
    );
    expect(notice?.subject).toBe(`${key} - Sev 3 - Receipts missing - Passed to your team`);

    // Past the (scaled) sev 2 acknowledge timeout, with a margin: no backup and no IMOC page.
    const timeoutMs = 15 * 60 * 1000 * 0.005;
    await new Promise((r) => setTimeout(r, Math.max(0, pagedAt + timeoutMs + 1_500 - Date.now())));
    expect(await h.mails((m) => about(key)(m) && to('payments-lead@example.com')(m))).toEqual([]);
    expect(await h.mails((m) => about(key)(m) && to('imoc@example.com')(m))).toEqual([]);
    const states = h.statesEntered(key);
    expect(states.filter((s) => s === 'PageIncidentManager')).toHaveLength(1);
    expect(states).toContain('WaitForTeamAcknowledgement');
    const detail = await h.incident(key);
    expect(detail.incident).toMatchObject({ status: 'paged', severity: 3 });
    expect(detail.timeline.filter((e: Json) => e.kind === 'incident.escalated')).toEqual([]);
    expect(detail.timeline.filter((e: Json) => e.kind === 'team.notified')).toHaveLength(1);
    await h.api(`/incidents/${key}/resolve`, { supportCases: 0 });
  });
});
