/**
 * State names of the incident workflow. Tests read the synthesized definition through them and the benchmark
 * counts them, so a rename here is a rename everywhere.
 */
export const States = {
  Phase: 'Phase',
  ResumeExecution: 'ResumeExecution',
  ResumeAt: 'ResumeAt',
  ContinueExecution: 'ContinueExecution',
  Continued: 'Continued',
  PostmortemOutcome: 'PostmortemOutcome',
  RouteBySeverity: 'RouteBySeverity',
  PageOrNotifyTeam: 'PageOrNotifyTeam',
  PageIncidentManager: 'PageIncidentManager',
  WaitForAcknowledgement: 'WaitForAcknowledgement',
  NotifyTeam: 'NotifyTeam',
  WaitForTeamAcknowledgement: 'WaitForTeamAcknowledgement',
  RemindTeam: 'RemindTeam',
  AcknowledgementOutcome: 'AcknowledgementOutcome',
  AlertsCleared: 'AlertsCleared',
  WaitAfterAlertsCleared: 'WaitAfterAlertsCleared',
  ResolveCleared: 'ResolveCleared',
  ResumeEscalation: 'ResumeEscalation',
  EscalateNow: 'EscalateNow',
  StartResponse: 'StartResponse',
  ResolvedYet: 'ResolvedYet',
  WaitForUpdate: 'WaitForUpdate',
  UpdateOverdue: 'UpdateOverdue',
  FinalComms: 'FinalComms',
  PostmortemNeeded: 'PostmortemNeeded',
  OpenPostmortem: 'OpenPostmortem',
  WaitForPostmortem: 'WaitForPostmortem',
  RemindPostmortem: 'RemindPostmortem',
  WaitForApproval: 'WaitForApproval',
  RemindApprovers: 'RemindApprovers',
  ApprovalOutcome: 'ApprovalOutcome',
  PublishPostmortem: 'PublishPostmortem',
  Published: 'Published',
  Resolved: 'Resolved',
  RecordWorkflowFailure: 'RecordWorkflowFailure',
  WorkflowFailed: 'WorkflowFailed',
} as const;

export type StateName = (typeof States)[keyof typeof States];
