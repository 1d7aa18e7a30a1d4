import { workflowFailureEmail } from '../core/comms.ts';
import type { Organisation } from '../core/config.ts';
import { digestNumber } from '../core/keys.ts';
import { cap } from '../core/text.ts';
import type { CommsStore, IncidentStore, Mailer } from './ports.ts';
import { sendOnce } from './send-once.ts';
import type { LinkSigning } from './view-links.ts';

export interface WorkflowFailureInput {
  incidentId: string;
  key: string;
  failure?: { Error?: string; Cause?: string };
}

export interface FailureDependencies extends LinkSigning {
  incidents: IncidentStore;
  comms: CommsStore;
  mailer: Mailer;
  organisation: Organisation;
}

/** Records a workflow failure on the incident's timeline and tells the operators, once per distinct failure. */
export async function recordWorkflowFailure(deps: FailureDependencies, input: WorkflowFailureInput) {
  const error = cap(input.failure?.Error ?? 'Unknown', 200);
  const cause = cap(input.failure?.Cause ?? '', 4000);
  const incident = await deps.incidents.get(input.incidentId);
  // Same failure retried = same sequence number, so the operators get one mail per failure, not per retry.
  const sequence = digestNumber(`${error}|${cause}`);
  const subjectIncident = incident ?? { key: input.key, severity: 1 as const, summary: 'unknown incident' };
  const sent = await sendOnce(deps, {
    incidentId: input.incidentId,
    incidentKey: input.key,
    kind: 'workflow-failure',
    sequence,
    recipients: deps.organisation.operators,
    // A link to the incident's page only when the incident exists.
    message: incident
      ? (viewUrl) => workflowFailureEmail({ incident, viewUrl, error, cause })
      : workflowFailureEmail({ incident: subjectIncident, error, cause }),
    timelineKind: 'workflow.failed',
    timelineText: `The workflow failed (${error}); told operators ${deps.organisation.operators.join(', ')}.`,
    now: deps.now,
  });
  return { key: input.key, error, notified: deps.organisation.operators, messageId: sent.messageId };
}
