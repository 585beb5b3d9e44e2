import { DemoModelMetrics } from '../../local/demo-model/metrics';
import { parsePrometheusText, parsePromValue } from '../../lambdas/core/sli/prometheus-text';

describe('parsePrometheusText', () => {
  it('reads samples, labels and the type of each family', () => {
    const text = [
      '# HELP demo_model_requests_total Chat completion requests',
      '# TYPE demo_model_requests_total counter',
      'demo_model_requests_total{version="support-llm-v1",outcome="answered"} 3',
      '',
      '# TYPE up gauge',
      'up 1 1700000000000',
    ].join('\n');
    const parsed = parsePrometheusText(text);
    expect(parsed.samples).toEqual([
      { name: 'demo_model_requests_total', labels: { version: 'support-llm-v1', outcome: 'answered' }, value: 3 },
      { name: 'up', labels: {}, value: 1, timestampMs: 1_700_000_000_000 },
    ]);
    expect(Object.fromEntries(parsed.types)).toEqual({ demo_model_requests_total: 'counter', up: 'gauge' });
  });

  it('unescapes label values and accepts a trailing comma and spaces', () => {
    const { samples } = parsePrometheusText('x{a="q\\"uote",b="back\\\\slash",c="new\\nline", } 1\r\n');
    expect(samples[0]?.labels).toEqual({ a: 'q"uote', b: 'back\\slash', c: 'new\nline' });
  });

  it('reads special values and ignores an exemplar', () => {
    const { samples } = parsePrometheusText('a NaN\nb +Inf\nc -Inf\nd 1.5e-3 # {trace_id="abc"} 0.2\n');
    expect(samples.map((s) => s.value)).toEqual([NaN, Infinity, -Infinity, 0.0015]);
  });

  it('names the line of a malformed sample', () => {
    expect(() => parsePrometheusText('ok 1\nbad{a=1} 2')).toThrow(/^line 2: expected a quoted value for label a/);
    expect(() => parsePrometheusText('x{a="1"} one')).toThrow(/line 1: expected a number/);
    expect(() => parsePrometheusText('x{a="1",a="2"} 1')).toThrow(/duplicate label a/);
    expect(() => parsePrometheusText('x{a="open} 1')).toThrow(/unterminated value of label a/);
  });

  it('parses what the demo model serves, label escapes included', async () => {
    const metrics = new DemoModelMetrics();
    metrics.requests.inc({ version: 'support-llm-v1', outcome: 'answered' }, 2);
    metrics.guardrailFailures.inc({ version: 'odd "v"\\x', category: 'prompt_injection' });
    metrics.ttft.observe({ version: 'support-llm-v1' }, 0.07);
    const { samples, types } = parsePrometheusText(await metrics.registry.metrics());
    expect(types.get('demo_model_ttft_seconds')).toBe('histogram');
    expect(samples).toContainEqual({ name: 'demo_model_requests_total', labels: { version: 'support-llm-v1', outcome: 'answered' }, value: 2 });
    expect(samples).toContainEqual({ name: 'demo_model_guardrail_failures_total', labels: { version: 'odd "v"\\x', category: 'prompt_injection' }, value: 1 });
    expect(samples).toContainEqual({ name: 'demo_model_ttft_seconds_bucket', labels: { le: '+Inf', version: 'support-llm-v1' }, value: 1 });
    expect(samples).toContainEqual({ name: 'demo_model_ttft_seconds_bucket', labels: { le: '0.05', version: 'support-llm-v1' }, value: 0 });
  });
});

describe('parsePromValue', () => {
  it('reads Go floats and rejects anything else', () => {
    expect(parsePromValue('-0.25')).toBe(-0.25);
    expect(parsePromValue('Inf')).toBe(Infinity);
    expect(() => parsePromValue('')).toThrow(SyntaxError);
    expect(() => parsePromValue('12abc')).toThrow(SyntaxError);
  });
});
