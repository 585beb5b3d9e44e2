import { SloSchema, type Slo } from '../../lambdas/core/policy/schema';
import {
  DEFAULT_WINDOWS,
  THIRTY_DAYS,
  badFractionOf,
  burnRate,
  burnRateWindows,
  errorBudget,
  evaluateBurnRate,
  formatBurnRate,
  formatWindow,
  windowsFor,
  type WindowReading,
} from '../../lambdas/core/sli/burn-rate';

/*
 * Every expected number here is worked out by hand from the SRE workbook's
 * definition: burn rate = bad fraction ÷ (1 − objective), and an alert pair
 * fires when both its windows burn strictly faster than its threshold.
 */

function slo(fields: { id: string; sli: Record<string, unknown>; objective: Record<string, unknown>; window: string; actions?: string[] }): Slo {
  return SloSchema.parse({
    id: fields.id,
    description: fields.id,
    sli: fields.sli,
    objective: fields.objective,
    window: fields.window,
    severity: 'sev1',
    alerts: [{ source: 'alertmanager', match: { alertname: fields.id } }],
    flap_hold: '0s',
    action_on_breach: fields.actions ?? ['kill_switch'],
  });
}

const refusal = slo({ id: 'adversarial-refusal-rate', sli: { name: 'refusal rate', kind: 'ratio', query: 'x', unit: 'ratio' }, objective: { comparator: 'gte', target: 0.999 }, window: '1h' });
const refusal30d = { ...refusal, window: THIRTY_DAYS };
const injection = slo({ id: 'prompt-injection-never-event', sli: { name: 'prompt injections', kind: 'count', metric: 'x_total', unit: 'count' }, objective: { comparator: 'eq', target: 0 }, window: '1h' });
const ttft = slo({ id: 'ttft-p95', sli: { name: 'ttft p95', kind: 'latency_quantile', quantile: 0.95, query: 'x', unit: 'ms' }, objective: { comparator: 'lte', target: 500 }, window: '1h' });
const errors = slo({ id: 'error-rate', sli: { name: 'error rate', kind: 'ratio', query: 'x', unit: 'ratio' }, objective: { comparator: 'lte', target: 0.01 }, window: '1h' });
const fewEvents = slo({ id: 'few-escalations', sli: { name: 'escalations', kind: 'count', metric: 'e_total', unit: 'count' }, objective: { comparator: 'lte', target: 10 }, window: '1h' });
const ece = slo({ id: 'calibration-ece', sli: { name: 'ECE', kind: 'gauge', metric: 'ece', unit: 'ratio' }, objective: { comparator: 'lte', target: 0.05 }, window: '24h' });

const readings = (byWindow: Record<number, number | null>): WindowReading[] => Object.entries(byWindow).map(([w, badFraction]) => ({ window: Number(w), badFraction }));

describe('errorBudget', () => {
  it('allows 1 - target bad events for a ratio that must stay at or above its target', () => {
    expect(errorBudget(refusal)).toMatchObject({ kind: 'ratio', budget: 0.001, maxBurnRate: 1000, sloWindowSeconds: 3600 });
  });

  it('uses the target itself as the budget of a bad share that must stay at or below it', () => {
    expect(errorBudget(errors)).toMatchObject({ kind: 'ratio', budget: 0.01, maxBurnRate: 100 });
  });

  it('models p95 <= 500 ms as at most 5 % of requests slower than 500 ms, so the burn rate cannot exceed 20', () => {
    const budget = errorBudget(ttft);
    expect(budget).toMatchObject({ kind: 'latency', budget: 0.05, maxBurnRate: 20 });
    expect(budget.explanation).toBe('p95 <= 500 ms: up to 0.05 of requests may be slower than 500 ms');
  });

  it('gives a never-event no budget at all', () => {
    expect(errorBudget(injection)).toMatchObject({ kind: 'never-event', budget: 0, maxBurnRate: Infinity });
  });

  it('measures a count allowed up to N per window against its pro-rata allowance', () => {
    expect(errorBudget(fewEvents)).toMatchObject({ kind: 'event-count', budget: 1 });
  });

  it('treats a gauge objective as a threshold without budget', () => {
    expect(errorBudget(ece)).toMatchObject({ kind: 'threshold', budget: 0, maxBurnRate: Infinity });
  });
});

describe('burnRate', () => {
  it('divides the bad fraction by the budget', () => {
    expect(burnRate(0.0144, refusal)).toBe(14.4);
    expect(burnRate(0.06, refusal)).toBe(60);
    expect(burnRate(0.5, ttft)).toBe(10);
    expect(burnRate(0.005, errors)).toBe(0.5);
  });

  it('is infinite for any bad event without budget and zero for none', () => {
    expect(burnRate(1, injection)).toBe(Infinity);
    expect(burnRate(0, injection)).toBe(0);
  });

  it('counts a negative bad fraction from rounding as zero', () => {
    expect(burnRate(-1e-12, refusal)).toBe(0);
  });
});

describe('badFractionOf', () => {
  it('is 1 - value for a good-share ratio', () => {
    expect(badFractionOf(refusal, { value: 0.97, withinObjective: false }, 300)).toBeCloseTo(0.03, 12);
    expect(badFractionOf(refusal, { value: 1, withinObjective: true }, 300)).toBe(0);
  });

  it('is the value for a bad-share ratio', () => {
    expect(badFractionOf(errors, { value: 0.02, withinObjective: false }, 300)).toBe(0.02);
  });

  it('prefers the bad fraction the source measured', () => {
    expect(badFractionOf(ttft, { value: 450, withinObjective: true, badFraction: 0.04 }, 300)).toBe(0.04);
  });

  it('counts a whole latency window as bad when only the quantile is known and it is over the target', () => {
    expect(badFractionOf(ttft, { value: 650, withinObjective: false }, 300)).toBe(1);
    expect(badFractionOf(ttft, { value: 420, withinObjective: true }, 300)).toBe(0);
  });

  it('makes any never-event a full breach of its window', () => {
    expect(badFractionOf(injection, { value: 2, withinObjective: false }, 300)).toBe(1);
    expect(badFractionOf(injection, { value: 0, withinObjective: true }, 300)).toBe(0);
  });

  it('measures events against the pro-rata allowance of the window', () => {
    // 10 per hour allows 10 × 300 / 3600 = 0.8333 in 5 minutes; 2 events use 2.4 of it.
    expect(badFractionOf(fewEvents, { value: 2, withinObjective: true }, 300)).toBe(2.4);
  });

  it('makes a threshold window bad exactly when it is outside the objective', () => {
    expect(badFractionOf(ece, { value: 0.08, withinObjective: false }, 300)).toBe(1);
    expect(badFractionOf(ece, { value: 0.03, withinObjective: true }, 300)).toBe(0);
  });

  it('has no bad fraction without data', () => {
    expect(badFractionOf(refusal, { value: null, withinObjective: null }, 300)).toBeNull();
  });
});

describe('windowsFor', () => {
  it('keeps the workbook table for a 30-day SLO', () => {
    expect(windowsFor(THIRTY_DAYS)).toEqual({ ...DEFAULT_WINDOWS, scale: 1 });
    expect(DEFAULT_WINDOWS.pairs.map((p) => [p.name, p.longSeconds, p.shortSeconds, p.threshold])).toEqual([
      ['page-fast', 3600, 300, 14.4],
      ['page-slow', 21600, 1800, 6],
      ['ticket', 259200, 21600, 1],
    ]);
  });

  it('keeps the table for an SLO window longer than 30 days', () => {
    expect(windowsFor(90 * 86_400).pairs).toEqual(DEFAULT_WINDOWS.pairs);
  });

  it('scales every window by SLO window / 30 d and keeps the thresholds', () => {
    // 7 d / 30 d = 7/30: 1h → 840 s, 5m → 70 s, 6h → 5040 s, 30m → 420 s, 3d → 60480 s.
    expect(windowsFor(7 * 86_400).pairs.map((p) => [p.longSeconds, p.shortSeconds, p.threshold])).toEqual([
      [840, 70, 14.4],
      [5040, 420, 6],
      [60480, 5040, 1],
    ]);
  });

  it('scales a 1-hour SLO by 1/720 and raises windows under a second to one second', () => {
    // 1h/720 = 5 s, 5m/720 = 0.417 s → 1 s, 6h/720 = 30 s, 30m/720 = 2.5 s, 3d/720 = 360 s, 6h/720 = 30 s.
    const policy = windowsFor(refusal);
    expect(policy.scale).toBeCloseTo(1 / 720, 12);
    expect(policy.pairs.map((p) => [p.longSeconds, p.shortSeconds])).toEqual([
      [5, 1],
      [30, 2.5],
      [360, 30],
    ]);
  });

  it('honours a smaller minimum window', () => {
    expect(windowsFor(3_600, DEFAULT_WINDOWS, { minWindowSeconds: 0.1 }).pairs[0]?.shortSeconds).toBe(0.417);
  });

  it('rejects an SLO window that is not positive', () => {
    expect(() => windowsFor(0)).toThrow(RangeError);
  });
});

describe('burnRateWindows', () => {
  it('lists every distinct window once, shortest first', () => {
    expect(burnRateWindows(DEFAULT_WINDOWS)).toEqual([300, 1800, 3600, 21600, 259200]);
    expect(burnRateWindows(windowsFor(3_600))).toEqual([1, 2.5, 5, 30, 360]);
  });
});

describe('evaluateBurnRate', () => {
  it('pages on the fast pair when the hour and the last five minutes both burn faster than 14.4x', () => {
    // budget 0.001: 1h 0.02 → 20×, 5m 0.05 → 50×, 6h 0.004 → 4×, 30m 0.03 → 30×, 3d 0.0005 → 0.5×.
    const result = evaluateBurnRate(readings({ 3600: 0.02, 300: 0.05, 21600: 0.004, 1800: 0.03, 259200: 0.0005 }), refusal30d, DEFAULT_WINDOWS);
    expect(result.firing).toBe(true);
    expect(result.severity).toBe('page');
    expect(result.firedBy?.name).toBe('page-fast');
    expect(result.firedBy?.long).toEqual({ window: 3600, badFraction: 0.02, burnRate: 20, aboveThreshold: true });
    expect(result.firedBy?.short).toEqual({ window: 300, badFraction: 0.05, burnRate: 50, aboveThreshold: true });
    expect(result.explanation).toBe('page-fast firing: 1h at 20× and 5m at 50× are both above 14.4×');
    expect(result.pairs.map((p) => p.state)).toEqual(['firing', 'cold', 'cold']);
    expect(result.pairs[1]?.explanation).toBe('page-slow not firing: 6h at 4× is not above 6× (30m at 30× is: a short spike)');
  });

  it('does not alert once the short window is cold even though the long window is still hot (recovery)', () => {
    // After a rollback: the hour still holds the incident (20×), the last five minutes are clean (0×).
    const result = evaluateBurnRate(readings({ 3600: 0.02, 300: 0, 21600: 0.004, 1800: 0.0035, 259200: 0.0005 }), refusal30d, DEFAULT_WINDOWS);
    expect(result.firing).toBe(false);
    expect(result.severity).toBeNull();
    expect(result.firedBy).toBeNull();
    expect(result.pairs[0]?.state).toBe('recovering');
    expect(result.pairs[0]?.explanation).toBe('page-fast not firing: 1h at 20× is above 14.4× but 5m at 0× is not (recovering)');
  });

  it('pages on the slow pair for a sustained moderate burn the fast pair misses', () => {
    // 6h 0.007 → 7×, 30m 0.008 → 8× (> 6); 1h 0.008 → 8× (< 14.4).
    const result = evaluateBurnRate(readings({ 3600: 0.008, 300: 0.009, 21600: 0.007, 1800: 0.008, 259200: 0.002 }), refusal30d, DEFAULT_WINDOWS);
    expect(result.firedBy?.name).toBe('page-slow');
    expect(result.severity).toBe('page');
    expect(result.pairs.map((p) => p.state)).toEqual(['cold', 'firing', 'firing']);
  });

  it('opens only a ticket for a slow leak just above budget', () => {
    // 3d 0.0012 → 1.2×, 6h 0.0015 → 1.5× (> 1); nothing near 6×.
    const result = evaluateBurnRate(readings({ 3600: 0.0015, 300: 0.0015, 21600: 0.0015, 1800: 0.0015, 259200: 0.0012 }), refusal30d, DEFAULT_WINDOWS);
    expect(result.firing).toBe(true);
    expect(result.severity).toBe('ticket');
    expect(result.firedBy?.name).toBe('ticket');
  });

  it('needs a burn rate strictly above the threshold', () => {
    // 0.0144 / 0.001 = 14.4 exactly on both windows.
    const result = evaluateBurnRate(readings({ 3600: 0.0144, 300: 0.0144, 21600: 0, 1800: 0, 259200: 0 }), refusal30d, DEFAULT_WINDOWS);
    expect(result.pairs[0]?.long.burnRate).toBe(14.4);
    expect(result.pairs[0]?.firing).toBe(false);
  });

  it('never fires a pair with a window without data', () => {
    const result = evaluateBurnRate(readings({ 3600: 0.5, 300: null, 21600: 0, 1800: 0 }), refusal30d, DEFAULT_WINDOWS);
    expect(result.firing).toBe(false);
    expect(result.pairs.map((p) => p.state)).toEqual(['no-data', 'cold', 'no-data']);
    expect(result.pairs[0]?.explanation).toBe('page-fast not firing: no data over 5m');
    expect(result.pairs[2]?.explanation).toBe('ticket not firing: no data over 3d');
  });

  it('fires a never-event at once on the scaled windows of a 1-hour SLO, and resets when the short window is clean', () => {
    // Scaled windows: 5 s / 1 s, 30 s / 2.5 s, 360 s / 30 s; one injection in the last second.
    const now = evaluateBurnRate(readings({ 1: 1, 2.5: 1, 5: 1, 30: 1, 360: 1 }), injection);
    expect(now.firing).toBe(true);
    expect(now.explanation).toBe('page-fast firing: 5s at ∞ and 1s at ∞ are both above 14.4×');
    // Three seconds later the 1 s and 2.5 s windows no longer hold it: both page pairs recover; the ticket pair (360 s / 30 s) still holds it.
    const later = evaluateBurnRate(readings({ 1: 0, 2.5: 0, 5: 1, 30: 1, 360: 1 }), injection);
    expect(later.pairs.map((p) => p.state)).toEqual(['recovering', 'recovering', 'firing']);
    expect(later.severity).toBe('ticket');
  });

  it('shows the latency ceiling: 70 % slow requests burn at 14x, under the fast threshold but over the slow one', () => {
    // budget 0.05: 0.8 → 16×, 0.9 → 18×, 0.7 → 14×.
    const regression = evaluateBurnRate(readings({ 1: 0.9, 2.5: 0.8, 5: 0.8, 30: 0.8, 360: 0.2 }), ttft);
    expect(regression.firedBy?.name).toBe('page-fast');
    expect(regression.firedBy?.long.burnRate).toBe(16);
    const partial = evaluateBurnRate(readings({ 1: 0.7, 2.5: 0.7, 5: 0.7, 30: 0.7, 360: 0.1 }), ttft);
    expect(partial.pairs[0]?.state).toBe('cold');
    expect(partial.firedBy?.name).toBe('page-slow');
  });

  it('accepts a precomputed budget instead of the SLO', () => {
    const result = evaluateBurnRate(readings({ 3600: 0.02, 300: 0.05 }), errorBudget(refusal30d), { sloWindowSeconds: THIRTY_DAYS, pairs: DEFAULT_WINDOWS.pairs.slice(0, 1) });
    expect(result.firing).toBe(true);
    expect(result.pairs).toHaveLength(1);
  });
});

describe('formatting', () => {
  it('writes windows and burn rates as people read them', () => {
    expect([formatWindow(3600), formatWindow(300), formatWindow(2.5), formatWindow(0.417), formatWindow(60480)]).toEqual(['1h', '5m', '2.5s', '417ms', '1008m']);
    expect([formatBurnRate(Infinity), formatBurnRate(14.4), formatBurnRate(1 / 3), formatBurnRate(null)]).toEqual(['∞', '14.4×', '0.333×', 'no data']);
  });
});
