import { App } from 'aws-cdk-lib';
import { ConfigurationError } from '../functions/core/config.ts';
import { buildApp } from './build-app.ts';
import { loadOrganisation } from './config.ts';

// `-c organisation=<path>` picks the organisation file; the context is read before the real app exists.
const contextPath: unknown = new App({ autoSynth: false }).node.tryGetContext('organisation');

try {
  const { organisation } = await loadOrganisation(typeof contextPath === 'string' ? contextPath : undefined);
  buildApp({ organisation }).app.synth();
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
