import { DescribeEndpointCommand, UpdateEndpointWeightsAndCapacitiesCommand, type DescribeEndpointCommandOutput, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import {
  ControlNotSupportedError,
  ControlPlaneConflictError,
  applyControlPatch,
  type ControlChange,
  type ControlPatch,
  type ModelControlPlane,
  type ModelControlState,
} from '../core/model-control';
import { systemClock, type Clock } from '../core/ports';
import { ModelControlBackendError, controlBackendError } from './dynamodb-model-control-plane';

const BACKEND = 'SageMaker endpoint';

/** Endpoint states in which a change is under way: wait for it, then read again. */
const IN_PROGRESS = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'Deleting']);

/** Options of {@link SageMakerModelControlPlane}. */
export interface SageMakerModelControlPlaneOptions {
  /**
   * The endpoint that serves a model.
   * @default the model name is the endpoint name
   */
  readonly endpointOf?: (model: string) => string;
  /** @default the system clock */
  readonly clock?: Clock;
}

/**
 * `ModelControlPlane` on a SageMaker real-time endpoint whose production
 * variants are the model's versions, named after them (`v1`, `v2`…), one
 * variant per version, listed oldest first in the endpoint configuration.
 *
 * - `activeVersion` is the variant that takes the traffic: weight 1, the others
 *   0 (`CurrentWeight`; while a canary split is in place, the heaviest variant).
 * - `update` can only change `activeVersion`, with
 *   `UpdateEndpointWeightsAndCapacities` (weight 1 for the target variant, 0
 *   for every other, instance counts untouched). Kill switch, safe mode,
 *   human review and known-good marks throw `ControlNotSupportedError` before
 *   any call: SageMaker has no such thing. Keep them in the model's SSM
 *   document (`SsmModelControlPlane`), which the serving container or the
 *   proxy in front of the endpoint reads, and use this adapter for the
 *   traffic switch only; rollback targets (`knownGoodBefore`) come from that
 *   document, since here every version reads `knownGood: false`.
 * - `revision` is the endpoint's `LastModifiedTime` in epoch milliseconds,
 *   `updatedAt` the same instant; `updatedBy` is `sagemaker` (the endpoint
 *   does not record who changed it). A variant's `deployedAt` is the
 *   endpoint's creation time, for want of a per-variant time.
 *
 * **Conditional writes.** The update is refused (`ControlPlaneConflictError`)
 * unless DescribeEndpoint shows the endpoint `InService` at
 * `expectedRevision`. SageMaker itself refuses a weights update while the
 * endpoint is `Updating` (`ValidationException: Cannot update in-progress
 * endpoint`), also mapped to `ControlPlaneConflictError`; a second writer
 * racing the first therefore fails at SageMaker. The residual race is another
 * change that starts *and finishes* between our DescribeEndpoint and our
 * update — an endpoint update takes minutes, so it needs a writer that
 * ignores the revision, not a millisecond window.
 *
 * The returned `after` describes what was requested. The endpoint is
 * `Updating` until SageMaker has shifted the traffic; its new revision is
 * known only then: `get` again, once it is `InService`, before another change.
 * Choosing the version already serving alone is a no-op (no call, `after` =
 * `before`), since each weights update puts the endpoint through `Updating`.
 *
 * @example
 * const plane = new SageMakerModelControlPlane(new SageMakerClient({}));
 * const state = await plane.get('support-bot');           // endpoint "support-bot", variants v1, v2, v3
 * await plane.update('support-bot', state!.revision, { activeVersion: 'v2' }, 'inc-20261121-5f2a9c1e');
 */
export class SageMakerModelControlPlane implements ModelControlPlane {
  private readonly endpointOf: (model: string) => string;
  private readonly clock: Clock;

  constructor(
    private readonly sagemaker: SageMakerClient,
    options: SageMakerModelControlPlaneOptions = {},
  ) {
    this.endpointOf = options.endpointOf ?? ((model) => model);
    this.clock = options.clock ?? systemClock;
  }

  async get(model: string): Promise<ModelControlState | undefined> {
    const endpoint = await this.describe(this.endpointOf(model));
    return endpoint === undefined ? undefined : toState(model, endpoint);
  }

  async update(model: string, expectedRevision: number, patch: ControlPatch, by: string): Promise<ControlChange> {
    refuseUnsupported(patch);
    const endpointName = this.endpointOf(model);
    const endpoint = await this.describe(endpointName);
    if (endpoint === undefined) throw new ControlPlaneConflictError(model);
    const status = endpoint.EndpointStatus ?? 'unknown';
    if (IN_PROGRESS.has(status)) throw new ControlPlaneConflictError(model, { cause: new Error(`endpoint ${endpointName} is ${status}`) });
    if (status !== 'InService') throw new ModelControlBackendError(BACKEND, `UpdateEndpointWeightsAndCapacities ${endpointName}`, false, `the endpoint is ${status}`);
    const before = toState(model, endpoint);
    if (before.revision !== expectedRevision) throw new ControlPlaneConflictError(model);
    const after = applyControlPatch(before, patch, by, this.clock.now());
    const variants = endpoint.ProductionVariants ?? [];
    const oneHot = variants.every((v) => (weightOf(v) > 0) === (v.VariantName === after.activeVersion));
    if (after.activeVersion === before.activeVersion && oneHot) return { before, after: before };
    try {
      await this.sagemaker.send(
        new UpdateEndpointWeightsAndCapacitiesCommand({
          EndpointName: endpointName,
          DesiredWeightsAndCapacities: variants.map((v) => ({ VariantName: v.VariantName, DesiredWeight: v.VariantName === after.activeVersion ? 1 : 0 })),
        }),
      );
    } catch (error) {
      // "Cannot update in-progress endpoint": someone else's change is under way. "Could not find endpoint": it is gone.
      if (isValidation(error, /in-progress endpoint|could not find endpoint/i)) throw new ControlPlaneConflictError(model, { cause: error });
      throw controlBackendError(BACKEND, 'UpdateEndpointWeightsAndCapacities', error);
    }
    return { before, after };
  }

  private async describe(endpointName: string): Promise<DescribeEndpointCommandOutput | undefined> {
    try {
      return await this.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    } catch (error) {
      // SageMaker answers an unknown endpoint with a ValidationException, not a ResourceNotFound.
      if (isValidation(error, /could not find endpoint/i)) return undefined;
      throw controlBackendError(BACKEND, 'DescribeEndpoint', error);
    }
  }
}

/** The traffic weight a variant has now (the desired one while SageMaker has not reported a current one). */
function weightOf(variant: { CurrentWeight?: number; DesiredWeight?: number }): number {
  return variant.CurrentWeight ?? variant.DesiredWeight ?? 0;
}

function toState(model: string, endpoint: DescribeEndpointCommandOutput): ModelControlState {
  const name = endpoint.EndpointName ?? model;
  const variants = endpoint.ProductionVariants ?? [];
  const modified = endpoint.LastModifiedTime;
  if (variants.length === 0 || modified === undefined) {
    const inProgress = IN_PROGRESS.has(endpoint.EndpointStatus ?? '');
    throw new ModelControlBackendError(BACKEND, `DescribeEndpoint ${name}`, inProgress, `the endpoint (${endpoint.EndpointStatus ?? 'no status'}) reports no production variants or no LastModifiedTime`);
  }
  const active = variants.reduce((best, v) => (weightOf(v) > weightOf(best) ? v : best));
  const deployedAt = (endpoint.CreationTime ?? modified).toISOString();
  return {
    model,
    activeVersion: active.VariantName ?? '',
    versions: variants.map((v) => ({ version: v.VariantName ?? '', deployedAt, knownGood: false })),
    killSwitch: false,
    safeMode: false,
    humanReview: false,
    revision: modified.getTime(),
    updatedAt: modified.toISOString(),
    updatedBy: 'sagemaker',
  };
}

/** Throws `ControlNotSupportedError` for every part of the patch other than `activeVersion`. */
function refuseUnsupported(patch: ControlPatch): void {
  if (patch.killSwitch !== undefined) throw new ControlNotSupportedError(BACKEND, 'set a kill switch (keep it in the SSM control document)');
  if (patch.safeMode !== undefined) throw new ControlNotSupportedError(BACKEND, 'switch to safe mode (keep it in the SSM control document)');
  if (patch.humanReview !== undefined) throw new ControlNotSupportedError(BACKEND, 'route to human review (keep it in the SSM control document)');
  if (patch.knownGood !== undefined) throw new ControlNotSupportedError(BACKEND, 'mark versions known-good (keep the marks in the SSM control document)');
}

function isValidation(error: unknown, message: RegExp): boolean {
  return error instanceof Error && error.name === 'ValidationException' && message.test(error.message);
}
