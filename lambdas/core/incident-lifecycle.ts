import { isoWeek, transition, type Incident, type TimelineEntry } from './incident';
import type { SignalOutcome } from './ports';
import type { Signal } from './signal';

/** A change to apply to the store: the next incident state and what to append to its timeline. */
export interface IncidentChange {
  readonly outcome: SignalOutcome;
  /** The next state, or undefined when nothing changes (the signal was already applied). */
  readonly next: Incident | undefined;
  readonly entries: TimelineEntry[];
}

/** Incident id for the incident a signal opens: deterministic, so a retried create cannot fork it. */
export function incidentIdFor(signal: Signal, openedAt: Date): string {
  const day = openedAt.toISOString().slice(0, 10).replace(/-/g, '');
  return `inc-${day}-${signal.id.slice(4, 12)}`;
}

function entry(incidentId: string, signal: Signal, kind: string, message: string, at: Date): TimelineEntry {
  return {
    incidentId,
    id: `${signal.id}:${kind}`,
    at: at.toISOString(),
    kind,
    actor: signal.alert.source,
    message,
    data: {
      signalId: signal.id,
      identity: signal.alert.identity,
      alert: signal.alert.name,
      status: signal.alert.status,
      ...(signal.alert.observedValue === undefined ? {} : { observedValue: signal.alert.observedValue }),
    },
  };
}

function modelVersionOf(labels: Record<string, string>): string | undefined {
  return labels.model_version ?? labels.modelVersion ?? labels.ModelVersion;
}

/**
 * The incident a firing signal opens, with its first timeline entry.
 *
 * @example
 * const { incident, entries } = openIncident(signal, clock.now());
 */
export function openIncident(signal: Signal, now: Date): { incident: Incident; entries: TimelineEntry[] } {
  const { alert, key } = signal;
  const id = incidentIdFor(signal, now);
  const at = now.toISOString();
  const flapHoldUntil = new Date(Date.parse(alert.startsAt) + signal.flapHoldSeconds * 1000).toISOString();
  const incident: Incident = {
    id,
    key,
    status: 'open',
    severity: signal.severity,
    mapped: signal.mapped,
    title: `${key.slo} breached on ${key.service} (${key.model}): ${alert.summary}`.slice(0, 300),
    openedBySignal: signal.id,
    breachStartedAt: alert.startsAt,
    openedAt: at,
    updatedAt: at,
    flapHoldUntil,
    week: isoWeek(now),
    alerts: {
      [alert.identity]: {
        source: alert.source,
        name: alert.name,
        status: 'firing',
        startsAt: alert.startsAt,
        lastSignalId: signal.id,
      },
    },
    signalCount: 1,
    ...(alert.observedValue === undefined ? {} : { observedValue: alert.observedValue }),
    ...(modelVersionOf(alert.labels) === undefined ? {} : { modelVersion: modelVersionOf(alert.labels) }),
    ...(alert.evidenceUri === undefined ? {} : { evidenceUri: alert.evidenceUri }),
    version: 1,
  };
  const unmapped = signal.mapped ? '' : ' (unmapped alert: default policy applies)';
  const entries = [entry(id, signal, 'incident.opened', `Opened by ${alert.source} alert ${alert.name}${unmapped}`, now)];
  // A breach already older than its flap hold (or an SLO without one) cannot flap: it is confirmed
  // as it opens, and the workflow's wait and confirmation pass straight through.
  if (Date.parse(flapHoldUntil) <= now.getTime()) {
    const confirmed = confirmBreach(incident, now);
    return { incident: { ...(confirmed.next ?? incident), version: 1 }, entries: [...entries, ...confirmed.entries] };
  }
  return { incident, entries };
}

/** Applies a firing signal to an active incident of its key. */
export function joinFiring(incident: Incident, signal: Signal, now: Date): IncidentChange {
  if (incident.openedBySignal === signal.id) return { outcome: 'opened', next: undefined, entries: [] };
  const { alert } = signal;
  const known = incident.alerts[alert.identity];
  if (known?.lastSignalId === signal.id) {
    return { outcome: 'joined', next: undefined, entries: [] };
  }
  // Delivered out of order: this alert already resolved after this firing began.
  if (known?.status === 'resolved' && known.endsAt !== undefined && Date.parse(known.endsAt) >= Date.parse(alert.startsAt)) {
    return { outcome: 'stale', next: undefined, entries: [] };
  }
  const next: Incident = {
    ...incident,
    alerts: {
      ...incident.alerts,
      [alert.identity]: { source: alert.source, name: alert.name, status: 'firing', startsAt: alert.startsAt, lastSignalId: signal.id },
    },
    signalCount: incident.signalCount + 1,
    updatedAt: now.toISOString(),
    version: incident.version + 1,
  };
  return {
    outcome: 'joined',
    next,
    entries: [entry(incident.id, signal, 'alert.firing', `${alert.source} alert ${alert.name} firing: ${alert.summary}`, now)],
  };
}

/**
 * Applies a resolved signal. When every alert of the incident is resolved,
 * the incident is resolved — or flapped, when that happened within the flap
 * hold and before the breach was confirmed (so nobody was paged).
 */
export function applyResolved(incident: Incident, signal: Signal, now: Date): IncidentChange {
  const { alert } = signal;
  const known = incident.alerts[alert.identity];
  if (known?.lastSignalId === signal.id) {
    return { outcome: outcomeOf(incident), next: undefined, entries: [] };
  }
  const endsAt = alert.endsAt ?? now.toISOString();
  // Delivered out of order: the alert fired again after the episode this resolution ends.
  if (known?.status === 'firing' && Date.parse(known.startsAt) > Date.parse(endsAt)) {
    return { outcome: 'stale', next: undefined, entries: [] };
  }
  const alerts = {
    ...incident.alerts,
    [alert.identity]: {
      source: alert.source,
      name: alert.name,
      status: 'resolved' as const,
      startsAt: known?.startsAt ?? alert.startsAt,
      endsAt,
      lastSignalId: signal.id,
    },
  };
  let next: Incident = { ...incident, alerts, signalCount: incident.signalCount + 1, updatedAt: now.toISOString(), version: incident.version + 1 };
  const entries = [entry(incident.id, signal, 'alert.resolved', `${alert.source} alert ${alert.name} resolved`, now)];
  const allResolved = Object.values(alerts).every((a) => a.status === 'resolved');
  if (allResolved) {
    const flapped = next.confirmedAt === undefined && Date.parse(endsAt) <= Date.parse(next.flapHoldUntil) && next.status === 'open';
    next = { ...transition(next, flapped ? 'flapped' : 'resolved', now), version: next.version };
    entries.push(
      entry(
        incident.id,
        signal,
        flapped ? 'incident.flapped' : 'incident.resolved',
        flapped
          ? `Every alert cleared within the flap hold (until ${incident.flapHoldUntil}) before anyone was paged: marked flapped`
          : 'Every alert of the incident resolved',
        now,
      ),
    );
  }
  return { outcome: outcomeOf(next), next, entries };
}

function outcomeOf(incident: Incident): SignalOutcome {
  if (incident.status === 'flapped') return 'flapped';
  if (incident.status === 'resolved' || incident.status === 'closed') return 'resolved';
  return 'alert-resolved';
}

/**
 * Confirms a breach once its flap hold is over: true when the incident is
 * still active and not confirmed before (paging is due), false when it
 * flapped or resolved meanwhile.
 */
export function confirmBreach(incident: Incident, now: Date): { confirmed: boolean; next: Incident | undefined; entries: TimelineEntry[] } {
  if (incident.status !== 'open' && incident.status !== 'acknowledged' && incident.status !== 'mitigated') {
    return { confirmed: false, next: undefined, entries: [] };
  }
  if (incident.confirmedAt !== undefined) return { confirmed: true, next: undefined, entries: [] };
  const at = now.toISOString();
  return {
    confirmed: true,
    next: { ...incident, confirmedAt: at, updatedAt: at, version: incident.version + 1 },
    entries: [
      {
        incidentId: incident.id,
        id: `${incident.id}:breach.confirmed`,
        at,
        kind: 'breach.confirmed',
        actor: 'firebreak',
        message: `Breach persisted past its flap hold (${incident.flapHoldUntil}): confirmed`,
      },
    ],
  };
}
