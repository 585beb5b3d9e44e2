import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { parseCloudWatchAlarm } from '../core/alerts/cloudwatch';
import { acceptDelivery, type IntakeReceipt } from '../core/intake';
import { toSignal } from '../core/policy/to-signal';
import { checkBearer, errorToResponse, httpError, json, readJsonBody } from './http';
import { runtime } from './runtime';

function isHttpEvent(event: unknown): event is APIGatewayProxyEventV2 {
  return typeof event === 'object' && event !== null && 'requestContext' in event && 'rawPath' in event;
}

async function accept(body: unknown): Promise<IntakeReceipt> {
  const rt = runtime();
  const policy = rt.policy();
  return acceptDelivery(rt, parseCloudWatchAlarm(body), (alert) => toSignal(policy, alert));
}

/**
 * CloudWatch alarm intake. On AWS it is invoked by the EventBridge rule
 * (`CloudWatch Alarm State Change`), by the SNS subscription, or directly as
 * an alarm action; those invocations throw on failure so that Lambda retries
 * and finally dead-letters the event. Over HTTP (`POST /alerts/cloudwatch`
 * on the embedded server) it answers 202, or a 4xx/503 JSON error.
 */
export async function handler(event: unknown): Promise<APIGatewayProxyStructuredResultV2 | IntakeReceipt> {
  if (!isHttpEvent(event)) return accept(event);
  try {
    const method = event.requestContext?.http?.method ?? 'POST';
    if (method !== 'POST') return httpError(405, 'MethodNotAllowed', `${method} is not allowed: POST a CloudWatch alarm event`);
    checkBearer(event, await runtime().webhookToken());
    return json(202, await accept(readJsonBody(event, { allowTextPlain: true })));
  } catch (error) {
    return errorToResponse(error);
  }
}
