import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sesActions from 'aws-cdk-lib/aws-ses-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { Organisation } from '../../functions/core/config.ts';

/** The construct id the local target finds the mail events topic by (infra/local/mail-events.ts). */
export const MAIL_EVENTS_TOPIC_ID = 'MailEventsTopic';
/** The construct id of the topic the replies to page mails go to (infra/local/mail-inbound.ts). */
export const MAIL_REPLIES_TOPIC_ID = 'MailRepliesTopic';

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
    this.letSesUse(key);
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

  /**
   * The topic replies to the page mails go to: when the organisation names a replies domain, a receipt rule for
   * that domain, added to the account's active receipt rule set it names (never a new set: an account has one
   * active set per region, and replacing the user's would stop their other mail), publishes each mail whole
   * (Base64, up to 150 KB; larger ones bounce) after SES's spam and virus scan. The topic is always in the stack (a
   * topic costs nothing until something is published), encrypted with the operators' topic key, which SES may use
   * for this account. SES needs no topic policy to publish to a topic of the rule's own account.
   */
  addRepliesTopic(key: kms.Key, replies: Organisation['mailReplies']): sns.Topic {
    const topic = new sns.Topic(this, MAIL_REPLIES_TOPIC_ID, {
      displayName: 'Hotline mail replies',
      masterKey: key,
      enforceSSL: true,
    });
    this.letSesUse(key);
    if (replies) {
      new ses.ReceiptRule(this, 'RepliesRule', {
        ruleSet: ses.ReceiptRuleSet.fromReceiptRuleSetName(this, 'ActiveRuleSet', replies.receiptRuleSet),
        recipients: [replies.domain],
        actions: [new sesActions.Sns({ topic, encoding: sesActions.EmailEncoding.BASE64 })],
        scanEnabled: true,
        enabled: true,
      });
    }
    return topic;
  }

  private sesKeyGranted = false;

  /** SES, for this account, may encrypt to and decrypt with the key (publishing to the topics it encrypts). */
  private letSesUse(key: kms.Key): void {
    if (this.sesKeyGranted) return;
    this.sesKeyGranted = true;
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
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
