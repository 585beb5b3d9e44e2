import { IncidentNotFoundError, VendorRejectedError, VendorTransientError } from '../errors';
import { isActive, type Incident } from '../incident';
import { firebreakEntry, mutateIncident } from '../mutate-incident';
import { incidentUrl, objectiveText, sloOf, type EngagementDeps } from './deps';
import { triggerEvent } from './page-events';

/** How a page attempt went. */
export interface PageOutcome {
  /** true once the pager accepted the trigger (now or before). */
  readonly paged: boolean;
  readonly detail: string;
}

/** The trigger event of an incident, with the facts and links known now. */
export function triggerFor(deps: Pick<EngagementDeps, 'policy' | 'publicUrl'>, incident: Incident, channelUrl?: string) {
  const slo = sloOf(deps.policy, incident);
  return triggerEvent(
    incident,
    { objective: objectiveText(slo), observedValue: incident.observedValue, modelVersion: incident.modelVersion },
    { incidentUrl: incidentUrl(deps, incident), runbookUrl: slo?.runbook_url, channelUrl },
  );
}

/**
 * Pages on-call for an incident. `first` makes one fast attempt and never
 * throws for a vendor failure (so the channel is not held up); `retry` makes
 * a few attempts and rethrows a transient failure for the workflow's Retry.
 * A rejection (400) is permanent: recorded, not retried. Every outcome is on
 * the timeline. Idempotent: an incident already paged is not paged again.
 *
 * @example
 * const { paged } = await pageOnCall(deps, incidentId, 'first');
 */
export async function pageOnCall(deps: EngagementDeps, incidentId: string, mode: 'first' | 'retry'): Promise<PageOutcome> {
  const incident = await deps.store.get(incidentId);
  if (incident === undefined) throw new IncidentNotFoundError(incidentId);
  if (incident.page !== undefined && incident.page.status !== 'failed') return { paged: true, detail: `already paged (${incident.page.status})` };
  if (!isActive(incident)) return { paged: false, detail: `incident is ${incident.status}: no page` };
  if (incident.page?.lastError?.startsWith('rejected') === true) return { paged: false, detail: 'the pager rejected this page before; not retried' };

  const previousAttempts = incident.page?.attempts ?? 0;
  try {
    const receipt = await deps.pager.send(triggerFor(deps, incident), { maxAttempts: mode === 'first' ? 1 : 3 });
    await mutateIncident(deps, incidentId, (current, now) => ({
      changes: { page: { dedupKey: receipt.dedupKey, status: 'triggered', attempts: previousAttempts + receipt.attempts, triggeredAt: now.toISOString() } },
      entries: [
        firebreakEntry(current.id, `${current.id}:page.triggered`, 'page.triggered', `On-call paged (${receipt.message}; dedup key ${receipt.dedupKey}, attempt ${previousAttempts + receipt.attempts})`, now, {
          dedupKey: receipt.dedupKey,
          attempts: previousAttempts + receipt.attempts,
        }),
      ],
    }));
    return { paged: true, detail: receipt.message };
  } catch (error) {
    if (!(error instanceof VendorTransientError) && !(error instanceof VendorRejectedError)) throw error;
    const rejected = error instanceof VendorRejectedError;
    const attempts = previousAttempts + (rejected ? 1 : mode === 'first' ? 1 : 3);
    await mutateIncident(deps, incidentId, (current, now) => ({
      changes: { page: { dedupKey: current.id, status: 'failed', attempts, lastError: `${rejected ? 'rejected' : 'transient'}: ${error.message}`.slice(0, 500) } },
      entries: [
        firebreakEntry(current.id, `${current.id}:page.failed:${now.toISOString()}`, rejected ? 'page.rejected' : 'page.failed', `Paging failed (${rejected ? 'rejected, not retried' : 'will be retried'}): ${error.message}`, now, {
          attempts,
          error: error.name,
        }),
      ],
    }));
    if (mode === 'retry' && !rejected) throw error;
    return { paged: false, detail: error.message };
  }
}
