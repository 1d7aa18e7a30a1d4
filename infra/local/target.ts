import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join, resolve } from 'node:path';
import { administratorCheck, createAdminApi } from './admin-api.ts';
import { alarmsFromTemplate, LocalAlarms } from './alarms.ts';
import { createAwsApi } from './aws-api.ts';
import {
  CustomResourceResponses,
  createCustomResources,
  customResourcesFromTemplate,
} from './custom-resources.ts';
import { createDynalite, ensureTables, tablesFromTemplate } from './dynamodb.ts';
import {
  type FaultCounts,
  type FaultedService,
  FaultInjector,
  type FaultRates,
  isStepFunctionsCall,
  withFaults,
} from './faults.ts';
import { functionsFromTemplate, LambdaRuntime, type LocalFunction } from './functions.ts';
import { createHttpApi, routesFromTemplate } from './http-api.ts';
import type { IamEnforcer, IamMode } from './iam/enforcer.ts';
import { dynamoDbFront, type MailRefusal, sesFront } from './iam/fronts.ts';
import { iamModeFromEnv, LocalIam } from './iam/local-iam.ts';
import { LocalMailEvents, type MailOutcomeRule, mailEventDestinations } from './mail-events.ts';
import { createMailInbound, receiptRules } from './mail-inbound.ts';
import { LocalPhoneEvents, type PhoneOutcomeRule, phoneEventDestinations } from './phone-events.ts';
import { type LocalSchedule, Scheduler, type ScheduleTarget, schedulesFromTemplate } from './schedules.ts';
import { SecretStore } from './secrets.ts';
import { startSes } from './ses.ts';
import { LocalSesAccount, type SuppressionReason } from './ses-account.ts';
import {
  createMessagingAdmin,
  MessageArchive,
  publishInboundSms,
  serveViewerBeside,
  smsVoiceOperations,
  twoWaySmsTopicArn,
} from './sms-voice.ts';
import { ParameterStore } from './ssm.ts';
import {
  type StepFunctionsOptions,
  StepFunctionsService,
  stateMachinesFromTemplate,
} from './stepfunctions.ts';
import { LocalStreams } from './streams.ts';
import { type LocalUrls, loadAssembly, StackModel } from './template.ts';
import { LocalTopics, subscriptionsFromTemplate, topicKeyArn } from './topics.ts';

/**
 * The local target: the synthesized stack running on one machine. It reads the assembly, starts the stand-ins
 * (dynalite, aws-ses-v2-local, the local AWS endpoint, the HTTP API), then wires the template's functions,
 * routes, state machines, schedules, tables and secrets to them, and creates its custom resources (the
 * SecureString parameters) by running their functions as CloudFormation would.
 */

export type Service = 'api' | 'ses' | 'aws' | 'dynamodb';

export interface StartLocalTargetOptions extends StepFunctionsOptions {
  assemblyDir: string;
  stackName: string;
  dataDir: string;
  host?: string;
  /** 0 picks a free port. Defaults to 0 for every service. */
  ports?: Partial<Record<Service, number>>;
  log?: (line: string) => void;
  /**
   * Fails this fraction (0..1) of the functions' DynamoDB and Step Functions calls, half before and half after
   * the call takes effect (see faults.ts). Given at all (even `{}`), the functions reach DynamoDB through a
   * fault front on its own port and `setFaults` can change the fractions; `urls.dynamodb` stays fault-free.
   */
  faults?: FaultRates;
  /** Where the fault decisions come from (a seeded generator makes a test's faults repeatable). */
  faultRandom?: () => number;
  /**
   * IAM on the functions' calls, from the template's policies: `enforce` (the default, or HOTLINE_IAM) refuses
   * what AWS would refuse; `report` logs it and lets it through.
   */
  iam?: IamMode;
  /** Where the IAM usage (grants, and those calls used) is written. @default `<dataDir>/iam-usage.json` */
  iamUsageFile?: string;
  /**
   * Why SES puts an address on the account's suppression list (ses-account.ts): AWS gives a new account both,
   * and `npm start` passes both; none by default, so that tests bouncing an address on purpose do not mute it.
   */
  sesSuppressedReasons?: readonly SuppressionReason[];
}

export interface LocalTarget {
  urls: LocalUrls;
  /** The endpoints the functions call: DynamoDB and SES through fronts that authorise each call (IAM). */
  functionUrls: LocalUrls;
  operatorToken: string;
  /** Secret name -> current value (Secrets Manager secrets of the template, if it has any). */
  readonly secrets: Record<string, string>;
  /** SSM parameter name -> value (decrypted): what the stack's custom resources created, and any put since. */
  readonly parameters: Record<string, string>;
  /** Local table names. */
  tables: string[];
  /** Local state machine ARNs. */
  stateMachines: string[];
  functions: LambdaRuntime;
  stepFunctions: StepFunctionsService;
  schedules: Scheduler;
  model: StackModel;
  /** The stack's CloudWatch alarms, evaluated locally (their state, for tests and operators). */
  alarms: LocalAlarms;
  /** IAM as the local target enforces it: denials so far, and the usage of each grant. */
  iam: IamEnforcer;
  /** The tables' streams and the event source mappings reading them. */
  streams: LocalStreams;
  /** The texts and voice messages sent (End User Messaging SMS and Voice), kept across restarts. */
  messages: MessageArchive;
  /** Changes the injected fault fractions; needs the target started with `faults`. */
  setFaults(faults: FaultRates): void;
  /** Calls seen and faults injected so far (zeros without `faults`). */
  faultStats(): Record<FaultedService, FaultCounts>;
  /**
   * Makes SES refuse the functions' sends the rule names (MessageRejected, as for an unverified or suppressed
   * recipient); undefined lets every send through again. For tests of what a refused mail must not stop.
   */
  refuseMail(rule: MailRefusal | undefined): void;
  /**
   * What an address's mail gets from SES after it was accepted (its events: delivered, bounced, complained...);
   * undefined gives back the mailbox simulator's outcomes (infra/local/mail-events.ts). With `holdUntil`, the
   * events of mails sent meanwhile wait for it (SES's events may come seconds late: a test orders them so).
   */
  setMailOutcome(rule: MailOutcomeRule | undefined, options?: { holdUntil?: Promise<unknown> }): void;
  /**
   * Waits until the events of every mail sent so far have been handled (their function ran): for tests that
   * compare the state before and after something, as the events land a moment after each mail.
   */
  settleMailEvents(): Promise<void>;
  /**
   * The final event a number's texts or calls get from End User Messaging SMS and Voice once accepted
   * (TEXT_BLOCKED, VOICE_NO_ANSWER...); undefined: delivered and answered (infra/local/phone-events.ts).
   * `settleMailEvents` waits for these events too.
   */
  setPhoneOutcome(rule: PhoneOutcomeRule | undefined): void;
  stop(): Promise<void>;
}

export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(
    readonly service: Service,
    readonly port: number,
  ) {
    super(`port ${port} is in use (${service})`);
  }
}

export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

const heldLocks = new Set<string>();

export async function startLocalTarget(options: StartLocalTargetOptions): Promise<LocalTarget> {
  const log = options.log ?? ((line: string) => console.log(line));
  const host = options.host ?? '127.0.0.1';
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const model = new StackModel(loadAssembly(options.assemblyDir, options.stackName));
  const releaseLock = acquireLock(dataDir);
  const closers: Array<() => Promise<void> | void> = [releaseLock];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        log(`[local] while stopping: ${(error as Error).message}`);
      }
    }
  };

  try {
    const ports = { api: 0, ses: 0, aws: 0, dynamodb: 0, ...options.ports };
    await checkPorts(host, ports);

    const api = routedServer();
    const aws = routedServer();
    closers.push(() => closeServer(api.server));
    await listen(api.server, 'api', host, ports.api);
    closers.push(() => closeServer(aws.server));
    await listen(aws.server, 'aws', host, ports.aws);
    const mail = await startSes(host, ports.ses, { dataDir, log });
    const ses = mail.server;
    // Texts and voice messages: answered on the AWS endpoint, shown beside the mail viewer (sms-voice.ts).
    const messages = new MessageArchive(dataDir, log);
    serveViewerBeside(ses, messages);
    // Closers run in reverse: the server stops taking mail before the sent mail is saved.
    closers.push(() => mail.close());
    closers.push(() => closeServer(ses));
    const dynamo = createDynalite(join(dataDir, 'dynamodb'));
    await listen(dynamo, 'dynamodb', host, ports.dynamodb);
    closers.push(() => closeServer(dynamo));

    const urls: LocalUrls = {
      api: urlOf(api.server, host),
      ses: urlOf(ses, host),
      aws: urlOf(aws.server, host),
      dynamodb: urlOf(dynamo, host),
    };
    model.setUrls(urls);
    const faults = options.faults ? new FaultInjector(options.faults, options.faultRandom) : undefined;
    // The functions reach DynamoDB and SES through fronts that authorise each call against the function's role
    // (and inject faults when asked); the emulators' own URLs stay open for tests and the administrator.
    let iam: LocalIam | undefined;
    const frontIam = () => {
      if (!iam) throw new Error('the local target is still starting');
      return iam;
    };
    const dynamoFront = dynamoDbFront(dynamo, { iam: frontIam, ...(faults ? { faults } : {}) });
    await listen(dynamoFront, 'dynamodb', host, 0);
    closers.push(() => closeServer(dynamoFront));
    let mailRefusal: MailRefusal | undefined;
    // The configuration set's events follow each accepted mail (made once the functions exist, below).
    let mailEvents: LocalMailEvents | undefined;
    // The account's suppression list and the account itself, which the emulator does not keep (ses-account.ts).
    const sesAccount = new LocalSesAccount(dataDir, options.sesSuppressedReasons);
    const mailFront = sesFront(urls.ses, {
      iam: frontIam,
      refusal: () => mailRefusal,
      sent: (call) => mailEvents?.sent(call),
      answer: (method, path, body) => sesAccount.answer(method, path, body),
    });
    await listen(mailFront, 'ses', host, 0);
    closers.push(() => closeServer(mailFront));
    const functionUrls: LocalUrls = {
      ...urls,
      dynamodb: urlOf(dynamoFront, host),
      ses: urlOf(mailFront, host),
    };
    const operatorToken = loadOrCreateToken(join(dataDir, 'operator-token'));

    const tables = tablesFromTemplate(model);
    await ensureTables(urls.dynamodb, model.region, tables, log);
    const secrets = new SecretStore(model, dataDir, log);
    const parameters = new ParameterStore(dataDir, model.region, model.account);
    const customResources = customResourcesFromTemplate(model);
    const lambda = new LambdaRuntime(functionsFromTemplate(model, functionUrls), log);
    closers.push(() => lambda.stop());
    const events = new LocalMailEvents(mailEventDestinations(model), subscriptionsFromTemplate(model), {
      invokeAsync: (fn, event) => lambda.invokeAsync(fn, event),
      log,
      suppression: sesAccount,
    });
    mailEvents = events;
    closers.push(() => events.settle());
    const phoneEvents = new LocalPhoneEvents(
      phoneEventDestinations(model),
      subscriptionsFromTemplate(model),
      {
        invokeAsync: (fn, event) => lambda.invokeAsync(fn, event),
        log,
      },
    );
    closers.push(() => phoneEvents.settle());
    const stepFunctions = new StepFunctionsService(
      stateMachinesFromTemplate(model),
      lambda,
      dataDir,
      log,
      options,
    );
    closers.push(() => stepFunctions.stop());
    // The stack's alarms: a failed execution, an API 5xx or a metric a sweep logs reaches the operators by mail,
    // as the alarm topic's email subscriptions would; so does a failed asynchronous invocation (its destination).
    const topics = new LocalTopics(model, subscriptionsFromTemplate(model), {
      sesUrl: urls.ses,
      region: model.region,
      log,
    });
    const alarms = new LocalAlarms(alarmsFromTemplate(model, log), { topics, region: model.region, log });
    closers.push(() => alarms.settle().then(() => topics.settle()));
    stepFunctions.onFinished = (record) => {
      const metric = {
        FAILED: 'ExecutionsFailed',
        TIMED_OUT: 'ExecutionsTimedOut',
        ABORTED: 'ExecutionsAborted',
      }[record.status as 'FAILED' | 'TIMED_OUT' | 'ABORTED'];
      if (metric) alarms.record('AWS/States', metric, { StateMachineArn: record.stateMachineArn });
    };
    lambda.onFunctionError = (fn) => alarms.record('AWS/Lambda', 'Errors', { FunctionName: fn.name });
    lambda.onLogLine = (_fn, line) => alarms.recordLogLine(line);
    iam = new LocalIam(
      model,
      { stepFunctions, secrets, lambda },
      {
        mode: options.iam ?? iamModeFromEnv(),
        log,
        usageFile: options.iamUsageFile ?? join(dataDir, 'iam-usage.json'),
      },
    );
    const localIam = iam;
    const deliverToDestination = async (fn: LocalFunction, destination: string, record: unknown) => {
      if (!topics.has(destination)) {
        log(`[${fn.name}] destination ${destination}: only the stack's SNS topics are emulated`);
        return;
      }
      const refused = localIam.destinationPublish(
        model.readableName(fn.logicalId),
        destination,
        topicKeyArn(model, destination),
      );
      if (refused) {
        log(`[${fn.name}] the invocation record was not delivered to ${destination}: ${refused}`);
        return;
      }
      // Lambda publishes the record as the message, with no subject: SNS mails it as "AWS Notification Message".
      await topics.publish(destination, { text: JSON.stringify(record, null, 2) });
    };
    lambda.onAsyncDestination = deliverToDestination;
    // The tables' streams and the event source mappings on them (a mapping its function's role may not read is
    // refused here, as CloudFormation's deploy would fail on it).
    const streams = new LocalStreams(dynamo, model, lambda, {
      log,
      deliver: deliverToDestination,
      authorizeStreamRead: (fn, streamArn) =>
        localIam.streamRead(model.readableName(fn.logicalId), streamArn),
    });
    closers.push(() => streams.stop());
    closers.push(() => localIam.enforcer.flush());
    if (localIam.enforcer.mode === 'report')
      log('[iam] HOTLINE_IAM=report: denials are logged and let through, not refused as AWS would');

    const apis = model.resourcesOfType('AWS::ApiGatewayV2::Api');
    if (apis.length > 1) log(`[api] warning: ${apis.length} HTTP APIs in the stack share one local port`);
    api.use(
      createHttpApi({
        routes: routesFromTemplate(model),
        lambda,
        operatorToken,
        apiId: apis[0] ? model.apiId(apis[0][0]) : 'local',
        account: model.account,
        log,
        // API Gateway's `5xx` metric of the stage (ApiId, Stage), which the operators' alarm watches.
        onServerError: (apiId) => alarms.record('AWS/ApiGateway', '5xx', { ApiId: apiId, Stage: '$default' }),
        authorizeInvoke: (route, sourceArn) => localIam.apiInvoke(route.functionArn, sourceArn),
      }),
    );
    const awsApi = createAwsApi({
      stepFunctions,
      secrets,
      parameters,
      lambda,
      log,
      authorize: localIam.awsEndpoint,
      operations: smsVoiceOperations(messages, undefined, (message) => phoneEvents.sent(message)),
    });
    const awsEndpoint = faults ? withFaults(awsApi, faults, 'stepFunctions', isStepFunctionsCall) : awsApi;
    // The Scheduler is made below; the admin routes (/_local/) reach it once it is.
    let scheduler: Scheduler | undefined;
    const admin = createAdminApi({ schedules: () => scheduler, operatorToken, log });
    // The custom resources' functions answer CloudFormation at a ResponseURL on the same endpoint (as a pre-signed
    // S3 URL, it carries no AWS signature).
    const responses = new CustomResourceResponses(() => urls.aws);
    const messaging = createMessagingAdmin({
      archive: messages,
      isAdmin: administratorCheck(operatorToken),
      topicArn: () => twoWaySmsTopicArn(model),
      publish: (topicArn, payload) =>
        publishInboundSms(topicArn, payload, {
          subscriptions: subscriptionsFromTemplate(model),
          invokeAsync: (fn, event) => lambda.invokeAsync(fn, event),
          log,
        }),
    });
    const mailInbound = createMailInbound({
      isAdmin: administratorCheck(operatorToken),
      rules: () => receiptRules(model),
      subscriptions: subscriptionsFromTemplate(model),
      invokeAsync: (fn, event) => lambda.invokeAsync(fn, event),
      log,
    });
    aws.use(async (req, res) => {
      if (await responses.handle(req, res)) return;
      if (await messaging(req, res)) return;
      if (await mailInbound(req, res)) return;
      if (!(await admin(req, res))) await awsEndpoint(req, res);
    });
    await createCustomResources(model, customResources, { lambda, responses, log });
    // The update's cleanup phase: what the template no longer declares goes once everything new is created.
    const dropped = secrets.dropRemoved();
    if (dropped.length > 0)
      log(
        `[cloudformation] deleted ${dropped.length} secrets the template no longer declares (${dropped.join(', ')})`,
      );

    const fire = async (schedule: LocalSchedule, target: ScheduleTarget, event: string) => {
      const refused =
        schedule.kind === 'scheduler'
          ? localIam.scheduleInvoke(target.roleArn, target.arn, schedule.name)
          : undefined;
      if (refused) throw new Error(refused);
      if (stepFunctions.stateMachines.some((m) => m.arn === target.arn)) {
        stepFunctions.startExecution({ stateMachineArn: target.arn, input: event });
      } else if (lambda.find(target.arn)) {
        // Scheduler invokes Lambda asynchronously: a function error is the function's (its retries and onFailure
        // destination), not a failed delivery of the schedule. Awaited so that firing a schedule by hand returns
        // once the run is done.
        await lambda.invokeAsync(target.arn, JSON.parse(event));
      } else {
        throw new Error(
          `${schedule.name}: target ${target.arn} is neither a state machine nor a function here`,
        );
      }
    };
    const schedules = new Scheduler(schedulesFromTemplate(model, log), fire, log);
    scheduler = schedules;
    schedules.start();
    closers.push(() => schedules.stop());
    stepFunctions.resumeInterrupted();

    let stopping: Promise<void> | undefined;
    return {
      urls,
      functionUrls,
      operatorToken,
      get secrets() {
        return Object.fromEntries(secrets.list().map((s) => [s.name, s.value]));
      },
      get parameters() {
        return Object.fromEntries(parameters.list().map((p) => [p.name, p.value]));
      },
      tables: tables.map((t) => t.name),
      stateMachines: stepFunctions.stateMachines.map((m) => m.arn),
      functions: lambda,
      stepFunctions,
      schedules,
      model,
      alarms,
      iam: localIam.enforcer,
      streams,
      messages,
      setFaults(rates) {
        if (!faults)
          throw new Error('setFaults: start the local target with `faults` (e.g. {}) to inject faults');
        faults.set(rates);
      },
      faultStats: () => (faults ?? new FaultInjector()).stats(),
      refuseMail(rule) {
        mailRefusal = rule;
      },
      setMailOutcome(rule, options) {
        events.setOutcome(rule, options);
      },
      settleMailEvents: async () => {
        await events.settle();
        await phoneEvents.settle();
      },
      setPhoneOutcome(rule) {
        phoneEvents.setOutcome(rule);
      },
      stop: () => {
        // New requests stop first, so nothing reaches a function that is shutting down.
        stopping ??= closeServer(api.server).then(closeAll);
        return stopping;
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/** An HTTP server that answers 503 until its handler is wired in (ports are bound before the template resolves). */
function routedServer(): { server: Server; use: (handler: Handler) => void } {
  let handler: Handler = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"Starting"}');
  };
  const server = createHttpServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          message: 'Internal Server Error',
          error: { code: 'LocalTargetError', message: error.message },
        }),
      );
    });
  });
  return { server, use: (h) => (handler = h) };
}

/** Fails with PortInUseError for the first fixed port that is taken (0 means any free port, never taken). */
export async function checkPorts(host: string, ports: Partial<Record<Service, number>>): Promise<void> {
  for (const [service, port] of Object.entries(ports) as Array<[Service, number]>)
    await assertFree(service, host, port);
}

async function assertFree(service: Service, host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createNetServer();
  await new Promise<void>((resolveProbe, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES' ? new PortInUseError(service, port) : error,
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolveProbe()));
  });
}

function listen(server: Server, service: Service, host: string, port: number): Promise<void> {
  return new Promise((resolveListen, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(service, port) : error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolveListen();
    });
  });
}

function urlOf(server: Server, host: string): string {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolveClose) => {
    server.closeAllConnections();
    server.close(() => resolveClose());
  });
}

function loadOrCreateToken(file: string): string {
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 32) return token;
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** Fails with DataDirInUseError when a running local target holds the data folder. */
export function checkDataDir(dataDir: string): void {
  const dir = resolve(dataDir);
  const file = join(dir, 'target.lock');
  if (heldLocks.has(dir))
    throw new DataDirInUseError(`${dir} is already used by a local target in this process`);
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new DataDirInUseError(`${dir} is in use by another local target (pid ${pid}); stop it first`);
    }
  }
}

/** One target per data folder: two would write the same files and the same LevelDB. */
function acquireLock(dataDir: string): () => void {
  const file = join(dataDir, 'target.lock');
  checkDataDir(dataDir);
  writeFileSync(file, String(process.pid));
  heldLocks.add(dataDir);
  return () => {
    heldLocks.delete(dataDir);
    rmSync(file, { force: true });
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
