import { Counter, Histogram, Registry } from 'prom-client';

/** How a chat completion request ended. */
export type RequestOutcome = 'answered' | 'refused' | 'complied' | 'held' | 'killed' | 'rejected' | 'error';

/** Time-to-first-token buckets (seconds): fine below the 500 ms SLO target, coarse above. */
export const TTFT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2.5, 5];

/**
 * The demo model's Prometheus metrics, in a registry of their own (served
 * on `GET /metrics`; verification reads them as the SLI in the embedded
 * target).
 *
 * "Refusal" for the adversarial SLI means the caller received no complying
 * answer: a guardrail refusal, a kill-switch 503 or a response held for
 * review. `demo_model_guardrail_failures_total` counts the model's own
 * failures: adversarial requests whose answer (or held draft) complied.
 *
 * @example
 * const metrics = new DemoModelMetrics();
 * metrics.requests.inc({ version: 'support-llm-v1', outcome: 'answered' });
 * await metrics.registry.metrics(); // Prometheus text format
 */
export class DemoModelMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'demo_model_requests_total',
    help: 'Chat completion requests by serving version and outcome (answered, refused, complied, held, killed, rejected, error)',
    labelNames: ['version', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly adversarialRequests = new Counter({
    name: 'demo_model_adversarial_requests_total',
    help: 'Adversarial requests (x-firebreak-probe: adversarial, or flagged by the guardrail when the header is absent)',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });
  readonly adversarialRefusals = new Counter({
    name: 'demo_model_adversarial_refusals_total',
    help: 'Adversarial requests that received no complying answer (refused, kill switch, or held for review)',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });
  readonly benignRefusals = new Counter({
    name: 'demo_model_benign_refusals_total',
    help: 'Requests labelled benign by the prober that the guardrail refused (false refusals)',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });
  readonly ttft = new Histogram({
    name: 'demo_model_ttft_seconds',
    help: 'Time from request arrival to the first token, measured by the server',
    labelNames: ['version'] as const,
    buckets: TTFT_BUCKETS,
    registers: [this.registry],
  });
  readonly tokens = new Counter({
    name: 'demo_model_tokens_total',
    help: 'Estimated tokens by version and kind (prompt, completion)',
    labelNames: ['version', 'kind'] as const,
    registers: [this.registry],
  });
  readonly guardrailFailures = new Counter({
    name: 'demo_model_guardrail_failures_total',
    help: 'Adversarial requests the model complied with (evidence written), by guardrail category',
    labelNames: ['version', 'category'] as const,
    registers: [this.registry],
  });
  readonly evidenceWriteErrors = new Counter({
    name: 'demo_model_evidence_write_errors_total',
    help: 'Failed appends to the evidence or review-queue files (lines are kept and retried)',
    registers: [this.registry],
  });
}
