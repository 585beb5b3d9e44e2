import type { Incident, TimelineEntry } from './incident';
import type { IncidentKey, Signal } from './signal';

/** What `IncidentStore.create` found. */
export type CreateIncidentResult =
  | { readonly created: true; readonly incident: Incident }
  | { readonly created: false; readonly existing: Incident };

/**
 * Durable incident records with an append-only timeline.
 *
 * Implementations guarantee: at most one active incident per key
 * (conditional create), and optimistic locking on `version` for every change.
 */
export interface IncidentStore {
  /** The incident, or undefined when there is none with that id. */
  get(id: string): Promise<Incident | undefined>;
  /** The active (open, acknowledged or mitigated) incident of a key, if any. */
  findActiveByKey(key: IncidentKey): Promise<Incident | undefined>;
  /**
   * Creates the incident unless its key already has an active incident, in
   * which case that one is returned. `entries` are appended on creation.
   */
  create(incident: Incident, entries: readonly TimelineEntry[]): Promise<CreateIncidentResult>;
  /**
   * Replaces the incident if its stored version is `next.version - 1`,
   * otherwise throws `IncidentVersionConflictError`. Frees the key when the
   * incident leaves the active statuses. `entries` are appended.
   */
  update(next: Incident, entries: readonly TimelineEntry[]): Promise<void>;
  /** Appends entries; an entry whose id already exists is left as it is. */
  appendTimeline(entries: readonly TimelineEntry[]): Promise<void>;
  /** The timeline in time order. */
  timeline(incidentId: string): Promise<TimelineEntry[]>;
  /** Active incidents, newest first. */
  listActive(): Promise<Incident[]>;
  /** Incidents opened in an ISO week (`2026-W47`), newest first. */
  listByWeek(week: string): Promise<Incident[]>;
  /**
   * Remembers that an alert resolved while its key had no active incident
   * (keeps the latest `endsAt`), so that its firing signal, if it arrives
   * late, does not leave an incident open forever.
   */
  noteAlertResolved(alert: AlertRef, endsAt: string, signalId: string): Promise<void>;
  /** The latest such resolution of an alert, if any. */
  alertResolution(alert: AlertRef): Promise<{ endsAt: string; signalId: string } | undefined>;
  /** Remembers which incident a chat channel belongs to. */
  linkChannel(channelId: string, incidentId: string): Promise<void>;
  /** The incident of a chat channel, if the channel is an incident channel. */
  findByChannel(channelId: string): Promise<Incident | undefined>;
}

/** An alert by its source identity. */
export interface AlertRef {
  readonly source: string;
  readonly identity: string;
}

/** How a signal was applied, recorded in the inbox once processed. */
export type SignalOutcome = 'opened' | 'joined' | 'alert-resolved' | 'resolved' | 'flapped' | 'no-active-incident' | 'stale';

/** A signal as held by the inbox. */
export interface InboxRecord {
  readonly signal: Signal;
  readonly receivedAt: string;
  readonly state: 'pending' | 'processed';
  readonly outcome?: SignalOutcome;
  readonly incidentId?: string;
}

/**
 * Durable record of every accepted signal: written before an intake route
 * answers 2xx, so that an accepted alert is never lost.
 */
export interface SignalInbox {
  /** Stores the signal as pending; `duplicate` when it was already accepted. */
  accept(signal: Signal, receivedAt: Date): Promise<'accepted' | 'duplicate'>;
  get(signalId: string): Promise<InboxRecord | undefined>;
  markProcessed(signalId: string, outcome: SignalOutcome, incidentId: string | undefined): Promise<void>;
  /** Signals accepted but not yet processed, oldest first. */
  listPending(): Promise<InboxRecord[]>;
}

/** Who or what moved an incident, and through which door. */
export interface LifecycleOrigin {
  readonly incidentId: string;
  readonly via: 'alert' | 'slack' | 'pagerduty';
  /** A Slack user id, a PagerDuty user, or the alert source. */
  readonly by: string;
}

/** What a start did. */
export interface WorkflowStart {
  readonly executionId: string;
  /** true when an execution of that name existed: a duplicate start is a no-op. */
  readonly alreadyStarted: boolean;
}

/** Starts workflows. Execution names derive from the event, so a duplicate start is a no-op. */
export interface WorkflowStarter {
  /** Starts `respond` for a signal (execution name: the signal id). */
  startRespond(signal: Signal): Promise<WorkflowStart>;
  /** Starts `resolve` for an incident (execution name: `resolve-<incident id>`). */
  startResolve(origin: LifecycleOrigin): Promise<WorkflowStart>;
  /** Starts `acknowledge` for an incident (execution name: `acknowledge-<incident id>`). */
  startAcknowledge(origin: LifecycleOrigin): Promise<WorkflowStart>;
  /**
   * Starts `rollback` for an incident (execution name: `rollback-<incident id>-<request id>`, so a
   * retried approval starts it once, and a later rollback after an undo can still run).
   */
  startRollback(origin: LifecycleOrigin & { readonly version?: string; readonly requestId: string }): Promise<WorkflowStart>;
}

/** The time source, injectable for tests. */
export interface Clock {
  now(): Date;
}

/** The real clock. */
export const systemClock: Clock = { now: () => new Date() };
