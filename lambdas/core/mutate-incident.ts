import { IncidentNotFoundError, IncidentVersionConflictError } from './errors';
import type { Incident, TimelineEntry } from './incident';
import type { Clock, IncidentStore } from './ports';

/** What a mutation wants: the changed fields (the version is bumped for it) and the entries to append. */
export interface IncidentMutation {
  readonly changes: Partial<Omit<Incident, 'id' | 'version'>>;
  readonly entries: readonly TimelineEntry[];
}

const MAX_ATTEMPTS = 8;

/**
 * Reads an incident, lets `decide` compute a change from its current state,
 * and writes it with optimistic locking; on a lost race it reads again and
 * decides again. `decide` returns undefined to change nothing (entries may
 * still be appended through `appendOnly`).
 *
 * @example
 * const updated = await mutateIncident(deps, id, (incident, now) => ({ changes: { status: 'acknowledged' }, entries: [] }));
 */
export async function mutateIncident(
  deps: { readonly store: IncidentStore; readonly clock: Clock },
  incidentId: string,
  decide: (incident: Incident, now: Date) => IncidentMutation | { readonly appendOnly: readonly TimelineEntry[] } | undefined,
): Promise<Incident> {
  for (let attempt = 1; ; attempt += 1) {
    const incident = await deps.store.get(incidentId);
    if (incident === undefined) throw new IncidentNotFoundError(incidentId);
    const now = deps.clock.now();
    const decision = decide(incident, now);
    if (decision === undefined) return incident;
    if ('appendOnly' in decision) {
      await deps.store.appendTimeline(decision.appendOnly);
      return incident;
    }
    const next: Incident = { ...incident, ...decision.changes, updatedAt: now.toISOString(), version: incident.version + 1 };
    try {
      await deps.store.update(next, decision.entries);
      return next;
    } catch (error) {
      if (!(error instanceof IncidentVersionConflictError) || attempt >= MAX_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * attempt));
    }
  }
}

/** A timeline entry written by Firebreak itself. */
export function firebreakEntry(incidentId: string, id: string, kind: string, message: string, now: Date, data?: Record<string, unknown>): TimelineEntry {
  return { incidentId, id, at: now.toISOString(), kind, actor: 'firebreak', message, ...(data === undefined ? {} : { data }) };
}
