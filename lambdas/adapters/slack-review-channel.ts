import type { Block, KnownBlock } from '@slack/web-api';
import { ConfigurationError, VendorRejectedError } from '../core/errors';
import type { ReviewChannel } from '../core/review/review-channel';
import { SlackWebCaller, type SlackWebCallOptions } from './slack-web-call';

/** A Slack conversation id: a public (`C…`) or private (`G…`) channel. */
const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;

/** Options of {@link SlackReviewChannel}; the rest as {@link SlackWebCallOptions}. */
export interface SlackReviewChannelOptions extends SlackWebCallOptions {
  /** The review channel's id (`C…` or `G…`). */
  readonly channel: string;
  /** Attempts per Web API call, the first included. @default 4 */
  readonly maxAttempts?: number;
  /** First backoff delay after a 5xx, timeout or transient `ok:false`; doubles per attempt, with jitter. @default 500 */
  readonly backoffMs?: number;
}

/**
 * The review channel on Slack's Web API: `chat.postMessage` to one channel.
 *
 * When Slack answers `not_in_channel` (a public channel the bot was never
 * added to), the bot joins it (`conversations.join`, scope `channels:join`)
 * and posts again, once. A private channel cannot be joined: the bot must be
 * invited (`/invite @Firebreak`), and the error says so.
 *
 * Retries and errors are those of {@link SlackWebCaller}: a 429 is retried after its
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
  private readonly slack: SlackWebCaller;
  private readonly channel: string;

  /** @throws ConfigurationError when `channel` is not a channel id */
  constructor(options: SlackReviewChannelOptions) {
    if (!CHANNEL_ID.test(options.channel)) {
      throw new ConfigurationError(`the review channel must be a Slack channel id (C… or G…), got ${JSON.stringify(options.channel)}`);
    }
    this.channel = options.channel;
    this.slack = new SlackWebCaller(options, { maxAttempts: 4, backoffMs: 500 });
  }

  async post(text: string, blocks: unknown[]): Promise<void> {
    // The blocks come from `reviewBlocks` (Block Kit JSON); Slack validates them and answers `invalid_blocks` otherwise.
    const message = { channel: this.channel, text, blocks: blocks as (KnownBlock | Block)[], unfurl_links: false, unfurl_media: false };
    try {
      await this.slack.call('chat.postMessage', (client) => client.chat.postMessage(message));
      return;
    } catch (error) {
      if (!(error instanceof VendorRejectedError && error.code === 'not_in_channel')) throw error;
    }
    try {
      await this.slack.call('conversations.join', (client) => client.conversations.join({ channel: this.channel }));
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
    await this.slack.call('chat.postMessage', (client) => client.chat.postMessage(message));
  }
}
