import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  executionNameOf,
  MAX_EXECUTION_AGE_MS,
  nextExecutionName,
  shouldContinue,
  WAITS_PER_EXECUTION,
} from '../../../functions/core/executions.ts';
import { type Incident, privateIncidentFields, publicIncident } from '../../../functions/core/incident.ts';
import {
  ContractError,
  resumeOutput,
  stepInput,
  stepOutput,
} from '../../../functions/core/workflow-contracts.ts';

describe('execution names', () => {
  it('names an incident its key, a postmortem started alone <key>-postmortem, and keeps a given name', () => {
    expect(executionNameOf({ key: 'HOT-12' })).toBe('HOT-12');
    expect(executionNameOf({ key: 'HOT-12', phase: 'postmortem' })).toBe('HOT-12-postmortem');
    expect(executionNameOf({ key: 'HOT-12', phase: 'continue' })).toBe('HOT-12');
    expect(executionNameOf({ key: 'HOT-12', name: 'HOT-12-7' })).toBe('HOT-12-7');
  });

  it('counts generations after the base name, though the key itself ends in a number', () => {
    expect(nextExecutionName('HOT-12', 'HOT-12')).toBe('HOT-12-2');
    expect(nextExecutionName('HOT-12', 'HOT-12-2')).toBe('HOT-12-3');
    expect(nextExecutionName('HOT-12', 'HOT-12-postmortem')).toBe('HOT-12-postmortem-2');
    expect(nextExecutionName('HOT-12', 'HOT-12-postmortem-9')).toBe('HOT-12-postmortem-10');
  });

  it('never repeats a name along a chain and stays within the 80 characters AWS allows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 9 }), fc.boolean(), (n, postmortem) => {
        const key = `HOT-${n}`;
        const seen = new Set<string>();
        let name = postmortem ? `${key}-postmortem` : key;
        for (let i = 0; i < 40; i++) {
          expect(seen.has(name)).toBe(false);
          expect(name.length).toBeLessThanOrEqual(80);
          expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
          seen.add(name);
          name = nextExecutionName(key, name);
        }
      }),
    );
  });
});

describe('what the workflow keeps on an incident', () => {
  it('never reaches the API: tokens, the wait they belong to and the count of waits', () => {
    const incident = {
      incidentId: '01J',
      key: 'HOT-1',
      ackTaskToken: 'a',
      loopTaskToken: 'b',
      ackWait: 'team',
      waitsExecution: 'HOT-1-2',
      waitsCount: 7,
      executionName: 'HOT-1-2',
    } as unknown as Incident;
    const shown = publicIncident(incident) as Record<string, unknown>;
    for (const field of privateIncidentFields) expect(shown).not.toHaveProperty(field);
    expect(shown).toMatchObject({ key: 'HOT-1', executionName: 'HOT-1-2' });
  });
});

describe('when a wait hands over to a new execution', () => {
  const now = new Date('2027-06-01T00:00:00.000Z');

  it('continues after the waits an execution may hold, not before', () => {
    expect(shouldContinue({ waits: WAITS_PER_EXECUTION, now })).toBe(false);
    expect(shouldContinue({ waits: WAITS_PER_EXECUTION + 1, now })).toBe(true);
  });

  it('continues an execution that is close to the year AWS allows', () => {
    const young = new Date(now.getTime() - MAX_EXECUTION_AGE_MS + 60_000).toISOString();
    const old = new Date(now.getTime() - MAX_EXECUTION_AGE_MS - 60_000).toISOString();
    expect(shouldContinue({ waits: 1, startedAt: young, now })).toBe(false);
    expect(shouldContinue({ waits: 1, startedAt: old, now })).toBe(true);
    expect(MAX_EXECUTION_AGE_MS).toBeLessThan(365 * 24 * 60 * 60 * 1000);
  });

  it('ignores a start time it cannot read', () => {
    expect(shouldContinue({ waits: 3, startedAt: 'not a time', now })).toBe(false);
  });
});

describe('the contract between the state machine and its steps', () => {
  it('names the step and the field that break it', () => {
    expect(() => stepInput({ step: 'nope', incidentId: 'a', key: 'HOT-1' })).toThrow(ContractError);
    expect(() => stepInput({ step: 'page', incidentId: 'a', key: 'HOT-1', tier: 0 })).toThrow(
      /input of step page.*round/,
    );
    expect(() => stepOutput('page', { tier: 0, nextTier: 1, round: 0, recipients: [] })).toThrow(
      /answer of step page.*ackTimeoutSeconds/,
    );
  });

  it('accepts what the definition gives, extra context and all', () => {
    const { step, input } = stepInput({
      step: 'waitForUpdate',
      incidentId: '01J',
      key: 'HOT-1',
      token: 't',
      since: '2026-12-06T10:00:00.000Z',
      execution: 'HOT-1',
      executionStartedAt: '2026-12-06T09:00:00.000Z',
    });
    expect(step).toBe('waitForUpdate');
    expect(input.key).toBe('HOT-1');
  });

  it('refuses a resume the states after the wait could not read', () => {
    expect(() => resumeOutput('loop', { event: 'update', since: '2026-12-06T10:00:00.000Z' })).toThrow(
      /resume of a loop wait.*waitSeconds/,
    );
    expect(() => resumeOutput('review', { event: 'approved', round: -1, waitSeconds: 60 })).toThrow(
      ContractError,
    );
    expect(resumeOutput('ack', { event: 'acknowledged', by: 'ana@example.com' })).toEqual({
      event: 'acknowledged',
      by: 'ana@example.com',
    });
  });
});
