import { z } from 'zod';
import { openIncidentChannel } from '../core/engagement/open-channel';
import { engagement } from './engagement-runtime';

/** Input of `Open The Incident Channel`. */
export const OpenChannelInputSchema = z.object({ incidentId: z.string().min(1) });

/** Task `Open The Incident Channel` of `respond`: channel, topic, pinned summary, invitations. */
export async function handler(event: unknown): Promise<{ channelId: string; channelName: string }> {
  const { incidentId } = OpenChannelInputSchema.parse(event);
  const ref = await openIncidentChannel(await engagement(), incidentId);
  return { channelId: ref.id, channelName: ref.name };
}
