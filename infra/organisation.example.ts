import { defineOrganisation } from '../functions/core/config.ts';

/**
 * An example organisation. Copy it to `infra/organisation.ts` and edit: that file, when present, is the one
 * `cdk deploy` and `npm start` use (or pass `-c organisation=<path>` / HOTLINE_ORGANISATION=<path>).
 */
export default defineOrganisation({
  incidentKeyPrefix: 'HOT',
  sender: { address: 'incidents@example.com', name: 'Incidents' },
  // Acknowledge by replying "ack" to a page mail: the domain's MX record points at SES receiving in the stack's
  // region, and the rule set is the account's active one there (README, "Replies to page mails"). Remove to turn off.
  mailReplies: { domain: 'replies.example.com', receiptRuleSet: 'hotline' },
  operators: ['sre-platform@example.com'],
  imoc: ['imoc@example.com'],
  leadership: ['engineering-leads@example.com'],
  defaultService: 'unknown',
  services: {
    checkout: {
      name: 'Checkout',
      ownerTeam: 'Payments',
      // Sev 3 incidents go to the owner team (not paged), during its business hours.
      team: 'payments-team@example.com',
      businessHours: { timeZone: 'UTC', days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' },
      aliases: ['checkout-api', 'payments'],
      products: ['Checkout', 'Payments'],
      comms: {
        internal: ['checkout-incidents@example.com'],
        external: ['status-updates@example.com'],
      },
      incidentManagers: {
        primary: ['payments-oncall@example.com'],
        backup: ['payments-lead@example.com'],
      },
      approvers: { mandatory: ['head-of-payments@example.com'], optional: ['sre-lead@example.com'] },
      actionSloWeeks: 4,
      department: 'commerce',
      availabilityObjective: 99.9,
      followUpCadenceMinutes: { 1: 30, 2: 60, 3: null },
      acknowledgeTimeoutMinutes: { 1: 5, 2: 15, 3: 60 },
      // Alerts that all clear before anyone acknowledges: resolved as cleared after this long.
      clearedGraceMinutes: { 1: 15, 2: 15, 3: 60 },
    },
    unknown: {
      name: 'Unassigned',
      ownerTeam: 'SRE',
      comms: { internal: ['incidents@example.com'] },
      // Alerts no service claims page whoever is on call for SRE (then the IMOC).
      incidentManagers: { primary: ['schedule:sre'] },
      approvers: { mandatory: ['sre-lead@example.com'] },
      actionSloWeeks: 8,
    },
  },
  alertRouting: {
    serviceLabels: ['service', 'app', 'job'],
    severityLabels: ['severity', 'priority'],
    severityValues: { critical: 1, page: 1, high: 2, error: 2, warning: 3, info: 3 },
    defaultSeverity: 2,
  },
  responseLinks: {
    chatRoom: 'https://chat.example.com/incidents/channels/{channel}',
    video: 'https://meet.example.com/{channel}',
    stateDocument: 'https://docs.example.com/incidents/{key}',
  },
  departments: {
    commerce: { managers: ['commerce-managers@example.com'] },
  },
  reports: {
    recipients: ['engineering-leads@example.com'],
    // EventBridge Scheduler cron: Mondays 08:00 in the time zone below; each run reports the last full week.
    schedule: 'cron(0 8 ? * MON *)',
    timeZone: 'Europe/London',
    firstCommsMinutes: 15,
  },
  statusPage: { title: 'Example Corp status' },
  // Heartbeats (a dead man's switch per source): an alert a source sends while it is alive, matched by labels.
  // It is recorded as last seen, never as an alert; silent longer than its window (minutes, from its last beat),
  // the operators are paged as a sev 2 on the "monitoring" service (built in from `operators` when the services
  // above do not define one), once, and told when it is back. The clock starts at a heartbeat's first beat.
  heartbeats: {
    // Prometheus' always-firing Watchdog alert, through Alertmanager (send it every few minutes: README).
    'prometheus-watchdog': { source: 'alertmanager', labels: { alertname: 'Watchdog' }, windowMinutes: 10 },
    // A scheduled generic webhook, e.g. a cron job that posts { "id": "batch-heartbeat", "summary": "alive",
    // "labels": { "heartbeat": "batch" } } every 15 minutes.
    'batch-runner': { source: 'generic', labels: { heartbeat: 'batch' }, windowMinutes: 45 },
  },
  // SMS and voice pages go out from an origination identity you lease in AWS End User Messaging SMS and Voice
  // (README, "Paging by SMS and voice"): put its phone number id here. Locally, any id works and every text and
  // call shows in the messages viewer. Replies to it with a page's code acknowledge: point its two-way SMS at
  // the stack's TwoWaySmsTopicArn output.
  paging: {
    sms: { originationIdentity: 'phone-0123456789abcdef0123456789abcdef' },
    voice: { originationIdentity: 'phone-0123456789abcdef0123456789abcdef' },
  },
  // People who can be paged, and on-call schedules of them (served by GET /schedules and `incident oncall`). A
  // service's incident managers and the IMOC may name them: `person:ada`, or `schedule:payments` for whoever is
  // on call in it when the page is sent.
  people: {
    // Each person's rules: which channel, how many minutes after the page (nobody acknowledging). The tier's
    // acknowledgement timeout starts once the last rule has fired. Without rules: a mail at once.
    ada: {
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      phone: '+447700900123',
      timeZone: 'Europe/London',
      notificationRules: [
        { channel: 'email', afterMinutes: 0 },
        { channel: 'sms', afterMinutes: 0 },
      ],
    },
    grace: {
      name: 'Grace Hopper',
      email: 'grace@example.com',
      phone: '+12025550123',
      timeZone: 'America/New_York',
      notificationRules: [
        { channel: 'email', afterMinutes: 0 },
        { channel: 'sms', afterMinutes: 0 },
        { channel: 'voice', afterMinutes: 3 },
      ],
    },
    alan: {
      name: 'Alan Turing',
      email: 'alan@example.com',
      phone: '+447700900456',
      timeZone: 'Europe/London',
      notificationRules: [
        { channel: 'email', afterMinutes: 0 },
        { channel: 'sms', afterMinutes: 0 },
        { channel: 'voice', afterMinutes: 0 },
      ],
    },
  },
  schedules: {
    payments: {
      name: 'Payments on call',
      timeZone: 'Europe/London',
      // Weekly shifts handed over on Mondays at 09:00 London time, in this order.
      rotation: {
        members: ['ada', 'grace', 'alan'],
        handoff: { weekday: 1, time: '09:00' },
        shift: 'weekly',
        start: '2026-01-05',
      },
    },
    sre: {
      name: 'SRE on call',
      timeZone: 'America/New_York',
      // Daily shifts handed over at 08:00 New York time.
      rotation: {
        members: ['alan', 'grace', 'ada'],
        handoff: { time: '08:00' },
        shift: 'daily',
        start: '2026-01-05',
      },
    },
  },
});
