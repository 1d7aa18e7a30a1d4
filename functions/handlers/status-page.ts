import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { organisation } from '../adapters/config.ts';
import { publicBaseUrlPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { StatusPageRepository } from '../adapters/status-page-repository.ts';
import type { StatusFormat } from '../core/status-page.ts';
import { statusPage } from '../use-cases/status-page.ts';
import { linkedTo } from './capabilities.ts';
import { type HttpEvent, type HttpResult, httpErrors } from './http.ts';

const use = linkedTo('StatusPage');
const stores = use(repositoriesPort({ statusPage: StatusPageRepository }));
const baseUrl = use(publicBaseUrlPort);

const formats: Record<string, StatusFormat> = {
  '/status': 'html',
  '/status.json': 'json',
  '/status.atom': 'atom',
};

/**
 * GET and HEAD /status, /status.json, /status.atom: public, no credential. HEAD answers the same headers
 * without the body. The route key names the format (the raw path may carry a stage or a custom domain's prefix).
 */
export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpErrors())
  .handler(async (event) => {
    const path = event.routeKey.split(' ')[1] ?? event.rawPath;
    const format = formats[path] ?? 'html';
    const org = organisation();
    const response = await statusPage(
      {
        statusPage: stores().statusPage,
        organisation: org,
        baseUrl: baseUrl(),
        now: () => new Date(),
      },
      format,
    );
    const head = event.requestContext.http.method.toUpperCase() === 'HEAD';
    return { ...response, body: head ? '' : response.body };
  });
