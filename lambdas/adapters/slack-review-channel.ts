import type { Block, KnownBlock, WebClient } from '@slack/web-api';
import { ConfigurationError, VendorRejectedError, VendorTransientError } from '../core/errors';
import type { ReviewChannel } from '../core/review/review-channel';
import { createSlackWebClient, slackVendorError, type SlackRetry } from './slack-incident-channel';

/** A Slack conversation id: a public (`C…`) or private (`G…`) channel. */
const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;

/** Options of {@link SlackReviewChannel}. */
export interface SlackReviewChannelOptions {
  /** Bot token (`xoxb-…`), sent as `Authorization: Bearer`. */
  readonly token: string;
  /** The review channel's id (`C…` or `G…`). */
  readonly channel: string;
  /** Web API base URL. @default 'https://slack.com/api/' */
  readonly slackApiUrl?: string;
  /** A client to use instead of building one; it should not retry by itself (see `createSlackWebClient`). */
  readonly client?: WebClient;
  /** Attempts per Web API call, the first included. @default 4 */
  readonly maxAttempts?: number;
  /** Per-request timeout in milliseconds (ignored with `client`). @default 10000 */
  readonly timeoutMs?: number;
  /** First backoff delay after a 5xx, timeout or transient `ok:false`; doubles per attempt, with jitter. @default 500 */
  readonly backoffMs?: number;
  /** Upper bound of one backoff delay. @default 4000 */
  readonly maxBackoffMs?: number;
  /**
   * The longest `Retry-After` (seconds) waited out here; a longer one ends
   * the call with `VendorTransientError` carrying `retryAfterSeconds`.
   * @default 10
   */
  readonly maxRetryAfterSeconds?: number;
  /** Called before each retry (for logs and metrics). */
  readonly onRetry?: (retry: SlackRetry) => void;
}

/**
 * The review channel on Slack's Web API: `chat.postMessage` to one channel.
 *
 * When Slack answers `not_in_channel` (a public channel the bot was never
 * added to), the bot joins it (`conversations.join`, scope `channels:join`)
 * and posts again, once. A private channel cannot be joined: the bot must be
 * invited (`/invite @Firebreak`), and the error says so.
 *
 * Retries and errors as `SlackIncidentChannel`: a 429 is retried after its
 * `Retry-After` (up to `maxRetryAfterSeconds`), a 5xx, timeout, network error
 * or transient `ok:false` after an exponential backoff, within `maxAttempts`,
 * then `VendorTransientError`; a permanent `ok:false` (`invalid_auth`,
 * `channel_not_found`, `invalid_blocks`…) is `VendorRejectedError` with
 * Slack's error as `code`, after one call.
 *
 * @example
 * const channel = new SlackReviewChannel({ token: process.env.SLACK_BOT_TOKEN!, channel: 'C0REVIEWS1', slackApiUrl: process.env.SLACK_API_URL });
 * await channel.post(text, blocks);
 */
export class SlackReviewChannel implements ReviewChannel {
  private readonly client: WebClient;
  private readonly channel: string;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterSeconds: number;
  private readonly onRetry?: (retry: SlackRetry) => void;

  /** @throws ConfigurationError when `channel` is not a channel id */
  constructor(options: SlackReviewChannelOptions) {
    if (!CHANNEL_ID.test(options.channel)) {
      throw new ConfigurationError(`the review channel must be a Slack channel id (C… or G…), got ${JSON.stringify(options.channel)}`);
    }
    this.channel = options.channel;
    this.client =
      options.client ??
      createSlackWebClient({
        token: options.token,
        ...(options.slackApiUrl === undefined ? {} : { slackApiUrl: options.slackApiUrl }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 4));
    this.backoffMs = Math.max(0, options.backoffMs ?? 500);
    this.maxBackoffMs = Math.max(this.backoffMs, options.maxBackoffMs ?? 4_000);
    this.maxRetryAfterSeconds = Math.max(0, options.maxRetryAfterSeconds ?? 10);
    this.onRetry = options.onRetry;
  }

  async post(text: string, blocks: unknown[]): Promise<void> {
    // The blocks come from `reviewBlocks` (Block Kit JSON); Slack validates them and answers `invalid_blocks` otherwise.
    const message = { channel: this.channel, text, blocks: blocks as (KnownBlock | Block)[], unfurl_links: false, unfurl_media: false };
    try {
      await this.call('chat.postMessage', () => this.client.chat.postMessage(message));
      return;
    } catch (error) {
      if (!(error instanceof VendorRejectedError && error.code === 'not_in_channel')) throw error;
    }
    try {
      await this.call('conversations.join', () => this.client.conversations.join({ channel: this.channel }));
    } catch (error) {
      if (error instanceof VendorRejectedError) {
        throw new VendorRejectedError(
          'slack',
          `the bot is not in the review channel ${this.channel} and cannot join it (${error.code}); invite it to the channel`,
          error.code,
          { cause: error },
        );
      }
      throw error;
    }
    await this.call('chat.postMessage', () => this.client.chat.postMessage(message));
  }

  /** One Web API call with the retry policy; throws the mapped vendor error. */
  private async call<T>(method: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      let mapped: unknown;
      try {
        return await send();
      } catch (error) {
        mapped = slackVendorError(method, error);
      }
      if (!(mapped instanceof VendorTransientError)) throw mapped;
      const retryAfter = mapped.retryAfterSeconds;
      if (attempt >= this.maxAttempts || (retryAfter !== undefined && retryAfter > this.maxRetryAfterSeconds)) {
        throw new VendorTransientError('slack', `${mapped.message.replace(/^slack: /, '')} (attempt ${attempt} of ${this.maxAttempts})`, retryAfter, { cause: mapped.cause });
      }
      const delayMs = retryAfter !== undefined ? retryAfter * 1000 : this.backoff(attempt);
      this.onRetry?.({ method, attempt, delayMs, error: mapped });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }

  /** Exponential backoff with jitter: half the nominal delay plus a random part of the other half. */
  private backoff(attempt: number): number {
    const nominal = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1));
    return Math.round(nominal / 2 + Math.random() * (nominal / 2));
  }
}
