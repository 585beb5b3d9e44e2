import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { parseAlertmanagerWebhook } from '../core/alerts/alertmanager';
import { acceptDelivery } from '../core/intake';
import { toSignal } from '../core/policy/to-signal';
import { checkBearer, errorToResponse, httpError, json, readJsonBody } from './http';
import { runtime } from './runtime';

/**
 * `POST /alerts/alertmanager`: the Alertmanager webhook (version 4), behind a
 * Lambda Function URL on AWS and the embedded server locally. Answers 202
 * once every alert of the delivery is durably recorded.
 */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    const method = event.requestContext?.http?.method ?? 'POST';
    if (method !== 'POST') return httpError(405, 'MethodNotAllowed', `${method} is not allowed: POST an Alertmanager webhook`);
    const rt = runtime();
    checkBearer(event, await rt.webhookToken());
    const delivery = parseAlertmanagerWebhook(readJsonBody(event));
    const policy = rt.policy();
    const receipt = await acceptDelivery(rt, delivery, (alert) => toSignal(policy, alert));
    return json(202, receipt);
  } catch (error) {
    return errorToResponse(error);
  }
}
