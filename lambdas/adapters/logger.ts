import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger of Firebreak's Lambda code (Powertools, JSON lines).
 * Level from `POWERTOOLS_LOG_LEVEL`; add `incidentId` with `appendKeys`.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'firebreak' });
