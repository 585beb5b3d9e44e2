import { InvalidInputError } from '../../lambdas/core/errors';
import { systemClock, type Clock } from '../../lambdas/core/ports';
import {
  ControlPlaneConflictError,
  ModelControlStateSchema,
  UnknownModelVersionError,
  applyControlPatch,
  type ControlChange,
  type ControlPatch,
  type ModelControlPlane,
  type ModelControlState,
} from '../../lambdas/core/model-control';
import { DEFAULT_MODEL, DEMO_MODEL_VERSIONS, type DemoModelVersion } from './versions';

/**
 * A model control plane held in memory: the standalone demo model's, and a
 * real implementation of the port. Same semantics as the DynamoDB adapter:
 * every change is conditional on the revision read before it
 * (`applyControlPatch` computes the next state, so an unknown version throws
 * `UnknownModelVersionError`); a model that is gone or changed since it was
 * read throws `ControlPlaneConflictError`; `seed` stores a state only when the
 * model has none. `get` and `update` return copies, so a caller can never
 * change the stored state by accident.
 *
 * @example
 * const plane = new InMemoryModelControlPlane([demoModelControlState()]);
 * const state = await plane.get('support-llm');
 * const { before, after } = await plane.update('support-llm', state!.revision, { activeVersion: 'support-llm-v2' }, 'drill');
 */
export class InMemoryModelControlPlane implements ModelControlPlane {
  private readonly states = new Map<string, ModelControlState>();

  /** `states` are seeded (validated) in order; a later one for the same model is ignored, as `seed` does. */
  constructor(
    states: readonly ModelControlState[] = [],
    private readonly clock: Clock = systemClock,
  ) {
    for (const state of states) this.store(state);
  }

  private store(state: ModelControlState): { created: boolean; state: ModelControlState } {
    const existing = this.states.get(state.model);
    if (existing !== undefined) return { created: false, state: structuredClone(existing) };
    const parsed = ModelControlStateSchema.parse(state);
    if (!parsed.versions.some((v) => v.version === parsed.activeVersion)) throw new UnknownModelVersionError(parsed.model, parsed.activeVersion);
    this.states.set(parsed.model, structuredClone(parsed));
    return { created: true, state: structuredClone(parsed) };
  }

  /**
   * Stores `state` unless its model has a state already; returns what is stored.
   *
   * @example
   * const { created } = await plane.seed(demoModelControlState()); // created: false when already seeded
   */
  async seed(state: ModelControlState): Promise<{ created: boolean; state: ModelControlState }> {
    return this.store(state);
  }

  async get(model: string): Promise<ModelControlState | undefined> {
    const state = this.states.get(model);
    return state === undefined ? undefined : structuredClone(state);
  }

  async update(model: string, expectedRevision: number, patch: ControlPatch, by: string): Promise<ControlChange> {
    const before = this.states.get(model);
    // Gone, or changed since the caller read it: nothing is written either way.
    if (before === undefined || before.revision !== expectedRevision) throw new ControlPlaneConflictError(model);
    const after = applyControlPatch(before, patch, by, this.clock.now());
    this.states.set(model, after);
    return { before: structuredClone(before), after: structuredClone(after) };
  }
}

/**
 * The seed state of the demo model: every catalog version deployed one
 * minute apart (oldest first), known-good as the catalog says, the first
 * version active, no switch on, revision 0.
 *
 * @example
 * demoModelControlState().activeVersion // => 'support-llm-v1'
 */
export function demoModelControlState(
  options: { model?: string; activeVersion?: string; now?: Date; versions?: readonly DemoModelVersion[] } = {},
): ModelControlState {
  const versions = options.versions ?? DEMO_MODEL_VERSIONS;
  const now = options.now ?? new Date();
  const first = versions[0];
  if (first === undefined) throw new InvalidInputError('demo model catalog', [{ path: 'versions', message: 'at least one version is needed' }]);
  return {
    model: options.model ?? DEFAULT_MODEL,
    activeVersion: options.activeVersion ?? first.version,
    versions: versions.map((v, i) => ({ version: v.version, deployedAt: new Date(now.getTime() - (versions.length - i) * 60_000).toISOString(), knownGood: v.knownGood })),
    killSwitch: false,
    safeMode: false,
    humanReview: false,
    revision: 0,
    updatedAt: now.toISOString(),
    updatedBy: 'seed',
  };
}
