import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchSliSource } from '../adapters/cloudwatch-sli-source';
import { PrometheusSliSource } from '../adapters/prometheus-sli-source';
import { ConfigurationError } from '../core/errors';
import type { SliSource } from '../core/sli/port';

const factories = new Map<string, () => SliSource>();
let cached: { key: string; source: SliSource } | undefined;

/**
 * Makes an SLI source available under a `FIREBREAK_SLI_SOURCE` name. The
 * built-in ones (`prometheus`, `cloudwatch`) register themselves below; the
 * embedded target registers `demo` (the demo model's own metrics), so Lambda
 * code never depends on the embedded target's code.
 */
export function registerSliSource(kind: string, factory: () => SliSource): void {
  factories.set(kind, factory);
  cached = undefined;
}

/** The SLI source named by `FIREBREAK_SLI_SOURCE` (default `cloudwatch`), built once per configuration. */
export function sliSource(): SliSource {
  const kind = process.env.FIREBREAK_SLI_SOURCE ?? 'cloudwatch';
  const key = [kind, process.env.FIREBREAK_PROMETHEUS_URL, process.env.FIREBREAK_DEMO_MODEL_URL].join('\u0000');
  if (cached?.key === key) return cached.source;
  const factory = factories.get(kind);
  if (factory === undefined) {
    throw new ConfigurationError(`FIREBREAK_SLI_SOURCE=${kind} is not available here (known: ${[...factories.keys()].join(', ') || 'none'})`);
  }
  cached = { key, source: factory() };
  return cached.source;
}

registerSliSource('prometheus', () => {
  const baseUrl = process.env.FIREBREAK_PROMETHEUS_URL;
  if (baseUrl === undefined || baseUrl === '') throw new ConfigurationError('FIREBREAK_SLI_SOURCE=prometheus needs FIREBREAK_PROMETHEUS_URL');
  return new PrometheusSliSource({ baseUrl });
});

registerSliSource('cloudwatch', () => {
  const client = new CloudWatchClient({});
  return new CloudWatchSliSource({
    client: { getMetricData: (input) => client.send(new GetMetricDataCommand(input as ConstructorParameters<typeof GetMetricDataCommand>[0])) },
  });
});
