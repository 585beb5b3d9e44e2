import { api } from '@pagerduty/pdjs';
import type { OnCallDirectory } from '../core/engagement-ports';
import { VendorRejectedError, VendorTransientError } from '../core/errors';
import { certificateErrorCode, PdjsTransport, retryAfterMs } from './pagerduty-pager';

/** Options of {@link PagerDutyOnCallDirectory}. */
export interface PagerDutyOnCallDirectoryOptions {
  /** REST API token (`PAGERDUTY_API_TOKEN`), sent as `Authorization: Token token=…`. */
  readonly token: string;
  /** `host[:port]` of the REST API. @default 'api.pagerduty.com' */
  readonly server?: string;
  /** Extra trusted CA (PEM), e.g. the simulator's certificate. @default Node's trust store */
  readonly ca?: string | Buffer;
  /** Per request. @default 5000 */
  readonly timeoutMs?: number;
  /** Upper bound on pages read (100 on-calls each), against a server that always says `more`. @default 20 */
  readonly maxPages?: number;
}

const PAGE_SIZE = 100;

/**
 * Who is on call, from PagerDuty's REST API (`GET /oncalls` with
 * `escalation_policy_ids[]` and `include[]=users`, which makes each on-call's
 * `user` the full user with its `email`), through pdjs `api()`.
 *
 * Each call is one request per page, not retried here (the workflow retries):
 * 429, 5xx, timeouts and network errors throw `VendorTransientError` (429
 * with `Retry-After` / `ratelimit-reset` when sent); 401, 403 and other 4xx
 * throw `VendorRejectedError` (code = HTTP status), as do an untrusted TLS
 * certificate (code = Node's error code) and an answer without e-mail
 * addresses.
 *
 * @example
 * const directory = new PagerDutyOnCallDirectory({ token: process.env.PAGERDUTY_API_TOKEN! });
 * const emails = await directory.onCallEmails(['PEP0001']); // => ['ana@example.com']
 */
export class PagerDutyOnCallDirectory implements OnCallDirectory {
  private readonly token: string;
  private readonly server: string;
  private readonly transport: PdjsTransport;
  private readonly maxPages: number;

  constructor(options: PagerDutyOnCallDirectoryOptions) {
    if (options.token.trim() === '') throw new RangeError('token must not be empty');
    this.token = options.token;
    this.server = options.server ?? 'api.pagerduty.com';
    this.transport = new PdjsTransport({ timeoutMs: options.timeoutMs ?? 5000, ca: options.ca });
    this.maxPages = options.maxPages ?? 20;
  }

  async onCallEmails(escalationPolicyIds: readonly string[]): Promise<string[]> {
    const emails = new Map<string, string>();
    for (let page = 0, offset = 0; ; page += 1) {
      if (page >= this.maxPages) {
        throw new VendorTransientError('pagerduty', `GET /oncalls still had more entries after ${this.maxPages} pages`);
      }
      const data = await this.page(escalationPolicyIds, offset);
      for (const email of emailsOf(data)) {
        if (!emails.has(email.toLowerCase())) emails.set(email.toLowerCase(), email);
      }
      if (data['more'] !== true) return [...emails.values()];
      const limit = typeof data['limit'] === 'number' && data['limit'] > 0 ? data['limit'] : PAGE_SIZE;
      offset = (typeof data['offset'] === 'number' ? data['offset'] : offset) + limit;
    }
  }

  /** Closes idle keep-alive connections (tests, shutdown). */
  close(): void {
    this.transport.close();
  }

  private async page(escalationPolicyIds: readonly string[], offset: number): Promise<Record<string, unknown>> {
    const queryParameters: Record<string, string | string[]> = {
      'include[]': ['users'],
      limit: String(PAGE_SIZE),
      offset: String(offset),
    };
    if (escalationPolicyIds.length > 0) queryParameters['escalation_policy_ids[]'] = [...escalationPolicyIds];
    const outcome = await this.transport.call((fetchOptions) =>
      api({ token: this.token, server: this.server, endpoint: 'oncalls', method: 'GET', queryParameters, ...fetchOptions }),
    );
    const what = 'GET /oncalls';
    if (outcome.kind === 'response') {
      const { status } = outcome.value;
      const data: unknown = outcome.value.data;
      if (status >= 200 && status < 300 && isRecord(data) && Array.isArray(data['oncalls'])) return data;
      const retryAfter = rateLimitDelay(outcome.value.headers.get('retry-after'), outcome.value.headers.get('ratelimit-reset'));
      throw errorFor(status, `${what}: ${describe(status, data)}`, retryAfter);
    }
    const { observed } = outcome;
    const retryAfter = rateLimitDelay(header(observed.headers, 'retry-after'), header(observed.headers, 'ratelimit-reset'));
    if (outcome.reason === 'timeout') throw new VendorTransientError('pagerduty', `${what}: no answer within the timeout`, undefined, { cause: outcome.error });
    if (outcome.reason === 'rate-limited') {
      throw new VendorTransientError('pagerduty', `${what}: HTTP 429 (rate limited)`, seconds(retryAfter), { cause: outcome.error });
    }
    // pdjs api() rejects with the Response itself when the body is not JSON.
    const status = observed.status ?? statusOf(outcome.error);
    if (status !== undefined) throw errorFor(status, `${what}: HTTP ${status} with an unreadable body`, retryAfter, outcome.error);
    const certificate = certificateErrorCode(outcome.error);
    if (certificate !== undefined) {
      throw new VendorRejectedError('pagerduty', `${what}: TLS certificate not trusted: ${errorText(outcome.error)}`, certificate, { cause: outcome.error });
    }
    throw new VendorTransientError('pagerduty', `${what}: network error: ${errorText(outcome.error)}`, undefined, { cause: outcome.error });
  }
}

function emailsOf(data: Record<string, unknown>): string[] {
  const oncalls = data['oncalls'] as unknown[];
  return oncalls.map((entry, index) => {
    const user = isRecord(entry) ? entry['user'] : undefined;
    const email = isRecord(user) ? user['email'] : undefined;
    if (typeof email !== 'string' || email === '') {
      throw new VendorRejectedError('pagerduty', `GET /oncalls: oncalls[${index}].user has no email (was include[]=users ignored?)`, 'unexpected_response');
    }
    return email;
  });
}

function errorFor(status: number, message: string, retryAfter: number | undefined, cause?: unknown): Error {
  if (status === 429 || status === 408 || status >= 500) return new VendorTransientError('pagerduty', message, seconds(retryAfter), { cause });
  if (status >= 200 && status < 300) return new VendorTransientError('pagerduty', `${message} (not an on-call list)`, undefined, { cause });
  return new VendorRejectedError('pagerduty', message, String(status), { cause });
}

/** `HTTP 401 Authentication failed (code 2006)`. */
function describe(status: number, data: unknown): string {
  const error = isRecord(data) && isRecord(data['error']) ? data['error'] : undefined;
  if (error === undefined) return `HTTP ${status}`;
  const details = Array.isArray(error['errors']) ? `: ${error['errors'].map(String).join('; ')}` : '';
  return `HTTP ${status} ${String(error['message'] ?? '')}${error['code'] === undefined ? '' : ` (code ${String(error['code'])})`}${details}`;
}

/** PagerDuty's REST API says when to come back in `ratelimit-reset` (seconds); `Retry-After` is honoured too. */
function rateLimitDelay(retryAfter: string | null | undefined, reset: string | null | undefined): number | undefined {
  return retryAfterMs(retryAfter) ?? retryAfterMs(reset);
}

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.ceil(ms / 1000);
}

function statusOf(value: unknown): number | undefined {
  return isRecord(value) && typeof value['status'] === 'number' ? value['status'] : undefined;
}

function header(headers: Record<string, string | string[] | undefined> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
