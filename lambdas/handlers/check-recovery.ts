import { z } from 'zod';
import { checkRecovery, type RecoveryCheck } from '../core/containment/verify-recovery';
import { runtime } from './runtime';
import { sliSource } from './sli-runtime';

/** Input of `Check Recovery`: the incident and where the loop stands. */
export const CheckRecoveryInputSchema = z.object({
  incidentId: z.string().min(1),
  consecutiveGood: z.number().int().min(0).default(0),
  checks: z.number().int().min(0).default(0),
});

/** Task `Check Recovery`: one SLI reading; mitigates after enough good readings in a row. */
export async function handler(event: unknown): Promise<RecoveryCheck> {
  const { incidentId, ...progress } = CheckRecoveryInputSchema.parse(event);
  const rt = runtime();
  return checkRecovery({ store: rt.store, clock: rt.clock, sli: sliSource(), policy: rt.policy() }, incidentId, progress);
}
