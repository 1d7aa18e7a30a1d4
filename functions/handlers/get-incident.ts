import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { documentClient, tableName } from '../adapters/dynamodb.ts';
import { logger } from '../adapters/logger.ts';
import { IncidentRepository } from '../adapters/repository.ts';
import { incidentDetail } from '../use-cases/read-incidents.ts';
import { type HttpEvent, type HttpResult, httpErrors, json } from './http.ts';

let repo: IncidentRepository | undefined;

export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .use(httpErrors())
  .handler(async (event) => {
    repo ??= new IncidentRepository(documentClient, tableName());
    const key = decodeURIComponent(event.pathParameters?.key ?? '').toUpperCase();
    return json(200, await incidentDetail(repo, key));
  });
