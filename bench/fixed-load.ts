/**
 * The fixed-load phase of the alert intake benchmark: a set number of
 * deliveries by a set number of keep-alive clients, and what each one cost.
 *
 * Throughput in deliveries per second depends on what else the machine runs;
 * the cost of a delivery much less. So this phase reports, per delivery
 * accepted and recorded:
 *
 * - process CPU (`process.cpuUsage`, all threads: the event loop, the
 *   dynalite worker, LevelDB and V8 helper threads), from the first POST
 *   until the last signal is recorded;
 * - the event-loop thread's own CPU (`/proc/self/task/<pid>/stat`, Linux
 *   only; null elsewhere), the thread that bounds throughput;
 * - the requests the target sent to its local DynamoDB and Step Functions
 *   APIs, by the host they went to: in-process ones (the embedded target's
 *   own clients, {@link IN_PROCESS_REQUEST_CHANNEL}) and loopback HTTP ones
 *   (Node's `http.client.request.start` diagnostics channel; the bench's own
 *   `fetch` calls do not go through `node:http` and are not counted).
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
  readonly requestsPerDelivery: { readonly dynamodb: number; readonly stepFunctions: number; readonly other: number };
  readonly deliveriesPerSecond: number;
}

/** How the phase posts and learns that a signal was recorded; supplied by the benchmark. */
export interface FixedLoadDriver {
  /** POSTs one fresh delivery; the accepted signal id, or undefined (with a failure noted) when it was not accepted. */
  post(): Promise<string | undefined>;
  /** Resolves when every id is recorded (or a timeout passes) with the ids never recorded. */
  drain(ids: readonly string[]): Promise<readonly string[]>;
  /** Base URLs of the local DynamoDB and Step Functions APIs (`AWS_ENDPOINT_URL_*`). */
  readonly endpoints: { readonly dynamodb?: string; readonly stepFunctions?: string };
}

const CLIENT_REQUEST_START = 'http.client.request.start';
/** `/proc` times are in clock ticks; Linux's USER_HZ is 100 on every common configuration. */
const TICKS_PER_SECOND = 100;

/** CPU ms (user + system) of the main thread so far, from /proc; undefined when unavailable. */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime (14), stime (15)
    return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
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

  const ids: string[] = [];
  let left = deliveries;
  diagnosticsChannel.subscribe(CLIENT_REQUEST_START, onRequest);
  diagnosticsChannel.subscribe(IN_PROCESS_REQUEST_CHANNEL, onInProcessRequest);
  const cpuBefore = process.cpuUsage();
  const mainBefore = mainThreadCpuMs();
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (left > 0) {
          left -= 1;
          const id = await driver.post();
          if (id !== undefined) ids.push(id);
        }
      }),
    );
    const unrecorded = await driver.drain(ids);
    if (unrecorded.length > 0) failures.push(`fixed load: ${unrecorded.length} of ${ids.length} accepted signals were never recorded, e.g. ${unrecorded.slice(0, 3).join(', ')}`);
  } finally {
    diagnosticsChannel.unsubscribe(CLIENT_REQUEST_START, onRequest);
    diagnosticsChannel.unsubscribe(IN_PROCESS_REQUEST_CHANNEL, onInProcessRequest);
  }
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const mainAfter = mainThreadCpuMs();
  const per = (value: number): number => (ids.length === 0 ? 0 : value / ids.length);
  return {
    deliveries,
    clients,
    wallMs,
    accepted: ids.length,
    cpuMsPerDelivery: per((cpu.user + cpu.system) / 1000),
    mainThreadCpuMsPerDelivery: mainBefore === undefined || mainAfter === undefined ? null : per(mainAfter - mainBefore),
    requestsPerDelivery: { dynamodb: per(requests.dynamodb), stepFunctions: per(requests.stepFunctions), other: per(requests.other) },
    deliveriesPerSecond: ids.length / (wallMs / 1000),
  };
}
