import type { EmailMessage } from '../../functions/core/comms.ts';
import { parseSigningKeys } from '../../functions/core/links.ts';
import type { Mailer } from '../../functions/use-cases/ports.ts';

/** What the integration tests share in place of the stack's secrets and SES. */

/** One active link-signing key, as the stack's secret holds it. */
export const testSigningKeys = () =>
  parseSigningKeys(JSON.stringify({ activeKeyId: 'k1', k1: 'k'.repeat(64) }));

/** A mailer that keeps what it was asked to send, oldest first. */
export function recordingMailer(): {
  mailer: Mailer;
  sent: { to: readonly string[]; message: EmailMessage }[];
} {
  const sent: { to: readonly string[]; message: EmailMessage }[] = [];
  const mailer: Mailer = {
    async send(to, message) {
      sent.push({ to, message });
      return { messageId: `m-${sent.length}` };
    },
  };
  return { mailer, sent };
}
