import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

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
