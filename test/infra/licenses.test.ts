import { describe, expect, it } from 'vitest';
import { acceptable, installedLicences, licenceProblems } from '../licenses/licenses.ts';

/** Every installed dependency carries a licence an Apache-2.0 project can carry (exceptions listed with reasons). */
describe('dependency licences', () => {
  it('refuses copyleft licences and accepts a permissive choice', () => {
    expect(acceptable('MIT')).toBe(true);
    expect(acceptable('(MIT OR GPL-3.0-or-later)')).toBe(true);
    expect(acceptable('(MIT OR EUPL-1.1+)')).toBe(true);
    expect(acceptable('GPL-3.0-only')).toBe(false);
    expect(acceptable('AGPL-3.0-or-later')).toBe(false);
    expect(acceptable('LGPL-2.1')).toBe(false);
    expect(acceptable('MIT AND GPL-2.0-only')).toBe(false);
    expect(acceptable('Apache-2.0 WITH LLVM-exception')).toBe(true);
    expect(acceptable('UNKNOWN')).toBe(false);
    expect(
      licenceProblems([
        { path: 'node_modules/x', name: 'x', version: '1.0.0', licence: 'AGPL-3.0', dev: true },
      ]),
    ).toHaveLength(1);
  });

  it('finds none outside the list among the installed packages', () => {
    const packages = installedLicences();
    expect(packages.length).toBeGreaterThan(100);
    expect(licenceProblems(packages)).toEqual([]);
  });
});
