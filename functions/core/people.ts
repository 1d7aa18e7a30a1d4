/**
 * People who can be paged and how to reach them. A person's notification rules say which channel is tried
 * how many minutes after the page if nobody has acknowledged (email and SMS at once, a voice call after 3
 * minutes). The acknowledgement timeout of the tier they are paged in starts only when their last rule has
 * fired: escalating before the voice call rang would skip the channel most likely to wake them.
 */

export type Channel = 'email' | 'sms' | 'voice';

export const CHANNELS: readonly Channel[] = ['email', 'sms', 'voice'];

export interface NotificationRule {
  channel: Channel;
  /** Minutes after the page, without an acknowledgement, at which this channel is tried. */
  afterMinutes: number;
}

export interface Person {
  name: string;
  email: string;
  /** E.164, e.g. +447700900123; needed by any sms or voice rule. */
  phone?: string | undefined;
  /** IANA time zone the person lives in (times they are told are in it). */
  timeZone: string;
  notificationRules: readonly NotificationRule[];
}

/** What a person gets when nothing says otherwise: a mail at once. */
export const DEFAULT_NOTIFICATION_RULES: readonly NotificationRule[] = [
  { channel: 'email', afterMinutes: 0 },
];

/** E.164: a plus, a country code not starting with 0, at most 15 digits in all (8 is the shortest in use). */
const E164 = /^\+[1-9]\d{7,14}$/;

export function isE164(phone: string): boolean {
  return E164.test(phone);
}

/** Channels that need a phone number. */
export function needsPhone(channel: Channel): boolean {
  return channel === 'sms' || channel === 'voice';
}

/**
 * A phone number fit for a log line: country code and last two digits, the rest hidden (the rule: a
 * number is never written to logs in full).
 */
export function redactPhone(phone: string): string {
  if (phone.length <= 6) return '***';
  return `${phone.slice(0, 3)}${'*'.repeat(phone.length - 5)}${phone.slice(-2)}`;
}

export interface PlannedNotification {
  channel: Channel;
  at: Date;
}

export interface NotificationPlan {
  /** In firing order (by time, then email, SMS, voice: the cheapest channel first when they tie). */
  notifications: PlannedNotification[];
  /** When the tier's acknowledgement timeout starts counting: the moment the last rule fires. */
  timeoutStartsAt: Date;
}

/** When each of a person's notifications fires for a page at `pagedAt`, and when the tier's timeout starts. */
export function notificationPlan(rules: readonly NotificationRule[], pagedAt: Date): NotificationPlan {
  const effective = rules.length > 0 ? rules : DEFAULT_NOTIFICATION_RULES;
  const ordered = [...effective].sort(
    (a, b) => a.afterMinutes - b.afterMinutes || CHANNELS.indexOf(a.channel) - CHANNELS.indexOf(b.channel),
  );
  const notifications = ordered.map((rule) => ({
    channel: rule.channel,
    at: new Date(pagedAt.getTime() + rule.afterMinutes * 60_000),
  }));
  const last = notifications.at(-1) as PlannedNotification;
  return { notifications, timeoutStartsAt: last.at };
}

/** When the tier gives up on the person and escalates: its timeout counted from the last rule's firing. */
export function escalationDueAt(plan: NotificationPlan, acknowledgeTimeoutMinutes: number): Date {
  return new Date(plan.timeoutStartsAt.getTime() + acknowledgeTimeoutMinutes * 60_000);
}

/** The channels a person is reachable on now, and the rules that cannot fire (an sms/voice rule without a phone). */
export function reachability(person: Person): { channels: Channel[]; unreachable: NotificationRule[] } {
  const channels = new Set<Channel>();
  const unreachable: NotificationRule[] = [];
  for (const rule of person.notificationRules) {
    if (needsPhone(rule.channel) && !person.phone) unreachable.push(rule);
    else channels.add(rule.channel);
  }
  return { channels: CHANNELS.filter((c) => channels.has(c)), unreachable };
}

/** A person's name by their address, from the organisation's people (else the address as given). */
export function nameByAddress(people: Readonly<Record<string, Person>> | undefined, address: string): string {
  const wanted = address.trim().toLowerCase();
  const person = Object.values(people ?? {}).find((p) => p.email.trim().toLowerCase() === wanted);
  return person?.name ?? address;
}
