import { WebAPIPlatformError } from '@slack/web-api';
import { channelName } from '../core/engagement/channel-name';
import type { IncidentChannel } from '../core/engagement-ports';
import { VendorRejectedError, VendorTransientError } from '../core/errors';
import type { Incident, IncidentChannelRef } from '../core/incident';
import { incidentSummaryBlocks, topicFor, type SummaryExtras } from '../slack/blocks';
import { SlackWebCaller, type SlackWebCallOptions } from './slack-web-call';

// Still exported from here for the modules that import them from the incident channel.
export { createSlackWebClient, slackVendorError, type SlackRetry } from './slack-web-call';

/** conversations.invite errors about one invitee rather than the channel or the caller. */
const PER_USER_INVITE_ERRORS: ReadonlySet<string> = new Set([
  'already_in_channel',
  'cant_invite_self',
  'user_not_found',
  'cant_invite',
  'ura_max_channels',
  'invitee_cant_see_channel',
  'no_external_invite_permission',
]);

/** Per-user invite outcomes that leave the user in the channel: not failures. */
const ALREADY_MEMBER: ReadonlySet<string> = new Set(['already_in_channel', 'cant_invite_self']);

/** How many channel names `open` tries: `channelName(incident, 1…5)`. */
const MAX_NAME_ATTEMPTS = 5;

/** Options of {@link SlackIncidentChannel}; the rest as {@link SlackWebCallOptions}. */
export interface SlackIncidentChannelOptions extends SlackWebCallOptions {
  /** Attempts per Web API call, the first included. @default 3 */
  readonly maxAttempts?: number;
  /** First backoff delay after a 5xx, timeout or transient `ok:false`; doubles per attempt, with jitter. @default 250 */
  readonly backoffMs?: number;
  /** Facts and links for the pinned summary that are not on the incident (objective, runbook URL…). */
  readonly summaryExtras?: SummaryExtras | ((incident: Incident) => SummaryExtras);
}

/**
 * The incident channel port on Slack's Web API (`@slack/web-api`).
 *
 * Every call is retried within `maxAttempts` when it fails transiently: a 429
 * after the `Retry-After` Slack asked for (up to `maxRetryAfterSeconds`), a
 * 5xx, a timeout, a network error or a transient `ok:false` after an
 * exponential backoff. It then throws `VendorTransientError` (with
 * `retryAfterSeconds` after a 429). A permanent `ok:false` (`invalid_auth`,
 * `channel_not_found`, `missing_scope`, `invalid_blocks`…) throws
 * `VendorRejectedError` with Slack's error as `code`, after one call.
 *
 * Calls: `open` = conversations.create (`name_taken` → next suffix, up to 5
 * names) → conversations.setTopic → chat.postMessage (summary) → pins.add
 * (`already_pinned` is fine); `invite` = conversations.invite;
 * `findUserByEmail` = users.lookupByEmail; `postToThread` = chat.postMessage
 * with `thread_ts`; `updateSummary` = chat.update.
 *
 * @example
 * const channel = new SlackIncidentChannel({
 *   token: process.env.SLACK_BOT_TOKEN!,
 *   slackApiUrl: process.env.SLACK_API_URL,
 *   summaryExtras: (incident) => ({ links: { incidentUrl: `${baseUrl}/incidents/${incident.id}` } }),
 * });
 * const ref = await channel.open(incident);
 * await channel.invite(ref, ['U01ALICE']);
 * await channel.postToThread(ref, 'Rollback to v41 approved by <@U01ALICE>');
 */
export class SlackIncidentChannel implements IncidentChannel {
  private readonly slack: SlackWebCaller;
  private readonly summaryExtras: SlackIncidentChannelOptions['summaryExtras'];

  constructor(options: SlackIncidentChannelOptions) {
    this.slack = new SlackWebCaller(options, { maxAttempts: 3, backoffMs: 250 });
    this.summaryExtras = options.summaryExtras;
  }

  async open(incident: Incident): Promise<IncidentChannelRef> {
    const created = await this.createChannel(incident);
    // After this point the channel exists: a failure names it, so that the timeline shows which one.
    const where = `#${created.name} (${created.id})`;
    try {
      await this.slack.call('conversations.setTopic', (client) => client.conversations.setTopic({ channel: created.id, topic: topicFor(incident) }));
      const { text, blocks } = incidentSummaryBlocks(incident, this.extrasFor(incident));
      const posted = await this.slack.call('chat.postMessage', (client) => client.chat.postMessage({ channel: created.id, text, blocks }));
      const summaryTs = posted.ts;
      if (summaryTs === undefined) throw new VendorRejectedError('slack', 'chat.postMessage answered ok without a ts', 'missing_ts');
      try {
        await this.slack.call('pins.add', (client) => client.pins.add({ channel: created.id, timestamp: summaryTs }));
      } catch (error) {
        if (!isRejection(error, 'already_pinned')) throw error;
      }
      return { id: created.id, name: created.name, summaryTs };
    } catch (error) {
      throw withContext(error, `channel ${where} was created, then`);
    }
  }

  async invite(channel: IncidentChannelRef, userIds: readonly string[]): Promise<void> {
    let pending = [...new Set(userIds.map((u) => u.trim()).filter((u) => u !== ''))];
    const invited: string[] = [];
    const failures: { user: string; error: string }[] = [];
    let oneByOne = false;

    while (pending.length > 0) {
      const batch = oneByOne ? pending.slice(0, 1) : pending;
      try {
        await this.slack.call('conversations.invite', (client) => client.conversations.invite({ channel: channel.id, users: batch.join(',') }));
        invited.push(...batch);
        pending = pending.filter((u) => !batch.includes(u));
        continue;
      } catch (error) {
        if (!(error instanceof VendorRejectedError)) throw error;
        const perUser = perUserInviteErrors(error, batch);
        if (perUser === undefined) {
          // Slack failed the whole call without saying for whom: retry the users one at a time.
          if (!oneByOne && batch.length > 1 && PER_USER_INVITE_ERRORS.has(error.code)) {
            oneByOne = true;
            continue;
          }
          throw withContext(error, `inviting ${batch.join(', ')} to #${channel.name}:`);
        }
        // Slack invites nobody when one invite fails: drop the users it named and invite the rest again.
        const named = new Set(perUser.map((u) => u.user));
        failures.push(...perUser.filter((u) => !ALREADY_MEMBER.has(u.error)));
        pending = pending.filter((u) => !named.has(u));
      }
    }

    const [first] = failures;
    if (first !== undefined) {
      const who = failures.map((f) => `${f.user} (${f.error})`).join(', ');
      const done = invited.length > 0 ? `; invited ${invited.join(', ')}` : '';
      throw new VendorRejectedError('slack', `conversations.invite could not invite ${who} to #${channel.name}${done}`, first.error);
    }
  }

  async findUserByEmail(email: string): Promise<string | undefined> {
    try {
      const found = await this.slack.call('users.lookupByEmail', (client) => client.users.lookupByEmail({ email }));
      return found.user?.id;
    } catch (error) {
      if (isRejection(error, 'users_not_found')) return undefined;
      throw error;
    }
  }

  async postToThread(channel: IncidentChannelRef, text: string): Promise<void> {
    await this.slack.call('chat.postMessage', (client) => client.chat.postMessage({ channel: channel.id, thread_ts: channel.summaryTs, text }));
  }

  async updateSummary(channel: IncidentChannelRef, incident: Incident): Promise<void> {
    const { text, blocks } = incidentSummaryBlocks(incident, this.extrasFor(incident));
    await this.slack.call('chat.update', (client) => client.chat.update({ channel: channel.id, ts: channel.summaryTs, text, blocks }));
  }

  /** conversations.create with `channelName(incident, 1)`, then `-2`, `-3`… while Slack answers `name_taken`. */
  private async createChannel(incident: Incident): Promise<{ id: string; name: string }> {
    const tried: string[] = [];
    for (let attempt = 1; attempt <= MAX_NAME_ATTEMPTS; attempt += 1) {
      const name = channelName(incident, attempt);
      tried.push(name);
      try {
        const created = await this.slack.call('conversations.create', (client) => client.conversations.create({ name }));
        const id = created.channel?.id;
        if (id === undefined) throw new VendorRejectedError('slack', 'conversations.create answered ok without a channel id', 'missing_channel');
        return { id, name: created.channel?.name ?? name };
      } catch (error) {
        if (!isRejection(error, 'name_taken')) throw error;
      }
    }
    throw new VendorRejectedError('slack', `conversations.create: every name is taken (${tried.join(', ')})`, 'name_taken');
  }

  private extrasFor(incident: Incident): SummaryExtras {
    const extras = this.summaryExtras;
    return typeof extras === 'function' ? extras(incident) : (extras ?? {});
  }
}

/** True when `error` is Slack's permanent `ok:false` with this code. */
function isRejection(error: unknown, code: string): boolean {
  return error instanceof VendorRejectedError && error.code === code;
}

/**
 * The per-user failures of a conversations.invite rejection: Slack's
 * `errors: [{user, ok, error}]`, or for a single invitee the error itself
 * when it is about that user. Undefined when the error is about the call.
 */
function perUserInviteErrors(error: VendorRejectedError, batch: readonly string[]): { user: string; error: string }[] | undefined {
  const cause = error.cause;
  const listed = cause instanceof WebAPIPlatformError ? (cause.data as { errors?: unknown }).errors : undefined;
  if (Array.isArray(listed)) {
    const entries = listed
      .filter((e): e is { user: string; error: string } => typeof e === 'object' && e !== null && typeof (e as { user?: unknown }).user === 'string' && typeof (e as { error?: unknown }).error === 'string')
      .filter((e) => batch.includes(e.user))
      .map((e) => ({ user: e.user, error: e.error }));
    if (entries.length > 0) return entries;
  }
  const [only] = batch;
  if (batch.length === 1 && only !== undefined && PER_USER_INVITE_ERRORS.has(error.code)) return [{ user: only, error: error.code }];
  return undefined;
}

/** The same vendor error with `context` in front of its message (name, code, retry delay and cause kept). */
function withContext(error: unknown, context: string): unknown {
  if (error instanceof VendorRejectedError) {
    return new VendorRejectedError('slack', `${context} ${error.message.replace(/^slack: /, '')}`, error.code, { cause: error.cause });
  }
  if (error instanceof VendorTransientError) {
    return new VendorTransientError('slack', `${context} ${error.message.replace(/^slack: /, '')}`, error.retryAfterSeconds, { cause: error.cause });
  }
  return error;
}
