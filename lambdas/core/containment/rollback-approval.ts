import type { EngagementDeps } from '../engagement/deps';
import { sloOf } from '../engagement/deps';
import { isActive, type Incident } from '../incident';
import { firebreakEntry, mutateIncident } from '../mutate-incident';
import { DEFAULT_APPROVAL_TIMEOUT_SECONDS, type Policy } from '../policy/schema';
import type { Clock, IncidentStore } from '../ports';

/**
 * How a rollback that needed approval ended:
 * - `approved`: a person approved it (the `rollback` workflow runs it and verifies recovery);
 * - `rejected`: a person rejected it;
 * - `expired`: nobody decided before the approval deadline;
 * - `moot`: the incident stopped being active first (resolved, closed).
 */
export type ApprovalOutcome = 'approved' | 'rejected' | 'expired' | 'moot';

/**
 * Seconds a rollback of this incident waits for approval: the SLO's
 * `rollback.approval_timeout` (the default policy's for unmapped incidents),
 * else 30 minutes.
 *
 * @example
 * approvalTimeoutSeconds(policy, incident) // => 1800
 */
export function approvalTimeoutSeconds(policy: Policy, incident: Incident): number {
  const rollback = (sloOf(policy, incident) ?? policy.default).rollback;
  return rollback?.approval_timeout ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS;
}

/** A decision recorded after the request it answers (a decision on an older request does not count). */
function decisionOnPending(incident: Incident): ApprovalOutcome | undefined {
  const decision = incident.rollbackDecision;
  const requestedAt = incident.pendingRollback?.requestedAt;
  if (decision === undefined) return undefined;
  if (requestedAt !== undefined && decision.at < requestedAt) return undefined;
  return decision.outcome;
}

/**
 * Records a person's approval of the pending rollback (`rollback.approved`
 * is written by the caller with the workflow it starts). The pending request
 * stays until the `rollback` workflow has run, which clears it.
 *
 * @returns the incident after the change
 */
export function recordRollbackApproval(deps: { readonly store: IncidentStore; readonly clock: Clock }, incidentId: string, by: string): Promise<Incident> {
  return mutateIncident(deps, incidentId, (_current, now) => ({
    changes: { rollbackDecision: { outcome: 'approved', at: now.toISOString(), by } },
    entries: [],
  }));
}

/**
 * Rejects the rollback waiting for approval (`/incident rollback reject
 * [reason]`, the Reject rollback button): clears the request, records
 * `rollback.rejected` with who and why. Containment stays as it is; the
 * `respond` workflow then verifies recovery on containment alone.
 *
 * @returns `rejected: false` when no rollback was waiting for approval
 * @example
 * const { rejected } = await rejectRollback(deps, 'inc-20261121-1a2b3c4d', 'U123', 'v2 is the fix');
 */
export async function rejectRollback(
  deps: { readonly store: IncidentStore; readonly clock: Clock },
  incidentId: string,
  by: string,
  reason?: string,
): Promise<{ readonly rejected: boolean; readonly incident: Incident }> {
  let rejected = false;
  const incident = await mutateIncident(deps, incidentId, (current, now) => {
    if (current.pendingRollback === undefined) return undefined;
    rejected = true;
    return {
      changes: { pendingRollback: undefined, rollbackDecision: { outcome: 'rejected', at: now.toISOString(), by, ...(reason === undefined ? {} : { reason }) } },
      entries: [
        {
          incidentId: current.id,
          id: `${current.id}:rollback.rejected:${current.pendingRollback.requestedAt}`,
          at: now.toISOString(),
          kind: 'rollback.rejected',
          actor: by,
          message: `Rollback rejected${reason === undefined ? '' : `: ${reason}`}; containment stays as it is`,
          data: reason === undefined ? {} : { reason },
        },
      ],
    };
  });
  return { rejected, incident };
}

/**
 * Task `Settle The Rollback Approval` of `respond`, run when the approval
 * deadline has passed: reports how the request ended and, when nobody
 * decided, expires it — clears the request, records
 * `rollback.approval_expired` and tells the incident channel. Idempotent: a
 * retry finds the request settled and reports the same outcome.
 *
 * @example
 * const { outcome } = await settleRollbackApproval(deps, 'inc-20261121-1a2b3c4d');
 * // outcome === 'approved' → the rollback workflow verifies recovery
 */
export async function settleRollbackApproval(deps: EngagementDeps, incidentId: string): Promise<{ readonly outcome: ApprovalOutcome }> {
  let outcome = 'moot' as ApprovalOutcome;
  let expiredNow = false;
  const incident = await mutateIncident(deps, incidentId, (current, now) => {
    if (!isActive(current)) {
      outcome = 'moot';
      return undefined;
    }
    const decided = decisionOnPending(current);
    if (decided !== undefined || current.pendingRollback === undefined) {
      // Decided, or the approved rollback already ran (it clears the request).
      outcome = decided ?? current.rollbackDecision?.outcome ?? 'moot';
      return undefined;
    }
    outcome = 'expired';
    expiredNow = true;
    const minutes = Math.round((now.getTime() - Date.parse(current.pendingRollback.requestedAt)) / 60_000);
    return {
      changes: { pendingRollback: undefined, rollbackDecision: { outcome: 'expired', at: now.toISOString(), by: 'firebreak' } },
      entries: [
        firebreakEntry(
          current.id,
          `${current.id}:rollback.approval_expired:${current.pendingRollback.requestedAt}`,
          'rollback.approval_expired',
          `Nobody approved or rejected the rollback within ${minutes} min: the request expired; containment stays as it is and recovery is verified on it`,
          now,
          { requestedAt: current.pendingRollback.requestedAt },
        ),
      ],
    };
  });
  if (expiredNow && incident.channel !== undefined) {
    await deps.channel.postToThread(
      incident.channel,
      'The rollback request expired: nobody approved or rejected it in time. Containment stays as it is and Firebreak now verifies recovery on it; `/incident rollback` still rolls back.',
    );
    await deps.channel.updateSummary(incident.channel, incident);
  }
  return { outcome };
}
