import { parsePromDuration, prometheusQueryFor, promDuration } from '../../lambdas/adapters/prometheus-sli-source';
import { SloSchema, type Slo } from '../../lambdas/core/policy/schema';
import { SliSourceError } from '../../lambdas/core/sli/port';

const KEY = { service: 'support-bot', model: 'support-llm' };

function slo(sli: Record<string, unknown>, window = '1h'): Slo {
  return SloSchema.parse({
    id: 'test-slo',
    description: 'test',
    sli: { name: 'test sli', unit: 'ratio', kind: 'ratio', ...sli },
    objective: sli.kind === 'latency_quantile' ? { comparator: 'lte', target: 500 } : sli.kind === 'count' ? { comparator: 'eq', target: 0 } : { comparator: 'gte', target: 0.999 },
    window,
    severity: 'sev1',
    alerts: [{ source: 'alertmanager', match: { alertname: 'X' } }],
    flap_hold: '0s',
    action_on_breach: ['kill_switch'],
  });
}

describe('promDuration', () => {
  it('writes the largest unit that divides the window, or milliseconds', () => {
    expect([3600, 300, 30, 86_400, 604_800, 5400, 2.5, 0.417].map(promDuration)).toEqual(['1h', '5m', '30s', '1d', '1w', '90m', '2500ms', '417ms']);
  });
});

describe('parsePromDuration', () => {
  it('reads simple and compound durations', () => {
    expect([parsePromDuration('1h'), parsePromDuration('1h30m'), parsePromDuration('250ms'), parsePromDuration('1y')]).toEqual([3600, 5400, 0.25, 31_536_000]);
    expect([parsePromDuration('1x'), parsePromDuration(''), parsePromDuration('h')]).toEqual([undefined, undefined, undefined]);
  });
});

describe('prometheusQueryFor', () => {
  it('substitutes the $window placeholder and the key', () => {
    const query = 'sum(rate(x{service="$service",model="${model}",outcome="refused"}[$window])) / sum(rate(x{service="${service}"}[${window}]))';
    expect(prometheusQueryFor(slo({ query }), KEY, 300)).toBe('sum(rate(x{service="support-bot",model="support-llm",outcome="refused"}[5m])) / sum(rate(x{service="support-bot"}[5m]))');
  });

  it('escapes key values for a PromQL string', () => {
    expect(prometheusQueryFor(slo({ query: 'x{service="$service"}[$window]' }), { service: 'a"b\\c', model: 'm' }, 60)).toBe('x{service="a\\"b\\\\c"}[1m]');
  });

  it('rewrites range selectors of the SLO window when there is no placeholder, as the shipped policy writes them', () => {
    const query =
      'sum(rate(llm_probe_responses_total{service="support-bot",probe_set="adversarial",outcome="refused"}[1h])) / sum(rate(llm_probe_responses_total{service="support-bot",probe_set="adversarial"}[60m]))';
    expect(prometheusQueryFor(slo({ query }), KEY, 30)).toBe(
      'sum(rate(llm_probe_responses_total{service="support-bot",probe_set="adversarial",outcome="refused"}[30s])) / sum(rate(llm_probe_responses_total{service="support-bot",probe_set="adversarial"}[30s]))',
    );
  });

  it('leaves other ranges and subqueries alone', () => {
    expect(prometheusQueryFor(slo({ query: 'max_over_time(rate(x[5m])[1h:1m]) + rate(y[1h])' }), KEY, 600)).toBe('max_over_time(rate(x[5m])[1h:1m]) + rate(y[10m])');
  });

  it('sends a query without any window as written for the SLO window and refuses other windows', () => {
    expect(prometheusQueryFor(slo({ query: 'slo:refusal_ratio:1h' }), KEY, 3600)).toBe('slo:refusal_ratio:1h');
    expect(() => prometheusQueryFor(slo({ query: 'slo:refusal_ratio:1h' }), KEY, 300)).toThrow(
      expect.objectContaining({ name: 'SliSourceError', retryable: false, code: 'window-not-templatable' }) as SliSourceError,
    );
  });

  it('builds a query from the metric by SLI kind', () => {
    expect(prometheusQueryFor(slo({ kind: 'count', unit: 'count', metric: 'injections_total' }), KEY, 300)).toBe('sum(increase(injections_total[5m]))');
    expect(prometheusQueryFor(slo({ kind: 'latency_quantile', unit: 'ms', quantile: 0.95, metric: 'ttft_ms' }), KEY, 300)).toBe('histogram_quantile(0.95, sum by (le) (rate(ttft_ms_bucket[5m])))');
    expect(prometheusQueryFor(slo({ kind: 'ratio', metric: 'ood_recall' }, '7d'), KEY, 3600)).toBe('avg(avg_over_time(ood_recall[1h]))');
  });
});
