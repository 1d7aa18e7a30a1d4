/** What the tests and benchmarks of the postmortem flow share. */

import { about, type hotlineClient } from './hotline-client.ts';

/** A postmortem with every blocking check met; `title` names its priority action (change it to edit). */
export function completePostmortem(title: string) {
  return {
    fields: {
      leadup: 'A configuration change at 14:20 UTC lowered the connection pool size.',
      fault: 'The checkout service ran out of database connections under normal load.',
      detection: 'The 5xx alert fired four minutes after impact started.',
      response: 'The incident manager was paged and acknowledged within three minutes.',
      recovery: 'The change was rolled back at 15:05 UTC and errors stopped.',
      fiveWhys: [
        'Checkout failed because it had no database connections.',
        'It had none because the pool was set to 5.',
        'It was set to 5 because the change was not reviewed against load.',
        'It was not reviewed because pool sizes are not in the review checklist.',
        'They are not because the checklist predates connection pooling.',
      ],
      rootCause: 'A configuration change reduced the connection pool below the normal load.',
      rootCauseCategory: 'change',
      backlogCheck: 'No backlog item covered pool sizing.',
      lessons: {
        wentWell: 'The alert fired quickly.',
        couldBeBetter: 'The change was deployed without a load check.',
        gotLucky: 'Traffic was low at the time.',
      },
      externalSummary:
        'For about 45 minutes some card payments failed at checkout. A settings change caused it; we undid it and now check such changes before they go live.',
    },
    actions: [
      {
        title,
        kind: 'priority',
        category: 'prevent-future',
        ownerTeam: 'Payments',
        trackerUrl: 'https://tracker.example.com/PAY-1',
      },
      {
        title: 'Add alerting for all cases where the connection pool is more than 90% used',
        kind: 'improvement',
        category: 'detect',
        ownerTeam: 'Payments',
        trackerUrl: 'https://tracker.example.com/PAY-2',
      },
    ],
  };
}

/**
 * A sev 2 of checkout declared, acknowledged and resolved, its postmortem completed (every blocking check met)
 * through the operator API: ready to be asked for approval. The incident's key.
 */
export async function postmortemReadyForApproval(
  { api, waitForMails }: ReturnType<typeof hotlineClient>,
  summary: string,
  action = 'Add a check of connection pool sizes to the change review checklist',
): Promise<string> {
  const declared = await api('POST', '/incidents', {
    summary,
    description: 'Card payments fail at checkout.',
    severity: 2,
    service: 'checkout',
  });
  const key = declared.body.key as string;
  await api('POST', `/incidents/${key}/acknowledge`, { incidentManager: 'payments-oncall@example.com' });
  await api('POST', `/incidents/${key}/resolve`, { supportCases: 2 });
  await waitForMails('the owner mail', about(key, ' - Postmortem'));
  const { postmortem } = (await api('GET', `/incidents/${key}/postmortem`)).body;
  const saved = await api('PUT', `/incidents/${key}/postmortem`, {
    version: postmortem.version,
    ...completePostmortem(action),
  });
  if (saved.status !== 200 || saved.body.postmortem.checks.blocking.length > 0)
    throw new Error(`the postmortem of ${key} was not completed: ${JSON.stringify(saved.body)}`);
  return key;
}
