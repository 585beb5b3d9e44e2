import { fractionAbove, histogramQuantile, type HistogramBucket } from '../../lambdas/core/sli/histogram';

// 10 observations: 6 at or below 0.1 s, 9 at or below 0.5 s, 1 above 0.5 s.
const TEN: HistogramBucket[] = [
  { le: 0.1, count: 6 },
  { le: 0.5, count: 9 },
  { le: 1, count: 9 },
  { le: Infinity, count: 10 },
];

describe('histogramQuantile', () => {
  it('interpolates linearly inside the bucket that holds the rank', () => {
    // rank 0.5 × 10 = 5 in the first bucket [0, 0.1] of 6: 0.1 × 5/6.
    expect(histogramQuantile(0.5, TEN)).toBeCloseTo(0.1 * (5 / 6), 12);
    // rank 0.75 × 10 = 7.5 in (0.1, 0.5] holding 3: 0.1 + 0.4 × 1.5/3 = 0.3.
    expect(histogramQuantile(0.75, TEN)).toBe(0.3);
  });

  it('answers the highest finite bound when the rank falls in the +Inf bucket', () => {
    // rank 0.95 × 10 = 9.5 > 9: in +Inf → 1.
    expect(histogramQuantile(0.95, TEN)).toBe(1);
  });

  it('accepts buckets in any order and repairs non-monotonic counts', () => {
    expect(histogramQuantile(0.75, [...TEN].reverse())).toBe(0.3);
    expect(histogramQuantile(0.5, [{ le: 0.1, count: 4 }, { le: 0.2, count: 3 }, { le: Infinity, count: 4 }])).toBe(0.05);
  });

  it('has no quantile without observations or without a +Inf bucket', () => {
    expect(histogramQuantile(0.95, [{ le: 0.1, count: 0 }, { le: Infinity, count: 0 }])).toBeNull();
    expect(histogramQuantile(0.95, [{ le: 0.1, count: 3 }])).toBeNull();
  });
});

describe('fractionAbove', () => {
  it('reads a threshold on a bucket bound exactly', () => {
    expect(fractionAbove(0.5, TEN)).toBe(0.1);
    expect(fractionAbove(0.1, TEN)).toBe(0.4);
  });

  it('interpolates a threshold inside a bucket', () => {
    // 0.3 is halfway through (0.1, 0.5]: 6 + 3 × 0.5 = 7.5 at or below → 0.25 above.
    expect(fractionAbove(0.3, TEN)).toBe(0.25);
    // 0.05 is halfway through [0, 0.1]: 3 at or below → 0.7 above.
    expect(fractionAbove(0.05, TEN)).toBe(0.7);
  });

  it('counts everything in the +Inf bucket as above a threshold past the last finite bound', () => {
    expect(fractionAbove(2, TEN)).toBe(0.1);
  });

  it('has no fraction without observations', () => {
    expect(fractionAbove(0.5, [{ le: 0.5, count: 0 }, { le: Infinity, count: 0 }])).toBeNull();
  });
});
