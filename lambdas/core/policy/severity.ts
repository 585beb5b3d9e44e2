import { z } from 'zod';

/** Incident severity, SEV1 (worst) to SEV4. PagerDuty mapping comes with the pager adapter. */
export const SeveritySchema = z.enum(['sev1', 'sev2', 'sev3', 'sev4']);
/** The type of {@link SeveritySchema}. */
export type Severity = z.infer<typeof SeveritySchema>;
