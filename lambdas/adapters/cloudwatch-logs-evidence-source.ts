/**
 * Evidence from the model service's structured logs, through a CloudWatch
 * Logs Insights query.
 */
import { GetQueryResultsCommand, StartQueryCommand, StopQueryCommand, type CloudWatchLogsClient, type GetQueryResultsResponse, type ResultField } from '@aws-sdk/client-cloudwatch-logs';
import { z } from 'zod';
import {
  EvidenceUnavailableError,
  EvidenceUriError,
  DEFAULT_EVIDENCE_MAX_BYTES,
  MAX_LOGS_INSIGHTS_QUERY_LENGTH,
  MAX_LOGS_INSIGHTS_SINCE_MINUTES,
  formatEvidenceUri,
  parseEvidenceUri,
  type EvidenceDocument,
  type EvidenceSource,
} from '../core/corpus/evidence-source';
import { ConfigurationError } from '../core/errors';
import { systemClock, type Clock } from '../core/ports';

/**
 * The query run when the URI names none: the adversarial requests the model
 * did not refuse, oldest first. It expects the model service to log one JSON
 * object per request with the fields of the guardrail evidence contract
 * (`verdict`, `adversarial_source`, `prompt`, … — see
 * `local/demo-model/evidence.ts`), which Logs Insights discovers.
 */
export const DEFAULT_EVIDENCE_QUERY = [
  'fields @timestamp, @message',
  '| filter verdict = "complied" and ispresent(adversarial_source)',
  '| sort @timestamp asc',
  '| limit 10000',
].join('\n');

const LogGroupPatternSchema = z.string().regex(/^[A-Za-z0-9_\-/.#]{1,512}\*?$/, 'expected a log group name, or a prefix ending with "*"');

/** Options of {@link CloudWatchLogsEvidenceSource}. */
export const CloudWatchLogsEvidenceSourceOptionsSchema = z.strictObject({
  /** Log groups that may be queried: exact names, or prefixes ending with `*` (`/aws/lambda/support-*`). */
  allowedLogGroups: z.array(LogGroupPatternSchema).min(1, 'expected at least one log group'),
  /** @default DEFAULT_EVIDENCE_QUERY */
  defaultQuery: z.string().trim().min(1).max(MAX_LOGS_INSIGHTS_QUERY_LENGTH).optional(),
  /**
   * Look-back when the URI has no `since=`, in minutes.
   * @default 60
   */
  defaultSinceMinutes: z.number().int().min(1).max(MAX_LOGS_INSIGHTS_SINCE_MINUTES).optional(),
  /**
   * Pause between two GetQueryResults calls.
   * @default 1000
   */
  pollIntervalMs: z.number().int().min(0).optional(),
  /**
   * How long the query may run before it is stopped and the fetch fails (retryable).
   * @default 60 000
   */
  timeoutMs: z.number().int().positive().optional(),
  /**
   * Most bytes of `@message` text one fetch returns.
   * @default DEFAULT_EVIDENCE_MAX_BYTES (32 MiB)
   */
  maxBytes: z.number().int().positive().optional(),
});

/** See {@link CloudWatchLogsEvidenceSourceOptionsSchema}; plus the clock and the pause, for tests. */
export type CloudWatchLogsEvidenceSourceOptions = z.input<typeof CloudWatchLogsEvidenceSourceOptionsSchema> & {
  /** @default the system clock */
  readonly clock?: Clock;
  /** Waits between polls. @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
};

const RUNNING = new Set(['Scheduled', 'Running', 'Unknown']);

/**
 * `EvidenceSource` over CloudWatch Logs Insights:
 * `logs-insights://<log group>?since=<30m|6h|2d>&query=<percent-encoded query>`.
 *
 * A fetch starts the query over `[now - since, now]` (StartQuery), polls
 * GetQueryResults every `pollIntervalMs` until the status is `Complete`,
 * reads every page (`nextToken`), and returns one document whose lines are
 * the `@message` of each result row, in the query's order (its URI carries
 * the effective `since` and query). No rows: no documents. A message that
 * spans several lines and is JSON is compacted to one line, so the document
 * stays JSON Lines.
 *
 * Errors ({@link EvidenceUnavailableError} unless said otherwise):
 * - a log group outside `allowedLogGroups` → {@link EvidenceUriError};
 * - `MalformedQueryException` → {@link EvidenceUriError} (the query must change);
 * - `ResourceNotFoundException` (no such log group), `AccessDeniedException` → permanent;
 * - `LimitExceededException` (too many concurrent queries), throttling, 5xx,
 *   network → retryable;
 * - status `Failed`, `Cancelled` or `Timeout` → permanent (`query-failed`);
 * - not complete within `timeoutMs` → the query is stopped (StopQuery) and
 *   the error is retryable (`timeout`); a failed StopQuery is named in the
 *   message and is the `cause`;
 * - a result row without `@message` → permanent: the query must select it
 *   (`fields @message`).
 *
 * IAM: `logs:StartQuery`, `logs:GetQueryResults`, `logs:StopQuery` on the log groups.
 *
 * @example
 * const source = new CloudWatchLogsEvidenceSource(new CloudWatchLogsClient({}), { allowedLogGroups: ['/aws/lambda/support-bot'] });
 * const docs = await source.fetch('logs-insights:///aws/lambda/support-bot?since=2h');
 */
export class CloudWatchLogsEvidenceSource implements EvidenceSource {
  private readonly allowed: readonly string[];
  private readonly defaultQuery: string;
  private readonly defaultSinceMinutes: number;
  private readonly pollIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;

  /** @throws ConfigurationError when the options are invalid */
  constructor(
    private readonly client: CloudWatchLogsClient,
    options: CloudWatchLogsEvidenceSourceOptions,
  ) {
    const { clock, sleep, ...rest } = options;
    const parsed = CloudWatchLogsEvidenceSourceOptionsSchema.safeParse(rest);
    if (!parsed.success) throw new ConfigurationError(`CloudWatchLogsEvidenceSource options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.allowed = parsed.data.allowedLogGroups;
    this.defaultQuery = parsed.data.defaultQuery ?? DEFAULT_EVIDENCE_QUERY;
    this.defaultSinceMinutes = parsed.data.defaultSinceMinutes ?? 60;
    this.pollIntervalMs = parsed.data.pollIntervalMs ?? 1000;
    this.timeoutMs = parsed.data.timeoutMs ?? 60_000;
    this.maxBytes = parsed.data.maxBytes ?? DEFAULT_EVIDENCE_MAX_BYTES;
    this.clock = clock ?? systemClock;
    this.sleep = sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async fetch(uri: string): Promise<EvidenceDocument[]> {
    const location = parseEvidenceUri(uri);
    if (location.scheme !== 'logs-insights') throw new EvidenceUriError(uri, `CloudWatchLogsEvidenceSource reads logs-insights:// URIs, not ${location.scheme}://`);
    const { logGroup } = location;
    if (!this.allowed.some((pattern) => (pattern.endsWith('*') ? logGroup.startsWith(pattern.slice(0, -1)) : logGroup === pattern))) {
      throw new EvidenceUriError(uri, `log group "${logGroup}" is not in the allow-list of evidence log groups (${this.allowed.join(', ')})`);
    }
    const query = location.query ?? this.defaultQuery;
    const sinceMinutes = location.sinceMinutes ?? this.defaultSinceMinutes;
    const started = this.clock.now();
    const endTime = Math.floor(started.getTime() / 1000);

    let queryId: string | undefined;
    try {
      ({ queryId } = await this.client.send(new StartQueryCommand({ logGroupName: logGroup, startTime: endTime - sinceMinutes * 60, endTime, queryString: query })));
    } catch (error) {
      if (error instanceof Error && error.name === 'MalformedQueryException') throw new EvidenceUriError(uri, `Logs Insights rejected the query: ${error.message}`, { cause: error });
      throw logsError(uri, 'StartQuery', error);
    }
    if (queryId === undefined) throw new EvidenceUnavailableError(uri, 'StartQuery returned no queryId', { retryable: true, code: 'unavailable' });

    const rows = await this.results(uri, queryId, started.getTime() + this.timeoutMs);
    if (rows.length === 0) return [];
    const lines = rows.map((row, index) => messageOf(uri, row, index));
    const text = `${lines.join('\n')}\n`;
    if (new TextEncoder().encode(text).length > this.maxBytes) {
      throw new EvidenceUnavailableError(uri, `the ${rows.length} messages are over the limit of ${this.maxBytes} bytes for one evidence read; narrow the query or since=`, { retryable: false, code: 'too-large' });
    }
    return [{ uri: formatEvidenceUri({ scheme: 'logs-insights', logGroup, sinceMinutes, query }), text }];
  }

  /** Polls until the query is complete, then reads every page of results. */
  private async results(uri: string, queryId: string, deadline: number): Promise<ResultField[][]> {
    let response: GetQueryResultsResponse;
    for (;;) {
      response = await this.getResults(uri, queryId);
      const status = response.status ?? 'Unknown';
      if (status === 'Complete') break;
      if (!RUNNING.has(status)) {
        throw new EvidenceUnavailableError(uri, `Logs Insights query ${queryId} ended with status ${status}`, { retryable: false, code: 'query-failed' });
      }
      if (this.clock.now().getTime() >= deadline) throw await this.stop(uri, queryId);
      await this.sleep(this.pollIntervalMs);
    }
    const rows = [...(response.results ?? [])];
    let token = response.nextToken;
    while (token !== undefined) {
      const page = await this.getResults(uri, queryId, token);
      rows.push(...(page.results ?? []));
      token = page.nextToken;
    }
    return rows;
  }

  private async getResults(uri: string, queryId: string, nextToken?: string): Promise<GetQueryResultsResponse> {
    try {
      return await this.client.send(new GetQueryResultsCommand({ queryId, ...(nextToken === undefined ? {} : { nextToken }) }));
    } catch (error) {
      throw logsError(uri, 'GetQueryResults', error);
    }
  }

  /** Stops a query that ran past the timeout; the error to throw says whether stopping worked. */
  private async stop(uri: string, queryId: string): Promise<EvidenceUnavailableError> {
    const message = `Logs Insights query ${queryId} did not complete within ${this.timeoutMs} ms`;
    try {
      await this.client.send(new StopQueryCommand({ queryId }));
    } catch (error) {
      // The query may have completed in the meantime (StopQuery then fails); either way the fetch failed and says both.
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return new EvidenceUnavailableError(uri, `${message}; stopping it failed too (${detail})`, { retryable: true, code: 'timeout', cause: error });
    }
    return new EvidenceUnavailableError(uri, `${message}; it was stopped`, { retryable: true, code: 'timeout' });
  }
}

/** The `@message` of a row, as one line. */
function messageOf(uri: string, row: readonly ResultField[], index: number): string {
  const message = row.find((f) => f.field === '@message')?.value;
  if (message === undefined) {
    throw new EvidenceUnavailableError(uri, `result row ${index} has no @message: the query must select it (fields @message)`, { retryable: false, code: 'invalid-result' });
  }
  const line = message.replace(/[\r\n]+$/, '');
  if (!/[\r\n]/.test(line)) return line;
  try {
    return JSON.stringify(JSON.parse(line));
  } catch {
    // Not JSON: a multi-line text message stays as it is; format detection reports what it cannot read.
    return line;
  }
}

/** An SDK error as the port's error. */
function logsError(uri: string, operation: string, error: unknown): EvidenceUnavailableError {
  const name = error instanceof Error ? error.name : 'Error';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  const detail = `${operation} failed (${name}: ${error instanceof Error ? error.message : String(error)})`;
  if (name === 'ResourceNotFoundException') return new EvidenceUnavailableError(uri, `${detail}: no such log group`, { retryable: false, code: 'not-found', cause: error });
  if (name === 'AccessDeniedException' || status === 403) return new EvidenceUnavailableError(uri, `${detail}: the role needs logs:StartQuery, logs:GetQueryResults and logs:StopQuery`, { retryable: false, code: 'access-denied', cause: error });
  const throttled = name === 'LimitExceededException' || name === 'ThrottlingException' || status === 429;
  const retryable = throttled || status === undefined || status >= 500;
  return new EvidenceUnavailableError(uri, detail, { retryable, code: throttled ? 'throttled' : retryable ? 'unavailable' : 'rejected', cause: error });
}
