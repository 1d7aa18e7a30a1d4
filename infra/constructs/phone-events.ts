import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as smsvoice from 'aws-cdk-lib/aws-smsvoice';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { PagingConfig } from '../../functions/core/paging-config.ts';
import { PHONE_EVENT_TYPES } from '../../functions/core/phone-events.ts';
import { SMS_VOICE_PRINCIPAL } from './two-way-sms.ts';

/** The construct id of the pages' SMS and voice configuration set (the local target reads it from the template). */
export const PHONE_CONFIGURATION_SET_ID = 'PhoneConfigurationSet';

/**
 * Proof of delivery for texts and calls: an End User Messaging SMS and Voice configuration set whose one event
 * destination sends the final events of each text and call (delivered, answered, and every failure; never the
 * intermediate queued, sent or ringing) to the delivery events topic, the one the mails' events already go to,
 * whose subscriber (MailEvents) records them. A configuration set costs nothing. Only End User Messaging SMS and
 * Voice, for this account, may publish to the topic on its behalf (the topic's key already lets it, for the
 * two-way SMS topic); the source ARN is not pinned, as the set's generated name would make a cycle with the
 * topic's policy, which the set must follow.
 */
export function phoneConfigurationSet(scope: Construct, topic: sns.Topic): smsvoice.CfnConfigurationSet {
  const allowed = topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'SmsVoicePublishesDeliveryEvents',
      principals: [new iam.ServicePrincipal(SMS_VOICE_PRINCIPAL)],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
  );
  const set = new smsvoice.CfnConfigurationSet(scope, PHONE_CONFIGURATION_SET_ID, {
    eventDestinations: [
      {
        eventDestinationName: 'DeliveryEvents',
        enabled: true,
        matchingEventTypes: PHONE_EVENT_TYPES,
        snsDestination: { topicArn: topic.topicArn },
      },
    ],
  });
  // The service checks it may publish when the destination is made.
  if (allowed.policyDependable) set.node.addDependency(allowed.policyDependable);
  return set;
}

/**
 * The paging section the functions are bound with: each configured channel that names no configuration set of
 * its own goes through the stack's (a user's own set keeps its own destinations: the README says how to add one to
 * the delivery events topic).
 */
export function pagingThrough(paging: PagingConfig | undefined, setName: string): PagingConfig | undefined {
  if (!paging) return undefined;
  return {
    ...paging,
    ...(paging.sms
      ? { sms: { ...paging.sms, configurationSet: paging.sms.configurationSet ?? setName } }
      : {}),
    ...(paging.voice
      ? { voice: { ...paging.voice, configurationSet: paging.voice.configurationSet ?? setName } }
      : {}),
  };
}
