import {
  ControlPlaneConflictError,
  UnknownModelVersionError,
  type ControlChange,
  type ControlPatch,
  type ModelControlPlane,
  type ModelControlState,
} from './model-control';

/**
 * A model whose traffic and switches live in two places: a serving backend
 * that can only switch traffic between versions (a SageMaker endpoint's
 * variant weights, a Lambda alias) and a control document that holds the
 * kill switch, safe mode, human review and the known-good marks (the SSM
 * document the serving container or the proxy in front of it reads).
 *
 * - `get` merges them: the versions and the active version from the serving
 *   backend, the switches and known-good marks from the document.
 * - `revision` is the document's: every change Firebreak makes writes the
 *   document (conditional on that revision), so two Firebreak writers
 *   conflict there, whatever they change. A traffic switch additionally
 *   goes to the serving backend, conditional on the revision read from it,
 *   so an out-of-band change of the traffic is refused rather than
 *   overwritten.
 * - Order of a traffic switch: the document first (it records the intended
 *   version and takes the revision), then the backend; if the backend
 *   refuses, the document is put back (conditionally) and the error rethrown.
 *
 * @example
 * const plane = new SplitModelControlPlane(
 *   new SsmModelControlPlane(ssm, { lock }),                  // switches and known-good marks
 *   new SageMakerModelControlPlane(sagemaker, { endpointOf }), // traffic
 * );
 * await plane.update('support-llm', state.revision, { activeVersion: 'v2', killSwitch: false }, 'inc-20261121-5f2a9c1e');
 */
export class SplitModelControlPlane implements ModelControlPlane {
  constructor(
    private readonly document: ModelControlPlane,
    private readonly traffic: ModelControlPlane,
  ) {}

  async get(model: string): Promise<ModelControlState | undefined> {
    const [doc, served] = await Promise.all([this.document.get(model), this.traffic.get(model)]);
    return doc === undefined || served === undefined ? undefined : merge(doc, served);
  }

  async update(model: string, expectedRevision: number, patch: ControlPatch, by: string): Promise<ControlChange> {
    const [doc, served] = await Promise.all([this.document.get(model), this.traffic.get(model)]);
    if (doc === undefined || served === undefined || doc.revision !== expectedRevision) throw new ControlPlaneConflictError(model);
    const before = merge(doc, served);
    const known = new Set(served.versions.map((v) => v.version));
    for (const version of [patch.activeVersion, patch.knownGood?.version]) {
      if (version !== undefined && !known.has(version)) throw new UnknownModelVersionError(model, version);
    }
    const switchesTraffic = patch.activeVersion !== undefined && patch.activeVersion !== served.activeVersion;
    const docPatch: ControlPatch = {
      ...(patch.killSwitch === undefined ? {} : { killSwitch: patch.killSwitch }),
      ...(patch.safeMode === undefined ? {} : { safeMode: patch.safeMode }),
      ...(patch.humanReview === undefined ? {} : { humanReview: patch.humanReview }),
      ...(patch.knownGood === undefined || !doc.versions.some((v) => v.version === patch.knownGood?.version) ? {} : { knownGood: patch.knownGood }),
      // The document records the version that serves, when it lists it.
      ...(switchesTraffic && doc.versions.some((v) => v.version === patch.activeVersion) ? { activeVersion: patch.activeVersion } : {}),
    };
    const docChange = await this.document.update(model, doc.revision, docPatch, by);
    if (!switchesTraffic) return { before, after: merge(docChange.after, served) };
    try {
      const trafficChange = await this.traffic.update(model, served.revision, { activeVersion: patch.activeVersion }, by);
      return { before, after: merge(docChange.after, trafficChange.after) };
    } catch (error) {
      await this.restoreDocument(model, docChange, doc, by, error);
      throw error;
    }
  }

  /** Puts the document back after the serving backend refused the traffic switch (only if nobody changed it since). */
  private async restoreDocument(model: string, change: ControlChange, previous: ModelControlState, by: string, failure: unknown): Promise<void> {
    const restore: ControlPatch = {
      activeVersion: previous.activeVersion,
      killSwitch: previous.killSwitch,
      safeMode: previous.safeMode,
      humanReview: previous.humanReview,
    };
    try {
      await this.document.update(model, change.after.revision, restore, `${by} (undone: the traffic switch failed)`);
    } catch (restoreError) {
      // Both failures travel on: the document may now name a version that does not serve.
      throw new ControlPlaneConflictError(model, {
        cause: new AggregateError([failure, restoreError], 'the traffic switch failed and the control document could not be put back'),
      });
    }
  }
}

/** The merged state: versions and traffic from the serving backend, switches and marks from the document. */
function merge(doc: ModelControlState, served: ModelControlState): ModelControlState {
  const marks = new Map(doc.versions.map((v) => [v.version, v.knownGood]));
  return {
    model: doc.model,
    activeVersion: served.activeVersion,
    versions: served.versions.map((v) => ({ ...v, knownGood: marks.get(v.version) ?? false })),
    killSwitch: doc.killSwitch,
    safeMode: doc.safeMode,
    humanReview: doc.humanReview,
    revision: doc.revision,
    updatedAt: doc.updatedAt > served.updatedAt ? doc.updatedAt : served.updatedAt,
    updatedBy: doc.updatedAt >= served.updatedAt ? doc.updatedBy : served.updatedBy,
  };
}
