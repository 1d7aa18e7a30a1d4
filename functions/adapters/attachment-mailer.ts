import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { createMimeMessage } from 'mimetext';
import type { EmailMessage } from '../core/comms.ts';
import type { Organisation } from '../core/config.ts';
import { headerSafe } from '../core/text.ts';
import { fromAddress, ses } from './mailer.ts';

/*
 * Mail with attachments (the SLO report's CSV files), as raw MIME: apart from the plain mailer, so that only the
 * functions that send reports bundle the MIME library.
 */

/** A file attached to a mail (text content: the report's CSV files). */
export interface Attachment {
  filename: string;
  contentType: string;
  content: string;
}

/** Sends a mail with attachments, as raw MIME (SES's simple content carries none). */
export interface AttachmentMailer {
  sendWithAttachments(
    to: readonly string[],
    message: EmailMessage,
    attachments: readonly Attachment[],
  ): Promise<{ messageId: string }>;
}

/** The raw MIME of a mail (text and HTML alternatives, then the attachments, base64), built by mimetext. */
export function rawMessage(
  org: Organisation,
  to: readonly string[],
  message: EmailMessage,
  attachments: readonly Attachment[],
): string {
  const mime = createMimeMessage();
  mime.setSender({ name: headerSafe(org.sender.name, 64).replace(/["\\]/g, ''), addr: org.sender.address });
  mime.setTo([...to]);
  mime.setSubject(headerSafe(message.subject, 250));
  mime.addMessage({ contentType: 'text/plain', data: message.text, charset: 'UTF-8' });
  mime.addMessage({ contentType: 'text/html', data: message.html, charset: 'UTF-8' });
  for (const attachment of attachments) {
    mime.addAttachment({
      filename: attachment.filename,
      contentType: attachment.contentType,
      data: Buffer.from(attachment.content, 'utf8').toString('base64'),
    });
  }
  return mime.asRaw();
}

/** Sends raw MIME through SES (its simple content carries no attachments). */
export function sesAttachmentMailer(org: Organisation): AttachmentMailer {
  return {
    async sendWithAttachments(to, message, attachments) {
      const result = await ses.send(
        new SendEmailCommand({
          FromEmailAddress: fromAddress(org),
          Destination: { ToAddresses: [...to] },
          ...(process.env.SES_CONFIGURATION_SET
            ? { ConfigurationSetName: process.env.SES_CONFIGURATION_SET }
            : {}),
          Content: { Raw: { Data: Buffer.from(rawMessage(org, to, message, attachments), 'utf8') } },
        }),
      );
      return { messageId: result.MessageId ?? '' };
    },
  };
}
