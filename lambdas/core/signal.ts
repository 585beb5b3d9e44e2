import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AlertObservationSchema, type AlertObservation } from './alerts/observation';
import { SeveritySchema } from './policy/severity';

/** What identifies an incident: at most one open incident per key. */
export const IncidentKeySchema = z.object({
  slo: z.string().min(1),
  service: z.string().min(1),
  model: z.string().min(1),
});
/** The type of {@link IncidentKeySchema}. */
export type IncidentKey = z.infer<typeof IncidentKeySchema>;

/**
 * The key as one unambiguous string, e.g. `refusal-rate#support-bot#claude-x`
 * (each part URI-encoded, so a `#` inside a label value cannot collide).
 */
export function incidentKeyString(key: IncidentKey): string {
  return [key.slo, key.service, key.model].map(encodeURIComponent).join('#');
}

/**
 * One alert observation, mapped to an SLO: the normalized unit every
 * workflow consumes, whatever the source.
 */
export const SignalSchema = z.object({
  /** Deterministic: the same delivery of the same alert state always gets the same id. */
  id: z.string().regex(/^sig-[0-9a-f]{24}$/),
  key: IncidentKeySchema,
  /** false when no SLO matched and the `default` policy applies. */
  mapped: z.boolean(),
  severity: SeveritySchema,
  /** Seconds a breach must persist before anyone is paged. */
  flapHoldSeconds: z.number().int().min(0),
  alert: AlertObservationSchema,
});
/** The type of {@link SignalSchema}. */
export type Signal = z.infer<typeof SignalSchema>;

/**
 * The id of a signal: a hash of its source, identity, status and start, so
 * that a redelivered notification (retries, Alertmanager repeat_interval)
 * maps to the same signal and cannot start a second workflow.
 *
 * @example
 * signalId(obs) // => 'sig-3f2a…'
 */
export function signalId(alert: AlertObservation): string {
  const digest = createHash('sha256')
    .update([alert.source, alert.identity, alert.status, alert.startsAt].join('\u0000'))
    .digest('hex');
  return `sig-${digest.slice(0, 24)}`;
}
