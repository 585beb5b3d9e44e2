/**
 * The fixed-load phase of the alert intake benchmark: a set number of
 * deliveries by a set number of keep-alive clients (in the load generator's
 * worker thread, see `load-client.ts`), and what each one cost.
 *
 * Throughput in deliveries per second depends on what else the machine runs;
 * the cost of a delivery much less. So this phase reports, per delivery
 * accepted and recorded:
 *
 * - process CPU (`process.cpuUsage`, all threads: the event loop, the
 *   load generator, the dynalite worker, LevelDB and V8 helper threads),
 *   from the first POST until the last signal is recorded;
 * - the event-loop thread's own CPU (`/proc/self/task/<pid>/stat`, Linux
 *   only; null elsewhere), the thread that bounds throughput, and the CPU of
 *   each kind of thread: event loop, load generator, the busiest other thread
 *   (the dynalite worker) and the rest;
 * - the requests the target sent to its local DynamoDB and Step Functions
 *   APIs, by the host they went to: in-process ones (the embedded target's
 *   own clients, {@link IN_PROCESS_REQUEST_CHANNEL}) and loopback HTTP ones
 *   (Node's `http.client.request.start` diagnostics channel of the main
 *   thread; the load generator's requests, made in its own thread, are not
 *   seen there).
 */
import * as diagnosticsChannel from 'node:diagnostics_channel';
import * as fs from 'node:fs';
import type { ClientRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { IN_PROCESS_REQUEST_CHANNEL } from '../local/in-process-http-handler';

/** What the fixed-load phase measured. */
export interface FixedLoadResult {
  readonly deliveries: number;
  readonly clients: number;
  /** From the first POST until the last accepted signal was recorded. */
  readonly wallMs: number;
  readonly accepted: number;
  readonly cpuMsPerDelivery: number;
  /** CPU of the event-loop thread alone; null where `/proc` is not there. */
  readonly mainThreadCpuMsPerDelivery: number | null;
  /** CPU ms per delivery of the event loop, the load generator, the busiest other thread (the dynalite worker) and the rest; empty where `/proc` is not there. */
  readonly cpuMsPerDeliveryByThread: Readonly<Record<string, number>>;
  readonly requestsPerDelivery: { readonly dynamodb: number; readonly stepFunctions: number; readonly other: number };
  readonly deliveriesPerSecond: number;
}

/** How the phase posts and learns that a signal was recorded; supplied by the benchmark. */
export interface FixedLoadDriver {
  /**
   * POSTs `deliveries` fresh deliveries with `clients` concurrent keep-alive clients; resolves once
   * all are answered with the signal ids of those accepted (failures of the others noted by the driver).
   */
  run(deliveries: number, clients: number): Promise<readonly string[]>;
  /** Resolves when every id is recorded (or a timeout passes) with the ids never recorded. */
  drain(ids: readonly string[]): Promise<readonly string[]>;
  /** Base URLs of the local DynamoDB and Step Functions APIs (`AWS_ENDPOINT_URL_*`). */
  readonly endpoints: { readonly dynamodb?: string; readonly stepFunctions?: string };
  /** Linux thread id of the thread that posts (the load generator), to tell its CPU apart; undefined when unknown. */
  readonly loadGeneratorThreadId?: string;
}

const CLIENT_REQUEST_START = 'http.client.request.start';
/** `/proc` times are in clock ticks; Linux's USER_HZ is 100 on every common configuration. */
const TICKS_PER_SECOND = 100;

/** CPU ms (user + system) so far of one thread of this process (the main thread by default), from /proc; undefined when unavailable. */
export function threadCpuMs(threadId: string | number = process.pid): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${threadId}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime (14), stime (15)
    return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** CPU ms (user + system) so far of every thread of this process, by thread id (Node names them all "node"). */
function cpuMsByThread(): Map<string, number> {
  const byThread = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = fs.readdirSync('/proc/self/task');
  } catch {
    // No /proc (not Linux): nothing to report.
  }
  for (const tid of tids) {
    const ms = threadCpuMs(tid); // undefined when the thread ended meanwhile
    if (ms !== undefined) byThread.set(tid, ms);
  }
  return byThread;
}

/** Per-thread CPU between two readings: the event loop, the load generator, the busiest other thread (the dynalite worker), and the rest. */
function threadBreakdown(before: Map<string, number>, after: Map<string, number>, loadGeneratorThreadId: string | undefined): Map<string, number> {
  const deltas = [...after].map(([tid, ms]) => ({ tid, ms: ms - (before.get(tid) ?? 0) }));
  const main = deltas.find((d) => d.tid === String(process.pid));
  const generator = deltas.find((d) => d.tid === loadGeneratorThreadId);
  const others = deltas.filter((d) => d !== main && d !== generator).sort((x, y) => y.ms - x.ms);
  const result = new Map<string, number>();
  if (main === undefined) return result;
  result.set('event loop', main.ms);
  if (generator !== undefined) result.set('load generator', generator.ms);
  if (others[0] !== undefined) result.set('busiest other thread', others[0].ms);
  result.set('all others', others.slice(1).reduce((sum, d) => sum + d.ms, 0));
  return result;
}

const hostOf = (url: string | undefined): string | undefined => (url === undefined ? undefined : new URL(url).host);

/**
 * Runs `deliveries` POSTs with `clients` concurrent clients, waits until all
 * accepted signals are recorded, and returns the cost per delivery.
 * Unrecorded signals are added to `failures`.
 */
export async function fixedLoadPhase(driver: FixedLoadDriver, deliveries: number, clients: number, failures: string[]): Promise<FixedLoadResult> {
  const dynamodbHost = hostOf(driver.endpoints.dynamodb);
  const sfnHost = hostOf(driver.endpoints.stepFunctions);
  const requests = { dynamodb: 0, stepFunctions: 0, other: 0 };
  const count = (host: string): void => {
    if (host === dynamodbHost) requests.dynamodb += 1;
    else if (host === sfnHost) requests.stepFunctions += 1;
    else requests.other += 1;
  };
  const onRequest = (message: unknown): void => count(String((message as { request: ClientRequest }).request.getHeader('host') ?? ''));
  const onInProcessRequest = (message: unknown): void => count((message as { host: string }).host);

  let ids: readonly string[] = [];
  diagnosticsChannel.subscribe(CLIENT_REQUEST_START, onRequest);
  diagnosticsChannel.subscribe(IN_PROCESS_REQUEST_CHANNEL, onInProcessRequest);
  const cpuBefore = process.cpuUsage();
  const threadsBefore = cpuMsByThread();
  const mainBefore = threadsBefore.get(String(process.pid));
  const started = performance.now();
  try {
    ids = await driver.run(deliveries, clients);
    const unrecorded = await driver.drain(ids);
    if (unrecorded.length > 0) failures.push(`fixed load: ${unrecorded.length} of ${ids.length} accepted signals were never recorded, e.g. ${unrecorded.slice(0, 3).join(', ')}`);
  } finally {
    diagnosticsChannel.unsubscribe(CLIENT_REQUEST_START, onRequest);
    diagnosticsChannel.unsubscribe(IN_PROCESS_REQUEST_CHANNEL, onInProcessRequest);
  }
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const threadsAfter = cpuMsByThread();
  const mainAfter = threadsAfter.get(String(process.pid));
  const per = (value: number): number => (ids.length === 0 ? 0 : value / ids.length);
  return {
    deliveries,
    clients,
    wallMs,
    accepted: ids.length,
    cpuMsPerDelivery: per((cpu.user + cpu.system) / 1000),
    mainThreadCpuMsPerDelivery: mainBefore === undefined || mainAfter === undefined ? null : per(mainAfter - mainBefore),
    cpuMsPerDeliveryByThread: Object.fromEntries([...threadBreakdown(threadsBefore, threadsAfter, driver.loadGeneratorThreadId)].map(([kind, ms]) => [kind, per(ms)])),
    requestsPerDelivery: { dynamodb: per(requests.dynamodb), stepFunctions: per(requests.stepFunctions), other: per(requests.other) },
    deliveriesPerSecond: ids.length / (wallMs / 1000),
  };
}
