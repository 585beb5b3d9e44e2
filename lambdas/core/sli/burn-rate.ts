/**
 * Error budgets and multi-window, multi-burn-rate alerting (pure).
 *
 * The method is the one of the Google SRE workbook ("Alerting on SLOs"):
 * the burn rate is how fast the error budget is being spent relative to the
 * rate that would spend exactly all of it over the SLO window (1 = on pace,
 * 14.4 = the 30-day budget gone in 50 hours). An alert fires when, for any
 * window pair, BOTH the long and the short window burn faster than the
 * pair's threshold: the long window makes the alert significant (2 % of the
 * budget spent in 1 h for the fast pair), the short window makes it reset
 * quickly once the SLI recovers (a 1 h window stays hot for up to an hour
 * after a fix; the 5 m window cools within 5 minutes).
 *
 * ## How each SLI kind is modelled
 *
 * - **ratio, `gte T`** (share of good events, e.g. refusals of adversarial
 *   probes): bad fraction = 1 − value; budget = 1 − T.
 * - **ratio, `lte T`** (the SLI is itself a bad share, e.g. an error rate):
 *   bad fraction = value; budget = T.
 * - **latency_quantile, `lte X` at quantile q** (p95 ≤ 500 ms): "p95 ≤ X"
 *   is read as "at most 1 − q of requests are slower than X", so the bad
 *   fraction is the share of requests slower than X and the budget is 1 − q
 *   (0.05 for p95). The source supplies that share from histogram buckets
 *   (`SliReading.badFraction`). When it cannot (Prometheus
 *   `histogram_quantile`, a CloudWatch p95 statistic give only the quantile)
 *   the window counts as wholly bad when the quantile is over X and wholly
 *   good otherwise: a threshold alert that still needs both windows to agree.
 *   Note the ceiling: the largest possible burn rate is 1 / (1 − q) = 20 for
 *   p95, so the 14.4× pair fires only when more than 72 % of requests are
 *   slow, the 6× pair above 30 %.
 * - **count, `eq 0` / `lte 0`** (never-events, e.g. a prompt injection):
 *   no budget. Any event in a window is a full breach of that window (bad
 *   fraction 1, burn rate ∞), so the alert fires as soon as the short and
 *   long windows both contain the event, and resets when the short window
 *   no longer does.
 * - **count, `lte N`** with N > 0 (at most N events per SLO window): the
 *   "bad fraction" is the share of the window's pro-rata allowance used,
 *   events ÷ (N × window ÷ SLO window), against a budget of 1; the burn rate
 *   is then exactly (events / window) ÷ (N / SLO window).
 * - **everything else** (gauges, `gte` counts, `eq` on a non-count):
 *   thresholds without a budget. A window is bad (fraction 1, burn ∞) when
 *   its reading is outside the objective.
 *
 * ## Windows
 *
 * {@link DEFAULT_WINDOWS} is the workbook's table for a 30-day SLO. An SLO
 * whose window is shorter (this project's are 1 h to 7 d) gets every window
 * scaled by (SLO window ÷ 30 d) with the thresholds unchanged
 * ({@link windowsFor}). The thresholds encode "share of the budget spent in
 * the long window" (14.4 × 1 h ÷ 30 d = 2 %); scaling the windows keeps those
 * shares (2 %, 5 %, 10 %) and the detection and reset times in proportion to
 * the SLO window. For a 1 h SLO: 5 s / 0.4 s at 14.4×, 30 s / 2.5 s at 6×,
 * 6 min / 30 s at 1×. Windows are then raised to `minWindowSeconds`
 * (default 1 s: nothing reads faster than one scrape). An SLO window of
 * 30 d or longer keeps the table as it is.
 */
import { formatDuration, type Slo } from '../policy/schema';
import type { SliReading } from './port';

/** Seconds in the 30-day SLO window the workbook's table is written for. */
export const THIRTY_DAYS = 30 * 86_400;

/** One long/short window pair with its burn-rate threshold. */
export interface BurnRateWindowPair {
  /** `page-fast`, `page-slow`, `ticket`. */
  readonly name: string;
  readonly severity: 'page' | 'ticket';
  readonly longSeconds: number;
  readonly shortSeconds: number;
  /** Fires when the burn rate of both windows is strictly above this. */
  readonly threshold: number;
}

/** The window pairs, most urgent first, and the SLO window they are written for. */
export interface BurnRatePolicy {
  readonly sloWindowSeconds: number;
  readonly pairs: readonly BurnRateWindowPair[];
  /** Factor applied to the base table's windows ({@link windowsFor}); 1 = as written. */
  readonly scale?: number;
}

/**
 * The SRE workbook's multi-window, multi-burn-rate table for a 30-day SLO:
 * page at 14.4× over 1 h and 5 m (2 % of the budget in an hour), page at 6×
 * over 6 h and 30 m (5 % in six hours), ticket at 1× over 3 d and 6 h (10 %
 * in three days).
 *
 * @example
 * DEFAULT_WINDOWS.pairs[0] // => { name: 'page-fast', severity: 'page', longSeconds: 3600, shortSeconds: 300, threshold: 14.4 }
 */
export const DEFAULT_WINDOWS: BurnRatePolicy = {
  sloWindowSeconds: THIRTY_DAYS,
  pairs: [
    { name: 'page-fast', severity: 'page', longSeconds: 3_600, shortSeconds: 300, threshold: 14.4 },
    { name: 'page-slow', severity: 'page', longSeconds: 21_600, shortSeconds: 1_800, threshold: 6 },
    { name: 'ticket', severity: 'ticket', longSeconds: 259_200, shortSeconds: 21_600, threshold: 1 },
  ],
};

/** How the budget of an SLO is modelled (see the file comment). */
export type BudgetKind = 'ratio' | 'latency' | 'event-count' | 'never-event' | 'threshold';

/** An SLO's error budget: the bad fraction it may spend over its window. */
export interface ErrorBudget {
  readonly kind: BudgetKind;
  /** Allowed bad fraction (0 = none: any bad is a breach). */
  readonly budget: number;
  readonly sloWindowSeconds: number;
  /** The largest burn rate a window can reach (1 / budget; ∞ without budget). */
  readonly maxBurnRate: number;
  /** One sentence for the timeline: how the budget was derived. */
  readonly explanation: string;
}

const round = (x: number): number => Number(x.toPrecision(12));

/**
 * The error budget of an SLO, from its SLI kind and objective.
 *
 * @example
 * errorBudget(refusalSlo).budget            // => 0.001 for `gte 0.999`
 * errorBudget(ttftP95Slo).budget            // => 0.05 (share of requests allowed over 500 ms)
 * errorBudget(promptInjectionSlo).kind      // => 'never-event'
 */
export function errorBudget(slo: Pick<Slo, 'sli' | 'objective' | 'window'>): ErrorBudget {
  const { sli, objective, window } = slo;
  const { comparator, target } = objective;
  const make = (kind: BudgetKind, budget: number, explanation: string): ErrorBudget => ({
    kind,
    budget: round(budget),
    sloWindowSeconds: window,
    maxBurnRate: budget > 0 ? round(1 / budget) : Infinity,
    explanation,
  });
  if (sli.kind === 'ratio' && comparator === 'gte') {
    return make('ratio', 1 - target, `${sli.name} must be >= ${target}: up to ${round(1 - target)} of events may be bad (bad fraction = 1 - SLI)`);
  }
  if (sli.kind === 'ratio' && comparator === 'lte') {
    return make('ratio', target, `${sli.name} is a bad share that must be <= ${target}: budget ${target} (bad fraction = SLI)`);
  }
  if (sli.kind === 'latency_quantile' && comparator === 'lte' && sli.quantile !== undefined) {
    const budget = 1 - sli.quantile;
    return make('latency', budget, `p${round(sli.quantile * 100)} <= ${target} ${sli.unit}: up to ${round(budget)} of requests may be slower than ${target} ${sli.unit}`);
  }
  if (sli.kind === 'count' && (comparator === 'eq' || comparator === 'lte') && target === 0) {
    return make('never-event', 0, `${sli.name} is a never-event: any event in a window is a full breach`);
  }
  if (sli.kind === 'count' && comparator === 'lte') {
    return make('event-count', 1, `at most ${target} ${sli.name} per ${formatDuration(window)}: bad fraction = share of the window's pro-rata allowance used`);
  }
  return make('threshold', 0, `${sli.name} ${comparator} ${target} has no error budget: a window outside the objective is a full breach`);
}

/**
 * Burn rate of a bad fraction: bad fraction ÷ budget. With no budget, any
 * bad is ∞ and none is 0. Negative fractions (rounding) count as 0.
 *
 * @example
 * burnRate(0.0144, refusalSlo)  // => 14.4 for budget 0.001
 * burnRate(1, promptInjectionSlo) // => Infinity
 */
export function burnRate(badFraction: number, sloOrBudget: Pick<Slo, 'sli' | 'objective' | 'window'> | ErrorBudget): number {
  const { budget } = asBudget(sloOrBudget);
  const bad = Math.max(0, badFraction);
  if (budget <= 0) return bad > 0 ? Infinity : 0;
  return round(bad / budget);
}

/**
 * The bad fraction of one SLI reading over `windowSeconds`, as the SLO's
 * budget measures it (see the file comment); `null` when there is no data.
 * A `badFraction` supplied by the source wins.
 *
 * @example
 * badFractionOf(refusalSlo, { value: 0.97, at, withinObjective: false }, 300) // => 0.03
 * badFractionOf(promptInjectionSlo, { value: 2, at, withinObjective: false }, 300) // => 1
 */
export function badFractionOf(slo: Pick<Slo, 'sli' | 'objective' | 'window'>, reading: Pick<SliReading, 'value' | 'withinObjective' | 'badFraction'>, windowSeconds: number): number | null {
  if (reading.badFraction !== undefined && reading.badFraction !== null && !Number.isNaN(reading.badFraction)) return clamp01(reading.badFraction, Infinity);
  const value = reading.value;
  if (value === null || Number.isNaN(value)) return null;
  const budget = errorBudget(slo);
  const { comparator, target } = slo.objective;
  switch (budget.kind) {
    case 'ratio':
      return clamp01(comparator === 'gte' ? 1 - value : value, 1);
    case 'never-event':
      return value > 0 ? 1 : 0;
    case 'event-count':
      return round(Math.max(0, value) / ((target * windowSeconds) / slo.window));
    case 'latency':
      return value > target ? 1 : 0;
    case 'threshold':
      return reading.withinObjective === false ? 1 : 0;
  }
}

function clamp01(x: number, max: number): number {
  return Math.min(Math.max(x, 0), max);
}

function asBudget(x: Pick<Slo, 'sli' | 'objective' | 'window'> | ErrorBudget): ErrorBudget {
  return 'budget' in x ? x : errorBudget(x);
}

/**
 * The window pairs for an SLO (or an SLO window in seconds): `base` as
 * written when the SLO window is at least `base.sloWindowSeconds` (30 d),
 * otherwise every window scaled by SLO window ÷ 30 d, thresholds unchanged.
 * Windows are then raised to `minWindowSeconds` and rounded to the
 * millisecond.
 *
 * @example
 * windowsFor(3_600).pairs[0] // => { name: 'page-fast', …, longSeconds: 5, shortSeconds: 1, threshold: 14.4 } (0.417 s raised to 1 s)
 * windowsFor(3_600).pairs[1] // => { name: 'page-slow', …, longSeconds: 30, shortSeconds: 2.5, threshold: 6 }
 */
export function windowsFor(
  slo: Pick<Slo, 'window'> | number,
  base: BurnRatePolicy = DEFAULT_WINDOWS,
  options: { readonly minWindowSeconds?: number } = {},
): BurnRatePolicy {
  const sloWindow = typeof slo === 'number' ? slo : slo.window;
  if (!Number.isFinite(sloWindow) || sloWindow <= 0) throw new RangeError(`SLO window must be > 0 seconds, got ${sloWindow}`);
  const min = options.minWindowSeconds ?? 1;
  const scale = sloWindow < base.sloWindowSeconds ? sloWindow / base.sloWindowSeconds : 1;
  const size = (seconds: number): number => Math.max(Math.round(seconds * scale * 1000) / 1000, min);
  return {
    sloWindowSeconds: sloWindow,
    scale: (base.scale ?? 1) * scale,
    pairs: base.pairs.map((p) => ({ ...p, longSeconds: size(p.longSeconds), shortSeconds: size(p.shortSeconds) })),
  };
}

/**
 * Every distinct window a policy needs read, shortest first.
 *
 * @example
 * burnRateWindows(DEFAULT_WINDOWS) // => [300, 1800, 3600, 21600, 259200]
 */
export function burnRateWindows(policy: BurnRatePolicy): number[] {
  return [...new Set(policy.pairs.flatMap((p) => [p.longSeconds, p.shortSeconds]))].sort((a, b) => a - b);
}

/** The bad fraction observed over one window (`null` = no data). */
export interface WindowReading {
  readonly window: number;
  readonly badFraction: number | null;
}

/** One window of a pair, as evaluated. */
export interface WindowBurn {
  readonly window: number;
  readonly badFraction: number | null;
  /** `null` = no data for this window. */
  readonly burnRate: number | null;
  readonly aboveThreshold: boolean;
}

/** How one pair was evaluated. */
export interface PairEvaluation {
  readonly name: string;
  readonly severity: 'page' | 'ticket';
  readonly threshold: number;
  readonly long: WindowBurn;
  readonly short: WindowBurn;
  /** Long AND short above the threshold. */
  readonly firing: boolean;
  /** `firing`; `recovering` (long hot, short cold); `cold`; `no-data` (a window without data). */
  readonly state: 'firing' | 'recovering' | 'cold' | 'no-data';
  /** One line, e.g. `page-fast firing: 1h at 32× and 5m at 40× are both above 14.4×`. */
  readonly explanation: string;
}

/** The outcome of a multi-window, multi-burn-rate evaluation. */
export interface BurnRateEvaluation {
  /** Some pair fires. */
  readonly firing: boolean;
  /** The most urgent severity among firing pairs; `null` when none fires. */
  readonly severity: 'page' | 'ticket' | null;
  /** The first firing pair in policy order (the fastest burn), or `null`. */
  readonly firedBy: PairEvaluation | null;
  readonly pairs: readonly PairEvaluation[];
  readonly budget: ErrorBudget;
  readonly policy: BurnRatePolicy;
  /** The firing pair's line, or every pair's line when none fires. */
  readonly explanation: string;
}

/**
 * Multi-window, multi-burn-rate evaluation: for each pair of the policy,
 * the burn rates of its long and short windows; the alert fires when both
 * windows of any pair are strictly above the pair's threshold. A window
 * without a reading (or with `badFraction: null`) makes its pair
 * `no-data`, never firing. `policy` defaults to {@link windowsFor} the SLO's
 * window; pass the same policy whose windows were read.
 *
 * @example
 * // refusal SLO, gte 0.999 (budget 0.001), 30-day table:
 * evaluateBurnRate([{ window: 3600, badFraction: 0.02 }, { window: 300, badFraction: 0 }], refusalSlo, DEFAULT_WINDOWS).pairs[0].state
 * // => 'recovering' (1h at 20× is above 14.4×, 5m at 0× is not: no alert)
 */
export function evaluateBurnRate(
  readings: readonly WindowReading[],
  sloOrBudget: Pick<Slo, 'sli' | 'objective' | 'window'> | ErrorBudget,
  policy?: BurnRatePolicy,
): BurnRateEvaluation {
  const budget = asBudget(sloOrBudget);
  const used = policy ?? windowsFor(budget.sloWindowSeconds);
  const find = (window: number): WindowReading | undefined => readings.find((r) => Math.abs(r.window - window) <= 1e-6 * Math.max(1, window));
  const pairs = used.pairs.map((pair): PairEvaluation => {
    const burnOf = (window: number): WindowBurn => {
      const bad = find(window)?.badFraction ?? null;
      const rate = bad === null || Number.isNaN(bad) ? null : burnRate(bad, budget);
      return { window, badFraction: bad, burnRate: rate, aboveThreshold: rate !== null && rate > pair.threshold };
    };
    const long = burnOf(pair.longSeconds);
    const short = burnOf(pair.shortSeconds);
    const firing = long.aboveThreshold && short.aboveThreshold;
    const state = firing ? 'firing' : long.burnRate === null || short.burnRate === null ? 'no-data' : long.aboveThreshold ? 'recovering' : 'cold';
    return { name: pair.name, severity: pair.severity, threshold: pair.threshold, long, short, firing, state, explanation: explainPair(pair, long, short, state) };
  });
  const firedBy = pairs.find((p) => p.firing) ?? null;
  const severity = pairs.some((p) => p.firing && p.severity === 'page') ? 'page' : firedBy === null ? null : firedBy.severity;
  return {
    firing: firedBy !== null,
    severity,
    firedBy,
    pairs,
    budget,
    policy: used,
    explanation: firedBy !== null ? firedBy.explanation : pairs.map((p) => p.explanation).join('; '),
  };
}

/**
 * A window in the units people read: `1h`, `5m`, `2.5s`, `417ms`.
 *
 * @example
 * formatWindow(300)  // => '5m'
 * formatWindow(2.5)  // => '2.5s'
 */
export function formatWindow(seconds: number): string {
  if (Number.isInteger(seconds) && seconds > 0) return formatDuration(seconds);
  if (seconds >= 1) return `${round(seconds)}s`;
  return `${Math.round(seconds * 1000)}ms`;
}

/**
 * A burn rate for people: `∞`, `14.4×`, `0.25×`.
 *
 * @example
 * formatBurnRate(Infinity) // => '∞'
 */
export function formatBurnRate(rate: number | null): string {
  if (rate === null) return 'no data';
  if (!Number.isFinite(rate)) return '∞';
  return `${Number(rate.toPrecision(3))}×`;
}

function explainPair(pair: BurnRateWindowPair, long: WindowBurn, short: WindowBurn, state: PairEvaluation['state']): string {
  const at = (w: WindowBurn): string => `${formatWindow(w.window)} at ${formatBurnRate(w.burnRate)}`;
  const limit = `${pair.threshold}×`;
  switch (state) {
    case 'firing':
      return `${pair.name} firing: ${at(long)} and ${at(short)} are both above ${limit}`;
    case 'recovering':
      return `${pair.name} not firing: ${at(long)} is above ${limit} but ${at(short)} is not (recovering)`;
    case 'no-data':
      return `${pair.name} not firing: no data over ${[long, short].filter((w) => w.burnRate === null).map((w) => formatWindow(w.window)).join(' and ')}`;
    case 'cold':
      return `${pair.name} not firing: ${at(long)} is not above ${limit}${short.aboveThreshold ? ` (${at(short)} is: a short spike)` : ''}`;
  }
}
