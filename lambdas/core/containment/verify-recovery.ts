import { IncidentNotFoundError } from '../errors';
import { sloOf } from '../engagement/deps';
import type { IncidentChannel, Pager } from '../engagement-ports';
import { triggerEvent } from '../engagement/page-events';
import { isActive, transition } from '../incident';
import { firebreakEntry, mutateIncident } from '../mutate-incident';
import type { Policy } from '../policy/schema';
import type { Clock, IncidentStore } from '../ports';
import { SliSourceError, type SliSource } from '../sli/port';

/** Where the verification loop stands (carried in the workflow's state). */
export interface RecoveryProgress {
  readonly consecutiveGood: number;
  readonly checks: number;
}

/** What one check decided. */
export interface RecoveryCheck extends RecoveryProgress {
  /** `recovered`: mitigated; `keep-checking`: wait and check again; `escalate`: out of checks; `stop`: nothing to verify. */
  readonly decision: 'recovered' | 'keep-checking' | 'escalate' | 'stop';
  readonly value: number | null;
}

/** How strict the verification is. */
export interface RecoveryRules {
  /** Consecutive good readings that prove recovery. @default 3 */
  readonly required: number;
  /** Checks before giving up and escalating. @default 10 */
  readonly maxChecks: number;
  /** SLI window each check reads, in seconds. @default 300 */
  readonly windowSeconds: number;
}

/** Recovery needs 3 good readings in a row, within 10 checks. */
export const DEFAULT_RECOVERY_RULES: RecoveryRules = { required: 3, maxChecks: 10, windowSeconds: 300 };

/**
 * One recovery check after containment or rollback: reads the SLO's SLI;
 * `required` good readings in a row mark the incident mitigated; after
 * `maxChecks` without that, the workflow escalates. Every reading is on the
 * timeline. An incident that is no longer active, or has no SLO (unmapped),
 * stops the loop (the timeline says why).
 *
 * @example
 * const check = await checkRecovery(deps, incidentId, { consecutiveGood: 0, checks: 0 });
 */
export async function checkRecovery(
  deps: { readonly store: IncidentStore; readonly clock: Clock; readonly sli: SliSource; readonly policy: Policy },
  incidentId: string,
  progress: RecoveryProgress,
  rules: RecoveryRules = DEFAULT_RECOVERY_RULES,
): Promise<RecoveryCheck> {
  const incident = await deps.store.get(incidentId);
  if (incident === undefined) throw new IncidentNotFoundError(incidentId);
  const checks = progress.checks + 1;
  const now = deps.clock.now();
  if (!isActive(incident) || incident.status === 'mitigated') {
    return { decision: 'stop', consecutiveGood: progress.consecutiveGood, checks, value: null };
  }
  const slo = sloOf(deps.policy, incident);
  if (slo === undefined) {
    await deps.store.appendTimeline([firebreakEntry(incidentId, `${incidentId}:recovery.unverifiable`, 'recovery.unverifiable', 'No SLO maps to this incident: recovery cannot be verified automatically; mark it mitigated by hand', now)]);
    return { decision: 'stop', consecutiveGood: 0, checks, value: null };
  }
  let reading: Awaited<ReturnType<SliSource['read']>>;
  try {
    reading = await deps.sli.read(slo, incident.key, rules.windowSeconds);
  } catch (error) {
    // A source that cannot read this SLI at all (unknown model, unmapped SLO, bad query) will not
    // get better by retrying: say so once and stop. Transient failures go to the workflow's Retry.
    if (!(error instanceof SliSourceError) || error.retryable) throw error;
    await deps.store.appendTimeline([
      firebreakEntry(incidentId, `${incidentId}:recovery.unverifiable`, 'recovery.unverifiable', `Recovery cannot be verified automatically (${error.message}); mark it mitigated by hand`, now),
    ]);
    return { decision: 'stop', consecutiveGood: 0, checks, value: null };
  }
  const consecutiveGood = reading.withinObjective === true ? progress.consecutiveGood + 1 : 0;
  const verdict = reading.withinObjective === null ? 'no data' : reading.withinObjective ? 'within objective' : 'still breaching';
  const entry = firebreakEntry(incidentId, `${incidentId}:recovery.check:${checks}:${now.toISOString()}`, 'recovery.check', `${slo.sli.name} = ${reading.value === null ? 'no data' : +reading.value.toPrecision(4)} (${verdict}); ${consecutiveGood} of ${rules.required} good checks in a row`, now, {
    value: reading.value,
    withinObjective: reading.withinObjective,
    consecutiveGood,
    check: checks,
  });
  if (consecutiveGood >= rules.required) {
    await mutateIncident(deps, incidentId, (current, at) =>
      !isActive(current) || current.status === 'mitigated'
        ? { appendOnly: [entry] }
        : {
            changes: transition(current, 'mitigated', at),
            entries: [entry, firebreakEntry(current.id, `${current.id}:incident.mitigated`, 'incident.mitigated', `${slo.sli.name} back within its objective for ${rules.required} checks in a row: mitigated`, at)],
          },
    );
    return { decision: 'recovered', consecutiveGood, checks, value: reading.value };
  }
  await deps.store.appendTimeline([entry]);
  return { decision: checks >= rules.maxChecks ? 'escalate' : 'keep-checking', consecutiveGood, checks, value: reading.value };
}

/**
 * The SLI did not recover in time: the page is raised to critical (same
 * dedup key, so PagerDuty updates the alert rather than opening another
 * incident), the incident channel is told, and the escalation goes on the
 * timeline.
 */
export async function escalateIncident(
  deps: { readonly store: IncidentStore; readonly clock: Clock; readonly pager: Pager; readonly channel?: IncidentChannel },
  incidentId: string,
): Promise<{ escalated: boolean }> {
  const incident = await deps.store.get(incidentId);
  if (incident === undefined) throw new IncidentNotFoundError(incidentId);
  if (!isActive(incident)) return { escalated: false };
  const trigger = triggerEvent(incident);
  const event = { ...trigger, severity: 'critical' as const, summary: `[ESCALATED] recovery not verified: ${trigger.summary ?? incident.id}`.slice(0, 1024) };
  const receipt = await deps.pager.send(event, { maxAttempts: 3 });
  await mutateIncident(deps, incidentId, (current, now) => ({
    changes: { severity: 'sev1' },
    entries: [firebreakEntry(current.id, `${current.id}:incident.escalated:${now.toISOString()}`, 'incident.escalated', `Recovery was not verified: page raised to critical (${receipt.message})`, now)],
  }));
  if (deps.channel !== undefined && incident.channel !== undefined) {
    await deps.channel.postToThread(incident.channel, ':rotating_light: Escalated: the SLI did not recover after containment. The page is now critical; look at the timeline and consider a manual rollback.');
  }
  return { escalated: true };
}
