import { GetParameterCommand, PutParameterCommand, type ParameterTier, type SSMClient } from '@aws-sdk/client-ssm';
import { InvalidInputError } from '../core/errors';
import { ControlPlaneConflictError, applyControlPatch, type ControlChange, type ControlPatch, type ModelControlPlane, type ModelControlState } from '../core/model-control';
import { systemClock, type Clock } from '../core/ports';
import { ModelControlBackendError, controlBackendError, parseStoredControlState, validateSeedState, type SeedResult } from './dynamodb-model-control-plane';
import { logger } from './logger';

/** A held write lock on one model's control document; a writer must not start a write after `expiresAt`. */
export interface ControlWriteLease {
  readonly expiresAt: Date;
  /** Frees the lock (a no-op when the lease has expired and someone else holds it now). */
  release(): Promise<void>;
}

/**
 * Serialises Firebreak's writers of a control plane that has no
 * compare-and-set of its own. `acquire` throws `ControlPlaneConflictError`
 * when another writer holds the lock: it is about to change the revision, so
 * the caller re-reads and retries.
 */
export interface ControlWriteLock {
  acquire(model: string): Promise<ControlWriteLease>;
}

/**
 * A `ControlWriteLock` inside one process (the embedded target, the CLI,
 * tests). Useless across Lambda instances: use `DynamoDbControlWriteLock`
 * there.
 *
 * @example
 * const plane = new SsmModelControlPlane(ssm, { lock: new InProcessControlWriteLock() });
 */
export class InProcessControlWriteLock implements ControlWriteLock {
  private readonly held = new Set<string>();

  async acquire(model: string): Promise<ControlWriteLease> {
    if (this.held.has(model)) throw new ControlPlaneConflictError(model);
    this.held.add(model);
    let released = false;
    return {
      // Never expires: a holder in this process cannot outlive itself.
      expiresAt: new Date(8.64e15),
      release: async () => {
        if (released) return;
        released = true;
        this.held.delete(model);
      },
    };
  }
}

/** Options of {@link SsmModelControlPlane}. */
export interface SsmModelControlPlaneOptions {
  /** Serialises Firebreak's writers (see the class comment): `DynamoDbControlWriteLock` on AWS. */
  readonly lock: ControlWriteLock;
  /**
   * Parameter path prefix; a model's document is `<prefix>/<model>/control`.
   * @default '/firebreak/models'
   */
  readonly prefix?: string;
  /**
   * Tier sent with every PutParameter. Standard holds 4 KB (a document with a
   * few dozen versions); Advanced, 8 KB. Left out, SSM uses the account's
   * default tier.
   * @default undefined
   */
  readonly tier?: ParameterTier;
  /**
   * A write is not started when less than this is left of the lease: time
   * for PutParameter to answer before another writer may take over.
   * @default 10 000 ms
   */
  readonly minLeaseRemainingMs?: number;
  /** @default the system clock */
  readonly clock?: Clock;
}

const MODEL_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * `ModelControlPlane` on SSM Parameter Store: one JSON document per model
 * (`/firebreak/models/<model>/control`, a `String` parameter) that the
 * serving application reads. Documents are validated with
 * `ModelControlStateSchema` on every read. The state's `revision` is the
 * parameter's version: SSM numbers every write of a parameter, one after the
 * other, and GetParameter reports the version it returned.
 *
 * **Conditional writes.** PutParameter has no compare-and-set: with
 * `Overwrite` it replaces whatever is there, and parameter labels move
 * silently from version to version, so neither can refuse a stale write.
 * What SSM does give is the version each PutParameter produced. An update:
 *
 * 1. takes the model's {@link ControlWriteLock} (on AWS a lease item in the
 *    incident table, `DynamoDbControlWriteLock`), so Firebreak's writers go
 *    one at a time; a held lock is a `ControlPlaneConflictError`;
 * 2. reads the parameter; its version must be `expectedRevision`, else
 *    `ControlPlaneConflictError` and nothing is written;
 * 3. refuses to write when less than `minLeaseRemainingMs` is left of the lease;
 * 4. puts the patched document, which carries `revision` = read version + 1;
 * 5. checks the version the put returned. Read version + 1 means no one wrote
 *    in between: done. Anything higher means another write landed between the
 *    read and the put and was overwritten; unless a still later write exists,
 *    the adapter puts the overwritten document back (read by version,
 *    `name:<n>`), and it throws `ControlPlaneConflictError` either way, saying
 *    what it found and did in the `cause`.
 *
 * **Residual races**, which SSM cannot close:
 * - writers that do not take the lock (the console, the CLI, CloudFormation)
 *   can land between step 2 and step 4: detected in step 5 and undone, but the
 *   serving application may read the overwriting document in the
 *   milliseconds before the restore, and a write landing between the restore's
 *   check and its put is overwritten by the restore — reported in the
 *   `cause` when it shows in the version numbers, not repaired;
 * - a holder that stalls past its lease after step 3 (PutParameter slower
 *   than `minLeaseRemainingMs`) can write after the next holder read: the
 *   writer that comes second detects it and restores the first one's
 *   document. Only a stall past the lease *and* a third writer between that
 *   restore's check and its put can lose a Firebreak change silently.
 *
 * For a true compare-and-set, keep the state in `DynamoDbModelControlPlane`
 * and have the serving application read it there; SSM is for applications
 * that already read their configuration from Parameter Store.
 *
 * @example
 * const plane = new SsmModelControlPlane(new SSMClient({}), {
 *   lock: new DynamoDbControlWriteLock(createDocumentClient(), process.env.TABLE_NAME!),
 * });
 * const state = await plane.get('support-bot');
 * await plane.update('support-bot', state!.revision, { safeMode: true }, 'inc-20261121-5f2a9c1e');
 */
export class SsmModelControlPlane implements ModelControlPlane {
  private readonly prefix: string;
  private readonly clock: Clock;
  private readonly minLeaseRemainingMs: number;

  constructor(
    private readonly ssm: SSMClient,
    private readonly options: SsmModelControlPlaneOptions,
  ) {
    this.prefix = (options.prefix ?? '/firebreak/models').replace(/\/+$/, '');
    this.clock = options.clock ?? systemClock;
    this.minLeaseRemainingMs = options.minLeaseRemainingMs ?? 10_000;
  }

  /**
   * The parameter holding a model's document.
   *
   * @example
   * plane.parameterName('support-bot') // => '/firebreak/models/support-bot/control'
   */
  parameterName(model: string): string {
    if (!MODEL_NAME.test(model)) {
      throw new InvalidInputError('model name', [{ path: 'model', message: `expected letters, digits, "_", "." or "-" (an SSM parameter name segment), got ${JSON.stringify(model)}` }]);
    }
    return `${this.prefix}/${model}/control`;
  }

  async get(model: string): Promise<ModelControlState | undefined> {
    return (await this.read(model, this.parameterName(model)))?.state;
  }

  async update(model: string, expectedRevision: number, patch: ControlPatch, by: string): Promise<ControlChange> {
    const name = this.parameterName(model);
    const lease = await this.options.lock.acquire(model);
    try {
      const current = await this.read(model, name);
      if (current === undefined || current.version !== expectedRevision) throw new ControlPlaneConflictError(model);
      const before = current.state;
      const after = applyControlPatch(before, patch, by, this.clock.now());
      const left = lease.expiresAt.getTime() - this.clock.now().getTime();
      if (left < this.minLeaseRemainingMs) {
        throw new ControlPlaneConflictError(model, { cause: new Error(`the write lock has ${Math.max(left, 0)} ms left, under the ${this.minLeaseRemainingMs} ms a write needs; nothing was written`) });
      }
      const written = await this.put(name, after, true);
      if (written === after.revision) return { before, after };
      throw new ControlPlaneConflictError(model, { cause: await this.undoOverwrite(name, current.version, written) });
    } finally {
      await lease.release().catch((error: unknown) => {
        // The change (or the error above) stands; an unreleased lease frees itself when it expires.
        logger.warn('could not release the control write lock', { model, error });
      });
    }
  }

  /**
   * Creates the model's parameter with `state` unless it exists (PutParameter
   * without `Overwrite`, which SSM refuses with `ParameterAlreadyExists`: an
   * atomic create-if-absent). The stored revision is the new parameter's
   * version.
   *
   * @example
   * const { created, state } = await plane.seed({ ...initialState, revision: 1 });
   */
  async seed(state: ModelControlState): Promise<SeedResult> {
    const valid = validateSeedState(state);
    const name = this.parameterName(valid.model);
    try {
      // A new parameter's first version is 1; the document says so too.
      const version = await this.put(name, { ...valid, revision: 1 }, false);
      return { created: true, state: { ...valid, revision: version } };
    } catch (error) {
      const cause = error instanceof ModelControlBackendError ? error.cause : undefined;
      if (!(cause instanceof Error && cause.name === 'ParameterAlreadyExists')) throw error;
    }
    const existing = await this.read(valid.model, name);
    if (existing === undefined) throw new ControlPlaneConflictError(valid.model);
    return { created: false, state: existing.state };
  }

  /**
   * Someone wrote versions `read + 1 … written - 1` between our read and our
   * put, and our put overwrote the last of them: put that one back, unless
   * a later write has superseded ours already. Returns what happened, for the
   * conflict's `cause`.
   */
  private async undoOverwrite(name: string, read: number, written: number): Promise<Error> {
    const overwritten = written - 1;
    const what = `${name}: ${overwritten === read + 1 ? `version ${overwritten} was` : `versions ${read + 1}–${overwritten} were`} written by someone else between the read of version ${read} and this write (version ${written})`;
    try {
      const latest = await this.send('GetParameter', () => this.ssm.send(new GetParameterCommand({ Name: name })));
      const latestVersion = latest.Parameter?.Version;
      if (latestVersion !== written) return new Error(`${what}; version ${latestVersion} has been written since and supersedes it, so nothing was put back`);
      const previous = await this.send('GetParameter', () => this.ssm.send(new GetParameterCommand({ Name: `${name}:${overwritten}` })));
      const value = previous.Parameter?.Value;
      if (value === undefined) throw new Error(`GetParameter ${name}:${overwritten} returned no value`);
      const restored = await this.send('PutParameter', async () => (await this.ssm.send(new PutParameterCommand({ ...this.putBase(name, value), Overwrite: true }))).Version);
      const meanwhile = restored === written + 1 ? '' : `; versions ${written + 1}–${(restored ?? written + 1) - 1} were written during the restore and are not repaired`;
      return new Error(`${what}; version ${overwritten}'s document was put back as version ${restored}${meanwhile}`);
    } catch (error) {
      return new Error(`${what}, and putting version ${overwritten} back failed: ${error instanceof Error ? error.message : String(error)}; the parameter holds this write`, { cause: error });
    }
  }

  private async read(model: string, name: string): Promise<{ state: ModelControlState; version: number } | undefined> {
    let parameter;
    try {
      parameter = (await this.ssm.send(new GetParameterCommand({ Name: name }))).Parameter;
    } catch (error) {
      if (error instanceof Error && error.name === 'ParameterNotFound') return undefined;
      throw controlBackendError('SSM', 'GetParameter', error);
    }
    const where = `GetParameter ${name}`;
    if (parameter?.Value === undefined || parameter.Version === undefined) {
      throw new ModelControlBackendError('SSM', where, false, 'the answer has no Value or Version');
    }
    let document: unknown;
    try {
      document = JSON.parse(parameter.Value);
    } catch (error) {
      throw new ModelControlBackendError('SSM', where, false, `the value is not JSON: ${(error as Error).message}`, { cause: error });
    }
    const state = parseStoredControlState('SSM', where, document);
    if (state.model !== model) throw new ModelControlBackendError('SSM', where, false, `the document is for model ${JSON.stringify(state.model)}`);
    // The parameter's version is the revision; the document's own field is what the writer expected it to be.
    return { state: { ...state, revision: parameter.Version }, version: parameter.Version };
  }

  /** Puts a document and returns the version SSM gave it. */
  private async put(name: string, state: ModelControlState, overwrite: boolean): Promise<number> {
    const out = await this.send('PutParameter', () => this.ssm.send(new PutParameterCommand({ ...this.putBase(name, JSON.stringify(state)), Overwrite: overwrite })));
    if (out.Version === undefined) throw new ModelControlBackendError('SSM', 'PutParameter', false, 'the answer has no Version');
    return out.Version;
  }

  private putBase(name: string, value: string): { Name: string; Value: string; Type: 'String'; Tier?: ParameterTier } {
    return { Name: name, Value: value, Type: 'String', ...(this.options.tier === undefined ? {} : { Tier: this.options.tier }) };
  }

  private async send<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw controlBackendError('SSM', operation, error);
    }
  }
}
