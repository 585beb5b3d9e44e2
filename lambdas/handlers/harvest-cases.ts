import { z } from 'zod';
import { toInputIssues } from '../core/alerts/zod-issues';
import { harvestIncidentCases, type IncidentHarvest } from '../core/corpus/harvest-incident';
import { InvalidInputError } from '../core/errors';
import { engagement } from './engagement-runtime';
import { recordsRuntime } from './records-runtime';

/** Input of `Harvest Regression Cases`. */
export const HarvestCasesInputSchema = z.object({ incidentId: z.string().min(1) });

/**
 * Task `Harvest Regression Cases` of `respond` and `resolve`: the incident's
 * failing prompts become redacted, classified, deduplicated regression cases
 * committed to `corpus/` of the records repository. Idempotent.
 *
 * Environment: the runtimes' (`TABLE_NAME`, the policy, vendor credentials
 * for the channel post), the records and evidence settings (see
 * `records-runtime.ts`), and `FIREBREAK_CANARY` (the canary token planted in
 * the models' system prompts, when there is one).
 *
 * @throws InvalidInputError when the input has no `incidentId` (its issues name the paths; the ZodError is its `cause`)
 */
export async function handler(event: unknown): Promise<IncidentHarvest> {
  const parsed = HarvestCasesInputSchema.safeParse(event);
  if (!parsed.success) throw new InvalidInputError('Harvest Regression Cases input', toInputIssues(parsed.error), { cause: parsed.error });
  const { incidentId } = parsed.data;
  const deps = await engagement();
  const { records, evidence, scanner } = recordsRuntime();
  const canary = process.env.FIREBREAK_CANARY;
  return harvestIncidentCases(
    { store: deps.store, clock: deps.clock, policy: deps.policy, channel: deps.channel, records, evidence, scanner, ...(canary ? { canary } : {}), ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}) },
    incidentId,
  );
}
