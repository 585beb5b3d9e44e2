import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSlackWebClient } from '../../lambdas/adapters/slack-incident-channel';
import { SlackReviewChannel, type SlackReviewChannelOptions } from '../../lambdas/adapters/slack-review-channel';
import { ConfigurationError, VendorRejectedError, VendorTransientError } from '../../lambdas/core/errors';
import { parsePolicy } from '../../lambdas/core/policy/load';
import { reviewBlocks, type ReviewMessage } from '../../lambdas/core/review/review-blocks';
import { weeklyReviewStats } from '../../lambdas/core/review/weekly-stats';
import { startSlackSimulator, type SlackSimulator } from '../../local/simulators/slack-simulator';
import { makeIncident } from '../support/incidents';

const TOKEN = 'xoxb-review-token';
const BOT = 'U0FIREBREAK';

let slack: SlackSimulator;
let channelId: string;
/** Calls made by the test's setup (creating the channel), left out of the assertions. */
let setupCalls = 0;

/** The summary of a review with one incident, as `prepareWeeklyReview` posts it. */
const message: ReviewMessage = reviewBlocks(
  weeklyReviewStats({
    week: '2026-W47',
    incidents: [makeIncident({ acknowledgedAt: '2026-11-21T10:06:05.000Z', resolvedAt: '2026-11-21T12:00:00.000Z', status: 'resolved' })],
    slos: parsePolicy(readFileSync(join(__dirname, '../../runbooks/slos.yaml'), 'utf8'), 'runbooks/slos.yaml').slos,
    cases: [],
    actionItems: [],
    now: new Date('2026-11-23T09:00:00.000Z'),
  }),
  'https://github.com/acme/records/pull/12',
);

beforeAll(async () => {
  slack = await startSlackSimulator({ botUserId: BOT, token: TOKEN });
});

beforeEach(async () => {
  slack.reset();
  const created = await createSlackWebClient({ token: TOKEN, slackApiUrl: slack.url }).conversations.create({ name: 'weekly-reviews' });
  channelId = created.channel?.id ?? '';
  setupCalls = slack.calls().length;
});

afterAll(async () => {
  await slack.close();
});

/** The adapter against the simulator, with fast backoff so that fault tests stay quick. */
function adapter(options: Partial<SlackReviewChannelOptions> = {}): SlackReviewChannel {
  return new SlackReviewChannel({ token: TOKEN, channel: channelId, slackApiUrl: slack.url, backoffMs: 10, maxBackoffMs: 20, timeoutMs: 2_000, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

/** The calls the adapter made. */
const calls = (): ReturnType<SlackSimulator['calls']> => slack.calls().slice(setupCalls);
const methods = (): string[] => calls().map((c) => c.method);

describe('SlackReviewChannel.post', () => {
  it('posts the review summary to the review channel with chat.postMessage, as the bot', async () => {
    await adapter().post(message.text, message.blocks);

    expect(methods()).toEqual(['chat.postMessage']);
    const [posted] = slack.messages(channelId);
    expect(posted).toMatchObject({ channel: channelId, user: BOT, text: message.text, blocks: message.blocks });
    expect(JSON.stringify(posted?.blocks)).toContain('<https://github.com/acme/records/pull/12|Full review with charts>');
  });

  it('sends the token as a bearer header and asks Slack not to unfurl links', async () => {
    await adapter().post(message.text, message.blocks);

    const [call] = calls();
    expect(call).toMatchObject({ auth: 'bearer', params: { channel: channelId, unfurl_links: 'false', unfurl_media: 'false' } });
    expect(call?.params).not.toHaveProperty('token');
  });

  it('waits out a 429 for its Retry-After, then posts once', async () => {
    slack.injectFaults([{ status: 429, retryAfter: 1 }], { method: 'chat.postMessage' });
    const retries: number[] = [];

    await adapter({ onRetry: (r) => retries.push(r.delayMs) }).post(message.text, message.blocks);

    expect(methods()).toEqual(['chat.postMessage', 'chat.postMessage']);
    expect(retries).toEqual([1000]);
    expect(slack.messages(channelId)).toHaveLength(1);
  });

  it('retries a 5xx and a transient ok:false with backoff', async () => {
    slack.injectFaults([{ status: 503 }, { okFalse: 'internal_error' }], { method: 'chat.postMessage' });

    await adapter().post(message.text, message.blocks);

    expect(calls().map((c) => c.status)).toEqual([503, 200, 200]);
    expect(slack.messages(channelId)).toHaveLength(1);
  });

  it('gives up with VendorTransientError after maxAttempts transient failures', async () => {
    slack.injectFaults([{ status: 502 }, { status: 502 }, { status: 502 }], { method: 'chat.postMessage' });

    const error = await rejection(adapter({ maxAttempts: 3 }).post(message.text, message.blocks));

    expect(error).toBeInstanceOf(VendorTransientError);
    expect((error as Error).message).toBe('slack: chat.postMessage failed: HTTP 502 (attempt 3 of 3)');
    expect(methods()).toHaveLength(3);
    expect(slack.messages(channelId)).toEqual([]);
  });

  it('ends at once with VendorTransientError and the delay when Slack asks to wait longer than it will', async () => {
    slack.injectFaults([{ status: 429, retryAfter: 120 }], { method: 'chat.postMessage' });

    const error = await rejection(adapter().post(message.text, message.blocks));

    expect(error).toBeInstanceOf(VendorTransientError);
    expect(error).toMatchObject({ retryAfterSeconds: 120 });
    expect(methods()).toEqual(['chat.postMessage']);
  });

  it('rejects for good, after one call, with Slack error as the code: a bad token, an unknown channel', async () => {
    const badToken = await rejection(adapter({ token: 'xoxb-revoked' }).post(message.text, message.blocks));
    const unknown = await rejection(adapter({ channel: 'C0NOSUCHCHANNEL' }).post(message.text, message.blocks));

    expect(badToken).toBeInstanceOf(VendorRejectedError);
    expect(badToken).toMatchObject({ code: 'invalid_auth', vendor: 'slack' });
    expect(unknown).toMatchObject({ name: 'VendorRejectedError', code: 'channel_not_found' });
    expect(methods()).toEqual(['chat.postMessage', 'chat.postMessage']);
  });

  it('joins the channel and posts again when the bot is not in it', async () => {
    slack.injectFaults([{ okFalse: 'not_in_channel' }], { method: 'chat.postMessage' });

    await adapter().post(message.text, message.blocks);

    expect(methods()).toEqual(['chat.postMessage', 'conversations.join', 'chat.postMessage']);
    expect(slack.messages(channelId)).toHaveLength(1);
  });

  it('says to invite the bot when it is not in the channel and cannot join it', async () => {
    slack.injectFaults([{ okFalse: 'not_in_channel' }], { method: 'chat.postMessage' });
    slack.injectFaults([{ okFalse: 'method_not_supported_for_channel_type' }], { method: 'conversations.join' });

    const error = await rejection(adapter().post(message.text, message.blocks));

    expect(error).toBeInstanceOf(VendorRejectedError);
    expect(error).toMatchObject({ code: 'method_not_supported_for_channel_type' });
    expect((error as Error).message).toContain(`the bot is not in the review channel ${channelId} and cannot join it`);
    expect((error as Error).message).toContain('invite it to the channel');
    expect(methods()).toEqual(['chat.postMessage', 'conversations.join']);
  });

  it('refuses a channel that is not a Slack channel id', () => {
    expect(() => adapter({ channel: '#weekly-reviews' })).toThrow(ConfigurationError);
    expect(() => adapter({ channel: 'U01ALICE' })).toThrow(/must be a Slack channel id/);
  });
});
