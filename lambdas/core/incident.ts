import { z } from 'zod';
import { AlertSourceSchema, AlertStatusSchema } from './alerts/observation';
import { InvalidTransitionError } from './errors';
import { SeveritySchema } from './policy/severity';
import { IncidentKeySchema } from './signal';

/**
 * Lifecycle of an incident: open → acknowledged → mitigated → resolved → closed.
 * `flapped` is terminal: the breach cleared within its flap hold before anyone was paged.
 */
export const IncidentStatusSchema = z.enum(['open', 'acknowledged', 'mitigated', 'resolved', 'closed', 'flapped']);
/** The type of {@link IncidentStatusSchema}. */
export type IncidentStatus = z.infer<typeof IncidentStatusSchema>;

/** Statuses in which an incident holds its key: a new breach for the key joins it. */
export const ACTIVE_STATUSES: readonly IncidentStatus[] = ['open', 'acknowledged', 'mitigated'];

const TRANSITIONS: Record<IncidentStatus, readonly IncidentStatus[]> = {
  open: ['acknowledged', 'mitigated', 'resolved', 'flapped'],
  acknowledged: ['mitigated', 'resolved'],
  mitigated: ['acknowledged', 'resolved'],
  resolved: ['closed'],
  closed: [],
  flapped: [],
};

/** The state of one alert (by source identity) inside an incident. */
export const IncidentAlertSchema = z.object({
  source: AlertSourceSchema,
  name: z.string(),
  status: AlertStatusSchema,
  startsAt: z.string(),
  endsAt: z.string().optional(),
  lastSignalId: z.string(),
});
/** The type of {@link IncidentAlertSchema}. */
export type IncidentAlert = z.infer<typeof IncidentAlertSchema>;

/** The PagerDuty side of an incident: one page per incident, keyed by `dedupKey`. */
export const IncidentPageSchema = z.object({
  /** Stable per incident (the incident id); reused for acknowledge and resolve. */
  dedupKey: z.string(),
  status: z.enum(['triggered', 'acknowledged', 'resolved', 'failed']),
  /** How many send attempts the last event took (or took before failing). */
  attempts: z.number().int().min(0),
  triggeredAt: z.string().optional(),
  lastError: z.string().optional(),
});
/** The type of {@link IncidentPageSchema}. */
export type IncidentPage = z.infer<typeof IncidentPageSchema>;

/** The Slack incident channel of an incident. */
export const IncidentChannelRefSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** `ts` of the pinned summary message; later events go to its thread. */
  summaryTs: z.string(),
});
/** The type of {@link IncidentChannelRefSchema}. */
export type IncidentChannelRef = z.infer<typeof IncidentChannelRefSchema>;

/** Incident roles, as Slack user ids. */
export const IncidentRolesSchema = z.object({
  commander: z.string().optional(),
  scribe: z.string().optional(),
  comms: z.string().optional(),
});
/** The type of {@link IncidentRolesSchema}. */
export type IncidentRoles = z.infer<typeof IncidentRolesSchema>;

/** A switch of the model's control state, as recorded for audit and undo. */
export const ControlSnapshotSchema = z.object({
  activeVersion: z.string(),
  killSwitch: z.boolean(),
  safeMode: z.boolean(),
  humanReview: z.boolean(),
  revision: z.number().int(),
});
/** The type of {@link ControlSnapshotSchema}. */
export type ControlSnapshot = z.infer<typeof ControlSnapshotSchema>;

/** One action taken on the model during the incident: who, when, before → after, and its undo. */
export const IncidentActionSchema = z.object({
  /** Deterministic per incident and action kind, e.g. `kill_switch`, `rollback`. */
  id: z.string(),
  action: z.enum(['kill_switch', 'degrade_to_safe_mode', 'route_to_human_review', 'rollback']),
  model: z.string(),
  at: z.string(),
  by: z.string(),
  before: ControlSnapshotSchema,
  after: ControlSnapshotSchema,
  undoneAt: z.string().optional(),
  undoneBy: z.string().optional(),
});
/** The type of {@link IncidentActionSchema}. */
export type IncidentAction = z.infer<typeof IncidentActionSchema>;

/** An incident record: the source of truth for its lifecycle. */
export const IncidentSchema = z.object({
  id: z.string().regex(/^inc-[0-9]{8}-[0-9a-f]{8}$/),
  key: IncidentKeySchema,
  status: IncidentStatusSchema,
  severity: SeveritySchema,
  /** false when the alert matched no SLO and the default policy applies. */
  mapped: z.boolean(),
  title: z.string(),
  /** Signal that opened the incident. */
  openedBySignal: z.string(),
  breachStartedAt: z.string(),
  openedAt: z.string(),
  updatedAt: z.string(),
  /** A breach that clears before this instant, before anyone is paged, is a flap. */
  flapHoldUntil: z.string(),
  /** When the breach outlasted its flap hold and became actionable (paging follows). */
  confirmedAt: z.string().optional(),
  acknowledgedAt: z.string().optional(),
  mitigatedAt: z.string().optional(),
  resolvedAt: z.string().optional(),
  closedAt: z.string().optional(),
  /** ISO week of `openedAt`, e.g. `2026-W47`. */
  week: z.string().regex(/^\d{4}-W\d{2}$/),
  alerts: z.record(z.string(), IncidentAlertSchema),
  signalCount: z.number().int().min(1),
  /** The value that breached, as the opening alert reported it. */
  observedValue: z.number().optional(),
  /** The model version the opening alert named (label `model_version`), if any. */
  modelVersion: z.string().optional(),
  /** Where the failing prompts are, as the opening alert's `evidence_uri` annotation says (else the SLO's evidence setting applies). */
  evidenceUri: z.string().optional(),
  /** The page, once one was attempted. */
  page: IncidentPageSchema.optional(),
  /** The Slack incident channel, once it exists. */
  channel: IncidentChannelRefSchema.optional(),
  roles: IncidentRolesSchema.optional(),
  /** Actions taken on the model (containment, rollback), oldest first. */
  actions: z.array(IncidentActionSchema).optional(),
  /** A rollback that waits for approval in Slack (the SLO says so, or a person asked for one). */
  pendingRollback: z.object({ requestedAt: z.string(), requestedBy: z.string(), version: z.string().optional() }).optional(),
  /** The decision on the last rollback that needed approval: approved, rejected, or expired unanswered. */
  rollbackDecision: z
    .object({ outcome: z.enum(['approved', 'rejected', 'expired']), at: z.string(), by: z.string(), reason: z.string().optional() })
    .optional(),
  /** Who resolved it and why, when resolved by a person or by PagerDuty. */
  resolution: z.object({ by: z.string(), reason: z.string().optional(), via: z.enum(['alert', 'slack', 'pagerduty']) }).optional(),
  /** Optimistic-locking version: every change increments it by one. */
  version: z.number().int().min(1),
});
/** The type of {@link IncidentSchema}. */
export type Incident = z.infer<typeof IncidentSchema>;

/** One append-only entry of an incident's timeline. */
export const TimelineEntrySchema = z.object({
  incidentId: z.string(),
  /** Deterministic per event, so that a retried write cannot add it twice. */
  id: z.string().min(1),
  at: z.string(),
  kind: z.string().min(1),
  /** Who or what did it: `alertmanager`, `cloudwatch`, `firebreak`, a Slack user… */
  actor: z.string().min(1),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});
/** The type of {@link TimelineEntrySchema}. */
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;

/** True when `from → to` is a lifecycle step an incident may take. */
export function canTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * Returns a copy of the incident moved to `to`, stamped with the time of the
 * step, or throws `InvalidTransitionError`.
 *
 * @example
 * const acked = transition(incident, 'acknowledged', new Date());
 */
export function transition(incident: Incident, to: IncidentStatus, now: Date): Incident {
  if (!canTransition(incident.status, to)) {
    throw new InvalidTransitionError(incident.id, incident.status, to);
  }
  const at = now.toISOString();
  const stamp: Partial<Incident> = {
    acknowledged: { acknowledgedAt: incident.acknowledgedAt ?? at },
    mitigated: { mitigatedAt: at },
    resolved: { resolvedAt: at },
    closed: { closedAt: at },
    flapped: { resolvedAt: at, closedAt: at },
    open: {},
  }[to];
  return { ...incident, ...stamp, status: to, updatedAt: at };
}

/** True while the incident holds its key (open, acknowledged or mitigated). */
export function isActive(incident: Incident): boolean {
  return ACTIVE_STATUSES.includes(incident.status);
}

/**
 * ISO-8601 week of a date, e.g. `2026-W47`.
 *
 * @example
 * isoWeek(new Date('2026-11-21T10:00:00Z')) // => '2026-W47'
 */
export function isoWeek(date: Date): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
