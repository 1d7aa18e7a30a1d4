import { rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ConfigurationError, type Organisation } from '../../functions/core/config.ts';
import { loadOrganisation } from '../config.ts';
import { alertSourceParameterName, alertSources } from '../constructs/secrets.ts';
import { CustomResourceError } from './custom-resources.ts';
import { endpointEnvironment } from './functions.ts';
import { PolicyProblemsError } from './iam/local-iam.ts';
import { synthesize } from './synth.ts';
import {
  checkDataDir,
  checkPorts,
  DataDirInUseError,
  type LocalTarget,
  PortInUseError,
  type Service,
  startLocalTarget,
} from './target.ts';
import { TemplateError } from './template.ts';

/**
 * `npm start`: the whole system on this machine. Validates the organisation, synthesizes the real stack into
 * .local/cdk.out, and runs it on the local stand-ins with its data in .local/data (kept across restarts).
 * It prints what a user needs (the URLs, the token, a ready-to-paste curl); `npm start -- --verbose` (or
 * HOTLINE_VERBOSE=1) adds the bundler's lines for every function.
 */

const root = resolve(import.meta.dirname, '../..');
const localDir = join(root, '.local');
const portVariables: Record<Service, [variable: string, fallback: number]> = {
  api: ['HOTLINE_API_PORT', 3000],
  ses: ['HOTLINE_SES_PORT', 8005],
  aws: ['HOTLINE_AWS_PORT', 4599],
  dynamodb: ['HOTLINE_DYNAMODB_PORT', 8000],
};

class StartError extends Error {}

function ports(): Record<Service, number> {
  const out = {} as Record<Service, number>;
  for (const [service, [variable, fallback]] of Object.entries(portVariables) as Array<
    [Service, [string, number]]
  >) {
    const text = process.env[variable];
    const port = text === undefined || text === '' ? fallback : Number(text);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new StartError(`${variable}=${text} is not a port number`);
    out[service] = port;
  }
  return out;
}

/** `--verbose` (or HOTLINE_VERBOSE=1): also print the bundler's lines for every function. */
function verbose(args: string[]): boolean {
  const unknown = args.filter((a) => a !== '--verbose');
  if (unknown.length > 0)
    throw new StartError(`npm start: unknown option ${unknown.join(' ')} (known: --verbose)`);
  const env = process.env.HOTLINE_VERBOSE;
  return args.includes('--verbose') || (env !== undefined && !['', '0', 'false'].includes(env.toLowerCase()));
}

/**
 * HOTLINE_TIME_SCALE: multiplies every Wait and every human wait's timeout in the workflows (reminders,
 * escalations, update and postmortem reminders), so a day-long wait takes 86 s at 0.001. Never above 1: slowing
 * the workflows down has no use, and would hide a typo such as 1000.
 */
function timeScale(): number | undefined {
  const text = process.env.HOTLINE_TIME_SCALE;
  if (text === undefined || text.trim() === '') return undefined;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1)
    throw new StartError(
      `HOTLINE_TIME_SCALE=${text} is not a factor above 0 and at most 1 (e.g. 0.001: a day's wait takes 86 s)`,
    );
  return scale;
}

async function main(): Promise<void> {
  const host = process.env.HOTLINE_HOST ?? '127.0.0.1';
  const chosen = ports();
  const waitScale = timeScale();
  const loud = verbose(process.argv.slice(2));
  const { organisation, path } = await loadOrganisation();
  await checkPorts(host, chosen);
  const dataDir = join(localDir, 'data');
  checkDataDir(dataDir);
  console.log(`Organisation: ${relative(process.cwd(), path)}`);
  console.log('Synthesizing the stack (bundling the functions)...');
  const outdir = join(localDir, 'cdk.out');
  // A fresh assembly each start: CDK never removes the bundles of earlier builds.
  rmSync(outdir, { recursive: true, force: true });
  const assemblyDir = await synthesize({ outdir, organisation, quiet: !loud });
  // While starting, the functions that run are the template's custom resources (the credentials): their log
  // lines (`[Function] {json}`) are for --verbose; from the banner on, every function's lines are printed.
  let starting = !loud;
  const target = await startLocalTarget({
    assemblyDir,
    stackName: 'Hotline',
    dataDir,
    host,
    ports: chosen,
    log: (line) => {
      if (!(starting && /^\[[A-Za-z0-9]+\] \{/.test(line))) console.log(line);
    },
    ...(waitScale !== undefined ? { waitScale } : {}),
    // As a new AWS account: a hard bounce or a complaint puts the address on the suppression list.
    sesSuppressedReasons: ['BOUNCE', 'COMPLAINT'],
  });
  starting = false;
  printBanner(target, organisation, waitScale);
  handleSignals(target);
}

function printBanner(target: LocalTarget, organisation: Organisation, waitScale?: number): void {
  const { urls } = target;
  const region = target.model.region;
  const env = {
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: region,
    ...endpointEnvironment(urls),
  };
  const lines = [
    '',
    `Hotline is running locally (data in ${relative(process.cwd(), join(localDir, 'data'))}, kept across restarts)`,
    '',
    `  API           ${urls.api}`,
    `  Mail viewer   ${urls.ses}`,
    `  Texts, calls  ${urls.ses}/messages`,
    `  AWS endpoint  ${urls.aws}   (Step Functions, SSM Parameter Store, Lambda Invoke, SMS and voice)`,
    `  DynamoDB      ${urls.dynamodb}`,
    '',
    'Operator token (operator routes, e.g. GET /incidents, take it instead of AWS IAM):',
    `  export HOTLINE_TOKEN=${target.operatorToken}`,
    `  curl -H "Authorization: Bearer $HOTLINE_TOKEN" ${urls.api}/incidents`,
    '',
    target.iam.mode === 'enforce'
      ? 'IAM: enforced from the template (each function calls as local-<FunctionId>; a denial is logged as [iam] denied)'
      : 'IAM: REPORT ONLY (HOTLINE_IAM=report): denials are logged and let through, unlike AWS',
    '  npm run iam:unused   lists the grants no call has used so far',
    '',
    ...(waitScale !== undefined
      ? [
          `Time scale: ${waitScale} (HOTLINE_TIME_SCALE): workflow waits and reminders run ${formatFactor(1 / waitScale)}x faster; a day's wait takes ${formatDuration(86_400 * waitScale)}`,
          '',
        ]
      : []),
    'AWS CLI / SDK against the local target (the key "local" is the administrator\'s: not checked):',
    ...Object.entries(env).map(([k, v]) => `  export ${k}=${v}`),
    ...target.stateMachines.map((arn) => `  aws stepfunctions list-executions --state-machine-arn ${arn}`),
  ];
  // Each source's credential is the `current` value of its SecureString parameter, as on AWS.
  const parameters = target.parameters;
  const path = alertSourceParameterName(target.model.stackName, '<source>');
  lines.push('', `Alert source credentials (aws ssm get-parameter --with-decryption --name ${path}):`);
  for (const source of alertSources) {
    const value = parameters[alertSourceParameterName(target.model.stackName, source)];
    if (value === undefined) continue;
    const credential = currentValue(value);
    lines.push('', `Alert source "${source}": credential ${credential}`);
    if (source === 'alertmanager') lines.push(...alertmanagerExample(urls.api, credential, organisation));
    else lines.push(`  POST ${urls.api}/alerts/${source}`);
  }
  lines.push('', 'Ctrl-C stops (the data stays).', '');
  console.log(lines.join('\n'));
}

function formatFactor(factor: number): string {
  return Number(factor.toPrecision(3)).toLocaleString('en-US');
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Number(seconds.toPrecision(3))} s`;
  if (seconds < 3600) return `${Number((seconds / 60).toPrecision(3))} min`;
  return `${Number((seconds / 3600).toPrecision(3))} h`;
}

function currentValue(secret: string): string {
  try {
    const parsed = JSON.parse(secret) as { current?: unknown };
    return typeof parsed.current === 'string' ? parsed.current : secret;
  } catch {
    return secret;
  }
}

function alertmanagerExample(api: string, credential: string, organisation: Organisation): string[] {
  const service = Object.keys(organisation.services)[0] ?? organisation.defaultService;
  const now = new Date().toISOString();
  const body = JSON.stringify({
    version: '4',
    groupKey: 'hotline-example',
    status: 'firing',
    receiver: 'hotline',
    groupLabels: { alertname: 'HighErrorRate' },
    commonLabels: { alertname: 'HighErrorRate', service, severity: 'critical' },
    commonAnnotations: { summary: 'Error rate above 5%' },
    externalURL: 'http://alertmanager.example.com',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'HighErrorRate', service, severity: 'critical' },
        annotations: { summary: 'Error rate above 5%' },
        startsAt: now,
        fingerprint: 'f00dfeed12345678',
      },
    ],
  });
  return [
    `  curl -X POST ${api}/alerts/alertmanager \\`,
    `    -H "Authorization: Bearer ${credential}" \\`,
    `    -H 'content-type: application/json' \\`,
    `    -d '${body}'`,
  ];
}

function handleSignals(target: LocalTarget): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      console.log('\nForced exit.');
      process.exit(130);
    }
    stopping = true;
    console.log(`\n${signal}: stopping (Ctrl-C again to force)...`);
    target.stop().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`Stopped with an error: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof PortInUseError) {
    console.error(`port ${error.port} is in use: set ${portVariables[error.service][0]}`);
  } else if (
    error instanceof ConfigurationError ||
    error instanceof DataDirInUseError ||
    error instanceof StartError ||
    error instanceof TemplateError ||
    error instanceof PolicyProblemsError ||
    error instanceof CustomResourceError
  ) {
    console.error(error.message);
  } else {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
  process.exit(1);
});
