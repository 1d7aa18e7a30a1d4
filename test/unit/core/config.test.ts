import { describe, expect, it } from 'vitest';
import { ConfigurationError, parseOrganisation } from '../../../functions/core/config.ts';
import { serviceOf } from '../../../functions/core/organisation.ts';
import { organisationInput } from '../../support/organisation.ts';

describe('organisation configuration', () => {
  it('fills the documented defaults', () => {
    const org = parseOrganisation(organisationInput);
    const checkout = org.services.checkout;
    expect(checkout?.followUpCadenceMinutes).toEqual({ 1: 30, 2: 60, 3: null });
    expect(org.services.unknown?.actionSloWeeks).toBe(8);
    expect(org.alertRouting.severityValues.critical).toBe(1);
  });

  it('names the file and every bad field', () => {
    const bad = {
      ...organisationInput,
      sender: { address: 'not-an-email' },
      services: {
        ...organisationInput.services,
        checkout: {
          ...organisationInput.services.checkout,
          comms: { internal: ['ok@example.com', 'broken'] },
        },
      },
    };
    expect(() => parseOrganisation(bad, 'infra/organisation.ts')).toThrowError(ConfigurationError);
    try {
      parseOrganisation(bad, 'infra/organisation.ts');
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('infra/organisation.ts');
      expect(message).toContain('sender.address');
      expect(message).toContain('services.checkout.comms.internal[1]');
    }
  });

  it('rejects a default service that is not defined', () => {
    expect(() => parseOrganisation({ ...organisationInput, defaultService: 'nope' })).toThrowError(
      /defaultService: "nope" is not one of the services/,
    );
  });

  it('rejects action SLOs other than 4 or 8 weeks and bad key prefixes', () => {
    const services = {
      ...organisationInput.services,
      checkout: { ...organisationInput.services.checkout, actionSloWeeks: 6 },
    };
    expect(() => parseOrganisation({ ...organisationInput, services })).toThrowError(/actionSloWeeks/);
    expect(() => parseOrganisation({ ...organisationInput, incidentKeyPrefix: 'hot' })).toThrowError(
      /incidentKeyPrefix/,
    );
  });

  it('falls back to the default service for an unknown id', () => {
    const org = parseOrganisation(organisationInput);
    expect(serviceOf(org, 'missing').name).toBe('Unassigned');
  });

  it('reads departments, availability objectives and the report schedule, with their defaults', () => {
    const org = parseOrganisation(organisationInput);
    expect(org.departments.commerce?.managers).toEqual(['commerce-managers@example.com']);
    expect(org.services.checkout?.department).toBe('commerce');
    expect(org.services.checkout?.availabilityObjective).toBe(99.9);
    expect(org.reports).toEqual({
      recipients: ['engineering-leads@example.com'],
      schedule: 'cron(0 8 ? * MON *)',
      timeZone: 'UTC',
      firstCommsMinutes: 15,
    });
  });

  it('rejects a service naming an unknown department, and a department without managers', () => {
    const services = {
      ...organisationInput.services,
      checkout: { ...organisationInput.services.checkout, department: 'retail' },
    };
    expect(() => parseOrganisation({ ...organisationInput, services })).toThrowError(
      /services\.checkout\.department: "retail" is not one of the departments \(commerce\)/,
    );
    expect(() =>
      parseOrganisation({ ...organisationInput, departments: { commerce: { managers: [] } } }),
    ).toThrowError(/departments\.commerce\.managers: a department needs at least one manager/);
  });

  it('rejects a report schedule that is not a 6-field cron, a bad time zone and a bad objective', () => {
    const reports = (r: Record<string, unknown>) =>
      parseOrganisation({ ...organisationInput, reports: { recipients: [], ...r } });
    expect(() => reports({ schedule: '0 8 * * 1' })).toThrowError(/reports\.schedule/);
    expect(() => reports({ schedule: 'cron(0 8 * * 1)' })).toThrowError(/reports\.schedule/);
    expect(() => reports({ timeZone: 'Mars/Olympus' })).toThrowError(/reports\.timeZone/);
    const services = {
      ...organisationInput.services,
      checkout: { ...organisationInput.services.checkout, availabilityObjective: 100 },
    };
    expect(() => parseOrganisation({ ...organisationInput, services })).toThrowError(
      /services\.checkout\.availabilityObjective/,
    );
  });
});
