/**
 * The alert intake benchmark's HTTP client, and its load generator: a worker
 * thread of the benchmark's process that posts deliveries with keep-alive
 * clients, as wrk or autocannon would from a thread of their own, so that
 * the client's work (requests, response parsing, JSON.parse of receipts)
 * does not compete with the embedded target for the main event loop.
 *
 * Shared by both threads: {@link deliveryBody} (what is posted) and
 * {@link postDelivery} (how an answer is checked). The main thread uses them
 * for the sequential phase; the worker (`load-client.worker.ts`) for the
 * concurrent ones, started and driven by {@link LoadGenerator}.
 *
 * Times cross threads as absolute milliseconds, `performance.timeOrigin +
 * performance.now()` of the thread that took them (each thread has its own
 * `performance.now()` origin): see {@link absoluteNow}.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { FirebreakError } from '../lambdas/core/errors';
import { alertmanagerWebhook } from '../test/support/payloads';

/** The alert of every delivery: one that opens an incident of {@link BENCH_SLO}. */
export const BENCH_ALERTNAME = 'AdversarialRefusalRateLow';
/** The SLO every accepted delivery must be mapped to. */
export const BENCH_SLO = 'adversarial-refusal-rate';
/**
 * The load generator numbers its deliveries from here on; the main thread's
 * own deliveries stay below, so fingerprints and `bench-<n>` model labels are
 * unique across the whole run.
 */
export const LOAD_GENERATOR_FIRST_DELIVERY = 1_000_000_000;

/** A webhook body with one firing alert whose fingerprint and model label belong to delivery `n` alone. */
export function deliveryBody(n: number): string {
  return JSON.stringify(
    alertmanagerWebhook([
      {
        alertname: BENCH_ALERTNAME,
        fingerprint: `b${n.toString(16).padStart(15, '0')}`,
        labels: { service: 'support-bot', model: `bench-${n}` },
      },
    ]),
  );
}

/** This thread's `performance.now()` as absolute milliseconds, comparable with the other threads' (see {@link toAbsolute}). */
export function absoluteNow(): number {
  return toAbsolute(performance.now());
}

/** A `performance.now()` reading of this thread as absolute milliseconds (`performance.timeOrigin` + it). */
export function toAbsolute(now: number): number {
  return performance.timeOrigin + now;
}

// ---------------------------------------------------------------------------
// One delivery

/** Which client posts: node:http with a keep-alive agent, or fetch. */
export type HttpClientKind = 'http' | 'fetch';

/** An answer: status, when its headers arrived (this thread's performance.now()) and its body. */
export interface HttpAnswer {
  readonly status: number;
  readonly headersAt: number;
  readonly text: string;
}

/** POSTs JSON bodies to one target. */
export interface BenchHttpClient {
  /** POSTs `body`; rejects when no answer came within the timeout or the connection failed. */
  send(url: string, body: string): Promise<HttpAnswer>;
  /** Closes the idle keep-alive connections. */
  close(): void;
}

/** A client of the given kind; with node:http, one keep-alive connection per concurrent request. */
export function createHttpClient(kind: HttpClientKind, timeoutMs: number): BenchHttpClient {
  if (kind === 'fetch') {
    return {
      send: async (url, body) => {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
        const headersAt = performance.now();
        return { status: res.status, headersAt, text: await res.text() };
      },
      close: () => undefined,
    };
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  return {
    send: (url, body) =>
      new Promise((resolve, reject) => {
        const req = http.request(url, { method: 'POST', agent, timeout: timeoutMs, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          const headersAt = performance.now();
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headersAt, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** One delivery's answer, checked. */
export interface PostResult {
  readonly status: number;
  /** Milliseconds from just before the request until the response headers arrived. */
  readonly ackMs: number;
  readonly signalId?: string;
  /** Why the answer is not the expected single fresh, mapped signal (undefined when it is). */
  readonly problem?: string;
}

const receiptSchema = z.object({
  accepted: z.array(z.object({ signalId: z.unknown(), duplicate: z.unknown(), slo: z.unknown(), mapped: z.unknown() }).partial()).optional(),
});

/**
 * Checks an answer to one delivery: 202 with exactly one accepted signal, not
 * a duplicate, mapped to {@link BENCH_SLO}.
 */
export function checkAnswer(status: number, text: string, ackMs: number): PostResult {
  if (status !== 202) return { status, ackMs, problem: `HTTP ${status}: ${text.slice(0, 300)}` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { status, ackMs, problem: `202 with a body that is not JSON: ${text.slice(0, 300)}` };
  }
  const parsed = receiptSchema.safeParse(json);
  const accepted = parsed.success ? (parsed.data.accepted ?? []) : [];
  const first = accepted[0];
  if (accepted.length !== 1 || first === undefined || typeof first.signalId !== 'string') {
    return { status, ackMs, problem: `202 without exactly one accepted signal: ${text.slice(0, 300)}` };
  }
  const signalId = first.signalId;
  if (first.duplicate !== false) return { status, ackMs, signalId, problem: `signal ${signalId} was taken for a duplicate` };
  if (first.slo !== BENCH_SLO || first.mapped !== true) {
    return { status, ackMs, signalId, problem: `signal ${signalId} mapped to ${String(first.slo)} (mapped=${String(first.mapped)}), expected ${BENCH_SLO}` };
  }
  return { status, ackMs, signalId };
}

/** POSTs one delivery and checks the answer ({@link checkAnswer}); `t0` is this thread's performance.now() just before. */
export async function postDelivery(client: BenchHttpClient, url: string, body: string, t0: number): Promise<PostResult> {
  const answer = await client.send(url, body);
  return checkAnswer(answer.status, answer.text, answer.headersAt - t0);
}

// ---------------------------------------------------------------------------
// Messages between the threads

/** What the worker is started with (`workerData`). */
export const loadWorkerDataSchema = z.object({
  httpClient: z.enum(['http', 'fetch']),
  requestTimeoutMs: z.number().int().positive(),
  /** Number of the worker's first delivery; it counts up from there. */
  firstDelivery: z.number().int().positive(),
});
/** What the worker is started with. */
export type LoadWorkerData = z.infer<typeof loadWorkerDataSchema>;

/** Main → worker: post with `clients` keep-alive clients until the time is up or the deliveries are all sent. */
export const loadRunCommandSchema = z.object({
  type: z.literal('run'),
  runId: z.number().int(),
  url: z.string(),
  clients: z.number().int().positive(),
  until: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('duration'), durationMs: z.number().positive() }),
    z.object({ kind: z.literal('count'), deliveries: z.number().int().nonnegative() }),
  ]),
});
/** A run command. */
export type LoadRunCommand = z.infer<typeof loadRunCommandSchema>;

/** Worker → main, once at start: its Linux thread id and one reading of both clocks. */
const readyMessageSchema = z.object({
  type: z.literal('ready'),
  threadId: z.string().nullable(),
  absoluteNow: z.number(),
  hrtimeNs: z.bigint(),
});

/** Worker → main, every {@link BATCH_INTERVAL_MS} during a run: the deliveries answered 202 with a signal id since the last batch, and problems. */
const batchMessageSchema = z.object({
  type: z.literal('batch'),
  runId: z.number().int(),
  signalIds: z.array(z.string()),
  /** Absolute ms just before each POST. */
  postedAt: z.array(z.number()),
  ackMs: z.array(z.number()),
  problems: z.array(z.string()),
});

/** Worker → main, after a run's last batch. */
const doneMessageSchema = z.object({
  type: z.literal('done'),
  runId: z.number().int(),
  /** Absolute ms of the first POST and of the last answer. */
  startedAt: z.number(),
  answeredAt: z.number(),
  posted: z.number().int(),
  refused: z.number().int(),
  errors: z.number().int(),
  /** The worker's own event-loop utilisation (0..1) during the run. */
  loopUtilization: z.number(),
});

/** Worker → main: a run broke off (a bug in the worker, not a refused delivery). */
const failedMessageSchema = z.object({ type: z.literal('failed'), runId: z.number().int(), message: z.string() });

/** Any message of the worker. */
export const loadWorkerMessageSchema = z.discriminatedUnion('type', [readyMessageSchema, batchMessageSchema, doneMessageSchema, failedMessageSchema]);
/** Any message of the worker. */
export type LoadWorkerMessage = z.infer<typeof loadWorkerMessageSchema>;

/** How often the worker sends what it collected during a run. */
export const BATCH_INTERVAL_MS = 100;

// ---------------------------------------------------------------------------
// Main-thread side

/** The load generator thread stopped or broke a protocol rule. */
export class LoadGeneratorError extends FirebreakError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** What one run of the load generator posted and got back. */
export interface LoadRun {
  /** Absolute ms (see {@link absoluteNow}) of the first POST. */
  readonly startedAt: number;
  /** Absolute ms when the last answer arrived (the requests in flight at the deadline included). */
  readonly answeredAt: number;
  readonly posted: number;
  /** Answers other than 202. */
  readonly refused: number;
  /** Requests without an answer (connection error, timeout). */
  readonly errors: number;
  /** Signal ids of the deliveries answered 202 with a signal id, in answer order. */
  readonly signalIds: readonly string[];
  /** Absolute ms just before each of those deliveries was posted. */
  readonly postedAt: readonly number[];
  /** POST → 202 of each of them. */
  readonly ackMs: readonly number[];
  /** Every answer that failed the check, and every request that failed. */
  readonly problems: readonly string[];
  /** The load generator's own event-loop utilisation (0..1) during the run. */
  readonly loopUtilization: number;
}

/** How long a run of the load generator lasts. */
export type LoadRunLength = { readonly durationMs: number } | { readonly deliveries: number };

interface PendingRun {
  readonly runId: number;
  readonly signalIds: string[];
  readonly postedAt: number[];
  readonly ackMs: number[];
  readonly problems: string[];
  resolve(run: LoadRun): void;
  reject(error: Error): void;
}

const WORKER_FILE = path.join(__dirname, 'load-client.worker.ts');

/**
 * The load generator: a worker thread running keep-alive clients (see
 * `load-client.worker.ts`). One run at a time; results come back in batches
 * every {@link BATCH_INTERVAL_MS}, never one message per request.
 */
export class LoadGenerator {
  private pending: PendingRun | undefined;
  private nextRunId = 1;
  private broken: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    /** Linux thread id of the worker (for its CPU time in `/proc/self/task/<tid>/stat`); undefined without `/proc`. */
    readonly threadId: string | undefined,
    /**
     * How far the worker's absolute clock (`timeOrigin + now()`) is off the main thread's,
     * measured against the monotonic clock both share (`process.hrtime`); ideally 0.
     */
    readonly clockOffsetMs: number,
  ) {
    worker.on('message', (raw: unknown) => this.onMessage(raw));
    worker.on('error', (error) => this.breakOff(new LoadGeneratorError(`the load generator failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => this.breakOff(new LoadGeneratorError(`the load generator exited (code ${code})`)));
  }

  /**
   * Starts the worker. TypeScript runs in it through tsx, registered with
   * `--require tsx/cjs` in its `execArgv`: a worker does not inherit the
   * main thread's require hooks.
   */
  static start(data: LoadWorkerData): Promise<LoadGenerator> {
    const worker = new Worker(WORKER_FILE, {
      workerData: loadWorkerDataSchema.parse(data),
      execArgv: [...process.execArgv, '--require', require.resolve('tsx/cjs')],
    });
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(new LoadGeneratorError(`the load generator did not start: ${error.message}`, { cause: error }));
      const onExit = (code: number): void => reject(new LoadGeneratorError(`the load generator exited (code ${code}) before it was ready`));
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.once('message', (raw: unknown) => {
        worker.off('error', onError);
        worker.off('exit', onExit);
        const parsed = loadWorkerMessageSchema.safeParse(raw);
        if (!parsed.success || parsed.data.type !== 'ready') {
          void worker.terminate();
          reject(new LoadGeneratorError(`the load generator's first message was not "ready": ${JSON.stringify(raw)}`));
          return;
        }
        const ready = parsed.data;
        const mainOffset = absoluteNow() - Number(process.hrtime.bigint()) / 1e6;
        const workerOffset = ready.absoluteNow - Number(ready.hrtimeNs) / 1e6;
        resolve(new LoadGenerator(worker, ready.threadId ?? undefined, workerOffset - mainOffset));
      });
    });
  }

  /** Posts to `url` with `clients` keep-alive clients for a time or a number of deliveries; resolves once the last answer is in. */
  run(url: string, clients: number, length: LoadRunLength): Promise<LoadRun> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    if (this.pending !== undefined) return Promise.reject(new LoadGeneratorError('the load generator is already running'));
    const runId = this.nextRunId;
    this.nextRunId += 1;
    const command: LoadRunCommand = {
      type: 'run',
      runId,
      url,
      clients,
      until: 'durationMs' in length ? { kind: 'duration', durationMs: length.durationMs } : { kind: 'count', deliveries: length.deliveries },
    };
    return new Promise((resolve, reject) => {
      this.pending = { runId, signalIds: [], postedAt: [], ackMs: [], problems: [], resolve, reject };
      this.worker.postMessage(command);
    });
  }

  /** Stops the worker (its keep-alive connections close with it). */
  async close(): Promise<void> {
    this.broken ??= new LoadGeneratorError('the load generator was closed');
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private onMessage(raw: unknown): void {
    const parsed = loadWorkerMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.breakOff(new LoadGeneratorError(`unexpected message from the load generator: ${parsed.error.message}`));
      return;
    }
    const message = parsed.data;
    const run = this.pending;
    if (message.type === 'ready') return;
    if (run === undefined || message.runId !== run.runId) {
      this.breakOff(new LoadGeneratorError(`a ${message.type} message of run ${message.runId} arrived while ${run === undefined ? 'none' : `run ${run.runId}`} was running`));
      return;
    }
    if (message.type === 'batch') {
      run.signalIds.push(...message.signalIds);
      run.postedAt.push(...message.postedAt);
      run.ackMs.push(...message.ackMs);
      run.problems.push(...message.problems);
    } else if (message.type === 'done') {
      this.pending = undefined;
      run.resolve({
        startedAt: message.startedAt,
        answeredAt: message.answeredAt,
        posted: message.posted,
        refused: message.refused,
        errors: message.errors,
        signalIds: run.signalIds,
        postedAt: run.postedAt,
        ackMs: run.ackMs,
        problems: run.problems,
        loopUtilization: message.loopUtilization,
      });
    } else {
      this.pending = undefined;
      run.reject(new LoadGeneratorError(`run ${run.runId} of the load generator broke off: ${message.message}`));
    }
  }

  private breakOff(error: Error): void {
    this.broken ??= error;
    const run = this.pending;
    this.pending = undefined;
    run?.reject(error);
  }
}

/** This thread's Linux thread id (from `/proc/thread-self`), or null without `/proc`. */
export function currentThreadId(): string | null {
  try {
    return path.basename(fs.readlinkSync('/proc/thread-self'));
  } catch {
    return null;
  }
}
