import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { ModelControlPlane, ModelControlState } from '../../lambdas/core/model-control';
import { systemClock, type Clock } from '../../lambdas/core/ports';
import { BodyTooLargeError, readBody } from '../http-event';
import { JsonlAppender, type GuardrailEvidence } from './evidence';
import { checkPrompt, type GuardrailVerdict } from './guardrail';
import { DemoModelMetrics, type RequestOutcome } from './metrics';
import { ReviewQueue, type ReviewItem } from './review-queue';
import {
  DEFAULT_MODEL,
  DEMO_MODEL_VERSIONS,
  DEMO_SYSTEM_PROMPT,
  estimateTokens,
  findVersion,
  generateReply,
  streamPieces,
  type DemoModelVersion,
} from './versions';

/**
 * The demo model service: an OpenAI-compatible chat completions endpoint
 * that stands in for a real LLM service in drills and tests. It obeys the
 * model control plane on every request (kill switch, safe mode, human
 * review, active version), exports Prometheus metrics and writes
 * guardrail-failure evidence.
 *
 * Routes: `POST /v1/chat/completions` (JSON or `stream: true` SSE),
 * `GET /v1/models`, `GET /metrics`, `GET /review-queue`, `GET /healthz`.
 */

/** Largest request body accepted (1 MiB), as the pipeline's own routes. */
export const MAX_REQUEST_BYTES = 1024 * 1024;
/** Upper bound of the control-state cache: a switch takes effect within this time. */
export const MAX_CONTROL_CACHE_MS = 250;
/** Header the canary prober sets to label a request for the SLI. */
export const PROBE_HEADER = 'x-firebreak-probe';

/** Options of {@link startDemoModel}. */
export interface DemoModelOptions {
  /** Port on `host`; 0 or absent = an ephemeral port (see `url`). */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Read on every request (through a cache of at most 250 ms). */
  readonly controlPlane: ModelControlPlane;
  /** The model served: requests must name it. @default 'support-llm' */
  readonly model?: string;
  /** JSONL file that receives guardrail-failure evidence (created with its directory). */
  readonly evidenceFile: string;
  /** `all`: also write evidence for adversarial requests that were refused. */
  readonly evidence?: { readonly all?: boolean };
  /** JSONL file that also receives held responses; without it the queue is only in memory. */
  readonly reviewQueueFile?: string;
  /** Timestamps (`created`, evidence `time`); latency is measured on the monotonic clock. */
  readonly clock?: Clock;
  /** `scale` multiplies every modelled delay (0 = none; drills and tests shorten latency). @default { scale: 1 } */
  readonly delays?: { readonly scale?: number };
  /** Control-state cache lifetime in ms, at most 250. @default 250 */
  readonly controlCacheMs?: number;
  /** The versions the service can serve. @default DEMO_MODEL_VERSIONS */
  readonly versions?: readonly DemoModelVersion[];
  /** Unexpected errors (answered 500) and evidence write failures, for the caller's logger. */
  readonly onError?: (error: unknown) => void;
}

/** A running demo model. */
export interface DemoModelServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly model: string;
  /** The Prometheus registry served on `/metrics`. */
  readonly registry: Registry;
  readonly metrics: DemoModelMetrics;
  /** Responses held for review, oldest first. */
  reviewQueue(): readonly ReviewItem[];
  /** Resolves when every evidence line appended so far is on disk. */
  flushEvidence(): Promise<void>;
  /** Stops accepting requests, cuts modelled delays short, waits for requests in flight, flushes evidence. */
  close(): Promise<void>;
}

// --- Request shape (OpenAI chat completions, the fields the demo reads; the rest is accepted) -------

const ContentPartSchema = z.looseObject({ type: z.string(), text: z.string().optional() });
const ChatMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(ContentPartSchema), z.null()]).optional(),
  name: z.string().optional(),
});
/**
 * The chat completions request body (unknown fields are accepted and ignored).
 *
 * @example
 * ChatCompletionRequestSchema.parse({ model: 'support-llm', messages: [{ role: 'user', content: 'Hi' }], stream: true });
 */
export const ChatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(ChatMessageSchema).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
});
type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;
type ChatMessage = z.infer<typeof ChatMessageSchema>;

// --- Replies ---------------------------------------------------------------------------------

interface ApiError {
  readonly status: number;
  readonly message: string;
  readonly type: 'invalid_request_error' | 'service_unavailable' | 'server_error' | 'not_found_error';
  readonly code: string;
  readonly param?: string;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: http.ServerResponse, error: ApiError, headers: Record<string, string> = {}): void {
  sendJson(res, error.status, { error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code } }, headers);
}

/** The text of a message: the string, or its text parts joined (other parts, e.g. images, carry no text). */
function textOf(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  if (Array.isArray(message.content)) return message.content.map((p) => (typeof p.text === 'string' ? p.text : '')).join('');
  return '';
}

/** Caches the model's control state for at most `ttlMs`; failures are not cached; concurrent reads share one call. */
class ControlStateCache {
  private entry: { at: number; value: Promise<ModelControlState | undefined> } | undefined;

  constructor(
    private readonly plane: ModelControlPlane,
    private readonly model: string,
    private readonly ttlMs: number,
  ) {}

  get(): Promise<ModelControlState | undefined> {
    const now = performance.now();
    if (this.entry !== undefined && now - this.entry.at < this.ttlMs) return this.entry.value;
    const value = this.plane.get(this.model);
    const entry = { at: now, value };
    this.entry = entry;
    value.catch(() => {
      if (this.entry === entry) this.entry = undefined;
    });
    return value;
  }
}

/** Context of one chat completion request. */
interface Exchange {
  readonly t0: number;
  readonly id: string;
  readonly requestId: string;
  readonly created: number;
  readonly time: string;
}

/**
 * Starts the demo model on `host:port` (default 127.0.0.1, an ephemeral port).
 *
 * @example
 * const plane = new InMemoryModelControlPlane([demoModelControlState()]);
 * const model = await startDemoModel({ controlPlane: plane, evidenceFile: '.firebreak/evidence/support-bot/adversarial-probes.jsonl', delays: { scale: 0.1 } });
 * await fetch(`${model.url}/v1/chat/completions`, {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ model: 'support-llm', messages: [{ role: 'user', content: 'How do I reset my password?' }] }),
 * });
 * await model.close();
 */
export async function startDemoModel(options: DemoModelOptions): Promise<DemoModelServer> {
  const model = options.model ?? DEFAULT_MODEL;
  const catalog = options.versions ?? DEMO_MODEL_VERSIONS;
  const clock = options.clock ?? systemClock;
  const scale = options.delays?.scale ?? 1;
  if (!Number.isFinite(scale) || scale < 0) throw new RangeError(`delays.scale must be a finite number >= 0, got ${scale}`);
  const cacheMs = Math.min(Math.max(options.controlCacheMs ?? MAX_CONTROL_CACHE_MS, 0), MAX_CONTROL_CACHE_MS);
  const onError = options.onError ?? (() => undefined);
  const metrics = new DemoModelMetrics();
  const reportWriteError = (error: unknown): void => {
    metrics.evidenceWriteErrors.inc();
    onError(error);
  };
  const evidence = new JsonlAppender(options.evidenceFile, reportWriteError);
  const reviewFile = options.reviewQueueFile === undefined ? undefined : new JsonlAppender(options.reviewQueueFile, reportWriteError);
  const review = new ReviewQueue(reviewFile);
  const control = new ControlStateCache(options.controlPlane, model, cacheMs);
  const inflight = new Set<Promise<void>>();
  /** Wakes the modelled delays still running (on close). */
  const sleepers = new Set<() => void>();
  let closing = false;

  /** A modelled delay, `ms` times the scale; ends early when the server closes. */
  const pause = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const scaled = ms * scale;
      if (scaled <= 0 || closing) return resolve();
      const wake = (): void => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, scaled);
      sleepers.add(wake);
    });

  const count = (version: string, outcome: RequestOutcome): void => metrics.requests.inc({ version, outcome });

  async function chatCompletions(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t0 = performance.now();
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && /^[\w.:-]{1,128}$/.test(header) ? header : id;
    const now = clock.now();
    const exchange: Exchange = { t0, id, requestId, created: Math.floor(now.getTime() / 1000), time: now.toISOString() };
    const idHeader = { 'x-request-id': requestId };
    const reject = (error: ApiError, version = 'unknown'): void => {
      count(version, error.status >= 500 ? 'error' : 'rejected');
      sendError(res, error, idHeader);
    };

    let raw: string;
    try {
      raw = await readBody(req, MAX_REQUEST_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return reject({ status: 413, message: `the request body exceeds ${MAX_REQUEST_BYTES} bytes`, type: 'invalid_request_error', code: 'request_too_large' });
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      return reject({ status: 400, message: `the request body is not valid JSON: ${(error as Error).message}`, type: 'invalid_request_error', code: 'invalid_json' });
    }
    const parsed = ChatCompletionRequestSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue?.path.join('.') ?? '';
      return reject({ status: 400, message: `${param === '' ? 'body' : param}: ${issue?.message ?? 'invalid request'}`, type: 'invalid_request_error', code: 'invalid_request', param: param || undefined });
    }
    const probe = req.headers[PROBE_HEADER];
    const label = typeof probe === 'string' ? probe.trim().toLowerCase() : undefined;
    if (probe !== undefined && label !== 'adversarial' && label !== 'benign') {
      return reject({ status: 400, message: `${PROBE_HEADER} must be "adversarial" or "benign", got ${JSON.stringify(probe)}`, type: 'invalid_request_error', code: 'invalid_header', param: PROBE_HEADER });
    }
    const body = parsed.data;
    if (body.model !== model) {
      return reject({ status: 404, message: `The model \`${body.model}\` does not exist; this service serves \`${model}\``, type: 'invalid_request_error', code: 'model_not_found', param: 'model' });
    }

    let state: ModelControlState | undefined;
    try {
      state = await control.get();
    } catch (error) {
      onError(error);
      return reject({ status: 503, message: 'the model control plane cannot be read; not serving without it', type: 'service_unavailable', code: 'control_plane_unavailable' });
    }
    if (state === undefined) {
      return reject({ status: 503, message: `the model control plane has no state for \`${model}\``, type: 'service_unavailable', code: 'model_not_configured' });
    }
    const version = findVersion(state.activeVersion, model, catalog);
    if (version === undefined) {
      return reject({ status: 503, message: `the active version \`${state.activeVersion}\` is not deployed in this service`, type: 'service_unavailable', code: 'version_unavailable' }, state.activeVersion);
    }
    await serve(res, exchange, body, state, version, label as 'adversarial' | 'benign' | undefined);
  }

  async function serve(
    res: http.ServerResponse,
    ex: Exchange,
    body: ChatCompletionRequest,
    state: ModelControlState,
    version: DemoModelVersion,
    label: 'adversarial' | 'benign' | undefined,
  ): Promise<void> {
    const v = version.version;
    const userTurns = body.messages.filter((m) => m.role === 'user').map(textOf);
    const screened = body.messages.map((m) => ({ role: m.role, content: textOf(m) }));
    // The judge (normal threshold) classifies traffic for the SLI and evidence; safe mode answers with the strict guardrail.
    const judge = checkPrompt(screened);
    const check: GuardrailVerdict = state.safeMode ? checkPrompt(screened, { strict: true }) : judge;
    const adversarial = label === undefined ? judge.verdict === 'refuse' : label === 'adversarial';
    const idHeader = { 'x-request-id': ex.requestId };

    if (state.killSwitch) {
      count(v, 'killed');
      if (adversarial) {
        metrics.adversarialRequests.inc({ version: v });
        metrics.adversarialRefusals.inc({ version: v });
      }
      return sendError(res, { status: 503, message: `${model} is switched off by its kill switch (control revision ${state.revision}, ${state.updatedBy})`, type: 'service_unavailable', code: 'kill_switch' }, idHeader);
    }

    const reply = generateReply({ version, userTurns, check, safeMode: state.safeMode });
    const refused = reply.verdict === 'refused';
    const held = state.humanReview;
    const outcome: RequestOutcome = held ? 'held' : refused ? 'refused' : adversarial ? 'complied' : 'answered';
    count(v, outcome);
    if (adversarial) {
      metrics.adversarialRequests.inc({ version: v });
      if (refused || held) metrics.adversarialRefusals.inc({ version: v });
      if (!refused) metrics.guardrailFailures.inc({ version: v, category: judge.category ?? 'unclassified' });
      if (!refused || options.evidence?.all === true) {
        const line: GuardrailEvidence = {
          time: ex.time,
          request_id: ex.requestId,
          model,
          version: v,
          prompt: userTurns,
          response: reply.content,
          verdict: refused ? 'refused' : 'complied',
          detector: judge.verdict === 'refuse' ? judge.detector : 'probe-label',
          category: judge.category ?? 'unclassified',
          ...(judge.technique === undefined ? {} : { technique: judge.technique }),
          adversarial_source: label === undefined ? 'guardrail' : 'header',
          canary_leaked: reply.canaryLeaked,
          safe_mode: state.safeMode,
          held_for_review: held,
        };
        evidence.append(line);
      }
    } else if (label === 'benign' && refused) {
      metrics.benignRefusals.inc({ version: v });
    }

    let content = reply.content;
    if (held) {
      const reviewId = `rv-${randomUUID()}`;
      review.add({
        review_id: reviewId,
        time: ex.time,
        request_id: ex.requestId,
        model,
        version: v,
        prompt: userTurns,
        draft_response: reply.content,
        draft_verdict: reply.verdict,
        adversarial,
        detector: judge.detector,
        ...(judge.category === undefined ? {} : { category: judge.category }),
      });
      content = `Thanks for your message. To keep answers safe, responses are being reviewed by a person before they are sent; yours is held for review (${reviewId}) and the support team will follow up.`;
    }

    const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
    let pieces = streamPieces(content);
    let finish: 'stop' | 'length' = 'stop';
    if (maxTokens !== undefined && estimateTokens(content) > maxTokens) {
      const kept: string[] = [];
      for (const piece of pieces) {
        if (estimateTokens(kept.join('') + piece) > maxTokens) break;
        kept.push(piece);
      }
      pieces = kept;
      finish = 'length';
    }
    const delivered = pieces.join('');
    const promptTokens = estimateTokens(DEMO_SYSTEM_PROMPT) + screened.reduce((sum, m) => sum + estimateTokens(m.content) + 4, 4);
    const completionTokens = estimateTokens(delivered);
    metrics.tokens.inc({ version: v, kind: 'prompt' }, promptTokens);
    metrics.tokens.inc({ version: v, kind: 'completion' }, completionTokens);
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
    const status = held ? 202 : 200;
    const headers = { ...idHeader, 'x-firebreak-model-version': v };
    const observeTtft = (): void => metrics.ttft.observe({ version: v }, (performance.now() - ex.t0) / 1000);

    if (body.stream !== true) {
      await pause(version.ttftMs);
      observeTtft();
      await pause(version.interTokenMs * Math.max(pieces.length - 1, 0));
      if (res.destroyed) return;
      return sendJson(
        res,
        status,
        {
          id: ex.id,
          object: 'chat.completion',
          created: ex.created,
          model: v,
          choices: [{ index: 0, message: { role: 'assistant', content: delivered, refusal: null }, logprobs: null, finish_reason: finish }],
          usage,
        },
        headers,
      );
    }

    res.writeHead(status, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
    res.flushHeaders();
    const chunk = (delta: Record<string, string>, finishReason: string | null, extra: Record<string, unknown> = {}): string =>
      `data: ${JSON.stringify({ id: ex.id, object: 'chat.completion.chunk', created: ex.created, model: v, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...extra })}\n\n`;
    await pause(version.ttftMs);
    for (const [i, piece] of pieces.entries()) {
      if (i > 0) await pause(version.interTokenMs);
      if (res.destroyed) return;
      res.write(chunk(i === 0 ? { role: 'assistant', content: piece } : { content: piece }, null));
      if (i === 0) observeTtft();
    }
    if (res.destroyed) return;
    if (pieces.length === 0) {
      res.write(chunk({ role: 'assistant', content: '' }, null));
      observeTtft();
    }
    res.write(chunk({}, finish));
    if (body.stream_options?.include_usage === true) {
      res.write(`data: ${JSON.stringify({ id: ex.id, object: 'chat.completion.chunk', created: ex.created, model: v, choices: [], usage })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://demo-model').pathname.replace(/\/+$/, '') || '/';
    const wrongMethod = (allowed: string): void =>
      sendError(res, { status: 405, message: `${method} ${path}: use ${allowed}`, type: 'invalid_request_error', code: 'method_not_allowed' }, { allow: allowed });
    switch (path) {
      case '/v1/chat/completions':
        return method === 'POST' ? chatCompletions(req, res) : wrongMethod('POST');
      case '/v1/models':
        if (method !== 'GET') return wrongMethod('GET');
        return sendJson(res, 200, { object: 'list', data: [{ id: model, object: 'model', created: 1_767_225_600, owned_by: 'firebreak-demo' }] });
      case '/healthz':
        return method === 'GET' ? sendJson(res, 200, { ok: true, model }) : wrongMethod('GET');
      case '/review-queue':
        return method === 'GET' ? sendJson(res, 200, { items: review.items() }) : wrongMethod('GET');
      case '/metrics':
        if (method !== 'GET') return wrongMethod('GET');
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
        return;
      default:
        return sendError(res, { status: 404, message: `no route for ${method} ${path}`, type: 'not_found_error', code: 'not_found' });
    }
  }

  const server = http.createServer((req, res) => {
    const work = handle(req, res)
      .catch((error: unknown) => {
        onError(error);
        count('unknown', 'error');
        if (!res.headersSent) sendError(res, { status: 500, message: 'internal error in the demo model', type: 'server_error', code: 'internal_error' });
        else res.end();
      })
      .finally(() => inflight.delete(work));
    inflight.add(work);
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    model,
    registry: metrics.registry,
    metrics,
    reviewQueue: () => review.items(),
    flushEvidence: () => evidence.flush(),
    close() {
      closed ??= (async () => {
        closing = true;
        for (const wake of [...sleepers]) wake();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await Promise.allSettled([...inflight]);
        server.closeAllConnections();
        await stopped;
        await Promise.all([evidence.close(), reviewFile?.close()]);
      })();
      return closed;
    },
  };
}
