import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidInputError } from '../errors';
import type { AlertObservation, ParsedDelivery } from './observation';
import { isGoZeroTime, toInputIssues, VendorTimestampSchema } from './zod-issues';

const StatusSchema = z.enum(['firing', 'resolved'], { error: 'expected "firing" or "resolved"' });

/** One alert of an Alertmanager notification. Unknown keys are kept and ignored. */
export const AlertmanagerAlertSchema = z.looseObject({
  status: StatusSchema,
  labels: z.object({ alertname: z.string().min(1, 'expected a non-empty alertname') }).catchall(z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
  startsAt: VendorTimestampSchema,
  /** Go's zero time (`0001-01-01T00:00:00Z`) means "not set". */
  endsAt: z
    .string()
    .optional()
    .transform((raw) => (raw === undefined || raw === '' || isGoZeroTime(raw) ? undefined : raw))
    .pipe(VendorTimestampSchema.optional()),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});
/** The type of {@link AlertmanagerAlertSchema}. */
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlertSchema>;

/**
 * The Alertmanager webhook payload, version 4
 * (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
 * Keys added by newer Alertmanager releases (`notification_reason`,
 * `routeLabels`, ...) are tolerated and ignored.
 */
export const AlertmanagerWebhookSchema = z.looseObject({
  version: z.literal('4', { error: 'expected "4" (Alertmanager webhook payload version 4)' }),
  status: StatusSchema,
  receiver: z.string().optional(),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().min(0).default(0),
  alerts: z.array(AlertmanagerAlertSchema, { error: 'expected an array of alerts' }),
});
/** The type of {@link AlertmanagerWebhookSchema}. */
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhookSchema>;

/**
 * Parses one Alertmanager webhook delivery (payload version 4) into alert
 * observations, one per alert, each with its own status (a `firing` group can
 * carry `resolved` alerts).
 *
 * Deterministic: `observedAt` is the alert's `startsAt` when firing and its
 * `endsAt` when resolved, never the current time.
 *
 * @throws InvalidInputError (`subject` "Alertmanager webhook") with one issue
 *   per problem, paths like `alerts[0].labels.alertname`.
 * @example
 * const delivery = parseAlertmanagerWebhook(JSON.parse(requestBody));
 * for (const alert of delivery.observations) console.info(alert.identity, alert.status);
 * if (delivery.truncatedAlerts > 0) console.warn(`${delivery.truncatedAlerts} alerts left out by Alertmanager`);
 */
export function parseAlertmanagerWebhook(body: unknown): ParsedDelivery {
  const result = AlertmanagerWebhookSchema.safeParse(body);
  if (!result.success) throw new InvalidInputError('Alertmanager webhook', toInputIssues(result.error));
  const webhook = result.data;
  return {
    observations: webhook.alerts.map((alert) => toObservation(alert, webhook.groupKey)),
    ignored: [],
    truncatedAlerts: webhook.truncatedAlerts,
  };
}

function toObservation(alert: AlertmanagerAlert, groupKey: string | undefined): AlertObservation {
  const { labels, annotations } = alert;
  const resolved = alert.status === 'resolved';
  const endsAt = resolved ? alert.endsAt : undefined;
  const observedValue = numeric(annotations['value'] ?? annotations['observed_value']);
  const evidenceUri = annotations['evidence_uri'] ?? labels['evidence_uri'];
  return {
    source: 'alertmanager',
    format: 'alertmanager-v4',
    status: alert.status,
    identity: alert.fingerprint || labelsHash(labels),
    name: labels.alertname,
    labels: { ...labels },
    annotations: { ...annotations },
    startsAt: alert.startsAt,
    ...(endsAt !== undefined && { endsAt }),
    observedAt: endsAt ?? alert.startsAt,
    ...(observedValue !== undefined && { observedValue }),
    summary: annotations['summary'] || annotations['description'] || labels.alertname,
    ...(alert.generatorURL ? { sourceUrl: alert.generatorURL } : {}),
    ...(groupKey !== undefined && { groupKey }),
    ...(evidenceUri ? { evidenceUri } : {}),
  };
}

/** Stand-in for a missing fingerprint: sha256 of the labels sorted by name. */
function labelsHash(labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((name) => [name, labels[name]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

function numeric(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}
