import { z } from 'zod';
import { logger } from '../adapters/logger';
import { runtime } from './runtime';

/** Input of the `Record The … Failure` tasks: which task failed and the caught error. */
export const TaskFailureInputSchema = z.object({
  incidentId: z.string().min(1),
  task: z.string().min(1),
  error: z.object({ Error: z.string(), Cause: z.unknown().optional() }),
});

/**
 * Writes a failed branch of a workflow (paging, channel, follow-ups) on the
 * incident timeline, so that one failing side never hides and never blocks
 * the other.
 */
export async function handler(event: unknown): Promise<{ recorded: true }> {
  const { incidentId, task, error } = TaskFailureInputSchema.parse(event);
  const rt = runtime();
  const cause = typeof error.Cause === 'string' ? error.Cause : JSON.stringify(error.Cause ?? null);
  logger.error('workflow task failed', { incidentId, task, error: error.Error, cause });
  const now = rt.clock.now();
  await rt.store.appendTimeline([
    {
      incidentId,
      id: `${incidentId}:${task}.failed:${now.toISOString()}`,
      at: now.toISOString(),
      kind: `${task}.failed`,
      actor: 'firebreak',
      message: `${task} failed after its retries: ${error.Error}: ${cause.slice(0, 500)}`,
      data: { error: error.Error },
    },
  ]);
  return { recorded: true };
}
