import { z } from 'zod';

/** `{incidentId, via, by}`: the input of the `resolve` and `acknowledge` workflows and their tasks. */
export const LifecycleOriginSchema = z.object({
  incidentId: z.string().min(1),
  via: z.enum(['alert', 'slack', 'pagerduty']),
  by: z.string().min(1),
});
