import { IncidentNotFoundError } from '../errors';
import { isActive } from '../incident';
import { sloOf } from '../engagement/deps';
import { firebreakEntry, mutateIncident } from '../mutate-incident';
import type { Policy } from '../policy/schema';
import { approvalTimeoutSeconds } from './rollback-approval';
import { contain, ModelNotControlledError, rollBack, type ActionDeps, type ContainmentAction } from './actions';

/** What the policy-driven response did, action by action. */
export interface BreachResponse {
  readonly steps: { readonly action: string; readonly changed: boolean; readonly detail: string }[];
  /** true when a rollback waits for approval in Slack. */
  readonly awaitingApproval: boolean;
  /** How long `respond` waits for the approval decision before it expires the request. */
  readonly approvalTimeoutSeconds: number;
}

/**
 * Takes the actions the incident's SLO lists in `action_on_breach`, in that
 * order: containment switches at once; `rollback` at once unless the SLO
 * says it needs approval, in which case it is requested (the Approve
 * rollback button or `/incident rollback` starts the `rollback` workflow).
 * Runs after the flap hold, so destructive actions never hit a flap.
 * A model the control plane does not know stops the actions, on the timeline.
 *
 * @example
 * const { steps } = await respondToBreach({ ...deps, policy }, incidentId);
 */
export async function respondToBreach(deps: ActionDeps & { readonly policy: Policy }, incidentId: string): Promise<BreachResponse> {
  const incident = await deps.store.get(incidentId);
  if (incident === undefined) throw new IncidentNotFoundError(incidentId);
  if (!isActive(incident)) {
    // Resolved (or closed) while the response was on its way: nothing to contain any more.
    await deps.store.appendTimeline([
      firebreakEntry(incident.id, `${incident.id}:containment.skipped`, 'containment.skipped', `The incident is ${incident.status}: no containment action taken`, deps.clock.now()),
    ]);
    return { steps: [], awaitingApproval: false, approvalTimeoutSeconds: approvalTimeoutSeconds(deps.policy, incident) };
  }
  const slo = sloOf(deps.policy, incident);
  const actions = slo?.action_on_breach ?? deps.policy.default.action_on_breach;
  const requiresApproval = (slo?.rollback ?? deps.policy.default.rollback)?.requires_approval ?? true;
  const steps: { action: string; changed: boolean; detail: string }[] = [];
  let awaitingApproval = false;
  try {
    for (const action of actions) {
      if (action !== 'rollback') {
        const outcome = await contain(deps, incidentId, action as ContainmentAction, 'firebreak');
        steps.push({ action, changed: outcome.changed, detail: outcome.detail });
      } else if (requiresApproval) {
        await mutateIncident(deps, incidentId, (current, now) =>
          current.pendingRollback !== undefined
            ? undefined
            : {
                changes: { pendingRollback: { requestedAt: now.toISOString(), requestedBy: 'firebreak' } },
                entries: [
                  firebreakEntry(current.id, `${current.id}:rollback.requested`, 'rollback.requested', 'Rollback to the last known-good version needs approval: Approve rollback in the incident channel, or `/incident rollback`', now),
                ],
              },
        );
        awaitingApproval = true;
        steps.push({ action, changed: false, detail: 'awaiting approval' });
      } else {
        const outcome = await rollBack(deps, incidentId, 'firebreak');
        steps.push({ action, changed: outcome.changed, detail: outcome.detail });
      }
    }
  } catch (error) {
    if (!(error instanceof ModelNotControlledError)) throw error;
    const now = deps.clock.now();
    await deps.store.appendTimeline([firebreakEntry(incidentId, `${incidentId}:containment.impossible`, 'containment.impossible', error.message, now)]);
    steps.push({ action: 'none', changed: false, detail: error.message });
  }
  return { steps, awaitingApproval, approvalTimeoutSeconds: approvalTimeoutSeconds(deps.policy, incident) };
}
