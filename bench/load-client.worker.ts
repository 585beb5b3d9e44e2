/**
 * Worker-thread entry of the alert intake benchmark's load generator (see
 * `load-client.ts`, whose `LoadGenerator` starts it with tsx registered).
 *
 * On each `run` command it posts deliveries with the requested number of
 * keep-alive clients, each client posting its next delivery as soon as the
 * previous one is answered, until the time is up or the requested number
 * was sent. Bodies are {@link deliveryBody} of its own counter, which starts
 * at `workerData.firstDelivery`; answers are checked with {@link postDelivery}
 * as on the main thread. What it collects goes to the main thread in batches
 * every {@link BATCH_INTERVAL_MS}, then a `done` message; times as absolute
 * milliseconds ({@link absoluteNow}).
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import {
  absoluteNow,
  BATCH_INTERVAL_MS,
  createHttpClient,
  currentThreadId,
  deliveryBody,
  LoadGeneratorError,
  loadRunCommandSchema,
  loadWorkerDataSchema,
  postDelivery,
  toAbsolute,
  type LoadRunCommand,
  type LoadWorkerMessage,
  type PostResult,
} from './load-client';

const port = parentPort;
if (port === null) throw new LoadGeneratorError('load-client.worker.ts runs as a worker thread (started by LoadGenerator)');
const data = loadWorkerDataSchema.parse(workerData);
const client = createHttpClient(data.httpClient, data.requestTimeoutMs);
let nextDelivery = data.firstDelivery;

const send = (message: LoadWorkerMessage): void => port.postMessage(message);

/** Runs one command: the clients, the batches, then `done`. */
async function run(command: LoadRunCommand): Promise<void> {
  const { runId, url, until } = command;
  let batch = { signalIds: [] as string[], postedAt: [] as number[], ackMs: [] as number[], problems: [] as string[] };
  const flush = (): void => {
    if (batch.signalIds.length === 0 && batch.problems.length === 0) return;
    send({ type: 'batch', runId, ...batch });
    batch = { signalIds: [], postedAt: [], ackMs: [], problems: [] };
  };
  let posted = 0;
  let refused = 0;
  let errors = 0;
  let left = until.kind === 'count' ? until.deliveries : Infinity;
  const eluBefore = performance.eventLoopUtilization();
  const started = performance.now();
  const deadline = until.kind === 'duration' ? started + until.durationMs : Infinity;
  const timer = setInterval(flush, BATCH_INTERVAL_MS);

  const oneClient = async (): Promise<void> => {
    while (left > 0 && performance.now() < deadline) {
      left -= 1;
      nextDelivery += 1;
      const body = deliveryBody(nextDelivery - 1);
      const t0 = performance.now();
      posted += 1;
      let result: PostResult;
      try {
        result = await postDelivery(client, url, body, t0);
      } catch (error) {
        errors += 1;
        batch.problems.push(`POST failed: ${(error as Error).message}`);
        continue;
      }
      if (result.status !== 202) refused += 1;
      if (result.problem !== undefined) batch.problems.push(result.problem);
      if (result.status === 202 && result.signalId !== undefined) {
        batch.signalIds.push(result.signalId);
        batch.postedAt.push(toAbsolute(t0));
        batch.ackMs.push(result.ackMs);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: command.clients }, () => oneClient()));
  } finally {
    clearInterval(timer);
  }
  const answeredAt = absoluteNow();
  flush();
  send({
    type: 'done',
    runId,
    startedAt: toAbsolute(started),
    answeredAt,
    posted,
    refused,
    errors,
    loopUtilization: performance.eventLoopUtilization(eluBefore).utilization,
  });
}

port.on('message', (raw: unknown) => {
  const parsed = loadRunCommandSchema.safeParse(raw);
  if (!parsed.success) throw new LoadGeneratorError(`unexpected command: ${parsed.error.message}`);
  const command = parsed.data;
  run(command).catch((error: unknown) => send({ type: 'failed', runId: command.runId, message: (error as Error).stack ?? String(error) }));
});

send({ type: 'ready', threadId: currentThreadId(), absoluteNow: absoluteNow(), hrtimeNs: process.hrtime.bigint() });
