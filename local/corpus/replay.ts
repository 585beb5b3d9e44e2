import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { RegressionCase } from '../../lambdas/core/corpus/case';
import { judgeResponse } from '../../lambdas/core/corpus/judge';
import { redactedExcerpt } from '../../lambdas/core/corpus/redact';
import { FirebreakError } from '../../lambdas/core/errors';

/**
 * Replay of the adversarial corpus against an OpenAI-compatible chat
 * completions endpoint: the release gate. Each case's (redacted) user turns
 * are sent as one non-streaming request; the response is judged by
 * `judgeResponse` (canary, forbidden strings, refusal). A request that does
 * not produce a judgeable response — an HTTP error status, a timeout, a
 * network error, a body that is not a chat completion — is an `error`, which
 * fails the gate like a `failed` case, with the reason.
 */

/** Requests in flight unless told otherwise. */
export const DEFAULT_CONCURRENCY = 4;
/** Per-request timeout unless told otherwise. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** Longest piece of an HTTP error body quoted in a reason. */
const MAX_ERROR_BODY_CHARS = 160;

/** How one case came out. */
export type ReplayOutcome = 'passed' | 'failed' | 'error';

/** One case's replay result. Carries no prompt or response text beyond the redacted excerpt. */
export interface ReplayResult {
  readonly caseId: string;
  /** OWASP LLM Top 10 2025 id (`LLM01:2025`). */
  readonly owasp: string;
  readonly category: string;
  readonly technique: string;
  /** How the case is judged (`refusal`, `substring`, `canary`). */
  readonly detector: string;
  readonly outcome: ReplayOutcome;
  /** Why it passed or failed (the judge's reason), or what went wrong with the request. */
  readonly reason: string;
  /** Request and judgement, in milliseconds. */
  readonly durationMs: number;
  /** The HTTP status, when a response arrived. */
  readonly httpStatus?: number;
  /** A one-line excerpt of the case's (already redacted) input, at most 120 characters. */
  readonly excerpt: string;
}

/** Progress after each case. */
export interface ReplayProgress {
  readonly done: number;
  readonly total: number;
  readonly result: ReplayResult;
}

/** The `fetch` replay uses (the global one unless a test gives its own). */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal }) => Promise<Response>;

/** Options of {@link replayCorpus}. */
export interface ReplayOptions {
  readonly cases: readonly RegressionCase[];
  /** Base URL of the endpoint, with or without `/v1` (`http://127.0.0.1:8788`, `https://llm.example/v1`), or the full chat completions URL. */
  readonly target: string;
  /** The `model` field of each request. */
  readonly model: string;
  /** Requests in flight at once. @default 4 */
  readonly concurrency?: number;
  /** Per-request timeout. @default 60000 */
  readonly timeoutMs?: number;
  /** Sent as `Authorization: Bearer …` when set. */
  readonly apiKey?: string;
  /** The canary planted in the target's system prompt; a response containing it fails. */
  readonly canary?: string;
  /** @default globalThis.fetch */
  readonly fetch?: FetchLike;
  /** Called after each case, in completion order. */
  readonly onProgress?: (progress: ReplayProgress) => void;
}

/** The replay options are not usable (target URL, model, concurrency, timeout). */
export class ReplayConfigError extends FirebreakError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The chat completions URL of a target: `/chat/completions` appended to a
 * URL ending in `/v1`, `/v1/chat/completions` appended to any other base; a
 * URL that already ends in `/chat/completions` is used as it is. Query and
 * fragment are dropped; trailing slashes are ignored.
 *
 * @throws ReplayConfigError when the target is not an http(s) URL
 * @example
 * chatCompletionsUrl('http://127.0.0.1:8788')     // => 'http://127.0.0.1:8788/v1/chat/completions'
 * chatCompletionsUrl('https://llm.example/v1/')   // => 'https://llm.example/v1/chat/completions'
 * chatCompletionsUrl('https://gw.example/openai') // => 'https://gw.example/openai/v1/chat/completions'
 */
export function chatCompletionsUrl(target: string): string {
  let url: URL;
  try {
    url = new URL(target);
  } catch (error) {
    throw new ReplayConfigError(`--target ${JSON.stringify(target)} is not a URL`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ReplayConfigError(`--target must be an http or https URL, got ${url.protocol}`);
  const base = url.pathname.replace(/\/+$/, '');
  const pathname = /\/chat\/completions$/.test(base) ? base : /\/v1$/.test(base) ? `${base}/chat/completions` : `${base}/v1/chat/completions`;
  return `${url.origin}${pathname}`;
}

/** The part of a chat completion replay reads; everything else is accepted and ignored. */
const ChatCompletionSchema = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        message: z.looseObject({
          content: z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() })), z.null()]).optional(),
          /** OpenAI's structured refusal. */
          refusal: z.string().nullish(),
        }),
      }),
    )
    .min(1),
});

/** The text of the first choice: its content (text parts joined), else its structured refusal. */
function responseText(body: z.infer<typeof ChatCompletionSchema>): string {
  const message = body.choices[0]!.message;
  const content = Array.isArray(message.content) ? message.content.map((p) => p.text ?? '').join('') : (message.content ?? '');
  return content === '' ? (message.refusal ?? '') : content;
}

/** A one-line, short piece of an error body (the server's own message: not prompt text). */
function errorDetail(text: string): string {
  let detail = text;
  try {
    const json = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof json.error === 'string' ? json.error : (json.error?.message ?? json.message);
    if (typeof message === 'string') detail = message;
  } catch {
    // Not JSON: the raw text is the detail.
  }
  const oneLine = detail.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_ERROR_BODY_CHARS ? `${oneLine.slice(0, MAX_ERROR_BODY_CHARS - 1)}…` : oneLine;
}

interface Attempt {
  readonly outcome: ReplayOutcome;
  readonly reason: string;
  readonly httpStatus?: number;
}

async function replayOne(c: RegressionCase, url: string, options: ReplayOptions, fetchFn: FetchLike, timeoutMs: number): Promise<Attempt> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (options.apiKey !== undefined && options.apiKey !== '') headers['authorization'] = `Bearer ${options.apiKey}`;
  const body = JSON.stringify({ model: options.model, messages: c.input.turns.map((t) => ({ role: t.role, content: t.content })), stream: false });
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await fetchFn(url, { method: 'POST', headers, body, signal });
    text = await res.text();
  } catch (error) {
    if (signal.aborted) return { outcome: 'error', reason: `timed out after ${timeoutMs} ms` };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { outcome: 'error', reason: `request failed: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
  }
  if (res.status < 200 || res.status >= 300) {
    const detail = errorDetail(text);
    return { outcome: 'error', reason: `HTTP ${res.status}${detail === '' ? '' : `: ${detail}`}`, httpStatus: res.status };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { outcome: 'error', reason: 'the response body is not JSON', httpStatus: res.status };
  }
  const parsed = ChatCompletionSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { outcome: 'error', reason: `the response is not a chat completion (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'})`, httpStatus: res.status };
  }
  const verdict = judgeResponse(c, responseText(parsed.data), options.canary === undefined ? {} : { canary: options.canary });
  return { outcome: verdict.pass ? 'passed' : 'failed', reason: verdict.reason, httpStatus: res.status };
}

/**
 * Replays every case against the target with at most `concurrency` requests
 * in flight; results come back in the order of `cases`. Never throws for a
 * case: its problems are in its result.
 *
 * @throws ReplayConfigError when the target, model, concurrency or timeout is not usable
 * @example
 * const results = await replayCorpus({ cases, target: 'http://127.0.0.1:8788', model: 'support-llm', concurrency: 4 });
 * const gatePassed = results.every((r) => r.outcome === 'passed');
 */
export async function replayCorpus(options: ReplayOptions): Promise<ReplayResult[]> {
  const url = chatCompletionsUrl(options.target);
  if (options.model.trim() === '') throw new ReplayConfigError('the model to replay against is empty');
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new ReplayConfigError(`concurrency must be a whole number >= 1, got ${concurrency}`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ReplayConfigError(`timeout must be a positive number of milliseconds, got ${timeoutMs}`);
  const fetchFn: FetchLike = options.fetch ?? ((u, init) => fetch(u, init));
  const cases = options.cases;
  const results = new Array<ReplayResult>(cases.length);
  let next = 0;
  let done = 0;

  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const i = next;
      next += 1;
      const c = cases[i] as RegressionCase;
      const t0 = performance.now();
      const attempt = await replayOne(c, url, options, fetchFn, timeoutMs);
      const result: ReplayResult = {
        caseId: c.id,
        owasp: c.taxonomy.owasp,
        category: c.taxonomy.category,
        technique: c.taxonomy.technique,
        detector: c.detector.kind,
        outcome: attempt.outcome,
        reason: attempt.reason,
        durationMs: performance.now() - t0,
        ...(attempt.httpStatus === undefined ? {} : { httpStatus: attempt.httpStatus }),
        excerpt: redactedExcerpt(c.input.turns.map((t) => t.content).join(' '), 120),
      };
      results[i] = result;
      done += 1;
      options.onProgress?.({ done, total: cases.length, result });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, cases.length) }, worker));
  return results;
}

/**
 * Counts of a replay's outcomes.
 *
 * @example
 * summarizeReplay(results) // => { total: 12, passed: 10, failed: 1, errors: 1 }
 */
export function summarizeReplay(results: readonly ReplayResult[]): { total: number; passed: number; failed: number; errors: number } {
  return {
    total: results.length,
    passed: results.filter((r) => r.outcome === 'passed').length,
    failed: results.filter((r) => r.outcome === 'failed').length,
    errors: results.filter((r) => r.outcome === 'error').length,
  };
}

const ModelListSchema = z.looseObject({ data: z.array(z.looseObject({ id: z.string().min(1) })) });

/**
 * The model a target serves, from its `GET /v1/models` list, for a replay
 * without `--model`: the only one listed.
 *
 * @throws ReplayConfigError when the list cannot be read, is empty or names several models
 * @example
 * await discoverModel('http://127.0.0.1:8788') // => 'support-llm'
 */
export async function discoverModel(target: string, options: { fetch?: FetchLike; apiKey?: string; timeoutMs?: number } = {}): Promise<string> {
  const url = chatCompletionsUrl(target).replace(/\/chat\/completions$/, '/models');
  const fetchFn: FetchLike = options.fetch ?? ((u, init) => fetch(u, init));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.apiKey !== undefined && options.apiKey !== '') headers['authorization'] = `Bearer ${options.apiKey}`;
  let status: number;
  let text: string;
  try {
    const res = await fetchFn(url, { method: 'GET', headers, signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
    status = res.status;
    text = await res.text();
  } catch (error) {
    throw new ReplayConfigError(`cannot list the target's models at ${url} (${(error as Error).message}); pass --model`, { cause: error });
  }
  if (status < 200 || status >= 300) throw new ReplayConfigError(`GET ${url} answered HTTP ${status}${errorDetail(text) === '' ? '' : `: ${errorDetail(text)}`}; pass --model`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ReplayConfigError(`GET ${url} did not answer JSON; pass --model`, { cause: error });
  }
  const parsed = ModelListSchema.safeParse(json);
  if (!parsed.success) throw new ReplayConfigError(`GET ${url} did not answer a model list; pass --model`);
  const ids = [...new Set(parsed.data.data.map((m) => m.id))];
  if (ids.length === 1) return ids[0] as string;
  throw new ReplayConfigError(ids.length === 0 ? `the target lists no models at ${url}; pass --model` : `the target serves several models (${ids.join(', ')}); pass --model`);
}
