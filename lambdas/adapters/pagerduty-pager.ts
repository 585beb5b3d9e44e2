import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { event as pdjsEvent } from '@pagerduty/pdjs';
import type { Pager, PagerEvent, PagerReceipt } from '../core/engagement-ports';
import { VendorRejectedError, VendorTransientError } from '../core/errors';

/*
 * How pdjs 2.2.4 behaves, read from its source (build/src/common.js,
 * events.js, api.js), and what this file does about it:
 *
 * - `request()` always calls `fetch_retry(url, 3, …)`: on HTTP 429 it waits
 *   `retryTimeout` (default 20 000 ms) and fetches again, up to 3 more times.
 *   The `retryCount` option is declared in its types but never read: the 429
 *   retry cannot be switched off. So every pdjs call here goes through
 *   {@link PdjsTransport}, whose `agent` function sees each HTTP request pdjs
 *   makes; a second request within one call can only be pdjs's own 429 retry,
 *   and it is aborted before it is sent (with `retryTimeout: 0`, at once).
 *   The first response's status and `Retry-After` are observed on the way in,
 *   so the adapter's own retry loop decides when to try again.
 * - Non-2xx responses are not errors: `event()` resolves with the response
 *   (`status`, `data` = parsed JSON). But when the body is not JSON (a 502
 *   page from a proxy) `event()` rejects with node-fetch's `invalid-json`
 *   error and the status is lost — hence the observed status again. `api()`
 *   in that case rejects with the Response object itself, not an Error.
 * - `requestTimeout` does not time anything out: it starts a no-op 30 s timer
 *   (which keeps the process alive) and clears it only on a non-429 answer.
 *   It is set to 0 (no timer) and an AbortSignal enforces `timeoutMs`.
 * - Options other than pdjs's own go to node-fetch 2 (via cross-fetch):
 *   `agent` (here an https.Agent with the extra CA), `signal`, `redirect`.
 */

/** The HTTP answer observed on the wire for one pdjs call (the first request it made). */
interface Observed {
  status?: number;
  headers?: IncomingHttpHeaders;
}

/** How one pdjs call ended, in transport terms. */
export type PdjsOutcome<T> =
  | { readonly kind: 'response'; readonly value: T; readonly observed: Readonly<Observed> }
  | {
      readonly kind: 'failure';
      readonly error: unknown;
      /** `timeout`: over `timeoutMs`; `rate-limited`: pdjs tried to retry a 429 (cancelled); `failed`: anything else. */
      readonly reason: 'timeout' | 'rate-limited' | 'failed';
      readonly observed: Readonly<Observed>;
    };

/** Options pdjs passes through to node-fetch, plus pdjs's own retry knobs. */
export interface PdjsFetchOptions {
  readonly agent: () => https.Agent;
  readonly signal: AbortSignal;
  readonly retryTimeout: number;
  readonly requestTimeout: number;
  readonly redirect: 'error';
}

/**
 * An https.Agent that hands the next request's `response` event to a
 * listener. `addRequest` is the hook Node's http client calls synchronously
 * for every request that uses an agent (the one proxy agents such as
 * agent-base override); @types/node does not declare it.
 */
class ObservingAgent extends https.Agent {
  private next: ((response: IncomingMessage) => void) | undefined;

  observeNext(listener: (response: IncomingMessage) => void): this {
    this.next = listener;
    return this;
  }

  addRequest(request: ClientRequest, options: unknown): void {
    const listener = this.next;
    this.next = undefined;
    if (listener !== undefined) request.once('response', listener);
    (https.Agent.prototype as unknown as { addRequest(r: ClientRequest, o: unknown): void }).addRequest.call(this, request, options);
  }
}

/**
 * Runs pdjs calls with one HTTP request each, a timeout, an optional extra
 * trusted CA and keep-alive connections. Shared by the PagerDuty adapters;
 * not a port.
 *
 * @example
 * const transport = new PdjsTransport({ timeoutMs: 5000, ca: simulator.ca });
 * const outcome = await transport.call((fetchOptions) => event({ server, data, ...fetchOptions }));
 * if (outcome.kind === 'failure' && outcome.reason === 'rate-limited') console.info(outcome.observed.headers?.['retry-after']);
 */
export class PdjsTransport {
  private readonly agent: ObservingAgent;
  private readonly timeoutMs: number;

  constructor(options: { readonly timeoutMs: number; readonly ca?: string | Buffer }) {
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) throw new RangeError(`timeoutMs must be > 0, got ${options.timeoutMs}`);
    this.timeoutMs = options.timeoutMs;
    // An explicit `ca` replaces Node's trust store, so the public roots are kept
    // next to the extra CA. Without `ca`, Node's defaults (and NODE_EXTRA_CA_CERTS) apply.
    this.agent = new ObservingAgent({
      keepAlive: true,
      ...(options.ca === undefined ? {} : { ca: [...tls.rootCertificates, options.ca.toString()] }),
    });
  }

  /** Runs `invoke` (a pdjs call given these fetch options) and reports how it ended; never throws. */
  async call<T>(invoke: (fetchOptions: PdjsFetchOptions) => Promise<T>): Promise<PdjsOutcome<T>> {
    const observed: Observed = {};
    const controller = new AbortController();
    let requests = 0;
    let reason: 'timeout' | 'rate-limited' | undefined;
    const timer = setTimeout(() => {
      reason ??= 'timeout';
      controller.abort();
    }, this.timeoutMs);
    const agent = (): https.Agent => {
      requests += 1;
      if (requests > 1) {
        // pdjs only fetches again after a 429: cancel its retry (the request is not sent).
        reason ??= 'rate-limited';
        controller.abort();
        return this.agent;
      }
      return this.agent.observeNext((response) => {
        observed.status = response.statusCode;
        observed.headers = response.headers;
      });
    };
    try {
      const value = await invoke({ agent, signal: controller.signal, retryTimeout: 0, requestTimeout: 0, redirect: 'error' });
      return { kind: 'response', value, observed };
    } catch (error) {
      return { kind: 'failure', error, reason: reason ?? 'failed', observed };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** Options of {@link PagerDutyPager}. */
export interface PagerDutyPagerOptions {
  /** Events API v2 integration key (`PAGERDUTY_ROUTING_KEY`). */
  readonly routingKey: string;
  /** `host[:port]` of the Events API (`PAGERDUTY_SERVER`). @default 'events.pagerduty.com' */
  readonly server?: string;
  /** Extra trusted CA (PEM), e.g. the simulator's certificate. @default Node's trust store */
  readonly ca?: string | Buffer;
  /** Per attempt, including reading the answer. @default 5000 */
  readonly timeoutMs?: number;
  /** Attempts per `send` unless the call says otherwise. @default 3 */
  readonly maxAttempts?: number;
  /** First backoff delay; doubles per attempt. @default 1000 */
  readonly baseDelayMs?: number;
  /**
   * Longest wait between attempts. A `Retry-After` longer than this is not
   * waited for in-process: `send` throws `VendorTransientError` carrying it,
   * for the workflow to schedule the retry. @default 30000
   */
  readonly maxDelayMs?: number;
  /** Waits between attempts (tests pass a recorder). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The Events API v2 request body (PagerDuty/api-schema `reference/events-v2/openapiv3.json`, `/enqueue`). */
export interface EventsV2Body {
  routing_key: string;
  event_action: PagerEvent['action'];
  dedup_key: string;
  payload?: {
    summary: string;
    severity: string;
    source: string;
    component?: string;
    group?: string;
    class?: string;
    timestamp?: string;
    custom_details?: Record<string, string | number | boolean | null>;
  };
  links?: { href: string; text: string }[];
  client?: string;
}

/**
 * Maps a {@link PagerEvent} to the Events API v2 body. `payload` and `client`
 * only go with a trigger (PagerDuty reads them only there).
 *
 * @throws RangeError when a trigger lacks summary, severity or source (a programming error, not a vendor one).
 * @example
 * toEventsV2Body('0123456789abcdef0123456789abcdef', { action: 'resolve', dedupKey: 'inc-20261121-0badcafe' });
 * // => { routing_key: '0123…', event_action: 'resolve', dedup_key: 'inc-20261121-0badcafe' }
 */
export function toEventsV2Body(routingKey: string, event: PagerEvent): EventsV2Body {
  const body: EventsV2Body = { routing_key: routingKey, event_action: event.action, dedup_key: event.dedupKey };
  if (event.action === 'trigger') {
    const { summary, severity, source } = event;
    if (!summary || !severity || !source) {
      throw new RangeError(`a trigger needs summary, severity and source (dedup key ${event.dedupKey})`);
    }
    body.payload = {
      summary,
      severity,
      source,
      ...(event.component === undefined ? {} : { component: event.component }),
      ...(event.group === undefined ? {} : { group: event.group }),
      ...(event.class === undefined ? {} : { class: event.class }),
      ...(event.timestamp === undefined ? {} : { timestamp: event.timestamp }),
      ...(event.customDetails === undefined ? {} : { custom_details: { ...event.customDetails } }),
    };
    body.client = 'Firebreak';
  }
  if (event.links !== undefined && event.links.length > 0) body.links = event.links.map((link) => ({ href: link.href, text: link.text }));
  return body;
}

/** pdjs's type of the event body (not exported by its index). */
type PdjsEventData = Parameters<typeof pdjsEvent>[0]['data'];

/** What one attempt came to. */
type AttemptResult =
  | { readonly kind: 'accepted'; readonly receipt: Omit<PagerReceipt, 'attempts'> }
  | { readonly kind: 'rejected'; readonly code: string; readonly detail: string; readonly cause?: unknown }
  | { readonly kind: 'transient'; readonly detail: string; readonly retryAfterMs?: number; readonly cause?: unknown };

/**
 * Pages through PagerDuty's Events API v2 with @pagerduty/pdjs.
 *
 * Retries, within `maxAttempts`: 429 (after `Retry-After` when PagerDuty
 * sends it, else exponential backoff), 5xx, timeouts and network errors
 * (exponential backoff with jitter, from `baseDelayMs`, capped at
 * `maxDelayMs`). A 400 or another 4xx is thrown at once as
 * `VendorRejectedError` (code = the HTTP status); exhausting the attempts
 * throws `VendorTransientError`.
 *
 * @example
 * const pager = new PagerDutyPager({ routingKey: process.env.PAGERDUTY_ROUTING_KEY!, server: process.env.PAGERDUTY_SERVER });
 * const receipt = await pager.send(triggerEvent(incident, facts, links), { maxAttempts: 1 });
 * await pager.send(followUpEvent(incident, 'resolve'));
 */
export class PagerDutyPager implements Pager {
  private readonly routingKey: string;
  private readonly server: string;
  private readonly transport: PdjsTransport;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: PagerDutyPagerOptions) {
    if (options.routingKey.trim() === '') throw new RangeError('routingKey must not be empty');
    this.routingKey = options.routingKey;
    this.server = options.server ?? 'events.pagerduty.com';
    this.transport = new PdjsTransport({ timeoutMs: options.timeoutMs ?? 5000, ca: options.ca });
    this.maxAttempts = checkedAttempts(options.maxAttempts ?? 3);
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async send(event: PagerEvent, options?: { readonly maxAttempts?: number }): Promise<PagerReceipt> {
    const maxAttempts = checkedAttempts(options?.maxAttempts ?? this.maxAttempts);
    const body = toEventsV2Body(this.routingKey, event);
    const what = `${event.action} for ${event.dedupKey}`;
    for (let attempt = 1; ; attempt += 1) {
      const result = await this.attempt(body);
      if (result.kind === 'accepted') return { ...result.receipt, attempts: attempt };
      if (result.kind === 'rejected') {
        throw new VendorRejectedError('pagerduty', `Events API rejected the ${what}: ${result.detail}`, result.code, { cause: result.cause });
      }
      const retryAfterSeconds = result.retryAfterMs === undefined ? undefined : Math.ceil(result.retryAfterMs / 1000);
      const failed = `Events API ${what} failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${result.detail}`;
      if (attempt >= maxAttempts) throw new VendorTransientError('pagerduty', failed, retryAfterSeconds, { cause: result.cause });
      if (result.retryAfterMs !== undefined && result.retryAfterMs > this.maxDelayMs) {
        throw new VendorTransientError('pagerduty', `${failed} (Retry-After ${retryAfterSeconds} s is longer than this call waits)`, retryAfterSeconds, {
          cause: result.cause,
        });
      }
      await this.sleep(result.retryAfterMs ?? this.backoff(attempt));
    }
  }

  /** Closes idle keep-alive connections (tests, shutdown). */
  close(): void {
    this.transport.close();
  }

  /** Exponential backoff with "equal jitter": between half and all of `base × 2^(attempt-1)`, capped. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  private async attempt(body: EventsV2Body): Promise<AttemptResult> {
    const outcome = await this.transport.call((fetchOptions) =>
      // pdjs types `payload` as required, but acknowledge/resolve carry none.
      pdjsEvent({ server: this.server, data: body as unknown as PdjsEventData, ...fetchOptions }),
    );
    if (outcome.kind === 'response') {
      const { status } = outcome.value;
      const data: unknown = outcome.value.data;
      if (status >= 200 && status < 300) {
        const answer = isRecord(data) ? data : {};
        return {
          kind: 'accepted',
          receipt: {
            dedupKey: typeof answer['dedup_key'] === 'string' ? answer['dedup_key'] : body.dedup_key,
            status: typeof answer['status'] === 'string' ? answer['status'] : String(status),
            message: typeof answer['message'] === 'string' ? answer['message'] : '',
          },
        };
      }
      return classifyStatus(status, describeAnswer(status, data), retryAfterMs(outcome.value.headers.get('retry-after')));
    }
    const { observed } = outcome;
    const retryAfter = retryAfterMs(header(observed.headers, 'retry-after'));
    if (outcome.reason === 'timeout') return { kind: 'transient', detail: 'no answer within the timeout', cause: outcome.error };
    if (outcome.reason === 'rate-limited') {
      return { kind: 'transient', detail: `HTTP ${observed.status ?? 429} (rate limited)`, retryAfterMs: retryAfter, cause: outcome.error };
    }
    if (observed.status !== undefined) {
      // The answer came but could not be read (not JSON, or a redirect).
      return classifyStatus(observed.status, `HTTP ${observed.status} with an unreadable body`, retryAfter, outcome.error);
    }
    const certificate = certificateErrorCode(outcome.error);
    if (certificate !== undefined) {
      return { kind: 'rejected', code: certificate, detail: `TLS certificate not trusted: ${errorText(outcome.error)}`, cause: outcome.error };
    }
    return { kind: 'transient', detail: `network error: ${errorText(outcome.error)}`, cause: outcome.error };
  }
}

/**
 * The OpenSSL/Node code when `error` (a node-fetch `system` error) is a
 * certificate that failed verification: a configuration problem (missing CA,
 * wrong host) that retrying does not fix.
 *
 * @example
 * certificateErrorCode(fetchError) // => 'DEPTH_ZERO_SELF_SIGNED_CERT'
 */
export function certificateErrorCode(error: unknown): string | undefined {
  const code = isRecord(error) && typeof error['code'] === 'string' ? error['code'] : undefined;
  return code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code) ? code : undefined;
}

/** 429, 408 and 5xx are transient (so is a 2xx whose body could not be read: retrying is safe, the dedup key makes it idempotent); other statuses are rejections. */
function classifyStatus(status: number, detail: string, retryAfter: number | undefined, cause?: unknown): AttemptResult {
  if (status === 429) return { kind: 'transient', detail, retryAfterMs: retryAfter, cause };
  if (status >= 500 || status === 408 || (status >= 200 && status < 300)) return { kind: 'transient', detail, cause };
  return { kind: 'rejected', code: String(status), detail, cause };
}

/** `HTTP 400 invalid event: Event object is invalid (errors: 'payload.summary' is missing)`. */
function describeAnswer(status: number, data: unknown): string {
  if (!isRecord(data)) return `HTTP ${status}`;
  const label = [data['status'], data['message']].filter((part) => typeof part === 'string' && part !== '').join(': ');
  const errors = Array.isArray(data['errors']) ? data['errors'].map(String) : [];
  return `HTTP ${status}${label ? ` ${label}` : ''}${errors.length > 0 ? ` (errors: ${errors.join('; ')})` : ''}`;
}

/**
 * Milliseconds from a `Retry-After` value (delta-seconds or an HTTP date), or undefined.
 *
 * @example
 * retryAfterMs('7')                                                   // => 7000
 * retryAfterMs('Sat, 21 Nov 2026 10:00:30 GMT', Date.parse('2026-11-21T10:00:00Z')) // => 30000
 */
export function retryAfterMs(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function header(headers: IncomingHttpHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

function checkedAttempts(value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`maxAttempts must be an integer >= 1, got ${value}`);
  return value;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
