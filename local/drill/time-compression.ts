/**
 * How a drill compresses time. Production waits are minutes (the flap hold,
 * the interval between recovery checks, vendor retry back-off) and
 * burn-rate windows are hours; a drill must finish in under a minute. The
 * definitions themselves are never changed: the embedded engine shortens
 * states by name (wait and retry overrides), and the drill's own burn-rate
 * evaluator reads shorter windows. Everything here is printed with the
 * drill's report, next to the production value, so that nobody mistakes a
 * drill setting for a production one.
 */
import type { CloudFormationTemplate } from '../../lib/synth';
import { DEFAULT_WINDOWS, type BurnRatePolicy } from '../../lambdas/core/sli/burn-rate';
import { workflowsFromTemplate } from '../workflows/template-workflows';

/** Wait states a drill shortens, by state name → ms. */
export const DRILL_WAITS: Readonly<Record<string, number>> = {
  'Wait Out The Flap Hold': 300,
  'Wait Before Checking Recovery': 1_000,
  // The drill's responder approves as soon as the channel is open; an unanswered request expires after this.
  'Wait For The Rollback Approval': 5_000,
};

/** Every retry interval of every workflow state, in a drill. */
export const DRILL_RETRY_INTERVAL_MS = 200;

/** How often the drill's evaluator scrapes the demo model, and evaluates the burn rate. */
export const DRILL_SCRAPE_INTERVAL_MS = 250;
/** How often the drill's burn-rate evaluator runs, in ms. */
export const DRILL_EVALUATION_INTERVAL_MS = 500;

/**
 * The burn-rate window pair a drill evaluates: the SRE workbook's fast-burn
 * page (1 h long / 5 m short at 14.4×), with the windows shortened to
 * 20 s / 4 s and the threshold unchanged. Both windows must burn above the
 * threshold, as in production; the short window makes the alert reset within
 * seconds of recovery.
 */
export function drillBurnRatePolicy(sloWindowSeconds: number): BurnRatePolicy {
  const fast = DEFAULT_WINDOWS.pairs[0];
  return {
    sloWindowSeconds,
    scale: 20 / 3_600,
    pairs: [{ name: fast?.name ?? 'page-fast', severity: 'page', longSeconds: 20, shortSeconds: 4, threshold: fast?.threshold ?? 14.4 }],
  };
}

/** One wait state of the workflows, and what a drill makes of it. */
export interface WaitStateInfo {
  readonly workflow: string;
  readonly state: string;
  /** As the definition says: `60s`, or `until $.record.flapHoldUntil` for a timestamp path. */
  readonly production: string;
  /** The drill's override in ms, or undefined when the drill waits the real time. */
  readonly drillMs?: number;
}

/** What the engine gets, and the description for the report. */
export interface EngineCompression {
  readonly waitTimeOverrides: Record<string, number>;
  readonly retryIntervalOverrides: Record<string, number>;
  readonly waits: readonly WaitStateInfo[];
  /** Names of the states whose retries are shortened. */
  readonly retriedStates: readonly string[];
}

interface StateLike {
  readonly Type?: string;
  readonly Seconds?: number;
  readonly SecondsPath?: string;
  readonly Timestamp?: string;
  readonly TimestampPath?: string;
  readonly Retry?: readonly unknown[];
  readonly Branches?: readonly { readonly States: Record<string, StateLike> }[];
  readonly ItemProcessor?: { readonly States: Record<string, StateLike> };
  readonly Iterator?: { readonly States: Record<string, StateLike> };
}

function* allStates(states: Record<string, StateLike>): Generator<[string, StateLike]> {
  for (const [name, state] of Object.entries(states)) {
    yield [name, state];
    for (const branch of state.Branches ?? []) yield* allStates(branch.States);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner !== undefined) yield* allStates(inner.States);
  }
}

function describeWait(state: StateLike): string {
  if (state.Seconds !== undefined) return `${state.Seconds}s`;
  if (state.TimestampPath !== undefined) return `until ${state.TimestampPath}`;
  if (state.SecondsPath !== undefined) return `${state.SecondsPath} seconds`;
  return state.Timestamp !== undefined ? `until ${state.Timestamp}` : 'unknown';
}

/**
 * The wait and retry overrides of a drill for the template's workflows: the
 * waits of {@link DRILL_WAITS}, and every retried state's interval shortened
 * to {@link DRILL_RETRY_INTERVAL_MS}.
 *
 * @example
 * const { waitTimeOverrides, retryIntervalOverrides } = engineCompression(template);
 * await startEmbedded({ template, waitTimeOverrides, retryIntervalOverrides });
 */
export function engineCompression(template: CloudFormationTemplate): EngineCompression {
  const waits: WaitStateInfo[] = [];
  const retried = new Set<string>();
  for (const workflow of workflowsFromTemplate(template)) {
    const states = (workflow.definition as unknown as { States: Record<string, StateLike> }).States;
    for (const [name, state] of allStates(states)) {
      if (state.Type === 'Wait') waits.push({ workflow: workflow.name, state: name, production: describeWait(state), ...(DRILL_WAITS[name] === undefined ? {} : { drillMs: DRILL_WAITS[name] }) });
      if ((state.Retry?.length ?? 0) > 0) retried.add(name);
    }
  }
  const retriedStates = [...retried].sort();
  return {
    waitTimeOverrides: { ...DRILL_WAITS },
    retryIntervalOverrides: Object.fromEntries(retriedStates.map((name) => [name, DRILL_RETRY_INTERVAL_MS])),
    waits,
    retriedStates,
  };
}
