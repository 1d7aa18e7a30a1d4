import { randomBytes } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { findLegacySecret, stackNameOf } from '../adapters/legacy-secrets.ts';
import { logger } from '../adapters/logger.ts';
import {
  answerCloudFormation,
  deleteSecureParameter,
  putSecureParameterOnce,
} from '../adapters/secure-parameters.ts';
import {
  carriedValue,
  generatedValue,
  type SecureParameterEvent,
  secureParameterAction,
} from '../core/secure-parameters.ts';

/*
 * The custom resource behind every `Custom::SecureStringParameter` of the stack (CloudFormation can neither
 * create a SecureString parameter nor generate a value). It runs only while the stack deploys, and answers the
 * ResponseURL itself: no provider framework, no extra functions. Not a function of the product, so it is not in
 * handlers/capabilities.ts: its grants are ssm:PutParameter/DeleteParameter on the stack's parameters, and
 * reading the 0.2.0 secrets of the same stack (infra/constructs/secrets.ts). Values are never logged, nor
 * returned in the response's Data.
 *
 * On Create, a resource naming a 0.2.0 secret (LegacySecretLogicalId) first looks for that secret of the same
 * stack (adapters/legacy-secrets.ts): an upgrade from 0.2.0 carries its value over, so senders keep their
 * credential and links already mailed keep verifying. A value of the wrong shape is not carried (the credential
 * is generated, as on a first deploy). A lookup that is refused or fails fails the deploy, which rolls back to
 * the secrets still in use: safer than generating, which would silently replace every credential.
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
        let value: string | undefined;
        let source = 'generated';
        if (action.legacy) {
          const legacy = await findLegacySecret(stackNameOf(event.StackId), action.legacy.logicalId);
          value = carriedValue(legacy?.secretString, action.legacy.shape);
          if (value !== undefined) source = `carried over from ${legacy?.name}`;
          else if (legacy) source = `generated (${legacy.name} does not hold a ${action.legacy.shape})`;
        }
        value ??= generatedValue(action.value, (size) => randomBytes(size));
        const put = await putSecureParameterOnce(action.name, value, action.description);
        outcome = put === 'created' ? `created, ${source}` : put;
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
