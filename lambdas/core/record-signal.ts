import { IncidentNotFoundError, IncidentVersionConflictError } from './errors';
import type { Incident } from './incident';
import { applyResolved, confirmBreach, joinFiring, openIncident, type IncidentChange } from './incident-lifecycle';
import type { Clock, IncidentStore, SignalInbox, SignalOutcome } from './ports';
import type { Signal } from './signal';

/** What `recordSignal` did. */
export interface RecordSignalResult {
  readonly outcome: SignalOutcome;
  readonly incidentId: string | null;
  /** When the flap hold of the incident ends (ISO), or null without an incident. */
  readonly flapHoldUntil: string | null;
}

/** The ports `recordSignal` and `confirmIncidentBreach` use. */
export interface IncidentDeps {
  readonly store: IncidentStore;
  readonly inbox: SignalInbox;
  readonly clock: Clock;
}

/** How many times a lost optimistic-locking race is retried in-process before the error surfaces. */
const MAX_ATTEMPTS = 5;

async function withConflictRetry<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof IncidentVersionConflictError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

async function applyOnce(deps: IncidentDeps, signal: Signal): Promise<{ outcome: SignalOutcome; incident: Incident | undefined }> {
  const now = deps.clock.now();
  let active = await deps.store.findActiveByKey(signal.key);
  if (signal.alert.status === 'firing' && active === undefined) {
    const opened = openIncident(signal, now);
    const created = await deps.store.create(opened.incident, opened.entries);
    if (created.created) return { outcome: 'opened', incident: created.incident };
    active = created.existing;
  }
  if (active === undefined) return { outcome: 'no-active-incident', incident: undefined };
  const change: IncidentChange = signal.alert.status === 'firing' ? joinFiring(active, signal, now) : applyResolved(active, signal, now);
  if (change.next !== undefined) await deps.store.update(change.next, change.entries);
  return { outcome: change.outcome, incident: change.next ?? active };
}

/**
 * Records a signal: opens an incident for its key, joins the active one, or
 * resolves alerts of it. Idempotent: a signal already processed returns its
 * recorded outcome and changes nothing.
 *
 * @example
 * const { outcome, incidentId } = await recordSignal({ store, inbox, clock }, signal);
 */
export async function recordSignal(deps: IncidentDeps, signal: Signal): Promise<RecordSignalResult> {
  const previous = await deps.inbox.get(signal.id);
  if (previous?.state === 'processed' && previous.outcome !== undefined) {
    const incident = previous.incidentId === undefined ? undefined : await deps.store.get(previous.incidentId);
    return { outcome: previous.outcome, incidentId: previous.incidentId ?? null, flapHoldUntil: incident?.flapHoldUntil ?? null };
  }
  if (previous === undefined) await deps.inbox.accept(signal, deps.clock.now());
  const { outcome, incident } = await withConflictRetry(() => applyOnce(deps, signal));
  await deps.inbox.markProcessed(signal.id, outcome, incident?.id);
  return { outcome, incidentId: incident?.id ?? null, flapHoldUntil: incident?.flapHoldUntil ?? null };
}

/**
 * After the flap hold: confirms that the breach of an incident persists.
 * Returns whether it does and the incident's status.
 */
export async function confirmIncidentBreach(
  deps: Pick<IncidentDeps, 'store' | 'clock'>,
  incidentId: string,
): Promise<{ confirmed: boolean; status: string }> {
  return withConflictRetry(async () => {
    const incident = await deps.store.get(incidentId);
    if (incident === undefined) throw new IncidentNotFoundError(incidentId);
    const result = confirmBreach(incident, deps.clock.now());
    if (result.next !== undefined) await deps.store.update(result.next, result.entries);
    return { confirmed: result.confirmed, status: (result.next ?? incident).status };
  });
}
