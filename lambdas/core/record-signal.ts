import { IncidentNotFoundError, IncidentVersionConflictError } from './errors';
import { isActive, type Incident } from './incident';
import { applyResolved, confirmBreach, joinFiring, openIncident, type IncidentChange } from './incident-lifecycle';
import type { Clock, IncidentStore, SignalInbox, SignalOutcome } from './ports';
import type { Signal } from './signal';

/** What `recordSignal` did. */
export interface RecordSignalResult {
  readonly outcome: SignalOutcome;
  readonly incidentId: string | null;
  /** When the flap hold of the incident ends (ISO), or null without an incident. */
  readonly flapHoldUntil: string | null;
  /** true when the incident's breach is confirmed already (its flap hold had passed when it opened). */
  readonly confirmed: boolean;
}

/** The ports `recordSignal` and `confirmIncidentBreach` use. */
export interface IncidentDeps {
  readonly store: IncidentStore;
  readonly inbox: SignalInbox;
  readonly clock: Clock;
}

/**
 * How many times a lost optimistic-locking race is retried in-process before
 * the error surfaces (the workflow's Retry then takes over). Each round of a
 * race has one winner, so this covers a burst of that many concurrent alerts.
 */
const MAX_ATTEMPTS = 10;

async function withConflictRetry<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof IncidentVersionConflictError) || attempt >= MAX_ATTEMPTS) throw error;
      // Full jitter, growing with the attempt, so that the losers of a race do not collide again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * attempt));
    }
  }
}

async function applyOnce(
  deps: IncidentDeps,
  signal: Signal,
  prefetched: { active: Incident | undefined } | undefined,
): Promise<{ outcome: SignalOutcome; incident: Incident | undefined; afterOpen?: () => Promise<Incident> }> {
  const now = deps.clock.now();
  let active = prefetched === undefined ? await deps.store.findActiveByKey(signal.key) : prefetched.active;
  if (signal.alert.status === 'firing' && active === undefined) {
    const opened = openIncident(signal, now);
    const created = await deps.store.create(opened.incident, opened.entries);
    if (created.created) return { outcome: 'opened', incident: created.incident, afterOpen: () => applyEarlierResolution(deps, signal, created.incident) };
    active = created.existing;
  }
  if (active === undefined) {
    if (signal.alert.status === 'resolved') return noteResolvedWithoutIncident(deps, signal);
    return { outcome: 'no-active-incident', incident: undefined };
  }
  const change: IncidentChange = signal.alert.status === 'firing' ? joinFiring(active, signal, now) : applyResolved(active, signal, now);
  if (change.next !== undefined) await deps.store.update(change.next, change.entries);
  return { outcome: change.outcome, incident: change.next ?? active };
}

/**
 * A resolved signal found no active incident. It is remembered, and the key
 * is looked at once more: a firing signal of the same alert may have opened
 * one meanwhile (deliveries can arrive out of order). Each side writes before
 * it reads the other's write, so one of them always sees the other.
 */
async function noteResolvedWithoutIncident(deps: IncidentDeps, signal: Signal): Promise<{ outcome: SignalOutcome; incident: Incident | undefined }> {
  const endsAt = signal.alert.endsAt ?? deps.clock.now().toISOString();
  await deps.store.noteAlertResolved(signal.alert, endsAt, signal.id);
  const active = await deps.store.findActiveByKey(signal.key);
  if (active === undefined || active.alerts[signal.alert.identity] === undefined) return { outcome: 'no-active-incident', incident: undefined };
  const change = applyResolved(active, signal, deps.clock.now());
  if (change.next !== undefined) await deps.store.update(change.next, change.entries);
  return { outcome: change.outcome, incident: change.next ?? active };
}

/**
 * A firing signal just opened an incident: if its alert had already
 * resolved after this firing began (the resolution was delivered first),
 * that resolution is applied now, so the incident does not stay open.
 */
async function applyEarlierResolution(deps: IncidentDeps, signal: Signal, incident: Incident): Promise<Incident> {
  const resolution = await deps.store.alertResolution(signal.alert);
  if (resolution === undefined || Date.parse(resolution.endsAt) < Date.parse(signal.alert.startsAt)) return incident;
  const resolved = await deps.inbox.get(resolution.signalId);
  if (resolved === undefined) return incident;
  let current: Incident | undefined = incident;
  // The resolution's own workflow may be applying it at this very moment: on a lost race, read again.
  return withConflictRetry(async () => {
    const latest: Incident = current ?? (await deps.store.get(incident.id)) ?? incident;
    current = undefined;
    const change = applyResolved(latest, resolved.signal, deps.clock.now());
    if (change.next === undefined) return latest;
    await deps.store.update(change.next, change.entries);
    return change.next;
  });
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
  // Both reads at once: the first attempt needs the active incident anyway.
  const [previous, active] = await Promise.all([deps.inbox.get(signal.id), deps.store.findActiveByKey(signal.key)]);
  if (previous?.state === 'processed' && previous.outcome !== undefined) {
    const incident = previous.incidentId === undefined ? undefined : await deps.store.get(previous.incidentId);
    return { outcome: previous.outcome, incidentId: previous.incidentId ?? null, flapHoldUntil: incident?.flapHoldUntil ?? null, confirmed: incident?.confirmedAt !== undefined };
  }
  if (previous === undefined) await deps.inbox.accept(signal, deps.clock.now());
  let first = true;
  const applied = await withConflictRetry(() => {
    const prefetched = first ? { active } : undefined;
    first = false;
    return applyOnce(deps, signal, prefetched);
  });
  // The outcome is final here ('opened' stays 'opened' even when an earlier resolution closes the
  // incident at once), so the inbox write and that check run side by side.
  const [incident] = await Promise.all([
    applied.afterOpen?.() ?? Promise.resolve(applied.incident),
    deps.inbox.markProcessed(signal.id, applied.outcome, applied.incident?.id),
  ]);
  // An incident that an earlier-delivered resolution resolved at once goes on as a resolution (resolve
  // workflow: postmortem, close), not as a breach to confirm.
  const outcome = applied.outcome === 'opened' && incident?.status === 'resolved' ? 'resolved' : applied.outcome;
  return { outcome, incidentId: incident?.id ?? null, flapHoldUntil: incident?.flapHoldUntil ?? null, confirmed: incident?.confirmedAt !== undefined && isActive(incident) };
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
