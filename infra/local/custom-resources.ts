import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LambdaRuntime } from './functions.ts';
import type { StackModel } from './template.ts';

/**
 * The template's custom resources, run as CloudFormation runs them: at start the local target invokes each
 * resource's function (its ServiceToken) with a Create event and waits for the answer the function PUTs to the
 * event's ResponseURL, which the local AWS endpoint serves. A FAILED answer, a function error or no answer at
 * all fails the start, as it would fail the deploy. Every start sends Create again: the handlers are idempotent
 * (a parameter that exists is kept), as CloudFormation requires of them.
 */

export interface LocalCustomResource {
  logicalId: string;
  type: string;
  /** The function that serves the resource. */
  functionArn: string;
  /** The resolved properties, each scalar a string as CloudFormation sends them (ServiceToken included). */
  properties: Record<string, unknown>;
}

export interface CustomResourceResponse {
  Status?: string;
  Reason?: string;
  PhysicalResourceId?: string;
  Data?: Record<string, unknown>;
}

export class CustomResourceError extends Error {
  override name = 'CustomResourceError';
}

const RESPONSE_PATH = '/_local/cloudformation/responses/';

export function customResourcesFromTemplate(model: StackModel): LocalCustomResource[] {
  return model
    .resourcesOfType(
      ...Object.values(model.template.Resources)
        .map((r) => r.Type)
        .filter((t) => t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource'),
    )
    .map(([logicalId, resource]) => {
      const where = `${logicalId}.Properties`;
      const properties = stringified(model.resolve(resource.Properties ?? {}, where)) as Record<
        string,
        unknown
      >;
      const token = properties.ServiceToken;
      if (typeof token !== 'string' || !token.includes(':lambda:'))
        throw new CustomResourceError(
          `${model.readableName(logicalId)}: the local target runs custom resources served by a function of the stack, not ${String(token)}`,
        );
      return { logicalId, type: resource.Type, functionArn: token, properties };
    });
}

/** CloudFormation hands a custom resource its property values as strings (numbers and booleans included). */
function stringified(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringified);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringified(v)]));
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

/** Where the functions' answers arrive: PUT <aws endpoint>/_local/cloudformation/responses/<request id>. */
export class CustomResourceResponses {
  private readonly waiting = new Map<string, (response: CustomResourceResponse) => void>();

  constructor(private readonly baseUrl: () => string) {}

  expect(requestId: string): { url: string; answer: Promise<CustomResourceResponse> } {
    const answer = new Promise<CustomResourceResponse>((resolve) => this.waiting.set(requestId, resolve));
    return { url: `${this.baseUrl()}${RESPONSE_PATH}${requestId}`, answer };
  }

  /** Serves a response PUT; false for any other request (the endpoint goes on with it). */
  handle = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = req.url?.split('?')[0] ?? '';
    if (!path.startsWith(RESPONSE_PATH)) return false;
    const requestId = decodeURIComponent(path.slice(RESPONSE_PATH.length));
    const resolve = this.waiting.get(requestId);
    if (req.method !== 'PUT' || !resolve) {
      res.writeHead(req.method === 'PUT' ? 404 : 405).end();
      return true;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let response: CustomResourceResponse;
    try {
      response = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CustomResourceResponse;
    } catch {
      res.writeHead(400).end();
      return true;
    }
    this.waiting.delete(requestId);
    res.writeHead(200).end();
    resolve(response);
    return true;
  };
}

/** Runs each resource's Create, one after another as their order in the template; throws on the first failure. */
export async function createCustomResources(
  model: StackModel,
  resources: readonly LocalCustomResource[],
  deps: { lambda: LambdaRuntime; responses: CustomResourceResponses; log: (line: string) => void },
): Promise<Record<string, CustomResourceResponse>> {
  const results: Record<string, CustomResourceResponse> = {};
  const stackId = `arn:aws:cloudformation:${model.region}:${model.account}:stack/${model.stackName}/local`;
  for (const resource of resources) {
    const name = model.readableName(resource.logicalId);
    const requestId = randomUUID();
    const { url, answer } = deps.responses.expect(requestId);
    const event = {
      RequestType: 'Create',
      ServiceToken: resource.functionArn,
      ResponseURL: url,
      StackId: stackId,
      RequestId: requestId,
      LogicalResourceId: resource.logicalId,
      ResourceType: resource.type,
      ResourceProperties: resource.properties,
    };
    try {
      await deps.lambda.invoke(resource.functionArn, event);
    } catch (error) {
      throw new CustomResourceError(
        `${name} (${resource.type}): its function failed: ${(error as Error).message}`,
      );
    }
    // The function has returned: an answer it sent is in by now, or it never answered.
    const response = await Promise.race([
      answer,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 50)),
    ]);
    if (!response)
      throw new CustomResourceError(
        `${name} (${resource.type}): its function returned without answering the ResponseURL`,
      );
    if (response.Status !== 'SUCCESS')
      throw new CustomResourceError(
        `${name} (${resource.type}) failed to create: ${response.Reason ?? `status ${String(response.Status)}`}`,
      );
    results[resource.logicalId] = response;
  }
  if (resources.length > 0) deps.log(`[cloudformation] created ${resources.length} custom resources`);
  return results;
}
