import { z } from 'zod';
import { confirmIncidentBreach } from '../core/record-signal';
import { runtime } from './runtime';

/** Input of the `Confirm The Breach` task. */
export const ConfirmBreachInputSchema = z.object({ incidentId: z.string().min(1), signalId: z.string().min(1) });

/**
 * Task `Confirm The Breach` of `respond`: after the flap hold, tells whether
 * the breach persists (paging is due) or cleared meanwhile.
 */
export async function handler(event: unknown): Promise<{ confirmed: boolean; status: string }> {
  const { incidentId } = ConfirmBreachInputSchema.parse(event);
  return confirmIncidentBreach(runtime(), incidentId);
}
