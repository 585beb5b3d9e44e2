import { z } from 'zod';
import { logger } from '../adapters/logger';
import { SignalSchema } from '../core/signal';
import { runtime } from './runtime';

/** Input of the `Record The Workflow Failure` task: the signal and the caught error. */
export const WorkflowFailureInputSchema = z.object({
  signal: SignalSchema,
  error: z.object({ Error: z.string(), Cause: z.unknown().optional() }),
});

/**
 * Task `Record The Workflow Failure`: writes the error of a failed `respond`
 * execution on the timeline of the signal's incident (when there is one) and
 * to the log; the signal stays pending in the inbox so it can be re-driven.
 */
export async function handler(event: unknown): Promise<{ recorded: 'timeline' | 'log' }> {
  const { signal, error } = WorkflowFailureInputSchema.parse(event);
  const rt = runtime();
  const cause = typeof error.Cause === 'string' ? error.Cause : JSON.stringify(error.Cause ?? null);
  logger.error('respond workflow failed', { signalId: signal.id, error: error.Error, cause });
  const incident = await rt.store.findActiveByKey(signal.key);
  if (incident === undefined) return { recorded: 'log' };
  await rt.store.appendTimeline([
    {
      incidentId: incident.id,
      id: `${signal.id}:workflow.failed`,
      at: rt.clock.now().toISOString(),
      kind: 'workflow.failed',
      actor: 'firebreak',
      message: `respond failed for signal ${signal.id}: ${error.Error}`,
      data: { error: error.Error, cause: cause.slice(0, 2000) },
    },
  ]);
  return { recorded: 'timeline' };
}
