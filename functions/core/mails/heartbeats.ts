/** What the operators are told about a heartbeat: its silence on the timeline, its return by mail. */
import type { HeartbeatConfig } from '../heartbeats.ts';
import type { Incident } from '../incident.ts';
import { durationText, type EmailMessage, incidentRow, mailTime, render, subjectFor } from './layout.ts';

const silence = (from: string, to: string) => durationText(Math.max(0, Date.parse(to) - Date.parse(from)));

/** The timeline entry of a silence, on the incident it pages through. */
export function silenceText(id: string, config: HeartbeatConfig, silentSince: string, at: string): string {
  return `Heartbeat "${id}" (${config.source}) silent: last seen ${mailTime(silentSince)}, ${silence(silentSince, at)} before this check, past its ${config.windowMinutes}-minute window. Operators paged.`;
}

/** The timeline entry of a return. */
export function backText(id: string, config: HeartbeatConfig, silentSince: string, seenAt: string): string {
  return `Heartbeat "${id}" (${config.source}) is back: seen ${mailTime(seenAt)} after ${silence(silentSince, seenAt)} of silence. The incident stays open until a person resolves it.`;
}

export interface HeartbeatBackContext {
  incident: Pick<Incident, 'key' | 'severity' | 'summary'>;
  id: string;
  config: HeartbeatConfig;
  silentSince: string;
  seenAt: string;
  viewUrl: string;
}

/**
 * To the operators: the heartbeat that paged them is seen again. Alerts it held back may arrive now; the
 * incident is theirs to resolve (with what the silence cost in its timeline), not closed by the heartbeat.
 */
export function heartbeatBackEmail({
  incident,
  id,
  config,
  silentSince,
  seenAt,
  viewUrl,
}: HeartbeatBackContext): EmailMessage {
  const { text, html } = render(
    `${incident.key}: heartbeat "${id}" is back`,
    `The ${config.source} heartbeat "${id}" that paged you is seen again after ${silence(silentSince, seenAt)} of silence, so alerts from ${config.source} are reaching Hotline again. Alerts held back while it was silent may arrive now. The incident stays open: resolve it when you know why it went silent (false alarm if nothing was wrong).`,
    [
      incidentRow(incident, viewUrl),
      { label: 'Heartbeat', value: `${id} (${config.source})` },
      { label: 'Last seen before the silence', value: mailTime(silentSince) },
      { label: 'Seen again', value: mailTime(seenAt) },
      { label: 'Window', value: `${config.windowMinutes} minutes` },
    ],
    [],
  );
  return { subject: subjectFor(incident, `Heartbeat ${id} is back`), text, html };
}
