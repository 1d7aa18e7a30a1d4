import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { organisation, publicBaseUrlPort } from '../adapters/config.ts';
import { logger } from '../adapters/logger.ts';
import { mailerPort } from '../adapters/mailer.ts';
import { pagerPort } from '../adapters/pager.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { TestPagesRepository } from '../adapters/test-pages-repository.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { PERSON_ID } from '../core/test-pages.ts';
import { lastTestPage, sendTestPage, type TestPageDeps } from '../use-cases/test-pages.ts';
import { linkedTo } from './capabilities.ts';
import { type HttpEvent, type HttpResult, httpErrors, json, operatorOf } from './http.ts';

/** The operators' test pages: POST /people/{id}/test-page sends one, GET answers the last one recorded. */

const use = linkedTo('TestPages');
const stores = use(repositoriesPort({ testPages: TestPagesRepository }));
const mailer = use(mailerPort);
const pager = use(pagerPort);
const baseUrl = use(publicBaseUrlPort);

let deps: TestPageDeps | undefined;
function dependencies(): TestPageDeps {
  if (deps) return deps;
  const org = organisation();
  deps = {
    people: org.people ?? {},
    paging: org.paging,
    testPages: stores().testPages,
    mailer: mailer(),
    pager: pager(),
    sentBy: baseUrl() || undefined,
    now: () => new Date(),
  };
  return deps;
}

function personIdOf(event: HttpEvent): string {
  const id = decodeURIComponent(event.pathParameters?.id ?? '');
  if (!PERSON_ID.test(id)) throw new ValidationError(`"${id.slice(0, 40)}" is not a person id`);
  return id;
}

async function route(event: HttpEvent): Promise<HttpResult> {
  switch (event.routeKey) {
    case 'POST /people/{id}/test-page': {
      const personId = personIdOf(event);
      const operator = operatorOf(event);
      const testPage = await sendTestPage(dependencies(), personId, operator);
      logger.info('test page sent', {
        personId,
        operator,
        channels: testPage.channels.map((c) => `${c.channel}:${c.outcome}`),
      });
      return json(201, { testPage });
    }
    case 'GET /people/{id}/test-page':
      return json(200, { testPage: await lastTestPage(dependencies(), personIdOf(event)) });
    default:
      throw new NotFoundError(`no route ${event.routeKey}`);
  }
}

export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpHeaderNormalizer())
  .use(httpErrors())
  .handler(route);
