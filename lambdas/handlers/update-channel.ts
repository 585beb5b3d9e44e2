import { z } from 'zod';
import { announceAlert, announceRollback, updateIncidentChannel } from '../core/engagement/follow-up';
import { engagement } from './engagement-runtime';
import { LifecycleOriginSchema } from './lifecycle-origin';

/** Input of `Update The Incident Channel`. */
export const UpdateChannelInputSchema = z.discriminatedUnion('event', [
  LifecycleOriginSchema.extend({ event: z.enum(['acknowledged', 'resolved']) }),
  LifecycleOriginSchema.extend({ event: z.literal('signal'), alert: z.object({ name: z.string().min(1), status: z.enum(['firing', 'resolved']) }) }),
  LifecycleOriginSchema.extend({ event: z.literal('rollback'), detail: z.string() }),
]);

/**
 * Task `Update The Incident Channel` of `resolve` and `acknowledge`, and
 * `Tell The Incident Channel` of `respond` (an alert joined or left the incident),
 * `Tell The Channel About The Rollback` of `rollback`.
 */
export async function handler(event: unknown): Promise<{ updated: boolean }> {
  const input = UpdateChannelInputSchema.parse(event);
  const origin = { incidentId: input.incidentId, via: input.via, by: input.by };
  if (input.event === 'signal') return announceAlert(await engagement(), origin, input.alert);
  if (input.event === 'rollback') return announceRollback(await engagement(), origin, input.detail);
  return updateIncidentChannel(await engagement(), origin, input.event);
}
