import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { createMimeMessage } from 'mimetext';
import type { EmailMessage } from '../core/comms.ts';
import type { Organisation } from '../core/config.ts';
import { headerSafe } from '../core/text.ts';
import type { Attachment, AttachmentMailer } from '../use-cases/ports.ts';
import { port } from './capabilities.ts';
import { organisation } from './config.ts';
import { configurationSet, fromAddress, ses } from './mailer.ts';

/*
 * Mail with attachments (the SLO report's CSV files), as raw MIME: apart from the plain mailer, so that only the
 * functions that send reports bundle the MIME library.
 */

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
          ...configurationSet(),
          Content: { Raw: { Data: Buffer.from(rawMessage(org, to, message, attachments), 'utf8') } },
        }),
      );
      return { messageId: result.MessageId ?? '' };
    },
  };
}

export const attachmentMailerPort = port('mail:raw', () => sesAttachmentMailer(organisation()));
