import { z } from 'zod';
import { DEFAULT_BUSINESS_HOURS, minutesOf } from './business-hours.ts';
import { HEARTBEAT_SOURCES, MONITORING_SERVICE } from './heartbeats.ts';
import { parsePageTarget } from './page-targets.ts';
import { pagingConfig } from './paging-config.ts';
import { CHANNELS, DEFAULT_NOTIFICATION_RULES, isE164 } from './people.ts';
import { isCalendarDate, isIanaTimeZone } from './zoned-time.ts';

/**
 * The organisation file: who gets told what, and how fast. Validated at synth and at local start, and baked
 * into every function bundle, so a deployed system always runs with the file it was validated against.
 */

const email = z.email({ message: 'must be an email address' });
const emailList = z.array(email);
/** Who a paging tier reaches: an address, `person:ID` or `schedule:ID` (core/page-targets.ts). */
const pageTarget = z.string().refine((entry) => {
  const target = parsePageTarget(entry);
  return target !== undefined && (target.kind !== 'address' || email.safeParse(entry).success);
}, 'must be an email address, person:ID (an id of people) or schedule:ID (an id of schedules)');
const pageTargetList = z.array(pageTarget);
const severity = z.union([z.literal(1), z.literal(2), z.literal(3)]);
const serviceId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'service ids are lower-case letters, digits and dashes');

/** Minutes between comms updates per severity; null means no cadence (updates only when something changes). */
const cadence = z.object({
  1: z.number().int().positive().nullable(),
  2: z.number().int().positive().nullable(),
  3: z.number().int().positive().nullable(),
});

const isoWeekday = z
  .number()
  .int()
  .min(1, 'days are 1 (Monday) to 7 (Sunday)')
  .max(7, 'days are 1 (Monday) to 7 (Sunday)');
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const timeOfDay = z.string().regex(TIME, 'must be a time of day, HH:MM (00:00-23:59)');

/** When a service's team works (sev 3 incidents are theirs during these hours); default Mon-Fri 09:00-17:00 UTC. */
const businessHours = z
  .object({
    timeZone: z
      .string()
      .refine(isIanaTimeZone, 'must be an IANA time zone, e.g. Europe/London')
      .default(DEFAULT_BUSINESS_HOURS.timeZone),
    /** ISO weekdays: 1 = Monday ... 7 = Sunday. */
    days: z
      .array(isoWeekday)
      .min(1, 'name at least one business day')
      .default([...DEFAULT_BUSINESS_HOURS.days]),
    start: timeOfDay.default(DEFAULT_BUSINESS_HOURS.start),
    end: timeOfDay.default(DEFAULT_BUSINESS_HOURS.end),
  })
  // Runs even when a time above is malformed (zod reports both): compare only well-formed times.
  .refine((h) => !(TIME.test(h.start) && TIME.test(h.end)) || minutesOf(h.start) < minutesOf(h.end), {
    message: 'start must be before end',
    path: ['end'],
  });

export const serviceSchema = z.object({
  name: z.string().min(1),
  ownerTeam: z.string().min(1),
  /** The owner team's address: sev 3 incidents are passed to it (default: the first internal comms list). */
  team: email.optional(),
  businessHours: businessHours.default({ ...DEFAULT_BUSINESS_HOURS, days: [...DEFAULT_BUSINESS_HOURS.days] }),
  /** Alert label values that mean this service (the id itself always matches). */
  aliases: z.array(z.string().min(1)).default([]),
  comms: z.object({
    internal: emailList.min(1, 'at least one internal distribution list is needed'),
    external: emailList.default([]),
  }),
  /** Each an address, `person:<id>` or `schedule:<id>` (whoever is on call in it when the page is sent). */
  incidentManagers: z.object({
    primary: pageTargetList.min(1, 'at least one incident manager is needed'),
    backup: pageTargetList.default([]),
  }),
  approvers: z.object({
    mandatory: emailList.min(1, 'a postmortem needs at least one mandatory approver'),
    optional: emailList.default([]),
  }),
  /** Priority actions from a postmortem are due this many weeks after approval. */
  actionSloWeeks: z.union([z.literal(4), z.literal(8)]).default(8),
  followUpCadenceMinutes: cadence.default({ 1: 30, 2: 60, 3: null }),
  acknowledgeTimeoutMinutes: cadence.default({ 1: 5, 2: 15, 3: 60 }),
  /**
   * After every alert of an unacknowledged incident cleared, how long before the workflow resolves it as
   * `cleared-before-acknowledgement` (null: it stops escalating and waits for a person).
   */
  clearedGraceMinutes: cadence.default({ 1: 15, 2: 15, 3: 60 }),
  products: z.array(z.string().min(1)).default([]),
  /** Whether its incidents appear on the public status page (false: an internal service, such as monitoring). */
  statusPage: z.boolean().default(true),
  /** The department the service belongs to (one of `departments`): its managers get the department's report. */
  department: z.string().min(1).optional(),
  /** Availability objective in percent (e.g. 99.9): the SLO report sets the minutes it allows against impact. */
  availabilityObjective: z
    .number()
    .gt(0, 'an availability objective is a percentage above 0')
    .lt(100, 'an availability objective is a percentage below 100')
    .optional(),
});

/** Ids of people and schedules: what a schedule, an override or a service refers to them by. */
const referenceId = z
  .string()
  .regex(/^[a-z][a-z0-9._-]{0,62}$/, 'ids are lower-case letters, digits, dots, underscores and dashes');
const ianaTimeZone = z.string().refine(isIanaTimeZone, 'must be an IANA time zone, e.g. Europe/London');

const notificationRule = z.object({
  channel: z.enum(CHANNELS),
  /** Minutes after the page, without an acknowledgement, at which the channel is tried. */
  afterMinutes: z
    .number()
    .int('whole minutes')
    .min(0, 'minutes after the page, 0 or more')
    .max(60, 'a rule fires within an hour of the page'),
});

/** Someone who can be paged (see core/people.ts for what the rules mean). */
export const personSchema = z
  .object({
    name: z.string().trim().min(1),
    email,
    /** E.164, e.g. +447700900123. */
    phone: z.string().refine(isE164, 'must be a phone number in E.164 form, e.g. +447700900123').optional(),
    timeZone: ianaTimeZone.default('UTC'),
    notificationRules: z
      .array(notificationRule)
      .min(1, 'name at least one notification rule')
      .default(() => DEFAULT_NOTIFICATION_RULES.map((rule) => ({ ...rule }))),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.notificationRules.forEach((rule, i) => {
      // The same channel twice at the same minute would send the person two identical pages at once.
      const key = `${rule.channel}@${rule.afterMinutes}`;
      if (seen.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['notificationRules', i],
          message: `${rule.channel} after ${rule.afterMinutes} minutes is already a rule`,
        });
      }
      seen.add(key);
      if (rule.channel !== 'email' && p.phone === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['notificationRules', i, 'channel'],
          message: `a ${rule.channel} rule needs the person's phone number`,
        });
      }
    });
  });

/** An on-call schedule: one rotation (see core/oncall.ts for how shifts are laid on the calendar). */
export const scheduleSchema = z.object({
  name: z.string().trim().min(1),
  timeZone: ianaTimeZone,
  rotation: z.object({
    /** Person ids in the order they take shifts. */
    members: z.array(referenceId).min(1, 'a rotation needs at least one member'),
    handoff: z.object({ weekday: isoWeekday.optional(), time: timeOfDay }),
    shift: z.union([
      z.literal('daily'),
      z.literal('weekly'),
      z.object({ days: z.number().int().min(1, 'at least one day').max(366, 'at most 366 days') }),
    ]),
    /** `YYYY-MM-DD` in the schedule's zone: the first member's first shift begins on the first handoff from it. */
    start: z.string().refine(isCalendarDate, 'must be a date, YYYY-MM-DD'),
  }),
});

/** A source's heartbeat (core/heartbeats.ts): which of its alerts it is, and how long it may stay silent. */
export const heartbeatSchema = z.object({
  source: z.enum(HEARTBEAT_SOURCES, {
    message: `must be one of the alert sources (${HEARTBEAT_SOURCES.join(', ')})`,
  }),
  /** Every label an alert must carry with this value to be the heartbeat, e.g. { alertname: 'Watchdog' }. */
  labels: z
    .record(z.string().min(1, 'a label name is not empty'), z.string())
    .refine((labels) => Object.keys(labels).length > 0, 'name at least one label the heartbeat carries'),
  /** Minutes it may stay silent after it was last seen (the sweep looks every minute). */
  windowMinutes: z
    .number()
    .int('whole minutes')
    .min(2, 'at least 2 minutes: silence is looked for every minute')
    .max(10_080, 'at most a week (10080 minutes)'),
});

const reportsSchema = z
  .object({
    recipients: emailList.default([]),
    /**
     * When the SLO report is mailed: an EventBridge Scheduler cron expression, `cron(minutes hours
     * day-of-month month day-of-week year)`; default Mondays 08:00 in `timeZone`. Each run reports the last
     * full week before it fires.
     */
    schedule: z
      .string()
      .regex(
        /^cron\(\S+( \S+){5}\)$/,
        'must be a cron expression of 6 fields (minutes hours day-of-month month day-of-week year), e.g. cron(0 8 ? * MON *)',
      )
      .default('cron(0 8 ? * MON *)'),
    timeZone: z
      .string()
      .refine(isIanaTimeZone, 'must be an IANA time zone, e.g. Europe/London')
      .default('UTC'),
    /** First comms are on time within this many minutes of the acknowledgement (handbook: 15). */
    firstCommsMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15),
  })
  .default({ recipients: [], schedule: 'cron(0 8 ? * MON *)', timeZone: 'UTC', firstCommsMinutes: 15 });

export const organisationSchema = z
  .object({
    /** Incident keys are `<prefix>-<number>`, e.g. HOT-42. */
    incidentKeyPrefix: z
      .string()
      .regex(/^[A-Z][A-Z0-9]{1,9}$/, 'use 2-10 upper-case letters or digits, starting with a letter')
      .default('HOT'),
    /** The SES identity mail is sent from (verify it in SES before deploying). */
    sender: z.object({ address: email, name: z.string().min(1).default('Incidents') }),
    /**
     * Acknowledging by replying to a page mail: each page mail's Reply-To is an address at `domain` (its MX record
     * points at SES receiving in the stack's region), and the stack adds a receipt rule for that domain to
     * `receiptRuleSet`, which must exist and be the account's active set in that region (README). Absent: no
     * Reply-To, no rule.
     */
    mailReplies: z
      .object({
        domain: z
          .string()
          .max(200)
          .regex(
            /^(?=[^.]{1,63}\.)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i,
            'must be a domain name, e.g. replies.example.com',
          )
          .transform((d) => d.toLowerCase()),
        receiptRuleSet: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be the name of an SES receipt rule set'),
      })
      .optional(),
    /** Public URL of the API (a custom domain); the API's own URL is used when absent. */
    publicBaseUrl: z.url().optional(),
    /** Who hears when the workflow itself fails. */
    operators: emailList.min(1, 'name at least one operator address'),
    /** The incident manager on call of last resort (IMOC): escalations end here. */
    imoc: pageTargetList.min(1, 'name at least one IMOC address, person or schedule'),
    leadership: emailList.default([]),
    defaultService: serviceId,
    services: z.record(serviceId, serviceSchema).refine((s) => Object.keys(s).length > 0, 'define a service'),
    alertRouting: z
      .object({
        /** Labels read, in order, to find the service an alert is about. */
        serviceLabels: z.array(z.string().min(1)).default(['service', 'app', 'job']),
        /** Labels read, in order, to find the severity. */
        severityLabels: z.array(z.string().min(1)).default(['severity', 'priority']),
        /** Label value (lower-cased) to severity. */
        severityValues: z
          .record(z.string(), severity)
          .default({ critical: 1, page: 1, p1: 1, high: 2, error: 2, p2: 2, warning: 3, info: 3, p3: 3 }),
        defaultSeverity: severity.default(2),
      })
      .default({
        serviceLabels: ['service', 'app', 'job'],
        severityLabels: ['severity', 'priority'],
        severityValues: { critical: 1, page: 1, p1: 1, high: 2, error: 2, p2: 2, warning: 3, info: 3, p3: 3 },
        defaultSeverity: 2,
      }),
    /**
     * Where responders meet. Templates take `{key}` (HOT-42) and `{channel}` (hot-42): the chat room is named
     * after the incident key. Absent templates leave only the channel name on the incident.
     */
    responseLinks: z
      .object({
        chatRoom: z.string().min(1).optional(),
        video: z.string().min(1).optional(),
        stateDocument: z.string().min(1).optional(),
      })
      .default({}),
    /** How long an emailed link (acknowledge, approve) stays valid. */
    linkTtlHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(72),
    /** How many days after an incident's resolution its read-only page (the view link in every mail) opens. */
    viewLinkDays: z.number().int().min(1).max(365).default(30),
    alertSources: z
      .object({
        cloudwatch: z
          .object({
            /** SNS topics whose SubscriptionConfirmation is confirmed and whose notifications are accepted. */
            allowedTopicArns: z
              .array(
                z
                  .string()
                  .regex(
                    /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
                    'must be an SNS topic ARN',
                  ),
              )
              .default([]),
          })
          .default({ allowedTopicArns: [] }),
      })
      .default({ cloudwatch: { allowedTopicArns: [] } }),
    /** Department managers: each gets the SLO report of their department's services. */
    departments: z
      .record(
        z.string().min(1),
        z.object({ managers: emailList.min(1, 'a department needs at least one manager') }),
      )
      .default({}),
    reports: reportsSchema,
    /** Postmortems: who reads the published ones, and how long an approver's decision link works. */
    postmortems: z
      .object({
        publishTo: emailList.default([]),
        approvalLinkDays: z.number().int().min(1).max(60).default(14),
        /** How long the owner's editor link works (many saves); the owner can have a fresh one mailed. */
        editorLinkDays: z.number().int().min(1).max(90).default(30),
      })
      .default({ publishTo: [], approvalLinkDays: 14, editorLinkDays: 30 }),
    /** The public status page (`/status`): its title; `<sender name> status` when absent. */
    statusPage: z.object({ title: z.string().trim().min(1).max(120) }).optional(),
    /** People who can be paged, by id (optional until paging uses them). */
    people: z.record(referenceId, personSchema).optional(),
    /** On-call schedules, by id; their members are ids of `people`. */
    schedules: z.record(referenceId, scheduleSchema).optional(),
    paging: pagingConfig.optional(),
    /**
     * Heartbeats by id (a dead man's switch per source): silent past its window, the operators are paged as a
     * sev 2 on the `monitoring` service (built in from `operators` unless the services define one).
     */
    heartbeats: z.record(referenceId, heartbeatSchema).optional(),
  })
  .superRefine((o, ctx) => {
    if (!(o.defaultService in o.services)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultService'],
        message: `"${o.defaultService}" is not one of the services (${Object.keys(o.services).join(', ')})`,
      });
    }
    for (const [id, service] of Object.entries(o.services)) {
      if (service.department !== undefined && !Object.hasOwn(o.departments, service.department)) {
        const known = Object.keys(o.departments);
        ctx.addIssue({
          code: 'custom',
          path: ['services', id, 'department'],
          message: `"${service.department}" is not one of the departments (${known.length ? known.join(', ') : 'none configured'})`,
        });
      }
    }
    // A paging tier's person or schedule must exist: a page to nobody would only be found at 03:00.
    const known = (kind: 'person' | 'schedule') => (kind === 'person' ? o.people : o.schedules) ?? {};
    const checkTargets = (entries: readonly string[], path: (string | number)[]) =>
      entries.forEach((entry, i) => {
        const target = parsePageTarget(entry);
        if (!target || target.kind === 'address') return;
        const kind = target.kind;
        const id = target.kind === 'person' ? target.personId : target.scheduleId;
        if (Object.hasOwn(known(kind), id)) return;
        const names = Object.keys(known(kind));
        ctx.addIssue({
          code: 'custom',
          path: [...path, i],
          message: `"${id}" is not one of the ${kind === 'person' ? 'people' : 'schedules'} (${names.join(', ') || 'none configured'})`,
        });
      });
    checkTargets(o.imoc, ['imoc']);
    for (const [id, service] of Object.entries(o.services)) {
      checkTargets(service.incidentManagers.primary, ['services', id, 'incidentManagers', 'primary']);
      checkTargets(service.incidentManagers.backup, ['services', id, 'incidentManagers', 'backup']);
    }
    // Two heartbeats one alert could be: which one it beats for would depend on their order in the file.
    const heartbeats = Object.entries(o.heartbeats ?? {});
    heartbeats.forEach(([id, h], i) => {
      const same = heartbeats
        .slice(0, i)
        .find(([, other]) => other.source === h.source && sameLabels(other.labels, h.labels));
      if (same) {
        ctx.addIssue({
          code: 'custom',
          path: ['heartbeats', id, 'labels'],
          message: `the same source and labels as heartbeat "${same[0]}": an alert would be both`,
        });
      }
    });
    for (const [id, schedule] of Object.entries(o.schedules ?? {})) {
      schedule.rotation.members.forEach((member, i) => {
        if (!Object.hasOwn(o.people ?? {}, member)) {
          ctx.addIssue({
            code: 'custom',
            path: ['schedules', id, 'rotation', 'members', i],
            message: `"${member}" is not one of the people (${Object.keys(o.people ?? {}).join(', ') || 'none configured'})`,
          });
        }
      });
    }
  })
  .transform((o) => withMonitoringService(o));

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((n) => Object.hasOwn(b, n) && a[n] === b[n]);
}

/**
 * A silent heartbeat pages through the `monitoring` service: when heartbeats are configured and the services
 * do not define it, it is built in, run by the operators (they are its incident managers, its comms list and
 * its postmortem approvers). A `monitoring` service in the file is used as written (e.g. to page a schedule).
 */
function withMonitoringService<T extends { operators: string[]; services: Record<string, Service> }>(
  o: T & { heartbeats?: Record<string, unknown> | undefined },
): T {
  if (Object.keys(o.heartbeats ?? {}).length === 0 || Object.hasOwn(o.services, MONITORING_SERVICE)) return o;
  const monitoring = serviceSchema.parse({
    name: 'Monitoring',
    ownerTeam: 'Operators',
    comms: { internal: o.operators },
    incidentManagers: { primary: o.operators },
    approvers: { mandatory: o.operators },
    // Customers are not told that our monitoring went quiet.
    statusPage: false,
  });
  return { ...o, services: { ...o.services, [MONITORING_SERVICE]: monitoring } };
}

type SchemaInput = z.input<typeof organisationSchema>;
type ScheduleInput = z.input<typeof scheduleSchema>;
/**
 * A schedule as the organisation file may give it: with its `rotation`, or with `ics`, the path of an iCalendar
 * file (from the organisation file's folder) whose shifts are the rotation, read at synth and start
 * (infra/config.ts, core/oncall-import.ts).
 */
export type ScheduleFileInput = ScheduleInput | (Omit<ScheduleInput, 'rotation'> & { ics: string });
export type OrganisationInput = Omit<SchemaInput, 'schedules'> & {
  schedules?: Record<string, ScheduleFileInput> | undefined;
};
export type Organisation = z.output<typeof organisationSchema>;
export type Service = z.output<typeof serviceSchema>;
export type PersonConfig = z.output<typeof personSchema>;
export type ScheduleConfig = z.output<typeof scheduleSchema>;
export type Severity = 1 | 2 | 3;

/** Identity helper so an organisation file gets type checking and completion. */
export function defineOrganisation(input: OrganisationInput): OrganisationInput {
  return input;
}

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/** Validates an organisation; the error names each bad field (and the file, when given). */
export function parseOrganisation(input: unknown, source = 'the organisation file'): Organisation {
  const result = organisationSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? formatPath(issue.path) : '(top level)';
    return `  - ${field}: ${issue.message}`;
  });
  throw new ConfigurationError(`Invalid configuration in ${source}:\n${problems.join('\n')}`);
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}
