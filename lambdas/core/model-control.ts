import { z } from 'zod';
import { FirebreakError } from './errors';

/** One deployed version of a model. */
export const ModelVersionSchema = z.object({
  version: z.string().min(1),
  deployedAt: z.string(),
  /** Marked good after passing the release gate (or by a person): a rollback target. */
  knownGood: z.boolean(),
});
/** The type of {@link ModelVersionSchema}. */
export type ModelVersion = z.infer<typeof ModelVersionSchema>;

/**
 * What the serving application reads for a model: which version serves, and
 * the three containment switches. `revision` increments on every change
 * (conditional writes: no lost update).
 */
export const ModelControlStateSchema = z.object({
  model: z.string().min(1),
  activeVersion: z.string().min(1),
  /** Oldest first. */
  versions: z.array(ModelVersionSchema).min(1),
  /** Refuse every request (503 or a refusal). */
  killSwitch: z.boolean(),
  /** Serve with the conservative configuration (stricter guardrail, lower temperature, no tools). */
  safeMode: z.boolean(),
  /** Hold responses for a person to review before they go out. */
  humanReview: z.boolean(),
  revision: z.number().int().min(0),
  updatedAt: z.string(),
  /** Who made the last change: an incident id, a Slack user, `seed`. */
  updatedBy: z.string(),
});
/** The type of {@link ModelControlStateSchema}. */
export type ModelControlState = z.infer<typeof ModelControlStateSchema>;

/** A change to apply; fields left out stay as they are. */
export interface ControlPatch {
  readonly activeVersion?: string;
  readonly killSwitch?: boolean;
  readonly safeMode?: boolean;
  readonly humanReview?: boolean;
  /** Mark (or unmark) a version known-good. */
  readonly knownGood?: { readonly version: string; readonly good: boolean };
}

/** What a change did: the state before and after, for the audit entry on the timeline. */
export interface ControlChange {
  readonly before: ModelControlState;
  readonly after: ModelControlState;
}

/**
 * Where a model's serving configuration lives (SSM parameter, SageMaker
 * endpoint, Lambda alias, or the embedded target's table). Every change is
 * conditional on the revision read before it.
 */
export interface ModelControlPlane {
  /** The model's state, or undefined when the control plane does not know the model. */
  get(model: string): Promise<ModelControlState | undefined>;
  /**
   * Applies `patch` if the stored revision is still `expectedRevision`, else
   * throws `ControlPlaneConflictError`. A patch the backend cannot express
   * throws `ControlNotSupportedError`; an unknown version, `UnknownModelVersionError`.
   */
  update(model: string, expectedRevision: number, patch: ControlPatch, by: string): Promise<ControlChange>;
}

/** Someone changed the model's control state since it was read. Retryable after a new read. */
export class ControlPlaneConflictError extends FirebreakError {
  constructor(
    readonly model: string,
    options?: { cause?: unknown },
  ) {
    super(`the control state of ${model} was changed concurrently`, options);
  }
}

/** The backend cannot do this (e.g. a kill switch on a SageMaker endpoint). Permanent. */
export class ControlNotSupportedError extends FirebreakError {
  constructor(
    readonly backend: string,
    readonly what: string,
    options?: { cause?: unknown },
  ) {
    super(`${backend} cannot ${what}`, options);
  }
}

/**
 * Applies a patch to a state (pure): the next state, revision + 1. Throws
 * `UnknownModelVersionError` for a version the model does not have.
 * Adapters that store the whole document use it.
 *
 * @example
 * const after = applyControlPatch(before, { killSwitch: true }, 'inc-20261121-5f2a9c1e', new Date());
 */
export function applyControlPatch(state: ModelControlState, patch: ControlPatch, by: string, now: Date): ModelControlState {
  const known = new Set(state.versions.map((v) => v.version));
  for (const version of [patch.activeVersion, patch.knownGood?.version]) {
    if (version !== undefined && !known.has(version)) throw new UnknownModelVersionError(state.model, version);
  }
  return {
    ...state,
    ...(patch.activeVersion === undefined ? {} : { activeVersion: patch.activeVersion }),
    ...(patch.killSwitch === undefined ? {} : { killSwitch: patch.killSwitch }),
    ...(patch.safeMode === undefined ? {} : { safeMode: patch.safeMode }),
    ...(patch.humanReview === undefined ? {} : { humanReview: patch.humanReview }),
    versions:
      patch.knownGood === undefined
        ? state.versions
        : state.versions.map((v) => (v.version === patch.knownGood?.version ? { ...v, knownGood: patch.knownGood.good } : v)),
    revision: state.revision + 1,
    updatedAt: now.toISOString(),
    updatedBy: by,
  };
}

/** A version the model does not have. */
export class UnknownModelVersionError extends FirebreakError {
  constructor(
    readonly model: string,
    readonly version: string,
    options?: { cause?: unknown },
  ) {
    super(`model ${model} has no version ${version}`, options);
  }
}

/**
 * The rollback target: the newest version marked known-good that is older
 * than `breached` (by deployment order). Undefined when there is none.
 *
 * @example
 * knownGoodBefore(state, 'v3')?.version // => 'v1'
 */
export function knownGoodBefore(state: ModelControlState, breached: string): ModelVersion | undefined {
  const index = state.versions.findIndex((v) => v.version === breached);
  const older = index < 0 ? [] : state.versions.slice(0, index);
  return [...older].reverse().find((v) => v.knownGood);
}
