/**
 * The SLI port: how the pipeline reads a service level indicator (to verify
 * recovery after containment, and to evaluate burn rates for drills).
 *
 * Adapters: the Prometheus HTTP query API
 * (`lambdas/adapters/prometheus-sli-source.ts`), CloudWatch `GetMetricData`
 * (`lambdas/adapters/cloudwatch-sli-source.ts`) and, in the embedded target,
 * the demo model's own `/metrics` (`local/demo-model/demo-sli-source.ts`).
 */
import { FirebreakError } from '../errors';
import type { Slo } from '../policy/schema';

/** Which service and model an SLI is read for (the incident key without the SLO id). */
export interface SliKey {
  readonly service: string;
  readonly model: string;
}

/**
 * One reading of an SLI over a window, in the SLO's unit (`sli.unit`).
 *
 * @example
 * // 99.2 % of adversarial probes refused over the last 5 minutes; the SLO wants >= 99.9 %.
 * const reading: SliReading = { value: 0.992, at: '2026-11-20T10:00:00.000Z', withinObjective: false };
 */
export interface SliReading {
  /** The SLI value; `null` = no data in the window (no traffic, no series). Never NaN. */
  readonly value: number | null;
  /** When the value was observed (ISO 8601): the sample's time, or the time of the read. */
  readonly at: string;
  /** `value` against the objective; `null` when there is no data. See {@link isWithinObjective}. */
  readonly withinObjective: boolean | null;
  /**
   * Share of bad events in the window (0..1), when the source can tell more
   * than `value` does: for a latency quantile, the share of requests slower
   * than the target (from histogram buckets). Burn-rate evaluation prefers it
   * to a share derived from `value`.
   */
  readonly badFraction?: number | null;
  /** How many events the value is computed from (requests, probes), when known. */
  readonly sampleCount?: number;
  /** The span the reading really covers, in seconds, when it differs from the window asked for (scrape spacing, a short history, a CloudWatch period). */
  readonly coveredSeconds?: number;
  /** What was asked of the backend (the PromQL sent, the CloudWatch query ids), for the timeline. */
  readonly query?: string;
}

/**
 * Reads an SLI for one service and model over the last `windowSeconds`.
 * Throws {@link SliSourceError} when the backend fails (`retryable` tells
 * the workflow whether to try again) or the SLO cannot be read from it.
 *
 * @example
 * const reading = await source.read(slo, { service: 'support-bot', model: 'support-llm' }, 300);
 * if (reading.withinObjective === true) consecutiveGood += 1;
 */
export interface SliSource {
  read(slo: Slo, key: SliKey, windowSeconds: number): Promise<SliReading>;
}

/**
 * An SLI could not be read. `retryable`: the backend may answer later
 * (timeout, 5xx, throttling); otherwise the query or the mapping is wrong
 * and retrying will not help.
 *
 * @example
 * throw new SliSourceError('prometheus', 'HTTP 503: query timed out', { retryable: true, code: 'unavailable' });
 */
export class SliSourceError extends FirebreakError {
  readonly retryable: boolean;
  /** A short machine-readable reason: `timeout`, `unavailable`, `rate-limited`, `bad-query`, `invalid-response`, `ambiguous-result`, `unmapped-slo`, … */
  readonly code: string;
  /** Seconds the backend asked to wait (`Retry-After`), when it said. */
  readonly retryAfterSeconds?: number;

  constructor(
    /** Which backend: `prometheus`, `cloudwatch`, `demo-model`. */
    readonly source: string,
    message: string,
    options: { readonly retryable: boolean; readonly code?: string; readonly retryAfterSeconds?: number; readonly cause?: unknown },
  ) {
    super(`${source}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
    this.code = options.code ?? (options.retryable ? 'unavailable' : 'rejected');
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** Relative tolerance of an `eq` objective: floating-point noise from `rate()` and math is not a breach. */
export const EQ_TOLERANCE = 1e-9;

/**
 * Whether an SLI value meets the SLO's objective: `gte` value >= target,
 * `lte` value <= target, `eq` value equals target within
 * {@link EQ_TOLERANCE} (relative, at least absolute 1e-9). `null` (or NaN)
 * is no data: neither within nor outside the objective.
 *
 * @example
 * isWithinObjective({ objective: { comparator: 'gte', target: 0.999 } }, 0.9995) // => true
 * isWithinObjective({ objective: { comparator: 'eq', target: 0 } }, 1)           // => false
 * isWithinObjective({ objective: { comparator: 'lte', target: 500 } }, null)     // => null
 */
export function isWithinObjective(slo: Pick<Slo, 'objective'>, value: number | null): boolean | null {
  if (value === null || Number.isNaN(value)) return null;
  const { comparator, target } = slo.objective;
  switch (comparator) {
    case 'gte':
      return value >= target;
    case 'lte':
      return value <= target;
    case 'eq':
      return Math.abs(value - target) <= EQ_TOLERANCE * Math.max(1, Math.abs(target));
  }
}

/**
 * Builds a reading: NaN becomes `null` (no data) and `withinObjective` is
 * computed from the SLO. Extras (`badFraction`, `sampleCount`, …) are kept
 * when defined.
 *
 * @example
 * sliReading(slo, 0.5, new Date('2026-11-20T10:00:00Z'), { sampleCount: 8 })
 * // => { value: 0.5, at: '2026-11-20T10:00:00.000Z', withinObjective: false, sampleCount: 8 }
 */
export function sliReading(
  slo: Pick<Slo, 'objective'>,
  value: number | null,
  at: Date | string,
  extras: Omit<SliReading, 'value' | 'at' | 'withinObjective'> = {},
): SliReading {
  const v = value === null || Number.isNaN(value) ? null : value;
  const defined = Object.fromEntries(Object.entries(extras).filter(([, x]) => x !== undefined)) as Omit<SliReading, 'value' | 'at' | 'withinObjective'>;
  return { value: v, at: typeof at === 'string' ? at : at.toISOString(), withinObjective: isWithinObjective(slo, v), ...defined };
}

/**
 * Throws a RangeError unless `windowSeconds` is a finite number > 0 (a
 * programming error, not a backend failure).
 *
 * @example
 * assertWindow(300); // ok
 */
export function assertWindow(windowSeconds: number): void {
  if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) throw new RangeError(`windowSeconds must be a finite number > 0, got ${windowSeconds}`);
}
