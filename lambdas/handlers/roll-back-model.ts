import { z } from 'zod';
import { rollBack, type ActionOutcome } from '../core/containment/actions';
import { mutateIncident } from '../core/mutate-incident';
import { actionDeps } from './control-plane-runtime';
import { LifecycleOriginSchema } from './lifecycle-origin';

/** Input of the `rollback` workflow and its `Roll Back The Model` task. */
export const RollBackInputSchema = LifecycleOriginSchema.extend({ version: z.string().min(1).optional() });

/**
 * Task `Roll Back The Model` of `rollback` (started by an approval in Slack):
 * serves the requested or the last known-good version and clears the
 * pending approval.
 */
export async function handler(event: unknown): Promise<Pick<ActionOutcome, 'changed' | 'detail'>> {
  const { incidentId, by, version } = RollBackInputSchema.parse(event);
  const deps = actionDeps();
  const outcome = await rollBack(deps, incidentId, by, version);
  await mutateIncident(deps, incidentId, (incident) => (incident.pendingRollback === undefined ? undefined : { changes: { pendingRollback: undefined }, entries: [] }));
  return { changed: outcome.changed, detail: outcome.detail };
}
