/**
 * The mail templates moved to core/mails/ (one module per family, sharing core/mails/layout.ts). This module keeps
 * their names importable from here; new code imports from core/mails/ directly.
 */
export * from './mails/incident-comms.ts';
export * from './mails/layout.ts';
export * from './mails/paging.ts';
export * from './mails/postmortem.ts';
