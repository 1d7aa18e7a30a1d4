/**
 * State names of the incident workflow. The local target binds Task handlers by these names and tests read the
 * synthesized definition through them, so a rename here is a rename everywhere.
 */
export const States = {
  PageIncidentManager: 'PageIncidentManager',
  Paged: 'Paged',
  RecordWorkflowFailure: 'RecordWorkflowFailure',
  WorkflowFailed: 'WorkflowFailed',
} as const;

export type StateName = (typeof States)[keyof typeof States];
