import type { Override, Schedule } from './oncall.ts';
import { onCallAt } from './oncall.ts';

/**
 * Who a paging tier reaches (a service's primary and backup incident managers, the IMOC): each entry of the
 * configuration is an email address, a person (`person:<id>`, one of `people`), or whoever is on call in a
 * schedule at the moment of paging (`schedule:<id>`, one of `schedules`). Resolved when the page is sent, so a
 * handoff or an override made a minute before changes who is paged.
 */

export type PageTarget =
  | { kind: 'address'; address: string }
  | { kind: 'person'; personId: string }
  | { kind: 'schedule'; scheduleId: string };

const REFERENCE = /^(person|schedule):([a-z][a-z0-9._-]{0,62})$/;
// The shape the configuration's addresses already have (config.ts validates them with zod's email check).
const ADDRESS = /^[^\s@<>",;:]+@[^\s@<>",;:]+\.[^\s@<>",;:]+$/;

/** The entry as a target, or undefined when it is neither an address nor a `person:`/`schedule:` reference. */
export function parsePageTarget(entry: string): PageTarget | undefined {
  const reference = REFERENCE.exec(entry);
  if (reference) {
    const id = reference[2] as string;
    return reference[1] === 'person'
      ? { kind: 'person', personId: id }
      : { kind: 'schedule', scheduleId: id };
  }
  return ADDRESS.test(entry) ? { kind: 'address', address: entry } : undefined;
}

/** The schedules a list of entries pages through (their overrides are read before resolving). */
export function schedulesNamed(entries: readonly string[]): string[] {
  return [
    ...new Set(
      entries.flatMap((entry) => {
        const target = parsePageTarget(entry);
        return target?.kind === 'schedule' ? [target.scheduleId] : [];
      }),
    ),
  ];
}

/** What resolving needs of the organisation: its people (email) and schedules. */
export interface PagingDirectory {
  people?: Readonly<Record<string, { name: string; email: string }>> | undefined;
  schedules?: Readonly<Record<string, Omit<Schedule, 'id'>>> | undefined;
}

/** One person or address a tier pages: by address, with who they are and through which schedule. */
export interface PageRecipient {
  address: string;
  personId?: string;
  name?: string;
  scheduleId?: string;
  scheduleName?: string;
}

/**
 * The recipients of a tier at `at`: each schedule's holder then (its overrides, in precedence order, given by
 * `overridesOf`), each person's address, each address as it is; one recipient per address, in the entries'
 * order. An entry that names nothing known (config.ts refuses those) is left out rather than mailed.
 */
export function resolvePageTargets(
  directory: PagingDirectory,
  entries: readonly string[],
  at: Date,
  overridesOf: (scheduleId: string) => readonly Override[],
): PageRecipient[] {
  const people = directory.people ?? {};
  const seen = new Set<string>();
  const out: PageRecipient[] = [];
  const add = (recipient: PageRecipient) => {
    const key = recipient.address.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    out.push(recipient);
  };
  const person = (personId: string, via?: { id: string; name: string }) => {
    const found = Object.hasOwn(people, personId) ? people[personId] : undefined;
    if (!found) return;
    add({
      address: found.email,
      personId,
      name: found.name,
      ...(via ? { scheduleId: via.id, scheduleName: via.name } : {}),
    });
  };
  for (const entry of entries) {
    const target = parsePageTarget(entry);
    if (!target) continue;
    if (target.kind === 'address') add({ address: target.address });
    else if (target.kind === 'person') person(target.personId);
    else {
      const config = directory.schedules?.[target.scheduleId];
      if (!config || !Object.hasOwn(directory.schedules ?? {}, target.scheduleId)) continue;
      const schedule: Schedule = { id: target.scheduleId, ...config };
      person(onCallAt(schedule, overridesOf(schedule.id), at), { id: schedule.id, name: schedule.name });
    }
  }
  return out;
}

/**
 * Every address a list of entries could page, whoever is on call (a person's, each member of a schedule): for
 * what needs the people behind a role without a moment (the blameless check's names).
 */
export function everyAddressOf(directory: PagingDirectory, entries: readonly string[]): string[] {
  const people = directory.people ?? {};
  const emailsOf = (id: string): string[] => {
    const email = Object.hasOwn(people, id) ? people[id]?.email : undefined;
    return email ? [email] : [];
  };
  return [
    ...new Set(
      entries.flatMap((entry) => {
        const target = parsePageTarget(entry);
        if (!target) return [];
        if (target.kind === 'address') return [target.address];
        if (target.kind === 'person') return emailsOf(target.personId);
        const schedule = directory.schedules?.[target.scheduleId];
        return (schedule?.rotation.members ?? []).flatMap(emailsOf);
      }),
    ),
  ];
}

/** A recipient as a timeline line says it: `Ada Lovelace <ada@example.com> (on call in Payments on call)`. */
export function recipientWords(recipient: PageRecipient): string {
  const who = recipient.name ? `${recipient.name} <${recipient.address}>` : recipient.address;
  return recipient.scheduleName ? `${who} (on call in ${recipient.scheduleName})` : who;
}

/**
 * The sequence of one recipient's page in a round (a change of severity starts one), tier and place: what its
 * sends are claimed under (a retried step sends nothing twice; an escalation, a repeat of the last tier or a
 * re-route is a new page). The first 99 recipients of the first 100 tiers keep the numbering pages always had
 * (`round * 10000 + tier * 100 + index + 1`: the records and links of pages already sent name it). Beyond them (the
 * IMOC paged again a hundred times, each repeat a tier of its own, or a tier of a hundred people) that numbering
 * would reach the next round's or tier's, and the page would find its send claimed already and go nowhere: those
 * pages are numbered apart, above 10^12, one number each for tiers below 10^7 and places below 10^4 (2^53 holds
 * rounds below 90,000).
 */
export function pageSequence(round: number, tier: number, index: number): number {
  if (tier < 100 && index < 99) return round * 10_000 + tier * 100 + index + 1;
  if (tier >= 10_000_000 || index >= 10_000)
    throw new Error(`page sequence out of range: tier ${tier}, place ${index}`);
  return 1e12 + round * 1e11 + tier * 10_000 + index + 1;
}
