import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** The construct id the local target finds the mail events topic by (infra/local/mail-events.ts). */
export const MAIL_EVENTS_TOPIC_ID = 'MailEventsTopic';

export interface MailerProps {
  /** The address every incident mail is sent from (`organisation.sender.address`). */
  readonly senderAddress: string;
}

/**
 * What the functions send mail through: the sender identity and a configuration set.
 *
 * Open and click tracking stay off: there is deliberately no event destination for OPEN or CLICK events.
 * Tracking rewrites every link through a redirect domain and adds a pixel, which would carry the signed action
 * links (whose tokens are credentials) through a third host, and the numbers would mostly count mail scanners
 * that prefetch links anyway. Bounces and complaints are suppressed so a dead or complaining address stops
 * receiving pages instead of hurting the account's reputation.
 */
export class Mailer extends Construct {
  readonly identity: ses.EmailIdentity;
  readonly configurationSet: ses.ConfigurationSet;
  readonly senderAddress: string;

  constructor(scope: Construct, id: string, props: MailerProps) {
    super(scope, id);
    this.senderAddress = props.senderAddress;
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      reputationMetrics: true,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
      sendingEnabled: true,
    });
    // SES sends a verification mail to this address on deploy; sending works once it is confirmed.
    this.identity = new ses.EmailIdentity(this, 'SenderIdentity', {
      identity: ses.Identity.email(props.senderAddress),
      configurationSet: this.configurationSet,
    });
  }

  /**
   * The topic the configuration set's events go to (delivery, bounce, complaint, reject, delivery delay; never
   * open or click, see above), encrypted with the operators' topic key. Only SES, for this account and this
   * configuration set, may publish. Adding it twice is an error.
   */
  addEventsTopic(key: kms.Key): sns.Topic {
    const stack = Stack.of(this);
    const topic = new sns.Topic(this, MAIL_EVENTS_TOPIC_ID, {
      displayName: 'Hotline mail events',
      masterKey: key,
      enforceSSL: true,
    });
    const fromThisSet = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': this.configurationSetArn },
    };
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SesPublishesMailEvents',
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: fromThisSet,
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.configurationSet.addEventDestination('Events', {
      destination: ses.EventDestination.snsTopic(topic),
      events: [
        ses.EmailSendingEvent.DELIVERY,
        ses.EmailSendingEvent.BOUNCE,
        ses.EmailSendingEvent.COMPLAINT,
        ses.EmailSendingEvent.REJECT,
        ses.EmailSendingEvent.DELIVERY_DELAY,
      ],
    });
    return topic;
  }

  get configurationSetArn(): string {
    return Stack.of(this).formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
    });
  }

  /**
   * One send action from the sender identity with the configuration set, and nothing else: ses:SendEmail for
   * simple content, ses:SendRawEmail for SES v2 SendEmail with `Content.Raw` (MIME with attachments), which IAM
   * authorises as SendRawEmail.
   */
  grantSend(grantee: iam.IGrantable, action: 'ses:SendEmail' | 'ses:SendRawEmail'): iam.Grant {
    return this.grant(grantee, action);
  }

  private grant(grantee: iam.IGrantable, action: string): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [action],
      resourceArns: [this.identity.emailIdentityArn, this.configurationSetArn],
    });
  }
}
