import { SloSchema, type Slo } from '../../lambdas/core/policy/schema';
import { windowsFor } from '../../lambdas/core/sli/burn-rate';
import { evaluateSloBurnRate } from '../../lambdas/core/sli/evaluate-slo';
import { sliReading, SliSourceError, type SliKey, type SliReading, type SliSource } from '../../lambdas/core/sli/port';

const KEY: SliKey = { service: 'support-bot', model: 'support-llm' };
const refusal: Slo = SloSchema.parse({
  id: 'adversarial-refusal-rate',
  description: 'refusals',
  sli: { name: 'refusal rate', kind: 'ratio', query: 'x', unit: 'ratio' },
  objective: { comparator: 'gte', target: 0.999 },
  window: '1h',
  severity: 'sev1',
  alerts: [{ source: 'alertmanager', match: { alertname: 'X' } }],
  flap_hold: '0s',
  action_on_breach: ['kill_switch'],
});

/** Answers a fixed SLI value per window and records what it was asked. */
class FixedSource implements SliSource {
  readonly asked: number[] = [];
  readonly keys: SliKey[] = [];
  constructor(private readonly byWindow: Record<number, number | null>) {}
  async read(slo: Slo, key: SliKey, windowSeconds: number): Promise<SliReading> {
    this.keys.push(key);
    this.asked.push(windowSeconds);
    return sliReading(slo, this.byWindow[windowSeconds] ?? null, '2026-11-20T10:00:00.000Z');
  }
}

describe('evaluateSloBurnRate', () => {
  it('reads every scaled window once and fires the fast pair on a jailbreak spike', async () => {
    // 1h SLO → windows 1, 2.5, 5, 30, 360 s. Refusal 0.5 → bad 0.5 → 500× on the short windows.
    const source = new FixedSource({ 1: 0.5, 2.5: 0.5, 5: 0.6, 30: 0.9, 360: 0.99 });
    const result = await evaluateSloBurnRate(source, refusal, KEY);
    expect(source.asked.sort((a, b) => a - b)).toEqual([1, 2.5, 5, 30, 360]);
    expect(source.keys).toEqual(Array(5).fill(KEY));
    expect(result.firing).toBe(true);
    expect(result.explanation).toBe('page-fast firing: 5s at 400× and 1s at 500× are both above 14.4×');
    expect(result.readings.find((r) => r.window === 1)).toMatchObject({ badFraction: 0.5, reading: { value: 0.5, withinObjective: false } });
  });

  it('does not fire after recovery even though the longer windows still remember the spike', async () => {
    const source = new FixedSource({ 1: 1, 2.5: 1, 5: 0.7, 30: 0.9, 360: 0.99 });
    const result = await evaluateSloBurnRate(source, refusal, KEY);
    expect(result.pairs.map((p) => p.state)).toEqual(['recovering', 'recovering', 'firing']);
    expect(result.severity).toBe('ticket');
  });

  it('uses the policy it is given', async () => {
    const source = new FixedSource({ 2: 0.5, 10: 0.5, 30: 1, 360: 1 });
    const result = await evaluateSloBurnRate(source, refusal, KEY, { policy: windowsFor(refusal, undefined, { minWindowSeconds: 2 }) });
    expect(source.asked.sort((a, b) => a - b)).toEqual([2, 2.5, 5, 30, 360]);
    expect(result.pairs[0]?.state).toBe('no-data');
  });

  it('lets a source error through with its retryability', async () => {
    const failing: SliSource = { read: async () => Promise.reject(new SliSourceError('prometheus', 'down', { retryable: true })) };
    await expect(evaluateSloBurnRate(failing, refusal, KEY)).rejects.toMatchObject({ name: 'SliSourceError', retryable: true });
  });
});
