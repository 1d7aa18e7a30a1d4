import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigurationError, type Organisation, parseOrganisation } from '../functions/core/config.ts';
import {
  CalendarImportError,
  type ImportPerson,
  rotationFromCalendar,
} from '../functions/core/oncall-import.ts';
import { isIanaTimeZone } from '../functions/core/zoned-time.ts';

const here = import.meta.dirname;

/** Which organisation file to use: explicit path, else infra/organisation.ts, else the shipped example. */
export function organisationPath(explicit?: string): string {
  const chosen = explicit ?? process.env.HOTLINE_ORGANISATION;
  if (chosen) return resolve(chosen);
  const own = resolve(here, 'organisation.ts');
  return existsSync(own) ? own : resolve(here, 'organisation.example.ts');
}

/** Loads and validates the organisation file; a bad file throws a ConfigurationError naming file and field. */
export async function loadOrganisation(
  explicit?: string,
): Promise<{ organisation: Organisation; path: string }> {
  const path = organisationPath(explicit);
  const shown = relative(process.cwd(), path) || path;
  if (!existsSync(path)) throw new ConfigurationError(`Configuration file not found: ${shown}`);
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new ConfigurationError(`Could not load ${shown}: ${(error as Error).message}`);
  }
  if (mod.default === undefined) throw new ConfigurationError(`${shown} has no default export`);
  return {
    organisation: parseOrganisation(withCalendarRotations(mod.default, dirname(path), shown), shown),
    path,
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A schedule may give `ics` (a path to an iCalendar file, from the organisation file's folder) instead of its
 * `rotation`: the file is read here, at synth and start, and its rotation put in its place
 * (core/oncall-import.ts), so the functions only ever see rotations. A file that is missing or is not a rotation
 * stops synth and start, naming the schedule's field and what does not fit.
 */
export function withCalendarRotations(input: unknown, folder: string, shown: string): unknown {
  if (!isRecord(input) || !isRecord(input.schedules)) return input;
  const people: Record<string, ImportPerson> = {};
  for (const [id, person] of Object.entries(isRecord(input.people) ? input.people : {})) {
    if (isRecord(person) && typeof person.name === 'string')
      people[id] = {
        name: person.name,
        ...(typeof person.email === 'string' ? { email: person.email } : {}),
      };
  }
  const problems: string[] = [];
  const schedules: Record<string, unknown> = {};
  for (const [id, schedule] of Object.entries(input.schedules)) {
    schedules[id] = schedule;
    if (!isRecord(schedule) || !('ics' in schedule)) continue;
    const { ics, ...rest } = schedule;
    const field = `schedules.${id}.ics`;
    if ('rotation' in schedule) {
      problems.push(`${field}: give a rotation or an ics file, not both`);
      continue;
    }
    if (typeof ics !== 'string' || ics.trim() === '') {
      problems.push(`${field}: must be the path of an iCalendar (.ics) file`);
      continue;
    }
    // The schema names a missing or unknown zone.
    if (typeof schedule.timeZone !== 'string' || !isIanaTimeZone(schedule.timeZone)) continue;
    const file = resolve(folder, ics);
    if (!existsSync(file)) {
      problems.push(`${field}: no file ${relative(process.cwd(), file) || file}`);
      continue;
    }
    try {
      const rotation = rotationFromCalendar(readFileSync(file, 'utf8'), {
        scheduleId: id,
        timeZone: schedule.timeZone,
        people,
      });
      schedules[id] = { ...rest, rotation };
    } catch (error) {
      if (!(error instanceof CalendarImportError)) throw error;
      problems.push(`${field} (${ics}): ${error.message}`);
    }
  }
  if (problems.length > 0)
    throw new ConfigurationError(
      `Invalid configuration in ${shown}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  return { ...input, schedules };
}
