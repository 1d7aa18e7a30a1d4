import { Logger } from '@aws-lambda-powertools/logger';
import { mapStackTraces } from './stack-traces.ts';

// Every handler imports this module: the stacks it logs (and those reaching the runtime) name our sources.
mapStackTraces(import.meta.url);

/** Structured JSON logs; secrets and credentials are never passed to it. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'hotline' });
