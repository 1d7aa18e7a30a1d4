import { type CommsBounce, commsBounceWords } from '../../core/comms-bounces.ts';
import { type CliIo, call, withQuery } from '../api.ts';
import { AS_HELP, AS_OPTION, type Command, parse, TIMES, timeArg, usageError } from '../args.ts';

/** The incident commands: declare, list, show and the response actions. */

const declare: Command = {
  synopsis:
    '--summary <text> --impact <customer impact> --severity <1|2|3> --service <id|unknown> [--products <a,b>] [--since <time>] [--idempotency-key <key>] [--as <person>]',
  summary: 'Declare an incident by hand (POST /incidents).',
  help: `Options:
  --summary <text>          what is happening, one line
  --impact <text>           the customer impact
  --severity <1|2|3>        1 most severe
  --service <id|unknown>    the service's id in the configuration
  --products <a,b>          affected products, comma-separated
  --since <time>            when impact started (default: now)
  --idempotency-key <key>   a retried declaration with the same key declares once (default: one per run)
${AS_HELP}

${TIMES}`,
  async run(args, io) {
    const { values } = parse(args, {
      summary: { type: 'string' },
      impact: { type: 'string' },
      severity: { type: 'string' },
      service: { type: 'string' },
      products: { type: 'string' },
      since: { type: 'string' },
      'idempotency-key': { type: 'string' },
      ...AS_OPTION,
    });
    const missing = (['summary', 'impact', 'severity', 'service'] as const).filter((k) => !values[k]);
    if (missing.length > 0) throw usageError('declare', declare, `declare needs --${missing.join(', --')}`);
    const since = timeArg(values.since, 'past');
    const body = {
      summary: values.summary,
      description: values.impact,
      severity: Number(values.severity),
      service: values.service,
      ...(values.products
        ? {
            products: values.products
              .split(',')
              .map((p) => p.trim())
              .filter(Boolean),
          }
        : {}),
      ...(since ? { impactStartedAt: since } : {}),
      ...(values.as !== undefined ? { by: values.as } : {}),
    };
    // One key per invocation: a retried request (timeout, network) cannot declare twice.
    const key =
      values['idempotency-key'] ??
      `cli-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    const result = await call(io, 'POST', '/incidents', body, { 'idempotency-key': key });
    io.out(result.outcome === 'declared' ? `Declared ${result.key}` : `${result.key} was already declared`);
    return 0;
  },
};

const list: Command = {
  synopsis:
    '[--status <status|open>] [--severity <n>] [--service <id>] [--from <time>] [--to <time>] [--limit <n>]',
  summary: 'List incidents, newest first.',
  help: `Options:
  --status <status>   new, paged, fixing, resolved, or open (all but resolved)
  --severity <n>      1, 2 or 3
  --service <id>      one service
  --from, --to <time> opened in this period
  --limit <n>         at most n (1-100)

${TIMES}`,
  async run(args, io) {
    const { values } = parse(args, {
      status: { type: 'string' },
      severity: { type: 'string' },
      service: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
    });
    const result = await call(
      io,
      'GET',
      withQuery('/incidents', {
        ...values,
        from: timeArg(values.from, 'past'),
        to: timeArg(values.to, 'past'),
      }),
    );
    const incidents = result.incidents as {
      key: string;
      status: string;
      severity: number;
      service: string;
      openedAt: string;
      summary: string;
    }[];
    if (incidents.length === 0) io.out('No incidents.');
    for (const i of incidents) {
      io.out(
        `${i.key.padEnd(10)} Sev ${i.severity}  ${i.status.padEnd(9)} ${i.service.padEnd(14)} ${i.openedAt}  ${i.summary}`,
      );
    }
    return 0;
  },
};

const show: Command = {
  synopsis: '<KEY>',
  summary: 'Show an incident and its timeline.',
  help: '',
  async run(args, io) {
    const { positionals } = parse(args, {});
    const key = incidentKey('show', show, positionals);
    const result = await call(io, 'GET', `/incidents/${encodeURIComponent(key)}`);
    const incident = result.incident as Record<string, unknown>;
    io.out(`${incident.key} - Sev ${incident.severity} - ${incident.summary}`);
    io.out(
      `status ${incident.status}, service ${incident.service}, opened ${incident.openedAt}, impact since ${incident.impactStartedAt}`,
    );
    const bounces = (incident.commsBounces ?? []) as CommsBounce[];
    if (bounces.length > 0) {
      io.out(
        "comms did not reach these stakeholders (fix the service's comms lists, or tell them another way):",
      );
      for (const bounce of bounces) io.out(`  ${bounce.at}  ${commsBounceWords(bounce)}`);
    }
    for (const entry of result.timeline as { at: string; kind: string; text: string }[]) {
      io.out(`  ${entry.at}  ${entry.kind.padEnd(24)} ${entry.text}`);
    }
    return 0;
  },
};

function incidentKey(name: string, command: Command, positionals: string[]): string {
  const [key] = positionals;
  if (!key) throw usageError(name, command, `${name} needs an incident key`);
  return key;
}

const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** POST /incidents/{key}/{action}: the response actions. */
async function respond(io: CliIo, key: string, action: string, body: Record<string, unknown>) {
  return call(io, 'POST', `/incidents/${encodeURIComponent(key)}/${action}`, defined(body));
}

const acknowledge: Command = {
  synopsis: '<KEY> [--as <incident manager email>]',
  summary: 'Acknowledge an incident: someone is in charge (stops the paging).',
  help: `Options:
  --as <email>   who takes charge as incident manager (default: you, as the API authenticates you)`,
  async run(args, io) {
    const { values, positionals } = parse(args, { as: { type: 'string' } });
    const key = incidentKey('acknowledge', acknowledge, positionals);
    const r = await respond(io, key, 'acknowledge', { incidentManager: values.as });
    io.out(
      r.outcome === 'acknowledged'
        ? `${key} acknowledged: ${r.acknowledgedBy} is in charge`
        : `${key} was already acknowledged by ${r.acknowledgedBy}`,
    );
    return 0;
  },
};

const count = (v?: string) => (v === undefined ? undefined : v === 'unknown' ? 'unknown' : Number(v));

const update: Command = {
  synopsis:
    '<KEY> --summary <text> --status <bullet>... --next <bullet>... --impact <text> --internal <n|unknown> --external <n|unknown> --root-cause <text> --eta <time|"no ETA"> --next-update <time> [--external-text <text>] [--as <person>]',
  summary: 'Send an update to the internal (and, with --external-text, external) lists.',
  help: `Options:
  --summary <text>          1-2 sentences
  --status <bullet>         what is being done (repeat for each bullet)
  --next <bullet>           the next steps (repeat for each bullet)
  --impact <text>           the customer impact now
  --internal <n|unknown>    internal customers affected
  --external <n|unknown>    external customers affected
  --root-cause <text>       or "currently unknown"
  --eta <time|"no ETA">     when it is expected to be fixed
  --next-update <time>      when the next update is due ("30 minutes", "+30", ISO)
  --external-text <text>    a short public text for the external lists and the status page
${AS_HELP}

${TIMES}`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      summary: { type: 'string' },
      status: { type: 'string', multiple: true },
      next: { type: 'string', multiple: true },
      impact: { type: 'string' },
      internal: { type: 'string' },
      external: { type: 'string' },
      'root-cause': { type: 'string' },
      eta: { type: 'string' },
      'next-update': { type: 'string' },
      'external-text': { type: 'string' },
      ...AS_OPTION,
    });
    const key = incidentKey('update', update, positionals);
    const eta =
      values.eta === undefined || /^no eta$/i.test(values.eta) ? values.eta : timeArg(values.eta, 'future');
    const r = await respond(io, key, 'updates', {
      summary: values.summary,
      status: values.status,
      nextSteps: values.next,
      impact: values.impact,
      customers:
        values.internal !== undefined || values.external !== undefined
          ? { internal: count(values.internal), external: count(values.external) }
          : undefined,
      rootCause: values['root-cause'],
      eta,
      nextUpdateAt: timeArg(values['next-update'], 'future'),
      external: values['external-text'],
      by: values.as,
    });
    io.out(`${key}: update ${r.sequence} sent; next update due ${r.nextUpdateDue}`);
    return 0;
  },
};

const severity: Command = {
  synopsis: '<KEY> <1|2|3> --reason <text> [--as <person>]',
  summary: "Change an incident's severity.",
  help: `Options:
  --reason <text>           why (on the timeline and in the comms)
${AS_HELP}`,
  async run(args, io) {
    const { values, positionals } = parse(args, { reason: { type: 'string' }, ...AS_OPTION });
    const key = incidentKey('severity', severity, positionals);
    const level = positionals[1];
    const r = await respond(io, key, 'severity', {
      severity: level === undefined ? undefined : Number(level),
      reason: values.reason,
      by: values.as,
    });
    io.out(r.changed ? `${key} is now Sev ${r.severity}` : `${key} was already Sev ${r.severity}`);
    return 0;
  },
};

const roles: Command = {
  synopsis:
    '<KEY> [--im <email>] [--tech-lead <email>]... [--comms <email>] [--chat-room <url>] [--video <url>] [--state-doc <url>] [--as <person>]',
  summary: "Set an incident's roles and meeting places (each person named is mailed their responder link).",
  help: `Options:
  --im <email>          the incident manager
  --tech-lead <email>   a tech lead (repeat for each)
  --comms <email>       the communications manager
  --chat-room <url>     the chat room's link ("" clears it)
  --video <url>         the video call's link ("" clears it)
  --state-doc <url>     the state document's link ("" clears it)
${AS_HELP}`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      im: { type: 'string' },
      'tech-lead': { type: 'string', multiple: true },
      comms: { type: 'string' },
      'chat-room': { type: 'string' },
      video: { type: 'string' },
      'state-doc': { type: 'string' },
      ...AS_OPTION,
    });
    const key = incidentKey('roles', roles, positionals);
    const place = (v: string | undefined) =>
      v === undefined ? undefined : v.trim() === '' ? null : v.trim();
    const r = await respond(io, key, 'roles', {
      incidentManager: values.im,
      techLeads: values['tech-lead'],
      commsManager: values.comms,
      chatRoomUrl: place(values['chat-room']),
      videoUrl: place(values.video),
      stateDocumentUrl: place(values['state-doc']),
      by: values.as,
    });
    io.out(`${key} roles: ${JSON.stringify(r.roles)}`);
    const m = r.meeting as Record<string, string | null> | undefined;
    if (m && (values['chat-room'] ?? values.video ?? values['state-doc']) !== undefined)
      io.out(
        `${key} meeting places: chat room ${m.chatRoomUrl ?? '-'}, video ${m.videoUrl ?? '-'}, state document ${m.stateDocumentUrl ?? '-'}`,
      );
    return 0;
  },
};

const resolve: Command = {
  synopsis:
    '<KEY> --support-cases <n> [--impact-start <time>] [--impact-end <time>] [--postmortem] [--summary <text>] [--false-alarm | --duplicate-of <KEY>] [--as <person>]',
  summary: 'Resolve an incident (final comms; a postmortem for sev 1-2, or on request).',
  help: `Options:
  --support-cases <n>     support cases raised about it
  --impact-start <time>   correct when impact started
  --impact-end <time>     when impact ended (default: now)
  --postmortem            ask for a postmortem where none is required (sev 3)
  --summary <text>        the resolution summary
  --false-alarm           there was no impact (no postmortem unless asked for)
  --duplicate-of <KEY>    it duplicates another incident (no postmortem unless asked for)
${AS_HELP}

${TIMES}`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      'support-cases': { type: 'string' },
      'impact-start': { type: 'string' },
      'impact-end': { type: 'string' },
      postmortem: { type: 'boolean' },
      summary: { type: 'string' },
      'false-alarm': { type: 'boolean' },
      'duplicate-of': { type: 'string' },
      ...AS_OPTION,
    });
    const key = incidentKey('resolve', resolve, positionals);
    if (values['false-alarm'] && values['duplicate-of'] !== undefined)
      throw usageError('resolve', resolve, 'resolve takes --false-alarm or --duplicate-of, not both');
    const r = await respond(io, key, 'resolve', {
      kind: values['false-alarm']
        ? 'false-alarm'
        : values['duplicate-of'] !== undefined
          ? 'duplicate'
          : undefined,
      duplicateOf: values['duplicate-of'],
      supportCases: values['support-cases'] === undefined ? undefined : Number(values['support-cases']),
      impactStartedAt: timeArg(values['impact-start'], 'past'),
      impactEndedAt: timeArg(values['impact-end'], 'past'),
      postmortem: values.postmortem,
      summary: values.summary,
      by: values.as,
    });
    const how =
      r.resolution === 'false-alarm'
        ? ' as a false alarm'
        : r.resolution === 'duplicate'
          ? ` as a duplicate of ${String(values['duplicate-of']).toUpperCase()}`
          : '';
    io.out(
      `${key} resolved${how}: impact ${r.impactStartedAt} -> ${r.impactEndedAt}; postmortem ${r.postmortem}`,
    );
    return 0;
  },
};

const measures: Command = {
  synopsis:
    '<KEY> [--impact-start <time>] [--detected <time>] [--impact-end <time>] --reason <text> [--as <person>]',
  summary:
    'Correct the measures after the fact (recorded as a correction on the timeline, never an overwrite).',
  help: `The SLO report and a draft postmortem use the corrected values; a published postmortem keeps its approved
text and shows the correction beside it.

Options:
  --impact-start <time>   when the impact really started
  --detected <time>       when it was really detected
  --impact-end <time>     when the impact really ended (resolved incidents)
  --reason <text>         why (on the timeline)
${AS_HELP}

${TIMES}`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      'impact-start': { type: 'string' },
      detected: { type: 'string' },
      'impact-end': { type: 'string' },
      reason: { type: 'string' },
      ...AS_OPTION,
    });
    const key = incidentKey('measures', measures, positionals);
    const r = await respond(io, key, 'measures', {
      impactStartedAt: timeArg(values['impact-start'], 'past'),
      detectedAt: timeArg(values.detected, 'past'),
      impactEndedAt: timeArg(values['impact-end'], 'past'),
      reason: values.reason,
      by: values.as,
    });
    for (const c of r.changes as { field: string; from?: string; to: string }[])
      io.out(`${key}: ${c.field} ${c.from ?? '(none)'} -> ${c.to}`);
    return 0;
  },
};

export const incidentCommands: Record<string, Command> = {
  declare,
  list,
  show,
  acknowledge,
  update,
  severity,
  roles,
  resolve,
  measures,
};
