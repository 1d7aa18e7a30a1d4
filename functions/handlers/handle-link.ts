import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { ulid } from 'ulid';
import { signingKeys } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { tableStores } from '../adapters/stores.ts';
import { decideLink, type LinkDeps, viewLink } from '../use-cases/links.ts';
import { type HttpEvent, type HttpResult, html, htmlErrors } from './http.ts';
import { responseDeps } from './response-deps.ts';

/**
 * GET and POST /links/{token}: the token is the credential, so it is never logged (the access log records the
 * route key only, and nothing here logs the event or the path). GET shows a confirm page and writes nothing;
 * POST decides. Always HTML.
 */
export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(htmlErrors())
  .handler(async (event) => {
    const deps: LinkDeps = {
      ...responseDeps(),
      links: tableStores().links,
      keys: await signingKeys(),
      newId: ulid,
    };
    const token = event.pathParameters?.token ?? '';
    const method = event.requestContext.http.method.toUpperCase();
    const page = method === 'POST' ? await decideLink(deps, token) : await viewLink(deps, token);
    if (method === 'POST') logger.info('link decided', { page: page.kind });
    return html(page);
  });
