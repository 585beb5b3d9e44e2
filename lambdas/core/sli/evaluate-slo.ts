/**
 * Reads an SLO's burn-rate windows through an {@link SliSource} and
 * evaluates them (multi-window, multi-burn-rate; see `burn-rate.ts`). This
 * is what turns the demo model's metrics into an alert in a drill.
 */
import type { Slo } from '../policy/schema';
import { badFractionOf, burnRateWindows, evaluateBurnRate, windowsFor, type BurnRateEvaluation, type BurnRatePolicy } from './burn-rate';
import type { SliKey, SliReading, SliSource } from './port';

/** Options of {@link evaluateSloBurnRate}. */
export interface EvaluateSloOptions {
  /** The window pairs; default: the SRE workbook table scaled to the SLO's window ({@link windowsFor}). */
  readonly policy?: BurnRatePolicy;
  /** Lower bound of a scaled window when `policy` is not given. @default 1 */
  readonly minWindowSeconds?: number;
}

/** An evaluation with the raw readings it was made from. */
export interface SloBurnRateEvaluation extends BurnRateEvaluation {
  readonly readings: readonly { readonly window: number; readonly reading: SliReading; readonly badFraction: number | null }[];
}

/**
 * Reads every window the policy needs (in parallel) and evaluates the burn
 * rates. A source error propagates (`SliSourceError`, with `retryable`).
 *
 * @example
 * const result = await evaluateSloBurnRate(source, slo, { service: 'support-bot', model: 'support-llm' });
 * if (result.firing) await deliverAlert(slo, result.explanation); // "page-fast firing: 5s at 1000× and 1s at 1000× are both above 14.4×"
 */
export async function evaluateSloBurnRate(source: SliSource, slo: Slo, key: SliKey, options: EvaluateSloOptions = {}): Promise<SloBurnRateEvaluation> {
  const policy = options.policy ?? windowsFor(slo, undefined, { minWindowSeconds: options.minWindowSeconds });
  const windows = burnRateWindows(policy);
  const read = await Promise.all(windows.map(async (window) => ({ window, reading: await source.read(slo, key, window) })));
  const readings = read.map(({ window, reading }) => ({ window, reading, badFraction: badFractionOf(slo, reading, window) }));
  return { ...evaluateBurnRate(readings, slo, policy), readings };
}
