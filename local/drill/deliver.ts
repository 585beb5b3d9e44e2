/**
 * How the drill talks to Firebreak: through its public routes only, as
 * Alertmanager and a Slack responder would — an Alertmanager webhook
 * (version 4) on `/alerts/alertmanager`, and a signed `/incident` slash
 * command on `/slack/commands`.
 */
import { createHash, createHmac } from 'node:crypto';

/** One alert the drill's evaluator raises. */
export interface DrillAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>> & { readonly alertname: string };
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: Date;
  readonly endsAt?: Date;
  /** Where the alert's expression can be seen (the demo model's `/metrics`). */
  readonly generatorURL: string;
}

/** Alertmanager's fingerprint stand-in: a 64-bit hash of the sorted labels, as 16 hex digits. */
export function fingerprintOf(labels: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((name) => `${name}\u00ff${labels[name]}`)
    .join('\u00ff');
  return createHash('sha256').update(sorted).digest('hex').slice(0, 16);
}

/**
 * The Alertmanager webhook (payload version 4) that carries `alert`, as a
 * receiver named `firebreak` gets it from a route grouped by `alertname`.
 *
 * @example
 * const body = alertmanagerWebhook({ status: 'firing', labels: { alertname: 'PromptInjectionDetected', service: 'support-bot' }, annotations: {}, startsAt: new Date(), generatorURL: 'http://127.0.0.1:9/metrics' });
 */
export function alertmanagerWebhook(alert: DrillAlert, externalURL = 'http://firebreak-drill.invalid/alertmanager'): Record<string, unknown> {
  const { alertname } = alert.labels;
  const commonLabels = { alertname, ...(alert.labels.service === undefined ? {} : { service: alert.labels.service }) };
  return {
    receiver: 'firebreak',
    status: alert.status,
    alerts: [
      {
        status: alert.status,
        labels: { ...alert.labels },
        annotations: { ...alert.annotations },
        startsAt: alert.startsAt.toISOString(),
        endsAt: alert.endsAt?.toISOString() ?? '0001-01-01T00:00:00Z',
        generatorURL: alert.generatorURL,
        fingerprint: fingerprintOf(alert.labels),
      },
    ],
    groupLabels: { alertname },
    commonLabels,
    commonAnnotations: { ...alert.annotations },
    externalURL,
    version: '4',
    groupKey: `{}:{alertname="${alertname}"}`,
    truncatedAlerts: 0,
  };
}

/** What a POST answered. */
export interface Delivery {
  readonly status: number;
  readonly body: unknown;
  readonly attempts: number;
  /** When the (last) attempt was sent. */
  readonly sentAt: Date;
  /** How long Firebreak took to answer it. */
  readonly answeredInMs: number;
}

/**
 * POSTs the webhook to `<target>/alerts/alertmanager` (with the bearer token
 * when Firebreak requires one), retrying network errors and 5xx a few times
 * as Alertmanager does.
 */
export async function deliverAlert(targetUrl: string, webhook: Record<string, unknown>, token?: string, attempts = 3): Promise<Delivery> {
  const body = JSON.stringify(webhook);
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    const sentAt = new Date();
    try {
      const res = await fetch(`${targetUrl}/alerts/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Alertmanager/firebreak-drill', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      const text = await res.text();
      const parsed = parseJson(text);
      if (res.status < 500 || attempt === attempts) return { status: res.status, body: parsed, attempts: attempt, sentAt, answeredInMs: Date.now() - sentAt.getTime() };
      last = new Error(`HTTP ${res.status}`);
    } catch (error) {
      last = error;
      if (attempt === attempts) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
  throw last;
}

/** Headers of a request signed as Slack signs (`v0=` HMAC-SHA256 of `v0:{timestamp}:{body}`). */
export function slackSignature(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}

/**
 * Runs `/incident <text>` in a channel as `userId`: the form body Slack
 * POSTs for a slash command, signed with the app's signing secret.
 * Returns the HTTP status and the reply text (Slack shows it to the user).
 */
export async function slashCommand(targetUrl: string, signingSecret: string, input: { channelId: string; userId: string; text: string }): Promise<{ status: number; text: string }> {
  const body = new URLSearchParams({
    token: 'firebreak-drill',
    team_id: 'T0FIREBREAK',
    team_domain: 'firebreak',
    channel_id: input.channelId,
    channel_name: 'incident',
    user_id: input.userId,
    user_name: 'drill-responder',
    command: '/incident',
    text: input.text,
    api_app_id: 'A0FIREBREAK',
    response_url: 'https://hooks.slack.com/commands/T0FIREBREAK/1/drill',
    trigger_id: `${Date.now()}.drill`,
  }).toString();
  const res = await fetch(`${targetUrl}/slack/commands`, { method: 'POST', headers: slackSignature(body, signingSecret), body, signal: AbortSignal.timeout(5_000) });
  const raw = await res.text();
  const parsed = parseJson(raw) as { text?: unknown } | string;
  return { status: res.status, text: typeof parsed === 'object' && parsed !== null && typeof parsed.text === 'string' ? parsed.text : raw };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
