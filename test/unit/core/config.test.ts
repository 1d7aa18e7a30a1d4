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
});
