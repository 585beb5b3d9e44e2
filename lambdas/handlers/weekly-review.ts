import { z } from 'zod';
import { logger } from '../adapters/logger';
import { SlackReviewChannel } from '../adapters/slack-review-channel';
import { toInputIssues } from '../core/alerts/zod-issues';
import { InvalidInputError, VendorRejectedError } from '../core/errors';
import { IsoWeekSchema } from '../core/review/iso-week';
import { prepareWeeklyReview, type WeeklyReviewDeps, type WeeklyReviewResult } from '../core/review/prepare-weekly-review';
import type { ReviewChannel } from '../core/review/review-channel';
import { vendorConfig } from './engagement-runtime';
import { recordsRuntime } from './records-runtime';
import { runtime } from './runtime';

/** Environment variable with the Slack channel id the summary is posted to; unset: nothing is posted. */
export const REVIEW_CHANNEL_ENV = 'FIREBREAK_REVIEW_CHANNEL';

const Instant = z.iso.datetime({ offset: true });

/**
 * A request for the weekly review: the ISO week (default: the last complete
 * week at `asOf`), the moment it is made as of (default: now; the schedule
 * passes its scheduled time), and `force` to post the summary even when the
 * review was committed already.
 *
 * @example
 * WeeklyReviewRequestSchema.parse({ week: '2026-W47' });
 */
export const WeeklyReviewRequestSchema = z
  .object({ week: IsoWeekSchema.optional(), asOf: Instant.optional(), force: z.boolean().optional() })
  .strict();
/** The type of {@link WeeklyReviewRequestSchema}. */
export type WeeklyReviewRequest = z.infer<typeof WeeklyReviewRequestSchema>;

/**
 * What the `Prepare The Weekly Review` task is given: the execution's input
 * (`request`) and the execution's start time, the `asOf` of a request
 * without one, so that every retry of an execution renders the same review.
 */
export const WeeklyReviewTaskInputSchema = z.object({ request: WeeklyReviewRequestSchema, startedAt: Instant }).strict();

/** The handler's input: the task's (it has `request`), or a bare request (a direct invocation). */
function parseInput(event: unknown): { request: WeeklyReviewRequest; startedAt?: string } {
  const isTaskInput = typeof event === 'object' && event !== null && 'request' in event;
  const parsed = isTaskInput ? WeeklyReviewTaskInputSchema.safeParse(event) : WeeklyReviewRequestSchema.safeParse(event);
  if (!parsed.success) throw new InvalidInputError('weekly review input', toInputIssues(parsed.error), { cause: parsed.error });
  return 'request' in parsed.data ? parsed.data : { request: parsed.data };
}

/** The review channel when the channel is set but Slack is not configured: posting says why. */
const slackNotConfigured: ReviewChannel = {
  post: async () => {
    throw new VendorRejectedError('slack', `${REVIEW_CHANNEL_ENV} is set but SLACK_BOT_TOKEN is not: the review cannot be posted`, 'not_configured');
  },
};

/**
 * What the weekly review needs, from the environment: the incident store and
 * the clock (`runtime()`), the SLOs of the policy, the records repository
 * (`recordsRuntime()`), and, when `FIREBREAK_REVIEW_CHANNEL` holds a channel
 * id, the Slack review channel with the bot token of `vendorConfig()`.
 *
 * @example
 * const review = await prepareWeeklyReview(await weeklyReviewDeps(), '2026-W47');
 */
export async function weeklyReviewDeps(): Promise<WeeklyReviewDeps> {
  const rt = runtime();
  const { records } = recordsRuntime();
  const channelId = (process.env[REVIEW_CHANNEL_ENV] ?? '').trim();
  let channel: ReviewChannel | undefined;
  if (channelId !== '') {
    const config = await vendorConfig();
    channel =
      config.slackBotToken === undefined
        ? slackNotConfigured
        : new SlackReviewChannel({ token: config.slackBotToken, channel: channelId, ...(config.slackApiUrl === undefined ? {} : { slackApiUrl: config.slackApiUrl }) });
  }
  // With Firebreak's pages reachable (FIREBREAK_PUBLIC_URL), the summary links the review page.
  const publicUrl = (process.env.FIREBREAK_PUBLIC_URL ?? '').replace(/\/+$/, '');
  return {
    store: rt.store,
    records,
    clock: rt.clock,
    slos: rt.policy().slos,
    ...(channel === undefined ? {} : { channel }),
    ...(publicUrl === '' ? {} : { reviewLink: (week: string) => `${publicUrl}/reviews/${week}` }),
  };
}

/**
 * Task `Prepare The Weekly Review` of `weekly-review` (started by the
 * weekly schedule, or by hand with `{ "week": "2026-W47" }`): commits the
 * review and its charts to the records repository and posts the summary to
 * the review channel (see `prepareWeeklyReview`).
 *
 * @throws InvalidInputError when the input is not a request
 * @throws RecordsRepositoryError when the records repository failed (retried by the workflow)
 * @throws WeeklyReviewNotPostedError when the review was committed but not posted (not retried)
 */
export async function handler(event: unknown): Promise<WeeklyReviewResult> {
  const { request, startedAt } = parseInput(event);
  const asOf = request.asOf ?? startedAt;
  const review = await prepareWeeklyReview(await weeklyReviewDeps(), request.week, {
    ...(asOf === undefined ? {} : { asOf: new Date(asOf) }),
    ...(request.force === undefined ? {} : { force: request.force }),
  });
  logger.info('weekly review prepared', { week: review.week, path: review.path, changed: review.changed, posted: review.posted, skipped: review.skipped, notes: review.notes });
  return review;
}
