import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CREDENTIAL_ALPHABET,
  carriedValue,
  generateCredential,
  generatedValue,
  isLegacyLogicalId,
  type SecureParameterEvent,
  secureParameterAction,
} from '../../../functions/core/secure-parameters.ts';

const props = {
  Name: '/hotline/Hotline/alert-sources/alertmanager',
  Template: '{}',
  GenerateKey: 'current',
  Length: '48',
  Retain: 'true',
};
const event = (over: Partial<SecureParameterEvent> = {}): SecureParameterEvent => ({
  RequestType: 'Create',
  ResourceProperties: props,
  ...over,
});

describe('generated credentials', () => {
  it('have the length asked, letters and digits only, as Secrets Manager made them without punctuation', () => {
    for (const length of [32, 48, 64]) {
      expect(generateCredential(length, randomBytes)).toMatch(new RegExp(`^[A-Za-z0-9]{${length}}$`));
    }
  });

  it('skip the bytes that would bias the draw toward the first characters', () => {
    // 248 and above are skipped (248 = 4 x 62): all-255 bytes then a run of 0..61 gives the alphabet in order.
    let call = 0;
    const bytes = (size: number) =>
      call++ === 0 ? new Uint8Array(size).fill(255) : Uint8Array.from({ length: size }, (_, i) => i % 62);
    expect(generateCredential(62, bytes)).toBe(CREDENTIAL_ALPHABET);
  });

  it('refuse a length a sender could not rely on', () => {
    expect(() => generateCredential(8, randomBytes)).toThrow(/16 to 1024/);
  });

  it('fill the shapes the readers parse: an alert source and the link keys', () => {
    const source = JSON.parse(
      generatedValue({ template: {}, generateKey: 'current', length: 32 }, randomBytes),
    );
    expect(source).toEqual({ current: expect.stringMatching(/^[A-Za-z0-9]{32}$/) });
    const keys = JSON.parse(
      generatedValue({ template: { activeKeyId: 'k1' }, generateKey: 'k1', length: 64 }, randomBytes),
    );
    expect(keys).toEqual({ activeKeyId: 'k1', k1: expect.stringMatching(/^[A-Za-z0-9]{64}$/) });
  });
});

describe('what a custom resource event asks of Parameter Store', () => {
  it('creates the parameter on Create, from the properties CloudFormation passes as strings', () => {
    expect(secureParameterAction(event())).toEqual({
      kind: 'create',
      name: props.Name,
      value: { template: {}, generateKey: 'current', length: 48 },
    });
  });

  it('changes no value on Update; a new name creates the parameter under it', () => {
    expect(secureParameterAction(event({ RequestType: 'Update', PhysicalResourceId: props.Name })).kind).toBe(
      'none',
    );
    const renamed = { ...props, Name: '/hotline/Other/alert-sources/alertmanager' };
    expect(
      secureParameterAction(
        event({ RequestType: 'Update', PhysicalResourceId: props.Name, ResourceProperties: renamed }),
      ),
    ).toMatchObject({ kind: 'create', name: renamed.Name });
  });

  it('deletes on Delete only when the stack does not retain its data', () => {
    const remove = (Retain: string | boolean) =>
      secureParameterAction(
        event({
          RequestType: 'Delete',
          PhysicalResourceId: props.Name,
          ResourceProperties: { ...props, Retain },
        }),
      ).kind;
    expect(remove('true')).toBe('none');
    expect(remove(true)).toBe('none');
    expect(remove('false')).toBe('delete');
    expect(remove(false)).toBe('delete');
  });

  it('deletes nothing for a resource whose Create failed (its physical id names no parameter)', () => {
    const action = secureParameterAction(
      event({
        RequestType: 'Delete',
        PhysicalResourceId: 'CredentialsAlertSource-not-created',
        ResourceProperties: { ...props, Retain: 'false' },
      }),
    );
    expect(action.kind).toBe('none');
  });

  it('refuses a name that is not a parameter path, and a template that is not an object of strings', () => {
    expect(() => secureParameterAction(event({ ResourceProperties: { ...props, Name: 'no-path' } }))).toThrow(
      /parameter path/,
    );
    expect(() => secureParameterAction(event({ ResourceProperties: { ...props, Template: '[1]' } }))).toThrow(
      /object of strings/,
    );
  });
});

describe('carrying a 0.2.0 secret over', () => {
  it("recognises the old secret's logical id: the construct id and CDK's 8-character hash, nothing else", () => {
    expect(isLegacyLogicalId('AlertSourceSecretAlertmanager1A2B3C4D', 'AlertSourceSecretAlertmanager')).toBe(
      true,
    );
    expect(isLegacyLogicalId('LinkSigningKeysF00DBA12', 'LinkSigningKeys')).toBe(true);
    expect(isLegacyLogicalId('AlertSourceSecretAlertmanagerX1A2B3C4D', 'AlertSourceSecretAlertmanager')).toBe(
      false,
    );
    expect(isLegacyLogicalId('AlertSourceSecretGeneric1A2B3C4D', 'AlertSourceSecretAlertmanager')).toBe(
      false,
    );
    expect(isLegacyLogicalId('LinkSigningKeys', 'LinkSigningKeys')).toBe(false);
    expect(isLegacyLogicalId('LinkSigningKeysf00dba12', 'LinkSigningKeys')).toBe(false);
  });

  it('carries a value of the shape the functions read, as it is', () => {
    const source = `{"current":"${'c'.repeat(48)}","previous":"${'p'.repeat(48)}"}`;
    expect(carriedValue(source, 'alert-source-credential')).toBe(source);
    const keys = `{"activeKeyId":"k2","k2":"${'k'.repeat(64)}"}`;
    expect(carriedValue(keys, 'link-signing-keys')).toBe(keys);
  });

  it.each([
    [undefined, 'alert-source-credential'],
    ['', 'alert-source-credential'],
    ['[]', 'alert-source-credential'],
    ['"x"', 'alert-source-credential'],
    ['{}', 'alert-source-credential'],
    ['{"current":"short"}', 'alert-source-credential'],
    [`{"current":"${'c'.repeat(48)}","n":1}`, 'alert-source-credential'],
    [`{"current":"${'c'.repeat(48)}"}`, 'link-signing-keys'],
    [`{"activeKeyId":"k1","k1":"${'k'.repeat(31)}"}`, 'link-signing-keys'],
  ] as const)('does not carry %j as a %s', (value, shape) => {
    expect(carriedValue(value, shape)).toBeUndefined();
  });

  it('passes the old secret named by the resource on to Create, and refuses a bad one', () => {
    const legacy = {
      ...props,
      LegacySecretLogicalId: 'AlertSourceSecretAlertmanager',
      Shape: 'alert-source-credential' as const,
    };
    expect(secureParameterAction(event({ ResourceProperties: legacy }))).toMatchObject({
      kind: 'create',
      legacy: { logicalId: 'AlertSourceSecretAlertmanager', shape: 'alert-source-credential' },
    });
    expect(secureParameterAction(event())).not.toHaveProperty('legacy');
    expect(() =>
      secureParameterAction(event({ ResourceProperties: { ...legacy, LegacySecretLogicalId: 'a*' } })),
    ).toThrow(/LegacySecretLogicalId/);
    expect(() =>
      secureParameterAction(
        event({ ResourceProperties: { ...legacy, Shape: 'other' as unknown as 'link-signing-keys' } }),
      ),
    ).toThrow(/Shape/);
  });
});
