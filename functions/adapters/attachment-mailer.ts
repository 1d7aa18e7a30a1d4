import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { Organisation } from '../core/config.ts';
import type { AttachmentMailer } from '../use-cases/ports.ts';
import { port } from './capabilities.ts';
import { organisation } from './config.ts';
import { configurationSet, fromAddress, ses } from './mailer.ts';

/*
 * Mail with attachments (the SLO report's CSV files), as raw MIME: apart from the plain mailer, so that only the
 * functions that send reports bundle the MIME library, and loaded on the first send (mime-message.ts), so that they
 * read it only when they mail.
 */

/** Sends raw MIME through SES (its simple content carries no attachments). */
export function sesAttachmentMailer(org: Organisation): AttachmentMailer {
  return {
    async sendWithAttachments(to, message, attachments) {
      const { rawMessage } = await import('./mime-message.ts');
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
