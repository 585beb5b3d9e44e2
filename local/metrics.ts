import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of the embedded pipeline, served on `GET /metrics`. */
export class PipelineMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'firebreak_http_requests_total',
    help: 'HTTP requests served, by route and status code',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'firebreak_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly executions = new Counter({
    name: 'firebreak_workflow_executions_total',
    help: 'Workflow executions finished, by workflow and status',
    labelNames: ['workflow', 'status'] as const,
    registers: [this.registry],
  });
  readonly activeIncidents: Gauge;

  constructor(countActive: () => Promise<number>) {
    this.activeIncidents = new Gauge({
      name: 'firebreak_incidents_active',
      help: 'Incidents open, acknowledged or mitigated',
      registers: [this.registry],
      async collect() {
        this.set(await countActive());
      },
    });
  }
}
