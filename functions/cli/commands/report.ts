import { parseArgs } from 'node:util';
import type { SloReport as SloReportAnswer } from '../../core/report.ts';
import { answeredWith, CliError, type CliIo, call } from '../api.ts';
import { type Command, TIMES, timeArg } from '../args.ts';

/** `report`: the SLO report of a period beside the one before it. */

async function sloReport(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      service: { type: 'string' },
      department: { type: 'string' },
      mail: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.from === undefined || values.to === undefined)
    throw new CliError(`report needs --from and --to (incident report --help)`);
  if (values.service !== undefined && values.department !== undefined)
    throw new CliError(`report takes --service or --department, not both (incident report --help)`);
  const body: Record<string, unknown> = {
    from: timeArg(values.from, 'past'),
    to: timeArg(values.to, 'past'),
  };
  if (values.service !== undefined) body.service = values.service;
  if (values.department !== undefined) body.department = values.department;
  if (values.mail) body.mail = true;
  let result = await call(io, 'POST', '/reports/slo', body);
  if (answeredWith.get(result) === 202) result = await awaitReportRun(io, result);
  if (values.json) {
    io.out(JSON.stringify(result, null, 2));
    return 0;
  }
  const report = result.report as SloReportAnswer;
  const cur = report.current;
  const share = (c: { share?: number }) => (c.share === undefined ? 'n/a' : `${Math.round(c.share * 100)}%`);
  const minutes = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${Math.round(ms / 60_000)} min`);
  io.out(`SLO report ${cur.from} to ${cur.to} (previous: ${report.previous.incidents} incidents)`);
  io.out(
    `Incidents: ${cur.incidents} (sev 1: ${cur.bySeverity[1]}, sev 2: ${cur.bySeverity[2]}, sev 3: ${cur.bySeverity[3]}), ${cur.impactMinutes} min of impact`,
  );
  io.out(
    `Time to detect: median ${minutes(report.timeToDetect.current.medianMs)}, p90 ${minutes(report.timeToDetect.current.p90Ms)}; time to recover: median ${minutes(report.timeToRecover.current.medianMs)}, mean ${minutes(report.timeToRecover.current.meanMs)}`,
  );
  io.out(
    `Root causes not fixed (sev 1-2): ${report.rootCausesNotFixed.count}; priority actions open ${report.priorityActions.open}, due soon ${report.priorityActions.dueSoon}, overdue ${report.priorityActions.overdue}`,
  );
  io.out(
    `Conformance: acknowledged ${share(cur.conformance.acknowledged)}, first comms ${share(cur.conformance.firstComms)}, updates ${share(cur.conformance.updates)}, postmortems approved ${share(cur.conformance.postmortemApproved)}`,
  );
  for (const row of report.rootCausesNotFixed.rows) {
    io.out(
      `  ${row.key.padEnd(10)} sev ${row.severity} ${row.service.padEnd(14)} ${row.openPriorityActions} open, ${row.overdueDays} days overdue  ${row.ownerTeams.join(', ')}`,
    );
  }
  const mail = result.mail as { status: string; recipients: string[] } | undefined;
  if (mail)
    io.out(`Mail: ${mail.status}${mail.recipients.length ? ` to ${mail.recipients.join(', ')}` : ''}`);
  return 0;
}

/**
 * A long period's report is answered later: polls its run (`GET /reports/slo/{runId}`, which changes nothing)
 * every few seconds (HOTLINE_POLL_MS) until it answers 200, for up to HOTLINE_REPORT_WAIT_S (default 900).
 */
async function awaitReportRun(io: CliIo, started: Record<string, unknown>): Promise<Record<string, unknown>> {
  const location = String(started.location ?? `/reports/slo/${String(started.runId)}`);
  const pollMs = Number(io.env.HOTLINE_POLL_MS ?? '') || 3_000;
  const deadline = Date.now() + (Number(io.env.HOTLINE_REPORT_WAIT_S ?? '') || 900) * 1000;
  io.err(`The report runs in the background (${location}); waiting for it...`);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    const answer = await call(io, 'GET', location);
    if (answeredWith.get(answer) !== 202) return answer;
    if (Date.now() > deadline)
      throw new CliError(`the report is still running: ask again later with GET ${location}`);
  }
}

export const reportCommand: Command = {
  synopsis: '--from <time> --to <time> [--service <id> | --department <name>] [--mail] [--json]',
  summary: 'The SLO report of a period (to exclusive) beside the one before it.',
  help: `Options:
  --from, --to <time>   the period ("7 days" and "now", or ISO times)
  --service <id>        one service
  --department <name>   one department
  --mail                mail it (a department's to its managers, else to reports.recipients)
  --json                the report as the API answers it

A period over 31 days runs in the background and is waited for (up to HOTLINE_REPORT_WAIT_S, default 900 s).

${TIMES}`,
  run: sloReport,
};
