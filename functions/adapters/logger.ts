import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs; secrets and credentials are never passed to it. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'hotline' });
