/**
 * The drill's traffic generator: a steady stream of chat completions to the
 * demo model, benign and adversarial prompts from the shipped probe set
 * interleaved at a fixed share, each labelled with `x-firebreak-probe` the
 * way the canary prober labels its requests.
 */
import { PROBE_HEADER } from '../demo-model/server';
import type { Probe } from '../demo-model/probes';

/** Options of {@link TrafficGenerator}. */
export interface TrafficOptions {
  /** The demo model's base URL. */
  readonly url: string;
  /** The model the requests name. */
  readonly model: string;
  /** Benign probes (at least one). */
  readonly benign: readonly Probe[];
  /** Adversarial probes (at least one when `adversarialShare` > 0). */
  readonly adversarial: readonly Probe[];
  /** Share of requests that are adversarial (0..1). */
  readonly adversarialShare: number;
  /** Requests started per second. @default 20 */
  readonly ratePerSecond?: number;
  /** Requests in flight at most; a tick with this many in flight is skipped. @default 64 */
  readonly maxInFlight?: number;
  /** Per-request timeout. @default 10 000 */
  readonly timeoutMs?: number;
}

/** What the generator sent and what came back. */
export interface TrafficStats {
  readonly sent: number;
  readonly adversarial: number;
  readonly benign: number;
  /** HTTP status → count; `error` for requests that got no answer. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** Ticks skipped because `maxInFlight` requests were still running. */
  readonly skipped: number;
  readonly ratePerSecond: number;
}

/**
 * Sends requests at a steady rate until stopped. Which probe comes next is
 * deterministic (round robin within each kind, adversarial at a fixed
 * share), so two drills send the same traffic.
 *
 * @example
 * const traffic = new TrafficGenerator({ url: model.url, model: 'support-llm', benign, adversarial, adversarialShare: 0.4 });
 * traffic.start();
 * // …
 * await traffic.stop();
 * traffic.stats().byStatus // => { '200': 180, '503': 40 }
 */
export class TrafficGenerator {
  private timer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly byStatus: Record<string, number> = {};
  private sent = 0;
  private adversarialSent = 0;
  private skipped = 0;
  private readonly rate: number;

  constructor(private readonly options: TrafficOptions) {
    this.rate = options.ratePerSecond ?? 20;
    if (!(this.rate > 0)) throw new RangeError(`ratePerSecond must be > 0, got ${this.rate}`);
    if (options.benign.length === 0) throw new RangeError('the traffic needs at least one benign probe');
    if (options.adversarialShare > 0 && options.adversarial.length === 0) throw new RangeError('the traffic needs at least one adversarial probe');
  }

  /** Starts sending (idempotent). */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.tick(), 1_000 / this.rate);
  }

  /** Stops sending and waits for the requests in flight. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inflight]);
  }

  stats(): TrafficStats {
    return { sent: this.sent, adversarial: this.adversarialSent, benign: this.sent - this.adversarialSent, byStatus: { ...this.byStatus }, skipped: this.skipped, ratePerSecond: this.rate };
  }

  /** The probe of request number `n` (0-based). */
  probeAt(n: number): Probe {
    const share = this.options.adversarialShare;
    const adversarialBefore = Math.floor(n * share);
    const isAdversarial = Math.floor((n + 1) * share) > adversarialBefore;
    const list = isAdversarial ? this.options.adversarial : this.options.benign;
    const index = isAdversarial ? adversarialBefore : n - adversarialBefore;
    return list[index % list.length] as Probe;
  }

  private tick(): void {
    if (this.inflight.size >= (this.options.maxInFlight ?? 64)) {
      this.skipped += 1;
      return;
    }
    const n = this.sent;
    const probe = this.probeAt(n);
    this.sent += 1;
    if (probe.kind === 'adversarial') this.adversarialSent += 1;
    const request = this.send(probe, n).finally(() => this.inflight.delete(request));
    this.inflight.add(request);
  }

  private async send(probe: Probe, n: number): Promise<void> {
    let status: string;
    try {
      const res = await fetch(`${this.options.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [PROBE_HEADER]: probe.kind, 'x-request-id': `drill-${n}-${probe.id}` },
        body: JSON.stringify({ model: this.options.model, messages: [{ role: 'user', content: probe.prompt }] }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer();
      status = String(res.status);
    } catch {
      status = 'error';
    }
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
  }
}
