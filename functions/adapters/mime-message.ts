import { createMimeMessage } from 'mimetext';
import type { EmailMessage } from '../core/comms.ts';
import type { Organisation } from '../core/config.ts';
import { headerSafe } from '../core/text.ts';
import type { Attachment } from '../use-cases/ports.ts';

/*
 * The MIME library, apart from the mailer that uses it (attachment-mailer.ts imports this module on its first
 * send): a function that mails a report only when asked (Reports) does not read it at every cold start.
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
