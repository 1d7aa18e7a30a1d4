import PostalMime from 'postal-mime';
import type { ReadMail } from '../use-cases/mail-replies.ts';

/**
 * Reads a received mail (RFC 5322, as SES's receipt notification carries it) with postal-mime: the From address
 * and the text (or HTML) body, decoded from whatever transfer encoding and charset the sender used. Attachments are
 * not kept. Throws on what is not a mail.
 */
export async function readMail(raw: Uint8Array): Promise<ReadMail> {
  const email = await PostalMime.parse(raw, {
    attachmentEncoding: 'base64',
    maxNestingDepth: 20,
    maxHeadersSize: 64 * 1024,
    maxRfc822NestingDepth: 0,
  });
  const from = email.from && 'address' in email.from ? email.from.address : undefined;
  return { from, text: email.text, html: email.html };
}
