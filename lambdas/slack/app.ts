import { App, AwsLambdaReceiver, type Logger } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import type { IncidentCommandDeps } from '../core/commands/operations';
import { registerListeners } from './listeners';

/** Options of {@link createSlackApp}. */
export interface SlackAppOptions {
  /** Slack signing secret: requests are verified with it (bad signature or a timestamp older than 5 minutes → 401). */
  readonly signingSecret: string;
  /** Bot token (`xoxb-…`). */
  readonly token: string;
  /** Base URL of the Slack Web API (`SLACK_API_URL`). @default Slack's (`https://slack.com/api/`) */
  readonly slackApiUrl?: string;
  /** What the listeners run on. */
  readonly deps: IncidentCommandDeps;
  /** Where Bolt logs. @default Bolt's console logger */
  readonly logger?: Logger;
}

/**
 * Web API client settings for work inside a Slack request, which must be
 * answered within 3 seconds: a short timeout, one quick retry, and a 429
 * rejected at once instead of waiting out its `Retry-After` (the default
 * client retries for about 30 minutes and has no timeout).
 *
 * @example
 * new WebClient(token, interactiveClientOptions(process.env.SLACK_API_URL));
 */
export function interactiveClientOptions(slackApiUrl: string | undefined): WebClientOptions {
  return {
    ...(slackApiUrl === undefined ? {} : { slackApiUrl }),
    timeout: 1200,
    retryConfig: { retries: 1, minTimeout: 100, maxTimeout: 100 },
    rejectRateLimitedCalls: true,
  };
}

/**
 * Builds the Bolt app on an `AwsLambdaReceiver` and registers its listeners;
 * nothing else.
 *
 * - The receiver verifies every request and processes it before answering
 *   (that is all it does: `processBeforeResponse` is an option of the HTTP
 *   and Express receivers only), so the acknowledgement is the HTTP answer.
 * - `deferInitialization`: the caller runs `await app.init()` (one
 *   `auth.test`) before the first request and again after a failure. Bolt's
 *   default runs `auth.test` in the constructor and caches its result, so a
 *   single failed call would make every later request of the process fail
 *   authorization.
 *
 * @example
 * const { app, receiver } = createSlackApp({ signingSecret, token, slackApiUrl, deps });
 * await app.init();
 * const response = await receiver.toHandler()(event, context);
 */
export function createSlackApp(options: SlackAppOptions): { app: App; receiver: AwsLambdaReceiver } {
  const receiver = new AwsLambdaReceiver({ signingSecret: options.signingSecret, ...(options.logger === undefined ? {} : { logger: options.logger }) });
  const app = new App({
    receiver,
    token: options.token,
    deferInitialization: true,
    // No conversation state: the incident record is the state.
    convoStore: false,
    clientOptions: interactiveClientOptions(options.slackApiUrl),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  registerListeners(app, options.deps);
  return { app, receiver };
}
