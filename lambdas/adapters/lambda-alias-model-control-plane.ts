import { createHash } from 'node:crypto';
import { GetAliasCommand, ListVersionsByFunctionCommand, UpdateAliasCommand, type AliasConfiguration, type FunctionConfiguration, type LambdaClient } from '@aws-sdk/client-lambda';
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

const BACKEND = 'Lambda alias';
const DESCRIPTION = /^Firebreak: (.+) at (\d{4}-\d{2}-\d{2}T[0-9:.]+Z)$/;

/** Options of {@link LambdaAliasModelControlPlane}. */
export interface LambdaAliasModelControlPlaneOptions {
  /**
   * The alias the model's callers invoke.
   * @default 'live'
   */
  readonly alias?: string;
  /**
   * The function that serves a model (name or ARN).
   * @default the model name is the function name
   */
  readonly functionOf?: (model: string) => string;
  /** @default the system clock */
  readonly clock?: Clock;
}

/**
 * `ModelControlPlane` for a model served by a Lambda function: the model is
 * an alias of the function (`live` by default), its versions are the
 * function's published versions (`ListVersionsByFunction`, oldest first,
 * `$LATEST` left out unless the alias points at it), and `activeVersion` is
 * the alias's `FunctionVersion`.
 *
 * `update` changes `activeVersion` only, with `UpdateAlias`: it points the
 * alias at the version and removes any weighted routing
 * (`AdditionalVersionWeights`), so a rollback also ends a canary of the bad
 * version. Kill switch, safe mode, human review and known-good marks throw
 * `ControlNotSupportedError` (keep them in an SSM control document); every
 * version reads `knownGood: false`.
 *
 * **Conditional writes.** Lambda has a real compare-and-set: UpdateAlias
 * with the `RevisionId` read by GetAlias fails with
 * `PreconditionFailedException` when the alias changed since, mapped to
 * `ControlPlaneConflictError`. The state's integer `revision` is derived
 * from the alias's `RevisionId` (the first 52 bits of its SHA-256), so a
 * stale `expectedRevision` is refused before any write. No residual race
 * beyond a 2^-52 hash collision.
 *
 * The alias description records the last change Firebreak made
 * (`Firebreak: <by> at <ISO time>`), which `get` reads back as `updatedBy`
 * and `updatedAt`; an alias never changed by Firebreak reads
 * `updatedBy: 'unknown'`, `updatedAt: ''` (Lambda keeps no modification time
 * for an alias).
 *
 * @example
 * const plane = new LambdaAliasModelControlPlane(new LambdaClient({}), { alias: 'live' });
 * const state = await plane.get('support-bot');           // function "support-bot", alias "live"
 * await plane.update('support-bot', state!.revision, { activeVersion: '7' }, 'inc-20261121-5f2a9c1e');
 */
export class LambdaAliasModelControlPlane implements ModelControlPlane {
  private readonly alias: string;
  private readonly functionOf: (model: string) => string;
  private readonly clock: Clock;

  constructor(
    private readonly lambda: LambdaClient,
    options: LambdaAliasModelControlPlaneOptions = {},
  ) {
    this.alias = options.alias ?? 'live';
    this.functionOf = options.functionOf ?? ((model) => model);
    this.clock = options.clock ?? systemClock;
  }

  async get(model: string): Promise<ModelControlState | undefined> {
    return (await this.read(model))?.state;
  }

  async update(model: string, expectedRevision: number, patch: ControlPatch, by: string): Promise<ControlChange> {
    refuseUnsupported(patch);
    const current = await this.read(model);
    if (current === undefined || current.state.revision !== expectedRevision) throw new ControlPlaneConflictError(model);
    const before = current.state;
    const now = this.clock.now();
    const after = applyControlPatch(before, patch, by, now);
    let updated: AliasConfiguration;
    try {
      updated = await this.lambda.send(
        new UpdateAliasCommand({
          FunctionName: this.functionOf(model),
          Name: this.alias,
          FunctionVersion: after.activeVersion,
          RevisionId: current.revisionId,
          RoutingConfig: { AdditionalVersionWeights: {} },
          Description: `Firebreak: ${by.slice(0, 200)} at ${now.toISOString()}`,
        }),
      );
    } catch (error) {
      // PreconditionFailed: the alias changed after our read. ResourceConflict: another operation on it is under way.
      // ResourceNotFound: the alias, or the version, is gone since we listed them. All: read again.
      if (error instanceof Error && ['PreconditionFailedException', 'ResourceConflictException', 'ResourceNotFoundException'].includes(error.name)) {
        throw new ControlPlaneConflictError(model, { cause: error });
      }
      throw controlBackendError(BACKEND, 'UpdateAlias', error);
    }
    if (updated.RevisionId === undefined) throw new ModelControlBackendError(BACKEND, 'UpdateAlias', false, 'the answer has no RevisionId');
    return { before, after: { ...after, activeVersion: updated.FunctionVersion ?? after.activeVersion, revision: revisionOf(updated.RevisionId) } };
  }

  private async read(model: string): Promise<{ state: ModelControlState; revisionId: string } | undefined> {
    const functionName = this.functionOf(model);
    let alias: AliasConfiguration;
    try {
      alias = await this.lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: this.alias }));
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
      throw controlBackendError(BACKEND, 'GetAlias', error);
    }
    if (alias.FunctionVersion === undefined || alias.RevisionId === undefined) {
      throw new ModelControlBackendError(BACKEND, `GetAlias ${functionName}:${this.alias}`, false, 'the answer has no FunctionVersion or RevisionId');
    }
    const all = await this.listVersions(functionName);
    if (all === undefined) return undefined;
    const versions = all.filter((v) => v.Version !== '$LATEST' || v.Version === alias.FunctionVersion).sort((a, b) => order(a.Version) - order(b.Version));
    const changed = DESCRIPTION.exec(alias.Description ?? '');
    return {
      revisionId: alias.RevisionId,
      state: {
        model,
        activeVersion: alias.FunctionVersion,
        versions: versions.map((v) => ({ version: v.Version ?? '', deployedAt: isoTime(v.LastModified), knownGood: false })),
        killSwitch: false,
        safeMode: false,
        humanReview: false,
        revision: revisionOf(alias.RevisionId),
        updatedAt: changed?.[2] ?? '',
        updatedBy: changed?.[1] ?? 'unknown',
      },
    };
  }

  /** Every version of the function, or undefined when the function is gone (deleted since GetAlias). */
  private async listVersions(functionName: string): Promise<FunctionConfiguration[] | undefined> {
    const versions: FunctionConfiguration[] = [];
    let Marker: string | undefined;
    do {
      let page;
      try {
        page = await this.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: functionName, Marker, MaxItems: 50 }));
      } catch (error) {
        if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
        throw controlBackendError(BACKEND, 'ListVersionsByFunction', error);
      }
      versions.push(...(page.Versions ?? []));
      Marker = page.NextMarker;
    } while (Marker !== undefined && Marker !== '');
    return versions;
  }
}

/**
 * The integer revision of an alias `RevisionId` (an opaque string): the first
 * 52 bits of its SHA-256, a safe integer.
 *
 * @example
 * revisionOf('6f3a0c4e-2b8d-4c1e-9d7a-1b2c3d4e5f60') // => a number below 2^52
 */
export function revisionOf(revisionId: string): number {
  return Number.parseInt(createHash('sha256').update(revisionId).digest('hex').slice(0, 13), 16);
}

/** Published versions are numbered in publication order; `$LATEST` sorts last. */
function order(version: string | undefined): number {
  const n = Number(version);
  return Number.isInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/** Lambda's `LastModified` (`2026-11-21T10:00:00.000+0000`) as ISO 8601 UTC; kept as is if it does not parse. */
function isoTime(value: string | undefined): string {
  if (value === undefined) return '';
  const parsed = new Date(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(parsed.getTime()) ? value : parsed.toISOString();
}

/** Throws `ControlNotSupportedError` for every part of the patch other than `activeVersion`. */
function refuseUnsupported(patch: ControlPatch): void {
  if (patch.killSwitch !== undefined) throw new ControlNotSupportedError(BACKEND, 'set a kill switch (keep it in an SSM control document)');
  if (patch.safeMode !== undefined) throw new ControlNotSupportedError(BACKEND, 'switch to safe mode (keep it in an SSM control document)');
  if (patch.humanReview !== undefined) throw new ControlNotSupportedError(BACKEND, 'route to human review (keep it in an SSM control document)');
  if (patch.knownGood !== undefined) throw new ControlNotSupportedError(BACKEND, 'mark versions known-good (keep the marks in an SSM control document)');
}
