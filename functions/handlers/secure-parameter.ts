import { randomBytes } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../adapters/logger.ts';
import {
  answerCloudFormation,
  deleteSecureParameter,
  putSecureParameterOnce,
} from '../adapters/secure-parameters.ts';
import {
  generatedValue,
  type SecureParameterEvent,
  secureParameterAction,
} from '../core/secure-parameters.ts';

/*
 * The custom resource behind every `Custom::SecureStringParameter` of the stack (CloudFormation can neither
 * create a SecureString parameter nor generate a value). It runs only while the stack deploys, and answers the
 * ResponseURL itself: no provider framework, no extra functions. Not a function of the product, so it is not in
 * handlers/capabilities.ts: its only grant is ssm:PutParameter/DeleteParameter on the stack's parameters
 * (infra/constructs/secrets.ts). Values are never logged, nor returned in the response's Data.
 */

export interface CustomResourceEvent extends SecureParameterEvent {
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
}

export const handler = middy<CustomResourceEvent>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const base = {
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    };
    try {
      const action = secureParameterAction(event);
      let outcome: string;
      if (action.kind === 'create') {
        outcome = await putSecureParameterOnce(
          action.name,
          generatedValue(action.value, (size) => randomBytes(size)),
          action.description,
        );
      } else if (action.kind === 'delete') {
        outcome = await deleteSecureParameter(action.name);
      } else {
        outcome = `unchanged: ${action.why}`;
      }
      logger.info('secure parameter', { requestType: event.RequestType, name: action.name, outcome });
      await answerCloudFormation(event.ResponseURL, {
        ...base,
        Status: 'SUCCESS',
        PhysicalResourceId: action.name,
        Data: { Name: action.name },
      });
    } catch (error) {
      const reason = (error as Error).message;
      logger.error('secure parameter failed', { requestType: event.RequestType, reason });
      await answerCloudFormation(event.ResponseURL, {
        ...base,
        Status: 'FAILED',
        Reason: reason.slice(0, 1000),
        // A Create that failed made nothing: its Delete (on rollback) must not find a parameter name here.
        PhysicalResourceId: event.PhysicalResourceId ?? `${event.LogicalResourceId}-not-created`,
      });
    }
  });
