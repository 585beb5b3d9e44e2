/**
 * The "alert POST → PagerDuty trigger" phase of `npm run bench` (run by
 * `alert-intake.bench.ts`, first, on the fresh embedded target).
 *
 * Every delivery is one firing `PromptInjectionDetected` alert (SLO
 * `prompt-injection-never-event`, flap hold 0 s: the real Wait state passes at
 * once, nothing is overridden) with a unique fingerprint and `model` label, so
 * each opens its own incident and pages. Deliveries are sequential: the next
 * POST goes out only after the previous `respond` execution has settled
 * (incident channel opened too), so no background work overlaps a measurement.
 *
 * Per delivery, with `t0 = performance.now()` just before `fetch`:
 * - trigger received: when the PagerDuty simulator's HTTPS server starts the
 *   `POST /v2/enqueue` request (Node's `http.server.request.start`
 *   diagnostics channel, published just before the server's `request` event;
 *   the simulator offers no hook of its own). Poll-free, sub-millisecond.
 * - the simulator's own record of it: the call's `at` (ISO, whole ms) minus
 *   `Date.now()` taken just before `t0`: ±1 ms, a cross-check.
 * - `Page On-Call` exited (engine history): an upper bound, since that task
 *   also waits for the simulator's answer and records the page in DynamoDB.
 * - the steps in between, from the engine's `StateEntered`/`StateExited`
 *   history events (stamped with `performance.now()` as they are emitted; the
 *   events' own `timestamp` is `Date.now()`, whole milliseconds).
 *
 * Garbage-collection pauses (`gc` performance entries) that overlap each
 * POST → trigger window are summed, to tell pauses from slow steps.
 *
 * Correctness (any miss is a failure): each delivery answered 202 with one
 * fresh, mapped signal; each execution paged on its first attempt and
 * succeeded; exactly one `/v2/enqueue` call arrived during each delivery, a
 * trigger accepted with 202 whose `dedup_key` is the execution's incident id
 * and whose `payload.component` is the delivery's model label; and at the end
 * every incident has exactly one trigger in the simulator, no trigger has an
 * unknown `dedup_key`.
 */
import * as diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import type { EmbeddedTarget } from '../local/embedded';
import type { RecordedCall } from '../local/simulators/pagerduty-simulator';
import type { LocalExecution } from '../local/workflows/local-workflow-engine';
import type { RespondStateNames as RespondStateNamesType } from '../lib/constructs/respond-workflow';
import { alertmanagerWebhook } from '../test/support/payloads';
import { summarize, type Summary } from './stats';

export const PAGE_ALERTNAME = 'PromptInjectionDetected';
export const PAGE_SLO = 'prompt-injection-never-event';
export const PAGE_TARGETS = { triggerP99Ms: 25 } as const;

/** Node publishes this for every HTTP(S) server request, before the server's `request` event. */
const REQUEST_START_CHANNEL = 'http.server.request.start';

export interface PageConfig {
  readonly warmup: number;
  readonly deliveries: number;
  /** A POST, the trigger, or the execution settling may take this long before the delivery counts as failed. */
  readonly timeoutMs: number;
}

type HistoryEvent = LocalExecution['events'][number];

// ---------------------------------------------------------------------------
// Trigger arrivals at the simulator

interface Arrival {
  /** performance.now() when the simulator's server started the request. */
  readonly perf: number;
}

/** `POST /v2/enqueue` requests started by the server listening on `port`, in order of arrival. */
class TriggerArrivals {
  readonly arrivals: Arrival[] = [];
  private waiter: { index: number; resolve(arrival: Arrival): void } | undefined;

  constructor(private readonly port: number) {}

  private readonly onRequestStart = (message: unknown): void => {
    const perf = performance.now();
    const { request, server } = message as { request?: IncomingMessage; server?: Server };
    if (request?.method !== 'POST' || !(request.url ?? '').startsWith('/v2/enqueue')) return;
    const address = server?.address();
    if (address === null || address === undefined || typeof address === 'string' || address.port !== this.port) return;
    this.arrivals.push({ perf });
    const waiter = this.waiter;
    const arrival = waiter === undefined ? undefined : this.arrivals[waiter.index];
    if (waiter !== undefined && arrival !== undefined) {
      this.waiter = undefined;
      waiter.resolve(arrival);
    }
  };

  start(): void {
    diagnosticsChannel.subscribe(REQUEST_START_CHANNEL, this.onRequestStart);
  }

  stop(): void {
    diagnosticsChannel.unsubscribe(REQUEST_START_CHANNEL, this.onRequestStart);
  }

  /** Resolves with the `index`-th arrival (0-based), at once if it is there already. */
  waitFor(index: number, timeoutMs: number): Promise<Arrival> {
    const known = this.arrivals[index];
    if (known !== undefined) return Promise.resolve(known);
    return new Promise<Arrival>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no POST /v2/enqueue reached the PagerDuty simulator within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        index,
        resolve: (arrival) => {
          clearTimeout(timer);
          resolve(arrival);
        },
      };
    });
  }
}

// ---------------------------------------------------------------------------
// Engine history per execution

interface StateTimes {
  entered?: number;
  exited?: number;
}

class Timeline {
  readonly states = new Map<string, StateTimes>();
  /** Set when the execution went somewhere a clean first page never goes. */
  problem?: string;
  settled = false;

  at(stateName: string, edge: keyof StateTimes): number | undefined {
    return this.states.get(stateName)?.[edge];
  }
}

/** Follows the `respond` executions' history events; waiters are woken per execution, no polling. */
class HistoryTracker {
  readonly timelines = new Map<string, Timeline>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly offPath: ReadonlyMap<string, string>;

  constructor(names: typeof RespondStateNamesType) {
    this.offPath = new Map([
      [names.breachFlapped, 'the breach was taken for a flap: no page'],
      [names.retryThePage, 'the first page did not go out (Retry The Page)'],
      [names.recordPageFailure, 'paging failed (Record The Page Failure)'],
      [names.recordWorkflowFailure, 'the workflow failed (Record The Workflow Failure)'],
    ]);
  }

  private timeline(name: string): Timeline {
    let timeline = this.timelines.get(name);
    if (timeline === undefined) {
      timeline = new Timeline();
      this.timelines.set(name, timeline);
    }
    return timeline;
  }

  readonly onState = (workflow: string, executionName: string, event: HistoryEvent): void => {
    if (workflow !== 'respond') return;
    const at = performance.now();
    const timeline = this.timeline(executionName);
    if ((event.type === 'StateEntered' || event.type === 'StateExited') && event.stateName !== undefined) {
      const times = timeline.states.get(event.stateName) ?? {};
      const edge = event.type === 'StateEntered' ? 'entered' : 'exited';
      times[edge] ??= at;
      timeline.states.set(event.stateName, times);
      const why = event.type === 'StateEntered' ? this.offPath.get(event.stateName) : undefined;
      if (why !== undefined) timeline.problem ??= why;
    } else if (event.type === 'ExecutionSucceeded') {
      timeline.settled = true;
    } else if (event.type === 'ExecutionFailed' || event.type === 'ExecutionAborted' || event.type === 'ExecutionTimeout') {
      timeline.settled = true;
      timeline.problem ??= `${event.type}${event.detail === undefined ? '' : `: ${JSON.stringify(event.detail)}`}`;
    }
    for (const wake of this.waiters.get(executionName) ?? []) wake();
  };

  /**
   * Resolves when `check` returns a value for the execution's timeline (checked now and after
   * each of its history events); rejects when the execution hits a problem first or on timeout.
   */
  waitUntil<T>(executionName: string, what: string, check: (timeline: Timeline) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiters = this.waiters.get(executionName) ?? new Set<() => void>();
      this.waiters.set(executionName, waiters);
      const finish = (): void => {
        clearTimeout(timer);
        waiters.delete(wake);
        if (waiters.size === 0) this.waiters.delete(executionName);
      };
      const wake = (): void => {
        const timeline = this.timeline(executionName);
        const value = check(timeline);
        if (value === undefined && timeline.problem === undefined) return;
        finish();
        if (value !== undefined) resolve(value);
        else reject(new Error(`respond ${executionName}: ${timeline.problem ?? ''}`));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`respond ${executionName}: ${what} did not happen within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(wake);
      wake();
    });
  }
}

// ---------------------------------------------------------------------------
// One delivery

/** The steps between the POST and the trigger's arrival (consecutive: they add up), then the rest of `Page On-Call`. */
export const PAGE_STEPS = [
  'POST → Record entered',
  'Record Or Join The Incident',
  'Record → Page (choice; a breach confirmed as it opens skips the wait and the confirmation)',
  'Page On-Call → trigger received',
  'trigger received → Page exited',
] as const;
type PageStep = (typeof PAGE_STEPS)[number];

interface DeliveryMeasure {
  readonly signalId: string;
  readonly model: string;
  readonly incidentId: string;
  readonly ackMs: number;
  readonly triggerMs: number;
  readonly simulatorAtMs: number;
  readonly pageExitedMs: number;
  readonly steps: Record<PageStep, number>;
  /** performance.now() just before the POST and when the trigger arrived. */
  readonly window: { readonly start: number; readonly end: number };
}

let pageCounter = 0;

function nextPageDelivery(): { body: string; model: string } {
  pageCounter += 1;
  const n = pageCounter;
  const model = `bench-pd-${n}`;
  const body = JSON.stringify(
    alertmanagerWebhook([
      {
        alertname: PAGE_ALERTNAME,
        fingerprint: `p${n.toString(16).padStart(15, '0')}`,
        labels: { service: 'support-bot', model },
      },
    ]),
  );
  return { body, model };
}

async function postOne(url: string, body: string, t0: number, timeoutMs: number): Promise<{ signalId: string; ackMs: number }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
  const ackMs = performance.now() - t0;
  const text = await res.text();
  if (res.status !== 202) throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
  const parsed = JSON.parse(text) as { accepted?: { signalId?: unknown; duplicate?: unknown; slo?: unknown; mapped?: unknown }[] };
  const accepted = parsed.accepted ?? [];
  const first = accepted[0];
  if (accepted.length !== 1 || first === undefined || typeof first.signalId !== 'string') throw new Error(`202 without exactly one accepted signal: ${text.slice(0, 300)}`);
  if (first.duplicate !== false) throw new Error(`signal ${first.signalId} was taken for a duplicate`);
  if (first.slo !== PAGE_SLO || first.mapped !== true) throw new Error(`signal ${first.signalId} mapped to ${String(first.slo)} (mapped=${String(first.mapped)}), expected ${PAGE_SLO}`);
  return { signalId: first.signalId, ackMs };
}

const isEnqueue = (call: RecordedCall): boolean => call.method === 'POST' && call.path.startsWith('/v2/enqueue');

interface TriggerBody {
  event_action?: unknown;
  dedup_key?: unknown;
  payload?: { component?: unknown };
}

// ---------------------------------------------------------------------------
// The phase

export interface PageResult {
  readonly warmup: number;
  readonly deliveries: number;
  readonly durationMs: number;
  readonly triggerReceived: Summary;
  readonly simulatorAt: Summary;
  readonly pageExited: Summary;
  readonly accepted202: Summary;
  readonly steps: Record<PageStep, Summary>;
  /** GC pause time inside each POST → trigger window. */
  readonly gcInWindow: Summary;
  /** GC over the measured deliveries: pauses, their total and the longest. */
  readonly gc: { count: number; totalMs: number; maxMs: number };
  /** The slowest deliveries (POST → trigger received), with their steps and the GC pause time inside. */
  readonly slowest: { signalId: string; triggerMs: number; ackMs: number; gcMs: number; steps: Record<PageStep, number> }[];
  readonly exactlyOnce: { incidents: number; triggers: number; incidentsWithOneTrigger: number; unknownDedupKeys: number };
}

/** Runs warm-up and measured deliveries; pushes every correctness problem into `failures`. */
export async function pagerDutyTriggerPhase(
  target: EmbeddedTarget,
  names: typeof RespondStateNamesType,
  config: PageConfig,
  failures: string[],
): Promise<PageResult> {
  const pd = target.simulators.pagerduty;
  if (pd === undefined) throw new Error('the embedded target runs no PagerDuty simulator (PAGERDUTY_ROUTING_KEY is set?): this phase needs it');
  const port = Number(pd.server.split(':').pop());
  const url = `${target.url}/alerts/alertmanager`;
  const arrivals = new TriggerArrivals(port);
  const history = new HistoryTracker(names);
  const respondArn = target.engine.arnOf('respond');
  if (respondArn === undefined) throw new Error('the engine has no respond workflow');
  const executionArn = (name: string): string => `${respondArn.replace(':stateMachine:', ':execution:')}:${name}`;

  const incidents = new Map<string, string>(); // incident id → signal id
  const enqueueBaseline = pd.calls().filter(isEnqueue).length;

  const runOne = async (): Promise<DeliveryMeasure> => {
    const { body, model } = nextPageDelivery();
    const callsBefore = pd.calls().length;
    const arrivalIndex = arrivals.arrivals.length;
    const wall0 = Date.now();
    const t0 = performance.now();
    const arrivalPromise = arrivals.waitFor(arrivalIndex, config.timeoutMs);
    arrivalPromise.catch(() => undefined); // awaited below; a POST failure must not leave it unhandled
    const { signalId, ackMs } = await postOne(url, body, t0, config.timeoutMs);
    const arrival = await arrivalPromise;
    const pageExited = await history.waitUntil(signalId, `${names.pageOnCall} exiting`, (t) => t.at(names.pageOnCall, 'exited'), config.timeoutMs);
    await history.waitUntil(signalId, 'settling', (t) => (t.settled ? true : undefined), config.timeoutMs);
    const execution = target.engine.describe(executionArn(signalId));
    await execution.done;
    if (execution.status !== 'SUCCEEDED') throw new Error(`respond ${signalId} ended ${execution.status}: ${execution.error ?? ''} ${execution.cause ?? ''}`);
    const output = JSON.parse(execution.output ?? 'null') as { record?: { outcome?: unknown; incidentId?: unknown }; page?: { paged?: unknown } } | null;
    const incidentId = output?.record?.incidentId;
    if (output?.record?.outcome !== 'opened' || typeof incidentId !== 'string') throw new Error(`respond ${signalId} did not open an incident: ${execution.output ?? ''}`);
    if (output.page?.paged !== true) throw new Error(`respond ${signalId}: Page On-Call answered paged=${String(output.page?.paged)}`);
    const timeline = history.timelines.get(signalId);
    if (timeline?.problem !== undefined) throw new Error(`respond ${signalId}: ${timeline.problem}`);
    if (incidents.has(incidentId)) throw new Error(`signals ${incidents.get(incidentId) ?? ''} and ${signalId} share incident ${incidentId}`);
    incidents.set(incidentId, signalId);

    // Exactly one enqueue during this delivery, and it is this incident's trigger.
    const calls = pd.calls().slice(callsBefore).filter(isEnqueue);
    const seen = arrivals.arrivals.length - arrivalIndex;
    if (calls.length !== 1 || seen !== 1) throw new Error(`respond ${signalId}: ${calls.length} Events API call(s) recorded by the simulator (${seen} seen arriving), expected exactly 1`);
    const call = calls[0] as RecordedCall;
    const trigger = call.body as TriggerBody;
    if (call.status !== 202 || trigger.event_action !== 'trigger' || trigger.dedup_key !== incidentId || trigger.payload?.component !== model) {
      throw new Error(
        `respond ${signalId}: expected a 202 trigger with dedup_key ${incidentId} and component ${model}, the simulator recorded ${call.status} ${String(trigger.event_action)} dedup_key=${String(trigger.dedup_key)} component=${String(trigger.payload?.component)}`,
      );
    }

    const t = (state: string, edge: keyof StateTimes): number => {
      const value = timeline?.at(state, edge);
      if (value === undefined) throw new Error(`respond ${signalId}: no ${edge === 'entered' ? 'StateEntered' : 'StateExited'} for ${state}`);
      return value;
    };
    const recordIn = t(names.recordSignal, 'entered');
    const recordOut = t(names.recordSignal, 'exited');
    const pageIn = t(names.pageOnCall, 'entered');
    const steps: Record<PageStep, number> = {
      'POST → Record entered': recordIn - t0,
      'Record Or Join The Incident': recordOut - recordIn,
      'Record → Page (choice; a breach confirmed as it opens skips the wait and the confirmation)': pageIn - recordOut,
      'Page On-Call → trigger received': arrival.perf - pageIn,
      'trigger received → Page exited': pageExited - arrival.perf,
    };
    return {
      signalId,
      model,
      incidentId,
      ackMs,
      triggerMs: arrival.perf - t0,
      simulatorAtMs: Date.parse(call.at) - wall0,
      pageExitedMs: pageExited - t0,
      steps,
      window: { start: t0, end: arrival.perf },
    };
  };

  const attempt = async (phase: string): Promise<DeliveryMeasure | undefined> => {
    try {
      return await runOne();
    } catch (error) {
      failures.push(`PagerDuty ${phase}: ${(error as Error).message}`);
      return undefined;
    }
  };

  const gcPauses: { start: number; end: number }[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  arrivals.start();
  target.engine.history.on('state', history.onState);
  const measured: DeliveryMeasure[] = [];
  let started = performance.now();
  try {
    for (let i = 0; i < config.warmup && failures.length === 0; i += 1) await attempt('warm-up');
    started = performance.now();
    for (let i = 0; i < config.deliveries && failures.length < 10; i += 1) {
      const one = await attempt('delivery');
      if (one !== undefined) measured.push(one);
    }
  } finally {
    target.engine.history.off('state', history.onState);
    arrivals.stop();
    // Entries are delivered asynchronously: let the last ones in, then stop.
    await new Promise((resolve) => setImmediate(resolve));
    for (const entry of gcObserver.takeRecords()) gcPauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
    gcObserver.disconnect();
  }
  const durationMs = performance.now() - started;
  const gcIn = (window: { start: number; end: number }): number =>
    gcPauses.reduce((total, pause) => total + Math.max(0, Math.min(pause.end, window.end) - Math.max(pause.start, window.start)), 0);
  const measuredPauses = gcPauses.filter((pause) => pause.end > started);
  if (measured.length === 0) throw new Error(`no PagerDuty delivery was measured: ${failures.slice(0, 3).join('; ')}`);

  // Exactly one trigger per incident, over the whole phase (warm-up included).
  const triggers = pd
    .calls()
    .filter(isEnqueue)
    .slice(enqueueBaseline)
    .map((call) => call.body as TriggerBody)
    .filter((body) => body.event_action === 'trigger');
  const perKey = new Map<string, number>();
  for (const body of triggers) perKey.set(String(body.dedup_key), (perKey.get(String(body.dedup_key)) ?? 0) + 1);
  const incidentsWithOneTrigger = [...incidents.keys()].filter((id) => perKey.get(id) === 1).length;
  const unknownDedupKeys = [...perKey.keys()].filter((key) => !incidents.has(key)).length;
  if (incidentsWithOneTrigger !== incidents.size) {
    const wrong = [...incidents.keys()].filter((id) => perKey.get(id) !== 1);
    failures.push(`PagerDuty: ${wrong.length} of ${incidents.size} incidents did not get exactly one trigger, e.g. ${wrong.slice(0, 3).map((id) => `${id} × ${perKey.get(id) ?? 0}`).join(', ')}`);
  }
  if (unknownDedupKeys > 0) failures.push(`PagerDuty: ${unknownDedupKeys} trigger(s) with a dedup_key of no incident of this phase`);

  const summarizeStep = (step: PageStep): Summary => summarize(measured.map((m) => m.steps[step]));
  const steps = Object.fromEntries(PAGE_STEPS.map((step) => [step, summarizeStep(step)])) as Record<PageStep, Summary>;
  const slowest = [...measured]
    .sort((a, b) => b.triggerMs - a.triggerMs)
    .slice(0, Math.max(3, Math.ceil(measured.length / 100)))
    .map((m) => ({ signalId: m.signalId, triggerMs: m.triggerMs, ackMs: m.ackMs, gcMs: gcIn(m.window), steps: m.steps }));
  return {
    warmup: config.warmup,
    deliveries: measured.length,
    durationMs,
    triggerReceived: summarize(measured.map((m) => m.triggerMs)),
    simulatorAt: summarize(measured.map((m) => m.simulatorAtMs)),
    pageExited: summarize(measured.map((m) => m.pageExitedMs)),
    accepted202: summarize(measured.map((m) => m.ackMs)),
    steps,
    gcInWindow: summarize(measured.map((m) => gcIn(m.window))),
    gc: {
      count: measuredPauses.length,
      totalMs: measuredPauses.reduce((total, pause) => total + pause.end - pause.start, 0),
      maxMs: measuredPauses.reduce((longest, pause) => Math.max(longest, pause.end - pause.start), 0),
    },
    slowest,
    exactlyOnce: { incidents: incidents.size, triggers: triggers.length, incidentsWithOneTrigger, unknownDedupKeys },
  };
}
