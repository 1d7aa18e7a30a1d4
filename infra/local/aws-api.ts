import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ServiceError } from './errors.ts';
import { LambdaError, type LambdaRuntime } from './functions.ts';
import type { Denied } from './iam/enforcer.ts';
import type { SecretStore } from './secrets.ts';
import type { LocalParameter, ParameterStore } from './ssm.ts';
import type { ExecutionRecord, StepFunctionsService } from './stepfunctions.ts';

/**
 * One local endpoint for the AWS APIs that have no emulator, spoken over the SDK's own wire protocols:
 * Step Functions (awsJson1_0, `X-Amz-Target: AWSStepFunctions.<Op>`), Secrets Manager (awsJson1_1,
 * `secretsmanager.<Op>`), SSM Parameter Store (awsJson1_1, `AmazonSSM.<Op>`), Lambda Invoke (restJson1) and, given
 * as `operations`, End User Messaging SMS and Voice (awsJson1_0, `PinpointSMSVoiceV2.<Op>`, sms-voice.ts). Errors carry `__type` and `x-amzn-ErrorType`, which is
 * what the SDK turns into the error's name.
 */

type Body = Record<string, unknown>;
type Operation = (body: Body) => unknown | Promise<unknown>;
type Log = (line: string) => void;

const MAX_BODY = 6 * 1024 * 1024;

export interface AwsApiDeps {
  stepFunctions: StepFunctionsService;
  secrets: SecretStore;
  parameters: ParameterStore;
  lambda: LambdaRuntime;
  log: Log;
  /** More operations by X-Amz-Target (End User Messaging SMS and Voice, sms-voice.ts). */
  operations?: Record<string, Operation>;
  /** Authorises a request as AWS would (IAM): AWS's AccessDenied answer, or undefined to go on. */
  authorize?: (req: IncomingMessage, body: Buffer) => Denied | undefined;
}

/** Seconds since the epoch, the timestamp format of the JSON protocols. */
const epoch = (iso: string | Date) => new Date(iso).getTime() / 1000;

function execution(record: ExecutionRecord) {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epoch(record.startDate),
    ...(record.stopDate ? { stopDate: epoch(record.stopDate) } : {}),
  };
}

/**
 * A parameter as GetParameter answers it. A SecureString read without decryption shows an opaque stand-in for
 * the ciphertext (never the value), as AWS shows the KMS ciphertext.
 */
function parameterResult(p: LocalParameter, decrypt: boolean) {
  const value =
    p.type === 'SecureString' && !decrypt
      ? `AQICAH${createHash('sha256').update(`${p.arn}:${p.version}:${p.value}`).digest('base64')}`
      : p.value;
  return {
    Name: p.name,
    Type: p.type,
    Value: value,
    Version: p.version,
    LastModifiedDate: epoch(p.lastModifiedDate),
    ARN: p.arn,
    DataType: 'text',
  };
}

export function createAwsApi({
  stepFunctions: sfn,
  secrets,
  parameters,
  lambda,
  log,
  authorize,
  operations: more = {},
}: AwsApiDeps) {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const operations: Record<string, Operation> = {
    'AWSStepFunctions.StartExecution': (b) => {
      const out = sfn.startExecution({
        stateMachineArn: str(b.stateMachineArn),
        ...(str(b.name) !== undefined ? { name: str(b.name) } : {}),
        ...(str(b.input) !== undefined ? { input: str(b.input) } : {}),
      } as { stateMachineArn?: string; name?: string; input?: string });
      return { executionArn: out.executionArn, startDate: epoch(out.startDate) };
    },
    'AWSStepFunctions.DescribeExecution': (b) => {
      const r = sfn.describeExecution(str(b.executionArn));
      return {
        ...execution(r),
        input: r.input,
        inputDetails: { included: true },
        ...(r.output !== undefined ? { output: r.output, outputDetails: { included: true } } : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
        ...(r.cause !== undefined ? { cause: r.cause } : {}),
      };
    },
    'AWSStepFunctions.ListExecutions': (b) => {
      const { executions, nextToken } = sfn.listExecutions({
        stateMachineArn: str(b.stateMachineArn),
        statusFilter: str(b.statusFilter),
        maxResults: typeof b.maxResults === 'number' ? b.maxResults : undefined,
        nextToken: str(b.nextToken),
      } as Parameters<StepFunctionsService['listExecutions']>[0]);
      return { executions: executions.map(execution), ...(nextToken ? { nextToken } : {}) };
    },
    'AWSStepFunctions.StopExecution': (b) => ({
      stopDate: epoch(sfn.stopExecution(str(b.executionArn), str(b.error), str(b.cause)).stopDate),
    }),
    'AWSStepFunctions.SendTaskSuccess': (b) => {
      sfn.sendTaskSuccess(str(b.taskToken), str(b.output));
      return {};
    },
    'AWSStepFunctions.SendTaskFailure': (b) => {
      sfn.sendTaskFailure(str(b.taskToken), str(b.error), str(b.cause));
      return {};
    },
    'AWSStepFunctions.SendTaskHeartbeat': (b) => {
      sfn.sendTaskHeartbeat(str(b.taskToken));
      return {};
    },
    'AWSStepFunctions.ListStateMachines': () => ({
      stateMachines: sfn.stateMachines.map((m) => ({
        stateMachineArn: m.arn,
        name: m.name,
        type: 'STANDARD',
        creationDate: 0,
      })),
    }),
    'AWSStepFunctions.DescribeStateMachine': (b) => {
      const machine = sfn.stateMachines.find((m) => m.arn === b.stateMachineArn);
      if (!machine) {
        throw new ServiceError(
          'StateMachineDoesNotExist',
          `State Machine Does Not Exist: '${b.stateMachineArn}'`,
        );
      }
      return {
        stateMachineArn: machine.arn,
        name: machine.name,
        status: 'ACTIVE',
        definition: JSON.stringify(machine.definition),
        roleArn: machine.roleArn,
        type: 'STANDARD',
        creationDate: 0,
      };
    },
    'secretsmanager.GetSecretValue': (b) => {
      const secret = secrets.find(str(b.SecretId));
      const stage = str(b.VersionStage);
      const version = str(b.VersionId);
      if ((stage && stage !== 'AWSCURRENT') || (version && version !== secret.versionId)) {
        throw new ServiceError(
          'ResourceNotFoundException',
          "Secrets Manager can't find the specified secret value for staging label or version.",
        );
      }
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        SecretString: secret.value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: epoch(secret.createdDate),
      };
    },
    'secretsmanager.DescribeSecret': (b) => {
      const secret = secrets.find(str(b.SecretId));
      return {
        ARN: secret.arn,
        Name: secret.name,
        CreatedDate: epoch(secret.createdDate),
        VersionIdsToStages: { [secret.versionId]: ['AWSCURRENT'] },
      };
    },
    // Filters as Secrets Manager reads them (secrets.ts); every match in one page.
    'secretsmanager.ListSecrets': (b) => ({
      SecretList: secrets.filter(Array.isArray(b.Filters) ? (b.Filters as Body[]) : []).map((s) => ({
        ARN: s.arn,
        Name: s.name,
        ...(s.description !== undefined ? { Description: s.description } : {}),
        CreatedDate: epoch(s.createdDate),
        Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
        SecretVersionsToStages: { [s.versionId]: ['AWSCURRENT'] },
      })),
    }),
    'secretsmanager.PutSecretValue': (b) => {
      const secret = secrets.put(str(b.SecretId), str(b.SecretString));
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        VersionStages: ['AWSCURRENT'],
      };
    },
    'AmazonSSM.PutParameter': (b) => {
      const parameter = parameters.put({
        name: str(b.Name),
        value: str(b.Value),
        type: str(b.Type),
        overwrite: b.Overwrite === true,
        keyId: str(b.KeyId),
        description: str(b.Description),
        tier: str(b.Tier),
      });
      return { Version: parameter.version, Tier: 'Standard' };
    },
    'AmazonSSM.GetParameter': (b) => ({
      Parameter: parameterResult(parameters.get(str(b.Name)), b.WithDecryption === true),
    }),
    'AmazonSSM.GetParameters': (b) => {
      const names = Array.isArray(b.Names) ? b.Names.filter((n): n is string => typeof n === 'string') : [];
      const found = names.map((name) => [name, parameters.find(name)] as const);
      return {
        Parameters: found.flatMap(([, p]) => (p ? [parameterResult(p, b.WithDecryption === true)] : [])),
        InvalidParameters: found.flatMap(([name, p]) => (p ? [] : [name])),
      };
    },
    'AmazonSSM.DeleteParameter': (b) => {
      parameters.delete(str(b.Name));
      return {};
    },
    'AmazonSSM.DescribeParameters': () => ({
      Parameters: parameters.list().map((p) => ({
        Name: p.name,
        ARN: p.arn,
        Type: p.type,
        ...(p.keyId ? { KeyId: p.keyId } : {}),
        ...(p.description ? { Description: p.description } : {}),
        Version: p.version,
        Tier: 'Standard',
        DataType: 'text',
        LastModifiedDate: epoch(p.lastModifiedDate),
      })),
    }),
    ...more,
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const target = req.headers['x-amz-target'];
    const contentType = String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')
      ? 'application/x-amz-json-1.1'
      : 'application/x-amz-json-1.0';
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': requestId, ...headers });
      res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    const fail = (error: ServiceError) =>
      send(
        error.status,
        { __type: error.code, message: error.message, ...error.details },
        { 'x-amzn-errortype': error.code },
      );
    try {
      const raw = await readBody(req);
      const denied = authorize?.(req, raw);
      if (denied) {
        res.writeHead(denied.status, denied.headers).end(denied.body);
        return;
      }
      const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url?.split('?')[0] ?? '');
      if (req.method === 'POST' && invoke?.[1]) {
        await lambdaInvoke(decodeURIComponent(invoke[1]), raw, req, res, requestId);
        return;
      }
      const operation = typeof target === 'string' ? operations[target] : undefined;
      if (!operation) {
        const what = typeof target === 'string' ? target : `${req.method} ${req.url}`;
        throw new ServiceError(
          'UnknownOperationException',
          `The local target does not implement ${what} (it answers Step Functions, Secrets Manager, SSM Parameter Store, Lambda Invoke and End User Messaging SMS and Voice)`,
        );
      }
      let body: Body;
      try {
        body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Body) : {};
      } catch {
        throw new ServiceError('SerializationException', 'The request body is not valid JSON');
      }
      send(200, (await operation(body)) ?? {});
    } catch (error) {
      if (error instanceof ServiceError) return fail(error);
      log(`[aws] ${String(target ?? req.url)} failed: ${(error as Error).stack ?? String(error)}`);
      fail(new ServiceError('InternalFailure', (error as Error).message, 500));
    }
  };

  async function lambdaInvoke(
    name: string,
    raw: Buffer,
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
  ): Promise<void> {
    if (!lambda.find(name)) {
      throw new ServiceError('ResourceNotFoundException', `Function not found: ${name}`, 404);
    }
    const event = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {};
    const headers = {
      'content-type': 'application/json',
      'x-amzn-requestid': requestId,
      'x-amz-executed-version': '$LATEST',
    };
    if (req.headers['x-amz-invocation-type'] === 'Event') {
      // Queued as Lambda does: retries and the onFailure destination of the function's EventInvokeConfig.
      lambda
        .invokeAsync(name, event)
        .catch((error: Error) => log(`[aws] async invoke of ${name} failed: ${error.message}`));
      res.writeHead(202, headers).end();
      return;
    }
    try {
      const result = await lambda.invoke(name, event);
      res.writeHead(200, headers).end(JSON.stringify(result ?? null));
    } catch (error) {
      if (!(error instanceof LambdaError)) throw error;
      res
        .writeHead(200, { ...headers, 'x-amz-function-error': 'Unhandled' })
        .end(JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: error.trace }));
    }
  }
}

/**
 * The request body, up to Lambda's 6 MB invocation limit. A larger one is read to its end (so the caller hears the
 * answer, not a reset connection) and refused as AWS refuses it.
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY) {
        reject(
          new ServiceError(
            'RequestEntityTooLargeException',
            `Request must be smaller than ${MAX_BODY} bytes for the InvokeFunction operation`,
            413,
          ),
        );
      } else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}
