import { z } from 'zod';
import { respondToBreach, type BreachResponse } from '../core/containment/respond-to-breach';
import { actionDeps } from './control-plane-runtime';
import { runtime } from './runtime';

/** Input of `Contain The Model`. */
export const ContainModelInputSchema = z.object({ incidentId: z.string().min(1) });

/** Task `Contain The Model` of `respond`: the SLO's `action_on_breach`, in order. */
export async function handler(event: unknown): Promise<BreachResponse> {
  const { incidentId } = ContainModelInputSchema.parse(event);
  return respondToBreach({ ...actionDeps(), policy: runtime().policy() }, incidentId);
}
