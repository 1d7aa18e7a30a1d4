import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { functionDeclarations } from '../../functions/handlers/capabilities.ts';
import { synthesize } from '../../infra/local/synth.ts';
import { benchBundles, targets } from './bundles.ts';
import {
  assumedFiring,
  assumptions,
  fixedCosts,
  formatPrice,
  formatSmallUsd,
  formatUsd,
  idleLine,
  idleTargetUsd,
  incidentCost,
  outsideCosts,
  PRICES_READ_ON,
  prices,
  scheduleCost,
  schedulesOf,
  stepFunctionsLogLevel,
  sum,
  type Template,
} from './cost.ts';
import { measureIdleFirings, measureIncident } from './cost-usage.ts';
import { benchLinkConcurrency, benchLinks, concurrencyConfig, linksConfig, linksTable } from './links.ts';
import {
  benchReport,
  lambdaEstimate,
  lambdaSeconds,
  mb,
  reportConfig,
  reportTable,
  reportTargets,
} from './report.ts';
import { benchStorm, stormConfig, stormSummaries, stormTable, stormTargets } from './storm.ts';
import { benchPublishedTransitions, benchTransitions, transitionTarget } from './transitions.ts';

/**
 * `npm run bench`: benchmarks reported as ratios to baselines measured in the same run (never in npm test).
 * `npm run bench -- storm` (or `bundles`, `links`, `concurrency`, `transitions`, `report`, `cost`) runs only the
 * named ones.
 */

const sections = ['bundles', 'storm', 'links', 'concurrency', 'transitions', 'report', 'cost'] as const;
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(sections as readonly string[]).includes(name));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')} (known: ${sections.join(', ')})`);
  process.exit(2);
}
const wanted = (name: (typeof sections)[number]) => asked.length === 0 || asked.includes(name);

const root = resolve(import.meta.dirname, '..', '..');
const work = join(root, '.local', 'bench');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// Quiet: the bundler's lines for every function would bury the results (esbuild's warnings still print).
const assemblyDir = await synthesize({ outdir: join(work, 'cdk.out'), quiet: true });
let failed = false;

if (wanted('bundles')) {
  console.log('\n== Function bundles: size and module init (fresh Node process, median of 21) ==');
  console.log(
    `targets: bundle <= ${targets.maxBundleBytes / 1024} KB minified; init ratio <= ${targets.maxInitRatio}\n`,
  );
  const rows = await benchBundles(assemblyDir, 'Hotline');
  console.table(
    rows.map((r) => ({
      function: r.name,
      'bundle KB': (r.bytes / 1024).toFixed(1),
      'at start KB': (r.entryBytes / 1024).toFixed(1),
      'init ms': r.initMs.toFixed(1),
      'SDK-only ms': r.baselineMs.toFixed(1),
      ratio: r.ratio.toFixed(2),
      'SDK clients': r.sdkPackages.map((p) => p.replace('@aws-sdk/', '')).join(' '),
      result: r.ok ? 'ok' : 'OVER TARGET',
    })),
  );
  if (rows.some((r) => !r.ok)) failed = true;
}

if (wanted('storm')) {
  const storm = stormConfig;
  console.log(
    `\n== Alert storm: ${storm.groups * storm.deliveriesPerGroup} Alertmanager deliveries in ${storm.groups} groups, ${storm.inFlight} in flight, loopback HTTP ==`,
  );
  console.log(
    `runs: ${storm.runs.map((r) => r.label).join(', ')} (faults: that fraction of the functions' DynamoDB and Step Functions calls fail)`,
  );
  console.log(
    `targets: incidents = executions = pages = ${storm.groups}, 0 alerts lost, in every pair; the median of ${storm.pairs} pairs of deliveries/s / conditional UpdateItem/s (${storm.inFlight} in flight, same dynalite, same pair) >= ${stormTargets.minRatio}\n`,
  );
  const stormRuns = await benchStorm(assemblyDir, 'Hotline', work, {
    ...storm,
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  console.table(stormTable(stormRuns));
  for (const run of stormRuns) {
    if (run.findings.length > 0) {
      console.log(`${run.label}:`);
      for (const finding of run.findings) console.log(`  ${finding}`);
    }
    const warnings = Object.entries(run.functionWarnings).sort((a, b) => b[1] - a[1]);
    if (warnings.length > 0) {
      console.log(`${run.label}: the functions logged`);
      for (const [message, n] of warnings.slice(0, 6)) console.log(`  ${String(n).padStart(6)}  ${message}`);
    }
  }
  const summaries = stormSummaries(stormRuns, storm);
  console.table(
    summaries.map((s) => ({
      run: s.label,
      'ratios of the pairs': s.ratios.map((r) => r.toFixed(2)).join(', '),
      'median ratio': s.medianRatio.toFixed(2),
      'counts exact in every pair': s.countsExact ? 'yes' : 'NO',
      result: s.ok ? 'ok' : 'MISSED',
    })),
  );
  if (summaries.some((s) => !s.ok)) failed = true;
}

if (wanted('links')) {
  const total = Object.values(linksConfig.kinds).reduce((n, k) => n + k, 0);
  console.log(
    `\n== Approval links fuzzed: ${total} generated requests (seed ${linksConfig.seed}), ${linksConfig.inFlight} in flight, loopback HTTP ==`,
  );
  console.log(
    `targets: >= ${linksConfig.minRequests} requests; 0 decisions accepted (pages and records), fixtures unchanged; every refusal a 4xx; 0 5xx, 0 unanswered\n`,
  );
  const links = await benchLinks(assemblyDir, linksConfig, (line) => process.stderr.write(`${line}\n`));
  console.table(linksTable(links));
  const refused2xx = Object.entries(links.refusedWith2xx);
  console.log(
    `requests: ${links.requests} in ${links.seconds.toFixed(1)} s (${(links.requests / links.seconds).toFixed(0)}/s); ` +
      `decisions accepted: ${links.decidedPages} pages, ${links.decisionsRecorded} recorded (target 0); ` +
      `5xx: ${links.serverErrors} (target 0); unanswered: ${links.noAnswer}; ` +
      `fixtures changed: ${links.fixturesChanged.length === 0 ? 'none' : links.fixturesChanged.join('; ')} ` +
      `${links.ok ? 'ok' : 'MISSED'}`,
  );
  // Every refusal is a 4xx (the issue: "refuse with a clear page and a 4xx"), a used link included.
  if (refused2xx.length > 0) {
    console.log(
      `MISSED: refused with a 2xx page (not a decision): ${refused2xx.map(([kind, n]) => `${kind} ${n}`).join(', ')}`,
    );
  }
  if (!links.ok || refused2xx.length > 0) failed = true;
}

if (wanted('concurrency')) {
  console.log(
    `\n== One approval link posted ${concurrencyConfig.posts} times at once (its confirm page's body, one socket each) ==`,
  );
  console.log(
    `targets: 1 decision page and 1 decision recorded; ${concurrencyConfig.posts - 1} told it was already decided; 0 5xx\n`,
  );
  const c = await benchLinkConcurrency(assemblyDir, concurrencyConfig);
  console.log(
    `statuses: ${Object.entries(c.byStatus)
      .map(([status, n]) => `${status} x${n}`)
      .join(', ')}; decision pages: ${c.decidedPages}; "already decided" pages: ${c.alreadyDecidedPages}; ` +
      `other pages: ${c.otherPages}; 5xx or unanswered: ${c.serverErrors}; ` +
      `approvals.decisions: ${c.decisionsRecorded}; all answered in ${c.seconds.toFixed(2)} s ${c.ok ? 'ok' : 'MISSED'}`,
  );
  if (!c.ok) failed = true;
}

if (wanted('transitions')) {
  for (const severity of [2, 3] as const) {
    console.log(
      `\n== Step Functions transitions: a sev ${severity} incident, acknowledged${severity === 3 ? ' by its team' : ''}, three on-time updates, resolved ==`,
    );
    const transitions = await benchTransitions(assemblyDir, severity);
    console.table(Object.entries(transitions.byState).map(([state, entered]) => ({ state, entered })));
    console.log(
      `transitions: ${transitions.transitions} (target <= ${transitionTarget}) ${transitions.ok ? 'ok' : 'OVER TARGET'}; ` +
        `Lambda tasks: ${transitions.lambdaTasks}; Step Functions cost per 1,000 such incidents: ` +
        `$${transitions.dollarsPer1000Incidents.toFixed(3)} (Standard, $0.025 per 1,000 transitions)`,
    );
    if (!transitions.ok) failed = true;
  }
  console.log(
    '\n== Step Functions transitions: a sev 2 from its Alertmanager alert to its published postmortem (acknowledged, three updates, resolved, two owner reminders, one request for changes, approved) ==',
  );
  const published = await benchPublishedTransitions(assemblyDir);
  console.table(Object.entries(published.byState).map(([state, entered]) => ({ state, entered })));
  console.log(
    `transitions: ${published.transitions} (target <= ${transitionTarget}) ${published.ok ? 'ok' : 'OVER TARGET'}; ` +
      `Lambda tasks: ${published.lambdaTasks}; Step Functions cost per 1,000 such incidents: ` +
      `$${published.dollarsPer1000Incidents.toFixed(3)} (Standard, $0.025 per 1,000 transitions)`,
  );
  if (!published.ok) failed = true;
}

if (wanted('report')) {
  const c = reportConfig;
  console.log(
    `\n== SLO report of a whole year: ${c.incidents.toLocaleString('en')} incidents, ${c.postmortems.toLocaleString('en')} postmortems, ${c.actions.toLocaleString('en')} actions (scale ${c.scale}${c.scale === 1 ? ', the spec' : ', HOTLINE_REPORT_BENCH_SCALE'}), local dynalite ==`,
  );
  console.log(
    `targets: report / raw paginated Query of the same ranges (same table, same run, medians of ${c.runs}) <= ${reportTargets.maxRatio}; ` +
      `items read <= ${reportTargets.maxReadFactor}x the items covered; heap growth at full size <= ${reportTargets.maxMemoryGrowth}x that at a tenth (+ ${mb(reportTargets.memorySlackBytes)})\n`,
  );
  const tty = process.stderr.isTTY;
  let lastTenth = -1;
  const r = await benchReport(assemblyDir, 'Hotline', c, (line, final) => {
    if (tty) process.stderr.write(`\r${line}${final ? '\n' : ''}`);
    else {
      const tenth = Number(/(\d+)%/.exec(line)?.[1] ?? 0) / 10;
      if (Math.floor(tenth) > lastTenth || final) {
        lastTenth = Math.floor(tenth);
        process.stderr.write(`${line}\n`);
      }
    }
  });
  console.table(reportTable(r));
  console.log(
    `seeded: ${Object.entries(r.full.seeded.byStatus)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}; period ${r.period.from} to ${r.period.to}`,
  );
  console.log(
    `seeding: ${r.full.seeded.items.toLocaleString('en')} items in ${r.full.seeded.seconds.toFixed(1)} s ` +
      `(${(r.full.seeded.items / r.full.seeded.seconds).toFixed(0)}/s, BatchWriteItem 25 per call, ${c.inFlight} in flight); ` +
      `report ${r.full.reportMedianMs.toFixed(0)} ms (runs ${r.full.measured.reportMs.map((ms) => ms.toFixed(0)).join(', ')}), ` +
      `raw Query ${r.full.rawMedianMs.toFixed(0)} ms (runs ${r.full.measured.rawMs.map((ms) => ms.toFixed(0)).join(', ')})`,
  );
  console.log(
    `ratio: ${r.full.ratio.toFixed(2)} (target <= ${reportTargets.maxRatio}) ${r.full.ratio <= reportTargets.maxRatio ? 'ok' : 'MISSED'}; ` +
      `items read: ${r.full.measured.reportItems.toLocaleString('en')} for ${r.full.seeded.covered.toLocaleString('en')} covered = ${r.full.readFactor.toFixed(2)}x ` +
      `(target <= ${reportTargets.maxReadFactor}x) ${r.full.readFactor <= reportTargets.maxReadFactor ? 'ok' : 'MISSED'}`,
  );
  console.log(
    `memory: ${r.gc ? 'retained heap (GC forced at every page)' : 'sampled heap peak (no --expose-gc)'} grew ` +
      `${mb(r.gc ? r.full.measured.retainedPeakBytes : r.full.measured.sampledPeakBytes)} at full size, ` +
      `${mb(r.gc ? r.small.measured.retainedPeakBytes : r.small.measured.sampledPeakBytes)} at a tenth (${r.memoryGrowth.toFixed(2)}x for 10x the items; ` +
      `the covered items are ${mb(r.full.seeded.coveredBytes)} of JSON); sampled peak without GC ${mb(r.full.measured.sampledPeakBytes)} and ${mb(r.small.measured.sampledPeakBytes)}`,
  );
  // The function sizes (functions/handlers/capabilities.ts) come from this: the year's CPU time here, stretched
  // by the CPU share Lambda gives each memory size, plus DynamoDB's latency per Query page.
  const cpuMs = r.full.reportCpuMedianMs;
  const queries = r.full.measured.reportQueries;
  console.log(
    `CPU: the year's report used ${cpuMs.toFixed(0)} ms of CPU (runs ${r.full.measured.reportCpuMs.map((ms) => ms.toFixed(0)).join(', ')}) over ${queries} Query pages; ` +
      `on Lambda (memory / 1769 of a vCPU, + ${lambdaEstimate.pageLatencyMs} ms a page): ` +
      lambdaEstimate.memoriesMb
        .map((memory) => `${memory} MB ~${lambdaSeconds(cpuMs, queries, memory).toFixed(1)} s`)
        .join(', '),
  );
  for (const [id, declaration] of Object.entries(functionDeclarations).filter(([id]) =>
    ['Reports', 'RunSloReport', 'SendSloReports'].includes(id),
  )) {
    const d = declaration as { memoryMb?: number; timeoutSeconds?: number; kind: string };
    const memory = d.memoryMb ?? 512;
    const timeout = d.timeoutSeconds ?? (d.kind === 'api' ? 29 : 60);
    console.log(
      `  ${id}: ${memory} MB, timeout ${timeout} s: a year here would take ~${lambdaSeconds(cpuMs, queries, memory).toFixed(1)} s`,
    );
  }
  for (const finding of r.findings) console.log(finding);
  if (!r.ok) failed = true;
}

if (wanted('cost')) {
  const template = JSON.parse(readFileSync(join(assemblyDir, 'Hotline.template.json'), 'utf8')) as Template;
  console.log(
    `\n== Cost of a month with no incident: the synthesized template at us-east-1 list prices read on ${PRICES_READ_ON}, no free tiers ==`,
  );
  console.log(`target: idle cost per month <= ${formatUsd(idleTargetUsd)}\n`);
  const fixed = fixedCosts(template);
  console.table(
    fixed.items.map((i) => ({
      item: i.item,
      count: i.count,
      'unit price': formatPrice(i.unit),
      'price read on': i.unit.usd === 0 ? '' : i.unit.readOn,
      'per month': formatUsd(i.monthlyUsd),
      note: i.note ?? '',
    })),
  );
  for (const unknown of fixed.unknowns) console.log(`not priced: ${unknown}`);
  if (fixed.unpricedKinds.length > 0)
    console.log(`kinds the model has no price for (assumed $0): ${fixed.unpricedKinds.join(', ')}`);
  console.log(`fixed: ${formatUsd(fixed.monthlyUsd)} a month`);

  const a = assumptions;
  console.log(
    `\nSchedules firing for a 30-day month, each firing measured once on the local target with an empty table ` +
      `(what the function logs, its custom metrics, DynamoDB request units, mails). Assumed: ` +
      `${a.idleDurationMs} ms billed per firing, + ${a.initDurationMs} ms init when the schedule fires less often than every ${a.coldWhenIntervalOverMinutes} min; ` +
      `${a.platformLogBytes} bytes of Lambda's START/END/REPORT lines per invocation; reads under 4 KB (1 RRU), writes under 1 KB (1 WRU); ` +
      `every firing of a traced function recorded by X-Ray (default sampling keeps the first request each second).`,
  );
  const schedules = schedulesOf(template, new Date());
  const measured = await measureIdleFirings(assemblyDir, template);
  const costs = schedules.map((schedule) => {
    const firing = measured.find((m) => m.logicalId === schedule.logicalId);
    if (firing?.error)
      console.log(`${schedule.logicalId}: the measured firing failed (${firing.error}); priced as assumed`);
    return scheduleCost(schedule, firing?.usage ?? assumedFiring);
  });
  console.table(
    costs.map((c) => ({
      schedule: c.logicalId,
      expression: c.expression,
      'firings/month': Number(c.firingsPerMonth.toFixed(1)),
      target: c.target,
      'logged B': c.usage.logBytes,
      'custom metrics': c.usage.metrics.length,
      'RRU/WRU': `${c.usage.readUnits}/${c.usage.writeUnits}`,
      mails: c.usage.emails,
      measured: c.usage.measured ? 'yes' : 'ASSUMED',
    })),
  );
  console.table(
    costs.map((c) => ({
      schedule: c.logicalId,
      Scheduler: formatSmallUsd(c.scheduler),
      'Lambda requests': formatSmallUsd(c.requests),
      'Lambda duration': formatSmallUsd(c.duration),
      'Logs ingested+stored': formatSmallUsd(c.logs),
      'X-Ray traces': formatSmallUsd(c.traces),
      'custom metrics': formatSmallUsd(c.metrics),
      DynamoDB: formatSmallUsd(c.dynamoDb),
      SES: formatSmallUsd(c.email),
      'per month': formatSmallUsd(c.monthlyUsd),
    })),
  );
  for (const c of costs.filter((c) => c.usage.metrics.length > 0))
    console.log(
      `${c.logicalId} publishes at every firing, even with nothing to count: ${c.usage.metrics.join(', ')}`,
    );
  const schedulesUsd = sum(costs.map((c) => c.monthlyUsd));
  console.log(`schedules: ${formatUsd(schedulesUsd)} a month`);
  console.log(
    `costs outside the template: ${
      outsideCosts.length === 0
        ? 'none'
        : outsideCosts.map((o) => `${o.item} ${formatUsd(o.monthlyUsd)} a month (${o.source})`).join('; ')
    }`,
  );
  const idleUsd = fixed.monthlyUsd + schedulesUsd;
  console.log(idleLine(fixed.monthlyUsd, schedulesUsd));
  const idleOk = Number(idleUsd.toFixed(2)) <= idleTargetUsd;
  console.log(`idle target: <= ${formatUsd(idleTargetUsd)} ${idleOk ? 'ok' : 'OVER TARGET'}`);
  if (!idleOk) failed = true;

  console.log(
    '\n== Cost per 1,000 sev 2 incidents from the Alertmanager alert to the published postmortem (the transitions flow: acknowledged, three updates, resolved, two owner reminders, one request for changes, approved), measured on the local target ==',
  );
  console.log(
    `assumed: ${a.incidentDurationMs} ms billed per invocation; ${a.platformLogBytes} bytes of Lambda lines per invocation; ` +
      `${a.stepFunctionsLogRecordBytes} bytes per Step Functions log record (level ${stepFunctionsLogLevel(template)}); ` +
      `${a.apiAccessLogBytes} bytes per API access log line; ` +
      'every invocation of a traced function one trace; reads under 4 KB, writes under 1 KB\n',
  );
  const incident = await measureIncident(assemblyDir, stepFunctionsLogLevel(template));
  const lines = incidentCost(template, incident.usage);
  console.table(
    lines.map((l) => ({
      part: l.part,
      'per 1,000 incidents': Number(l.quantity.toPrecision(6)).toLocaleString('en'),
      'unit price': formatPrice(l.unit),
      cost: formatSmallUsd(l.usd),
    })),
  );
  console.log(
    `invocations per incident: ${Object.entries(incident.usage.invocations)
      .sort((x, y) => y[1] - x[1])
      .map(([id, n]) => `${id.replace(/[0-9A-F]{8}$/, '')} ${n}`)
      .join(', ')}`,
  );
  console.log(
    `cost per 1,000 sev 2 incidents (alert to published postmortem): ${formatUsd(sum(lines.map((l) => l.usd)))}`,
  );
  console.log('\nprices (us-east-1 list prices, no free tiers):');
  console.table(
    Object.values(prices).map((p) => ({ price: formatPrice(p), 'read on': p.readOn, source: p.source })),
  );
}

console.log(failed ? '\nbench: some targets missed' : '\nbench: all targets met');
process.exitCode = failed ? 1 : 0;
