import { z } from 'zod';

/** Which monitoring system sent an alert. */
export const AlertSourceSchema = z.enum(['alertmanager', 'cloudwatch']);
/** The type of {@link AlertSourceSchema}. */
export type AlertSource = z.infer<typeof AlertSourceSchema>;

/** The wire form the alert arrived in. */
export const AlertFormatSchema = z.enum(['alertmanager-v4', 'eventbridge', 'sns', 'lambda-alarm-action']);
/** The type of {@link AlertFormatSchema}. */
export type AlertFormat = z.infer<typeof AlertFormatSchema>;

/** Whether the condition is breaching (`firing`) or back to normal (`resolved`). */
export const AlertStatusSchema = z.enum(['firing', 'resolved']);
/** The type of {@link AlertStatusSchema}. */
export type AlertStatus = z.infer<typeof AlertStatusSchema>;

const IsoTimestamp = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, 'an ISO-8601 UTC timestamp');

/**
 * One alert as reported by its source, before it is mapped to an SLO.
 *
 * Parsers (`parseAlertmanagerWebhook`, `parseCloudWatchAlarm`) produce these
 * from vendor payloads; `toSignal` maps one to an SLO and an incident key.
 */
export const AlertObservationSchema = z.object({
  source: AlertSourceSchema,
  format: AlertFormatSchema,
  status: AlertStatusSchema,
  /**
   * Stable identity of the alert inside its source: the Alertmanager
   * fingerprint, or the CloudWatch alarm ARN (alarm name when no ARN is sent).
   */
  identity: z.string().min(1),
  /** `alertname` label, or the CloudWatch alarm name. */
  name: z.string().min(1),
  /**
   * Alertmanager labels; for CloudWatch the metric dimensions (first metric
   * that has them) plus `alarmName`, `namespace`, `metricName` where known.
   */
  labels: z.record(z.string(), z.string()),
  /** Alertmanager annotations; for CloudWatch `description` and `reason`. */
  annotations: z.record(z.string(), z.string()),
  /** When the breach began (Alertmanager `startsAt`, CloudWatch state timestamp), UTC. */
  startsAt: IsoTimestamp,
  /** When it ended, for resolved alerts. */
  endsAt: IsoTimestamp.optional(),
  /** When the source emitted this notification (best known), UTC. */
  observedAt: IsoTimestamp,
  /** Numeric value that crossed the threshold, when the source says it. */
  observedValue: z.number().optional(),
  /** Human summary (annotation `summary` or the alarm's state reason). */
  summary: z.string(),
  /** Link back to the source (generatorURL, alarm console URL). */
  sourceUrl: z.string().optional(),
  /** Alertmanager `groupKey` of the notification that carried this alert. */
  groupKey: z.string().optional(),
  /** `evidence_uri` annotation/label: where failing prompts can be found (issue 5). */
  evidenceUri: z.string().optional(),
});
/** The type of {@link AlertObservationSchema}. */
export type AlertObservation = z.infer<typeof AlertObservationSchema>;

/** What a parser made of one delivery. */
export interface ParsedDelivery {
  /** Alerts to act on, in payload order. */
  readonly observations: AlertObservation[];
  /** Parts of the delivery deliberately not acted on, with why (e.g. a configuration-change event). */
  readonly ignored: { readonly reason: string }[];
  /** Alerts the sender left out (`truncatedAlerts` of Alertmanager), 0 otherwise. */
  readonly truncatedAlerts: number;
}
