import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { AlertGroupsRepository } from '../adapters/alert-groups-repository.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { logger } from '../adapters/logger.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { incidentDetail } from '../use-cases/read-incidents.ts';
import { linkedTo } from './capabilities.ts';
import { type HttpEvent, type HttpResult, httpErrors, json } from './http.ts';

const stores = linkedTo('GetIncident')(
  repositoriesPort({ incidents: IncidentsRepository, groups: AlertGroupsRepository }),
);

export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpErrors())
  .handler(async (event) => {
    const key = decodeURIComponent(event.pathParameters?.key ?? '').toUpperCase();
    return json(200, await incidentDetail(stores(), key));
  });
