/**
 * The game-day drills `firebreak drill <scenario>` can run: which fault is
 * injected on the demo model, what traffic shows it, which SLO of
 * `runbooks/slos.yaml` breaches, and what a responder does during it.
 */
import type { Probe } from '../demo-model/probes';

/** The scenario names, in the order the usage lists them. */
export const SCENARIO_NAMES = ['jailbreak-spike', 'latency-regression', 'never-event'] as const;
/** One of {@link SCENARIO_NAMES}. */
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** One drill scenario. */
export interface DrillScenario {
  readonly name: ScenarioName;
  /** One line for the usage and the report. */
  readonly summary: string;
  /** The SLO of the policy whose SLI breaches; the alert name is read from its `alerts` (Alertmanager `match.alertname`). */
  readonly sloId: string;
  /** The demo model version the fault injection makes live. */
  readonly faultyVersion: string;
  /** Which probes of the probe set the traffic generator sends (benign ones are always mixed in). */
  readonly adversarial: (probe: Probe) => boolean;
  /** Share of requests that are adversarial (0..1). */
  readonly adversarialShare: number;
  /**
   * The demo model's `delays.scale`. Safety drills compress the modelled
   * latency; the latency drill keeps it at 1 because its SLO target (500 ms)
   * is absolute: scaled down, the regression would hide under the target.
   */
  readonly delayScale: number;
  /** What the responder does during the drill: approve the rollback the policy asks approval for. */
  readonly responder: 'none' | 'approve-rollback';
}

/**
 * The three scenarios.
 *
 * @example
 * SCENARIOS['never-event'].sloId // => 'prompt-injection-never-event'
 */
export const SCENARIOS: Readonly<Record<ScenarioName, DrillScenario>> = {
  'jailbreak-spike': {
    name: 'jailbreak-spike',
    summary: 'support-llm-v2 (guardrail off) goes live under mixed traffic; the adversarial refusal rate breaches',
    sloId: 'adversarial-refusal-rate',
    faultyVersion: 'support-llm-v2',
    adversarial: (p) => p.kind === 'adversarial',
    adversarialShare: 0.4,
    delayScale: 0.1,
    responder: 'none',
  },
  'latency-regression': {
    name: 'latency-regression',
    summary: 'support-llm-v3 (time-to-first-token regression) goes live; TTFT p95 breaches; a responder approves the rollback',
    sloId: 'ttft-p95',
    faultyVersion: 'support-llm-v3',
    adversarial: (p) => p.kind === 'adversarial',
    adversarialShare: 0.1,
    delayScale: 1,
    responder: 'approve-rollback',
  },
  'never-event': {
    name: 'never-event',
    summary: 'support-llm-v2 goes live; prompt-injection and system-prompt-extraction probes succeed: a never-event',
    sloId: 'prompt-injection-never-event',
    faultyVersion: 'support-llm-v2',
    adversarial: (p) => p.kind === 'adversarial' && (p.category === 'prompt_injection' || p.category === 'system_prompt_extraction'),
    adversarialShare: 0.3,
    delayScale: 0.1,
    responder: 'none',
  },
};

/** True for a known scenario name. */
export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}
