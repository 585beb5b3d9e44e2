import { z } from 'zod';
import { escalateIncident } from '../core/containment/verify-recovery';
import { engagement } from './engagement-runtime';

/** Input of `Escalate The Incident`. */
export const EscalateInputSchema = z.object({ incidentId: z.string().min(1) });

/** Task `Escalate The Incident`: recovery was not verified in time; the page goes to critical. */
export async function handler(event: unknown): Promise<{ escalated: boolean }> {
  const { incidentId } = EscalateInputSchema.parse(event);
  return escalateIncident(await engagement(), incidentId);
}
