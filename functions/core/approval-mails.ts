/**
 * The approval mails moved to core/mails/approval.ts (kept apart from the other mails so that only the functions
 * that send them bundle the document renderer). This module keeps their names importable from here.
 */
export * from './mails/approval.ts';
