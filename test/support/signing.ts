import { createHmac } from 'node:crypto';

/** Headers of a request signed the way Slack signs (`v0=` HMAC-SHA256 of `v0:{ts}:{body}`). */
export function slackSignedHeaders(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}

/** `X-PagerDuty-Signature` for a webhook body (`v1=` HMAC-SHA256 hex). */
export function pagerDutySignature(body: string, secret: string): string {
  return `v1=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
