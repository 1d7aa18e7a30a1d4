import type { Mailer } from '../adapters/mailer.ts';
import type { IncidentRepository } from '../adapters/repository.ts';
import { pageEmail } from '../core/comms.ts';
import type { Organisation } from '../core/config.ts';
import { NotFoundError } from '../core/errors.ts';
import { serviceOf } from '../core/organisation.ts';
import { sendOnce } from './send-once.ts';

export interface PageDependencies {
  repo: IncidentRepository;
  mailer: Mailer;
  organisation: Organisation;
  baseUrl: string;
  now: () => Date;
}

export interface PageResult {
  key: string;
  recipients: string[];
  messageId: string;
  sentAt: string;
}

/** Pages the service's incident manager(s) and moves the incident from new to paged. */
export async function pageIncidentManager(
  deps: PageDependencies,
  input: { incidentId: string; key: string },
): Promise<PageResult> {
  const view = await deps.repo.incidentView(input.incidentId);
  if (!view) throw new NotFoundError(`incident ${input.key} (${input.incidentId}) does not exist`);
  const { incident } = view;
  const service = serviceOf(deps.organisation, incident.service);
  const recipients = service.incidentManagers.primary;
  const message = pageEmail({
    incident,
    service,
    baseUrl: deps.baseUrl,
    firingAlerts: view.alerts.filter((a) => a.status === 'firing'),
  });
  const sent = await sendOnce(deps.repo, deps.mailer, {
    incidentId: incident.id,
    kind: 'page',
    sequence: 1,
    recipients,
    message,
    timelineKind: 'page.sent',
    timelineText: `Paged incident manager ${recipients.join(', ')}.`,
    now: deps.now,
  });
  if (await deps.repo.transitionStatus(incident.id, 'new', 'paged', sent.sentAt)) {
    await deps.repo.appendTimeline({
      incidentId: incident.id,
      eventId: 'status-paged',
      at: sent.sentAt,
      kind: 'status.changed',
      actor: 'hotline',
      text: 'Status: new → paged.',
      data: { from: 'new', to: 'paged' },
    });
  }
  return { key: incident.key, recipients, messageId: sent.messageId, sentAt: sent.sentAt };
}
