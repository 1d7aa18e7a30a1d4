import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { Organisation } from '../core/config.ts';
import { MailRefusedError } from '../core/errors.ts';
import { messageTags } from '../core/mail-tags.ts';
import { headerSafe } from '../core/text.ts';
import type { Mailer } from '../use-cases/ports.ts';
import { port } from './capabilities.ts';
import { organisation } from './config.ts';

/** One SES client per execution environment (the attachment mailer sends through it too). */
export const ses = new SESv2Client({});

export function fromAddress(org: Organisation): string {
  // The display name is user text in a header: strip CR/LF and quote it.
  const name = headerSafe(org.sender.name, 64).replace(/["\\]/g, '');
  return `"${name}" <${org.sender.address}>`;
}

/** SES errors that refuse a mail for good (SendEmail's documented errors that no retry changes). */
const REFUSALS = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'AccountSuspendedException',
  'SendingPausedException',
]);

/** A refusal as MailRefusedError (core/errors.ts), anything else as it came. */
export function refusalOf(error: unknown): unknown {
  return error instanceof Error && REFUSALS.has(error.name)
    ? new MailRefusedError(error.name, `SES refused the mail (${error.name}): ${error.message}`)
    : error;
}

export function sesMailer(org: Organisation): Mailer {
  return {
    async send(to, message, tags) {
      const emailTags = tags ? messageTags(tags) : [];
      const result = await ses
        .send(
          new SendEmailCommand({
            FromEmailAddress: fromAddress(org),
            Destination: { ToAddresses: [...to] },
            ...(message.replyTo ? { ReplyToAddresses: [headerSafe(message.replyTo, 254)] } : {}),
            ...configurationSet(),
            ...(emailTags.length > 0 ? { EmailTags: emailTags } : {}),
            Content: {
              Simple: {
                Subject: { Data: headerSafe(message.subject, 250), Charset: 'UTF-8' },
                Body: {
                  Text: { Data: message.text, Charset: 'UTF-8' },
                  Html: { Data: message.html, Charset: 'UTF-8' },
                },
              },
            },
          }),
        )
        .catch((error: unknown) => {
          throw refusalOf(error);
        });
      return { messageId: result.MessageId ?? '' };
    },
  };
}

/** The configuration set the stack names for mail (delivery events, suppression); absent in bare tests. */
export function configurationSet(): { ConfigurationSetName?: string } {
  const name = process.env.SES_CONFIGURATION_SET;
  return name ? { ConfigurationSetName: name } : {};
}

export const mailerPort = port('mail', () => sesMailer(organisation()));
