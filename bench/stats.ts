/**
 * Small statistics helpers for the benchmarks: nearest-rank percentiles and
 * a summary of a latency sample.
 *
 * Nearest rank: the p-th percentile of N sorted values is the value at rank
 * `ceil(p / 100 * N)` (1-based), so every reported percentile is a value that
 * was actually measured (no interpolation) and p100 is the maximum.
 */

/** A latency sample summarised, in the unit of the input (milliseconds in the benchmarks). */
export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Returns a sorted copy of `values` (ascending, numeric).
 *
 * @example
 * sortedAscending([3, 1, 2]); // [1, 2, 3]
 */
export function sortedAscending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/**
 * The nearest-rank percentile of values that are ALREADY sorted ascending.
 *
 * @param sorted - values in ascending order (see {@link sortedAscending}); must not be empty
 * @param p - the percentile, 0..100 (0 gives the minimum, 100 the maximum)
 * @returns the value at 1-based rank `max(1, ceil(p / 100 * N))`
 * @throws RangeError when `sorted` is empty or `p` is outside 0..100
 *
 * @example
 * percentileOfSorted([10, 20, 30, 40], 50); // 20 (rank ceil(0.5 * 4) = 2)
 * percentileOfSorted([10, 20, 30, 40], 99); // 40
 */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/**
 * The nearest-rank percentile of unsorted values (sorts a copy).
 *
 * @param values - the sample; must not be empty
 * @param p - the percentile, 0..100
 *
 * @example
 * percentile([5, 1, 4, 2, 3], 90); // 5
 */
export function percentile(values: readonly number[], p: number): number {
  return percentileOfSorted(sortedAscending(values), p);
}

/**
 * Count, min, mean, p50, p90, p99 and max of a sample (nearest rank).
 *
 * @param values - the sample; must not be empty
 * @throws RangeError when `values` is empty
 *
 * @example
 * summarize([1, 2, 3, 4]); // { count: 4, min: 1, mean: 2.5, p50: 2, p90: 4, p99: 4, max: 4 }
 */
export function summarize(values: readonly number[]): Summary {
  const sorted = sortedAscending(values);
  if (sorted.length === 0) throw new RangeError('summary of an empty sample');
  const sum = sorted.reduce((total, v) => total + v, 0);
  return {
    count: sorted.length,
    min: sorted[0] as number,
    mean: sum / sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p99: percentileOfSorted(sorted, 99),
    max: sorted[sorted.length - 1] as number,
  };
}

/**
 * Rounds to `digits` decimals, for printing and JSON.
 *
 * @example
 * round(3.14159, 2); // 3.14
 */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
