import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { toInputIssues } from '../alerts/zod-issues';
import { InvalidInputError } from '../errors';

/*
 * PagerDuty webhooks v3 (developer-docs webhooks/01-Overview.md and
 * 04-Signatures.md):
 * - `X-PagerDuty-Signature` holds one or more `v1=<hex HMAC-SHA256 of the raw
 *   body>` separated by commas (several during a secret rotation); the
 *   delivery is authentic when any one matches.
 * - The body is `{event: {id, event_type, resource_type, occurred_at, agent,
 *   client, data}}`; for `incident.*` events `data` is the incident
 *   (`data.type === 'incident'`) with `id`, `title`, `status`, `incident_key`…
 *
 * `data.incident_key` is not our dedup key in general: PagerDuty's own example
 * shows a generated hex key, and real deliveries for incidents opened through
 * an Events API v2 integration carry `"incident_key": null` (the event's
 * dedup_key becomes the *alert's* `alert_key`, not the incident's key; see
 * also PagerDuty/pdpyras#44). What a delivery does carry is `data.title`, the
 * summary of the trigger that opened the incident. So the dedup key is, in
 * order: a Firebreak incident id (`inc-YYYYMMDD-xxxxxxxx`, what Firebreak
 * uses as dedup key) in `incident_key`, one in the title, or else whatever
 * non-empty `incident_key` PagerDuty set (it will match no Firebreak page).
 * When none is there the delivery is ignored, with a reason that names the
 * PagerDuty incident. For deliveries about Firebreak's pages to be matched
 * reliably, the trigger's summary must contain the incident id.
 */

/** Who or what caused the event (a `user_reference`, an integration, or null for PagerDuty itself). */
const AgentSchema = z.looseObject({
  id: z.string().optional(),
  type: z.string().optional(),
  summary: z.string().optional(),
});

/**
 * The envelope of every v3 webhook delivery. `data` depends on the event type
 * and is checked only for the types Firebreak acts on. Unknown keys are kept
 * and ignored.
 *
 * @example
 * PagerDutyWebhookSchema.parse(JSON.parse(rawBody)).event.event_type // => 'incident.resolved'
 */
export const PagerDutyWebhookSchema = z.looseObject({
  event: z.looseObject({
    id: z.string().min(1, 'expected a non-empty event id'),
    event_type: z.string().min(1, 'expected an event type such as "incident.acknowledged"'),
    resource_type: z.string().min(1, 'expected a resource type such as "incident"'),
    occurred_at: z.iso.datetime({ offset: true, error: 'expected an ISO-8601 timestamp' }),
    agent: AgentSchema.nullable().optional(),
    data: z.unknown(),
  }),
});
/** The type of {@link PagerDutyWebhookSchema}. */
export type PagerDutyWebhook = z.infer<typeof PagerDutyWebhookSchema>;

/**
 * `event.data` of `incident.acknowledged` / `incident.resolved`: the incident.
 *
 * @example
 * PagerDutyIncidentDataSchema.parse(delivery.event.data).incident_key // => null for Events API v2 incidents
 */
export const PagerDutyIncidentDataSchema = z.looseObject({
  id: z.string().min(1, 'expected the PagerDuty incident id'),
  type: z.literal('incident', { error: 'expected "incident"' }),
  incident_key: z.string().nullable().optional(),
  title: z.string().optional(),
  status: z.string().optional(),
  html_url: z.string().optional(),
  /** Why it was resolved; `{type: 'merge_resolve_reason', incident: {...}}` when merged into another incident. */
  resolve_reason: z.looseObject({ type: z.string().optional() }).nullable().optional(),
});
/** The type of {@link PagerDutyIncidentDataSchema}. */
export type PagerDutyIncidentData = z.infer<typeof PagerDutyIncidentDataSchema>;

const HANDLED: ReadonlyMap<string, PagerDutyLifecycleEvent['type']> = new Map([
  ['incident.acknowledged', 'acknowledged'],
  ['incident.resolved', 'resolved'],
]);
const FIREBREAK_INCIDENT_ID = /\binc-\d{8}-[0-9a-f]{8}\b/;

/** An acknowledgement or resolution made in PagerDuty, to mirror on the incident. */
export interface PagerDutyLifecycleEvent {
  /** PagerDuty's event id: the same delivery retried has the same id (idempotency key). */
  readonly eventId: string;
  readonly type: 'acknowledged' | 'resolved';
  /**
   * The page's dedup key (the Firebreak incident id), from `data.incident_key`
   * or `data.title` (see the module comment).
   */
  readonly dedupKey: string;
  /** PagerDuty's incident id (`data.id`, e.g. `PGR0VU2`). */
  readonly pagerDutyIncidentId: string;
  /** PagerDuty's incident title (the trigger's summary). */
  readonly title?: string;
  /** Who did it: `agent.summary` (a user's name) or else `agent.id`. Absent when PagerDuty did it itself. */
  readonly agent?: string;
  /** `agent.type`: `user_reference` for a person; an integration reference when an API event (perhaps Firebreak's own) did it. */
  readonly agentType?: string;
  /** `event.occurred_at`, as sent. */
  readonly occurredAt: string;
}

/**
 * True when `header` (the `X-PagerDuty-Signature` value) carries a `v1=`
 * signature that is the hex HMAC-SHA256 of `rawBody` under `secret`. Any of
 * several comma-separated signatures may match (secret rotation); each is
 * compared in constant time. A missing header or an empty secret never
 * verifies.
 *
 * `rawBody` must be the body exactly as received (UTF-8), before any JSON parsing.
 *
 * @example
 * if (!verifyPagerDutySignature(rawBody, headers['x-pagerduty-signature'], secret)) throw new UnauthorizedError('bad PagerDuty signature');
 */
export function verifyPagerDutySignature(rawBody: string, header: string | undefined, secret: string): boolean {
  if (header === undefined || header.trim() === '' || secret === '') return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex'), 'utf8');
  let matched = false;
  for (const part of header.split(',')) {
    const signature = part.trim();
    if (!signature.startsWith('v1=')) continue;
    const given = Buffer.from(signature.slice(3).toLowerCase(), 'utf8');
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched;
}

/**
 * Parses a v3 webhook delivery. `incident.acknowledged` and
 * `incident.resolved` become a {@link PagerDutyLifecycleEvent}; any other
 * event type (including the `pagey.ping` test event), a resolution by merging
 * into another incident, and an incident event that carries no dedup key, is
 * `{ ignored: reason }`.
 *
 * @throws InvalidInputError (`subject` "PagerDuty webhook") when the envelope,
 *   or the incident of a handled event, is malformed; paths like `event.data.id`.
 * @example
 * const parsed = parsePagerDutyWebhook(JSON.parse(rawBody));
 * if ('ignored' in parsed) return { statusCode: 202 };
 * const incident = await store.get(parsed.dedupKey);
 */
export function parsePagerDutyWebhook(body: unknown): PagerDutyLifecycleEvent | { readonly ignored: string } {
  const envelope = PagerDutyWebhookSchema.safeParse(body);
  if (!envelope.success) throw new InvalidInputError('PagerDuty webhook', toInputIssues(envelope.error));
  const { event } = envelope.data;
  const type = HANDLED.get(event.event_type);
  if (type === undefined) {
    return { ignored: `event type "${event.event_type}" is not acted on (only incident.acknowledged and incident.resolved)` };
  }
  const data = PagerDutyIncidentDataSchema.safeParse(event.data);
  if (!data.success) throw new InvalidInputError('PagerDuty webhook', toInputIssues(data.error, 'event.data'));
  const incident = data.data;
  if (type === 'resolved' && incident.resolve_reason?.type === 'merge_resolve_reason') {
    // Merging resolves the merged-away incident; the problem itself is still open in the target incident.
    return { ignored: `PagerDuty incident ${incident.id} was resolved by merging it into another incident, not because the problem is over` };
  }
  const dedupKey = firebreakId(incident.incident_key) ?? firebreakId(incident.title) ?? nonEmpty(incident.incident_key);
  if (dedupKey === undefined) {
    return {
      ignored: `${event.event_type} for PagerDuty incident ${incident.id} carries no dedup key (incident_key is empty and the title names no Firebreak incident)`,
    };
  }
  const agent = nonEmpty(event.agent?.summary) ?? nonEmpty(event.agent?.id);
  const agentType = nonEmpty(event.agent?.type);
  return {
    eventId: event.id,
    type,
    dedupKey,
    pagerDutyIncidentId: incident.id,
    ...(incident.title === undefined ? {} : { title: incident.title }),
    ...(agent === undefined ? {} : { agent }),
    ...(agentType === undefined ? {} : { agentType }),
    occurredAt: event.occurred_at,
  };
}

function firebreakId(text: string | null | undefined): string | undefined {
  return FIREBREAK_INCIDENT_ID.exec(text ?? '')?.[0];
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
