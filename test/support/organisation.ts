import { type Organisation, type OrganisationInput, parseOrganisation } from '../../functions/core/config.ts';

export const organisationInput: OrganisationInput = {
  incidentKeyPrefix: 'HOT',
  sender: { address: 'incidents@example.com', name: 'Incidents' },
  operators: ['operators@example.com'],
  imoc: ['imoc@example.com'],
  defaultService: 'unknown',
  services: {
    checkout: {
      name: 'Checkout',
      ownerTeam: 'Payments',
      team: 'payments-team@example.com',
      aliases: ['checkout-api'],
      products: ['Checkout'],
      comms: { internal: ['checkout-incidents@example.com'], external: ['status@example.com'] },
      incidentManagers: { primary: ['payments-oncall@example.com'], backup: ['payments-lead@example.com'] },
      approvers: { mandatory: ['head-of-payments@example.com'] },
      actionSloWeeks: 4,
      department: 'commerce',
      availabilityObjective: 99.9,
    },
    unknown: {
      name: 'Unassigned',
      ownerTeam: 'SRE',
      comms: { internal: ['incidents@example.com'] },
      incidentManagers: { primary: ['imoc@example.com'] },
      approvers: { mandatory: ['sre-lead@example.com'] },
    },
  },
  departments: { commerce: { managers: ['commerce-managers@example.com'] } },
  reports: { recipients: ['engineering-leads@example.com'] },
};

export const organisation: Organisation = parseOrganisation(organisationInput);

/** Makes the adapters see this organisation, as a bundle sees its baked-in one. */
export function useTestOrganisation(): void {
  process.env.ORGANISATION_CONFIG = JSON.stringify(organisation);
}
