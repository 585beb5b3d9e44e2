import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
} from '@slack/web-api';
import { channelName } from '../core/engagement/channel-name';
import type { IncidentChannel } from '../core/engagement-ports';
import { VendorRejectedError, VendorTransientError } from '../core/errors';
import type { Incident, IncidentChannelRef } from '../core/incident';
import { incidentSummaryBlocks, topicFor, type SummaryExtras } from '../slack/blocks';

/** `ok:false` errors that may succeed later: retried, then `VendorTransientError`. Everything else is permanent. */
const TRANSIENT_ERRORS: ReadonlySet<string> = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'request_timeout',
  'service_unavailable',
  'team_added_to_org', // workspace migrating to an Enterprise org: "intermittently unavailable"
]);

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

/** The message @slack/web-api 8 throws (wrapped in p-retry's AbortError) for a 429 without a usable `Retry-After`. */
const RATE_LIMITED_WITHOUT_DELAY = /^Retry header did not contain a valid timeout/;

/** Options of {@link SlackIncidentChannel}. */
export interface SlackIncidentChannelOptions {
  /** Bot token (`xoxb-…`), sent as `Authorization: Bearer`. */
  readonly token: string;
  /** Web API base URL. @default 'https://slack.com/api/' */
  readonly slackApiUrl?: string;
  /**
   * A client to use instead of building one. It should not retry by itself
   * (build it with {@link createSlackWebClient}); otherwise its retries
   * multiply with this adapter's.
   */
  readonly client?: WebClient;
  /** Attempts per Web API call, the first included. @default 3 */
  readonly maxAttempts?: number;
  /** Per-request timeout in milliseconds (ignored with `client`). @default 10000 */
  readonly timeoutMs?: number;
  /** First backoff delay after a 5xx, timeout or transient `ok:false`; doubles per attempt, with jitter. @default 250 */
  readonly backoffMs?: number;
  /** Upper bound of one backoff delay. @default 4000 */
  readonly maxBackoffMs?: number;
  /**
   * The longest `Retry-After` (seconds) the adapter waits out itself. A
   * longer one ends the call at once with `VendorTransientError` carrying
   * `retryAfterSeconds`, so that the workflow waits instead of the Lambda.
   * @default 10
   */
  readonly maxRetryAfterSeconds?: number;
  /** Facts and links for the pinned summary that are not on the incident (objective, runbook URL…). */
  readonly summaryExtras?: SummaryExtras | ((incident: Incident) => SummaryExtras);
  /** Called before each retry (for logs and metrics). */
  readonly onRetry?: (retry: SlackRetry) => void;
}

/** What {@link SlackIncidentChannelOptions.onRetry} is told. */
export interface SlackRetry {
  readonly method: string;
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: VendorTransientError;
}

/**
 * A `WebClient` that makes exactly one HTTP request per call: no retries of
 * its own (`retryConfig: {retries: 0}`) and 429s rejected at once with their
 * `Retry-After` (`rejectRateLimitedCalls`), so that {@link SlackIncidentChannel}
 * owns the retry policy. With its own retries, @slack/web-api 8 would retry
 * 4xx answers too, pause its whole queue on a 429, not retry transient
 * `ok:false` errors, and end a run of 429s with a plain `Error` that has lost
 * the `Retry-After`.
 *
 * @example
 * const client = createSlackWebClient({ token: process.env.SLACK_BOT_TOKEN!, slackApiUrl: process.env.SLACK_API_URL });
 */
export function createSlackWebClient(options: { readonly token: string; readonly slackApiUrl?: string; readonly timeoutMs?: number }): WebClient {
  return new WebClient(options.token, {
    ...(options.slackApiUrl === undefined ? {} : { slackApiUrl: options.slackApiUrl }),
    timeout: options.timeoutMs ?? 10_000,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    // Failures surface as the adapter's errors; the client's own warnings would only repeat them.
    logLevel: LogLevel.ERROR,
  });
}

/**
 * Maps an error thrown by `WebClient` to Firebreak's vendor errors:
 * - HTTP 429 → `VendorTransientError` with `retryAfterSeconds` (when Slack said);
 * - HTTP 5xx or 408, network errors and timeouts → `VendorTransientError`;
 * - `ok:false` with `ratelimited`, `internal_error`, `fatal_error`,
 *   `request_timeout`, `service_unavailable`, `team_added_to_org` → `VendorTransientError`;
 * - any other `ok:false` → `VendorRejectedError` with Slack's error as `code`;
 * - other HTTP statuses → `VendorRejectedError` with code `http_<status>`.
 *
 * The Slack error is kept as `cause`. Anything that is not a Web API error
 * (a bug, not a vendor failure) is returned unchanged.
 *
 * @example
 * try { await client.chat.postMessage(args); } catch (error) { throw slackVendorError('chat.postMessage', error); }
 */
export function slackVendorError(method: string, error: unknown): unknown {
  if (error instanceof WebAPIPlatformError) {
    const code = error.data.error;
    if (TRANSIENT_ERRORS.has(code)) {
      return new VendorTransientError('slack', `${method} failed: ${code}`, error.data.response_metadata?.retryAfter, { cause: error });
    }
    return new VendorRejectedError('slack', `${method} failed: ${code}`, code, { cause: error });
  }
  if (error instanceof WebAPIRateLimitedError) {
    return new VendorTransientError('slack', `${method} rate limited (HTTP 429, Retry-After ${error.retryAfter} s)`, error.retryAfter, { cause: error });
  }
  if (error instanceof WebAPIHTTPError) {
    if (error.statusCode >= 500 || error.statusCode === 408) {
      return new VendorTransientError('slack', `${method} failed: HTTP ${error.statusCode}`, undefined, { cause: error });
    }
    return new VendorRejectedError('slack', `${method} failed: HTTP ${error.statusCode}`, `http_${error.statusCode}`, { cause: error });
  }
  if (error instanceof WebAPIRequestError) {
    // The abort of `timeout` is a DOMException 'TimeoutError'; when it comes from another realm the
    // client re-wraps it as `new Error(String(error))`, so the name survives only in the message.
    const timedOut = error.original.name === 'TimeoutError' || /^TimeoutError\b/.test(error.original.message);
    return new VendorTransientError('slack', `${method} ${timedOut ? 'timed out' : `request failed: ${error.original.message}`}`, undefined, { cause: error });
  }
  if (error instanceof Error && RATE_LIMITED_WITHOUT_DELAY.test(error.message)) {
    return new VendorTransientError('slack', `${method} rate limited (HTTP 429 without Retry-After)`, undefined, { cause: error });
  }
  return error;
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
  private readonly client: WebClient;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterSeconds: number;
  private readonly summaryExtras: SlackIncidentChannelOptions['summaryExtras'];
  private readonly onRetry?: (retry: SlackRetry) => void;

  constructor(options: SlackIncidentChannelOptions) {
    this.client =
      options.client ??
      createSlackWebClient({
        token: options.token,
        ...(options.slackApiUrl === undefined ? {} : { slackApiUrl: options.slackApiUrl }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 3));
    this.backoffMs = Math.max(0, options.backoffMs ?? 250);
    this.maxBackoffMs = Math.max(this.backoffMs, options.maxBackoffMs ?? 4_000);
    this.maxRetryAfterSeconds = Math.max(0, options.maxRetryAfterSeconds ?? 10);
    this.summaryExtras = options.summaryExtras;
    this.onRetry = options.onRetry;
  }

  async open(incident: Incident): Promise<IncidentChannelRef> {
    const created = await this.createChannel(incident);
    // After this point the channel exists: a failure names it, so that the timeline shows which one.
    const where = `#${created.name} (${created.id})`;
    try {
      await this.call('conversations.setTopic', () => this.client.conversations.setTopic({ channel: created.id, topic: topicFor(incident) }));
      const { text, blocks } = incidentSummaryBlocks(incident, this.extrasFor(incident));
      const posted = await this.call('chat.postMessage', () => this.client.chat.postMessage({ channel: created.id, text, blocks }));
      const summaryTs = posted.ts;
      if (summaryTs === undefined) throw new VendorRejectedError('slack', 'chat.postMessage answered ok without a ts', 'missing_ts');
      try {
        await this.call('pins.add', () => this.client.pins.add({ channel: created.id, timestamp: summaryTs }));
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
        await this.call('conversations.invite', () => this.client.conversations.invite({ channel: channel.id, users: batch.join(',') }));
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
      const found = await this.call('users.lookupByEmail', () => this.client.users.lookupByEmail({ email }));
      return found.user?.id;
    } catch (error) {
      if (isRejection(error, 'users_not_found')) return undefined;
      throw error;
    }
  }

  async postToThread(channel: IncidentChannelRef, text: string): Promise<void> {
    await this.call('chat.postMessage', () => this.client.chat.postMessage({ channel: channel.id, thread_ts: channel.summaryTs, text }));
  }

  async updateSummary(channel: IncidentChannelRef, incident: Incident): Promise<void> {
    const { text, blocks } = incidentSummaryBlocks(incident, this.extrasFor(incident));
    await this.call('chat.update', () => this.client.chat.update({ channel: channel.id, ts: channel.summaryTs, text, blocks }));
  }

  /** conversations.create with `channelName(incident, 1)`, then `-2`, `-3`… while Slack answers `name_taken`. */
  private async createChannel(incident: Incident): Promise<{ id: string; name: string }> {
    const tried: string[] = [];
    for (let attempt = 1; attempt <= MAX_NAME_ATTEMPTS; attempt += 1) {
      const name = channelName(incident, attempt);
      tried.push(name);
      try {
        const created = await this.call('conversations.create', () => this.client.conversations.create({ name }));
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
      const gaveUp = attempt >= this.maxAttempts || (retryAfter !== undefined && retryAfter > this.maxRetryAfterSeconds);
      if (gaveUp) {
        throw new VendorTransientError('slack', `${mapped.message.replace(/^slack: /, '')} (attempt ${attempt} of ${this.maxAttempts})`, retryAfter, { cause: mapped.cause });
      }
      const delayMs = retryAfter !== undefined ? retryAfter * 1000 : this.backoff(attempt);
      this.onRetry?.({ method, attempt, delayMs, error: mapped });
      await sleep(delayMs);
    }
  }

  /** Exponential backoff with jitter: half the nominal delay plus a random part of the other half. */
  private backoff(attempt: number): number {
    const nominal = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1));
    return Math.round(nominal / 2 + Math.random() * (nominal / 2));
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
