import { canTransition, transition, type IncidentStatus } from '../incident';
import { mutateIncident } from '../mutate-incident';
import type { Clock, IncidentStore, LifecycleOrigin, WorkflowStarter } from '../ports';

/** What a lifecycle change did. */
export interface LifecycleChange {
  /** false when the incident was in that state already, or cannot move there. */
  readonly changed: boolean;
  readonly status: IncidentStatus;
}

/** Ports for lifecycle changes that start follow-up workflows. */
export interface LifecycleDeps {
  readonly store: IncidentStore;
  readonly clock: Clock;
  readonly starter: WorkflowStarter;
}

const actorOf = (origin: LifecycleOrigin): string => (origin.via === 'pagerduty' ? `pagerduty:${origin.by}` : origin.by);

/**
 * Moves an incident to `acknowledged` or `resolved` on behalf of a person or
 * PagerDuty, records it, and starts the workflow that spreads the change to
 * the other side (page, channel). A repeated event changes nothing; its
 * workflow start is a no-op (execution names are per incident).
 *
 * @example
 * await changeLifecycle(deps, { incidentId, via: 'pagerduty', by: 'Jane' }, 'acknowledged', 'event-id-1');
 */
export async function changeLifecycle(
  deps: LifecycleDeps,
  origin: LifecycleOrigin,
  to: 'acknowledged' | 'resolved',
  eventId: string,
  reason?: string,
): Promise<LifecycleChange> {
  let changed = false;
  const incident = await mutateIncident(deps, origin.incidentId, (current, now) => {
    changed = false;
    if (current.status === to || !canTransition(current.status, to)) return undefined;
    changed = true;
    const moved = transition(current, to, now);
    return {
      changes: { ...moved, ...(to === 'resolved' ? { resolution: { by: origin.by, via: origin.via, ...(reason === undefined ? {} : { reason }) } } : {}) },
      entries: [
        {
          incidentId: current.id,
          id: `${current.id}:${to}:${eventId}`,
          at: now.toISOString(),
          kind: `incident.${to}`,
          actor: actorOf(origin),
          message: `Incident ${to} via ${origin.via} by ${origin.by}${reason === undefined ? '' : `: ${reason}`}`,
        },
      ],
    };
  });
  // Started whenever the incident is in that state, not only on change: if a crash came between the
  // write and the start, the sender's retry starts it now. A second start of the same name is a no-op.
  if (incident.status === to) {
    if (to === 'resolved') await deps.starter.startResolve(origin);
    else await deps.starter.startAcknowledge(origin);
  }
  return { changed, status: incident.status };
}
