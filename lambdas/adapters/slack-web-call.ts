import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
} from '@slack/web-api';
import { VendorRejectedError, VendorTransientError } from '../core/errors';

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

/** The message @slack/web-api 8 throws (wrapped in p-retry's AbortError) for a 429 without a usable `Retry-After`. */
const RATE_LIMITED_WITHOUT_DELAY = /^Retry header did not contain a valid timeout/;

/**
 * Options shared by the adapters that call Slack's Web API through
 * {@link SlackWebCaller}. Each adapter documents its own defaults of
 * `maxAttempts` and `backoffMs`.
 */
export interface SlackWebCallOptions {
  /** Bot token (`xoxb-…`), sent as `Authorization: Bearer`. */
  readonly token: string;
  /** Web API base URL. @default 'https://slack.com/api/' */
  readonly slackApiUrl?: string;
  /**
   * A client to use instead of building one. It should not retry by itself
   * (build it with {@link createSlackWebClient}); otherwise its retries
   * multiply with the adapter's.
   */
  readonly client?: WebClient;
  /** Attempts per Web API call, the first included. */
  readonly maxAttempts?: number;
  /** Per-request timeout in milliseconds (ignored with `client`). @default 10000 */
  readonly timeoutMs?: number;
  /** First backoff delay after a 5xx, timeout or transient `ok:false`; doubles per attempt, with jitter. */
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
  /** Called before each retry (for logs and metrics). */
  readonly onRetry?: (retry: SlackRetry) => void;
}

/** What {@link SlackWebCallOptions.onRetry} is told. */
export interface SlackRetry {
  readonly method: string;
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: VendorTransientError;
}

/** The adapter's defaults of the options that differ between adapters. */
export interface SlackWebCallDefaults {
  /** Default of {@link SlackWebCallOptions.maxAttempts}. */
  readonly maxAttempts: number;
  /** Default of {@link SlackWebCallOptions.backoffMs}. */
  readonly backoffMs: number;
}

/**
 * A `WebClient` that makes exactly one HTTP request per call: no retries of
 * its own (`retryConfig: {retries: 0}`) and 429s rejected at once with their
 * `Retry-After` (`rejectRateLimitedCalls`), so that {@link SlackWebCaller}
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
 * Slack Web API calls with Firebreak's retry policy, for the Slack adapters.
 *
 * A call that fails transiently is retried within `maxAttempts`: a 429 after
 * the `Retry-After` Slack asked for (up to `maxRetryAfterSeconds`), a 5xx, a
 * timeout, a network error or a transient `ok:false` after an exponential
 * backoff with jitter. It then throws `VendorTransientError` (with
 * `retryAfterSeconds` after a 429) whose message ends with
 * `(attempt n of maxAttempts)`. Any other failure throws at once, mapped by
 * {@link slackVendorError} (a permanent `ok:false` is `VendorRejectedError`
 * with Slack's error as `code`).
 *
 * @example
 * const slack = new SlackWebCaller({ token, slackApiUrl }, { maxAttempts: 3, backoffMs: 250 });
 * const posted = await slack.call('chat.postMessage', (client) => client.chat.postMessage({ channel, text }));
 */
export class SlackWebCaller {
  /** The client the calls are made with: `options.client`, or one built by {@link createSlackWebClient}. */
  readonly client: WebClient;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterSeconds: number;
  private readonly onRetry?: (retry: SlackRetry) => void;

  constructor(options: SlackWebCallOptions, defaults: SlackWebCallDefaults) {
    this.client =
      options.client ??
      createSlackWebClient({
        token: options.token,
        ...(options.slackApiUrl === undefined ? {} : { slackApiUrl: options.slackApiUrl }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? defaults.maxAttempts));
    this.backoffMs = Math.max(0, options.backoffMs ?? defaults.backoffMs);
    this.maxBackoffMs = Math.max(this.backoffMs, options.maxBackoffMs ?? 4_000);
    this.maxRetryAfterSeconds = Math.max(0, options.maxRetryAfterSeconds ?? 10);
    this.onRetry = options.onRetry;
  }

  /**
   * One Web API call (`method` names it in errors and retries) with the retry policy.
   *
   * @throws VendorTransientError when every attempt failed transiently, or a `Retry-After` is too long
   * @throws VendorRejectedError when Slack rejected the call
   */
  async call<T>(method: string, send: (client: WebClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      let mapped: unknown;
      try {
        return await send(this.client);
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
