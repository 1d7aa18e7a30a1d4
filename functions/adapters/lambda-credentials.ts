import { fromEnv } from '@aws-sdk/credential-provider-env';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';

/**
 * Bundles replace the SDK's default credential chain with this module (esbuild alias, see IncidentFunction).
 * In Lambda the execution role's credentials are always in the environment, so the chain's other providers
 * (SSO, STS web identity, INI files, IMDS, login) are dead weight: about 135 KB of every bundle and the time to
 * load them at every cold start. The local target sets dummy credentials in the same variables. Memoized as
 * the default chain is (the client does not memoize a default provider), so calls do not re-read them.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) =>
  memoizeIdentityProvider(fromEnv(init), isIdentityExpired, doesIdentityRequireRefresh);
