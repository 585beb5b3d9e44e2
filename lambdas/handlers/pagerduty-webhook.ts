import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { changeLifecycle } from '../core/engagement/lifecycle';
import { parsePagerDutyWebhook, verifyPagerDutySignature } from '../core/engagement/pagerduty-webhook';
import { UnauthorizedError } from '../core/errors';
import { vendorConfig } from './engagement-runtime';
import { BodyError, errorToResponse, header, httpError, json, readRawBody } from './http';
import { runtime } from './runtime';

/**
 * `POST /pagerduty/webhooks`: PagerDuty webhooks v3. Verified by
 * `X-PagerDuty-Signature` (HMAC-SHA256 with `PAGERDUTY_WEBHOOK_SECRET`);
 * `incident.acknowledged` and `incident.resolved` move the Firebreak incident
 * whose id is the page's dedup key, and start the workflow that tells Slack.
 * Events about incidents Firebreak did not open are answered 200 and ignored.
 */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    const method = event.requestContext?.http?.method ?? 'POST';
    if (method !== 'POST') return httpError(405, 'MethodNotAllowed', `${method} is not allowed: POST a PagerDuty webhook`);
    const secret = (await vendorConfig()).pagerDutyWebhookSecret;
    if (secret === undefined) throw new UnauthorizedError('PAGERDUTY_WEBHOOK_SECRET is not set: webhooks cannot be verified, so none is accepted');
    const raw = readRawBody(event);
    if (!verifyPagerDutySignature(raw, header(event, 'x-pagerduty-signature'), secret)) {
      throw new UnauthorizedError(header(event, 'x-pagerduty-signature') === undefined ? 'missing X-PagerDuty-Signature header' : 'X-PagerDuty-Signature does not match the body');
    }
    let body: unknown;
    try {
      body = JSON.parse(raw) as unknown;
    } catch (error) {
      throw new BodyError(400, 'InvalidJson', `body is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    const parsed = parsePagerDutyWebhook(body);
    if ('ignored' in parsed) return json(200, { ignored: parsed.ignored });
    const rt = runtime();
    const incident = await rt.store.get(parsed.dedupKey);
    if (incident === undefined) return json(200, { ignored: `no Firebreak incident has dedup key ${parsed.dedupKey}` });
    const change = await changeLifecycle(rt, { incidentId: incident.id, via: 'pagerduty', by: parsed.agent ?? 'PagerDuty' }, parsed.type, parsed.eventId);
    return json(200, { incidentId: incident.id, ...change });
  } catch (error) {
    return errorToResponse(error);
  }
}
