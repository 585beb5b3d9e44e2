import { z } from 'zod';
import { updateIncidentChannel } from '../core/engagement/follow-up';
import { engagement } from './engagement-runtime';
import { LifecycleOriginSchema } from './lifecycle-origin';

/** Input of `Update The Incident Channel`. */
export const UpdateChannelInputSchema = LifecycleOriginSchema.extend({ event: z.enum(['acknowledged', 'resolved']) });

/** Task `Update The Incident Channel` of `resolve` and `acknowledge`. */
export async function handler(event: unknown): Promise<{ updated: boolean }> {
  const { event: change, ...origin } = UpdateChannelInputSchema.parse(event);
  return updateIncidentChannel(await engagement(), origin, change);
}
