import { randomUUID } from 'node:crypto';
import type { DynamoDbDocuments } from './dynamodb-documents';
import { toInputIssues } from '../core/alerts/zod-issues';
import { FirebreakError, InvalidInputError } from '../core/errors';
import {
  ControlPlaneConflictError,
  ModelControlStateSchema,
  applyControlPatch,
  type ControlChange,
  type ControlPatch,
  type ModelControlPlane,
  type ModelControlState,
} from '../core/model-control';
import { systemClock, type Clock } from '../core/ports';
import { isConditionalCheckFailure } from './dynamodb-errors';
import type { ControlWriteLease, ControlWriteLock } from './ssm-model-control-plane';

/**
 * A model control plane's backing service failed (throttled, unavailable,
 * access denied, or it holds a document that is not a control state).
 * `retryable` says whether trying again later can help: throttling, 5xx and
 * network errors are; 4xx and a malformed stored document are not.
 *
 * Shared by every control-plane adapter.
 *
 * @example
 * throw new ModelControlBackendError('SSM', 'GetParameter', true, 'Rate exceeded', { cause: error });
 */
export class ModelControlBackendError extends FirebreakError {
  constructor(
    readonly backend: string,
    readonly operation: string,
    readonly retryable: boolean,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${backend} ${operation} failed (${detail})`, options);
  }
}

/** Error names of AWS services that mean "slow down", whatever the HTTP status. */
const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException', 'RequestThrottled', 'SlowDown']);

/**
 * Wraps an SDK error from a control-plane backend into a
 * `ModelControlBackendError`, classifying it: throttling, server faults and
 * errors without an HTTP answer (network, timeout) are retryable.
 *
 * @example
 * catch (error) { throw controlBackendError('SageMaker', 'DescribeEndpoint', error); }
 */
export function controlBackendError(backend: string, operation: string, error: unknown): ModelControlBackendError {
  const shaped = (error ?? {}) as { name?: string; message?: string; $fault?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = shaped.$metadata?.httpStatusCode;
  const retryable = shaped.$retryable !== undefined || shaped.$fault === 'server' || THROTTLING.has(shaped.name ?? '') || status === undefined || status >= 500;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new ModelControlBackendError(backend, operation, retryable, detail, { cause: error });
}

/**
 * Parses a stored control document; a document that is not a control state
 * is a permanent backend error naming where it came from and what is wrong.
 *
 * @example
 * const state = parseStoredControlState('SSM', 'GetParameter /firebreak/models/demo/control', JSON.parse(value));
 */
export function parseStoredControlState(backend: string, where: string, document: unknown): ModelControlState {
  const parsed = ModelControlStateSchema.safeParse(document);
  if (parsed.success) return parsed.data;
  const invalid = new InvalidInputError(`stored control state (${where})`, toInputIssues(parsed.error), { cause: parsed.error });
  throw new ModelControlBackendError(backend, where, false, invalid.message, { cause: invalid });
}

/** Validates a state handed to `seed`: bad input is the caller's mistake, an `InvalidInputError`. */
export function validateSeedState(state: ModelControlState): ModelControlState {
  const parsed = ModelControlStateSchema.safeParse(state);
  if (!parsed.success) throw new InvalidInputError('model control state', toInputIssues(parsed.error), { cause: parsed.error });
  return parsed.data;
}

/** What `seed` did: `created` false when the model was there already (its stored state is returned, untouched). */
export interface SeedResult {
  readonly created: boolean;
  readonly state: ModelControlState;
}

const modelPk = (model: string): string => `MODEL#${model}`;
const CONTROL_SK = 'CONTROL';
const LOCK_SK = 'CONTROL_LOCK';

/**
 * `ModelControlPlane` on the incident table: the embedded target's control
 * plane, and the one the demo model reads to decide which version serves and
 * whether to refuse, degrade or hold responses.
 *
 * | item | PK | SK | attributes |
 * |---|---|---|---|
 * | control state | `MODEL#<model>` | `CONTROL` | `doc` (the `ModelControlState`), `revision` |
 * | SSM write lock (see {@link DynamoDbControlWriteLock}) | `MODEL#<model>` | `CONTROL_LOCK` | `owner`, `expiresAt` |
 *
 * Every change is a conditional put on `revision = :expected`: of two
 * writers that read the same revision exactly one succeeds, the other gets
 * `ControlPlaneConflictError` (no lost update, no residual race). Reads are
 * strongly consistent.
 *
 * @example
 * const plane = new DynamoDbModelControlPlane(createDocumentClient(), process.env.TABLE_NAME!);
 * await plane.seed(demoModelState);
 * const state = await plane.get('demo-chat');
 * const { before, after } = await plane.update('demo-chat', state!.revision, { killSwitch: true }, 'inc-20261121-5f2a9c1e');
 */
export class DynamoDbModelControlPlane implements ModelControlPlane {
  constructor(
    private readonly db: DynamoDbDocuments,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async get(model: string): Promise<ModelControlState | undefined> {
    const out = await this.call('GetItem', () => this.db.get({ TableName: this.tableName, Key: { PK: modelPk(model), SK: CONTROL_SK }, ConsistentRead: true }));
    if (out.Item === undefined) return undefined;
    return parseStoredControlState('DynamoDB', `GetItem ${modelPk(model)}/${CONTROL_SK}`, out.Item.doc);
  }

  async update(model: string, expectedRevision: number, patch: ControlPatch, by: string): Promise<ControlChange> {
    const before = await this.get(model);
    // Gone, or changed since the caller read it: nothing is written either way.
    if (before === undefined || before.revision !== expectedRevision) throw new ControlPlaneConflictError(model);
    const after = applyControlPatch(before, patch, by, this.clock.now());
    try {
      await this.db.put({
        TableName: this.tableName,
        Item: { PK: modelPk(model), SK: CONTROL_SK, revision: after.revision, doc: after },
        ConditionExpression: 'revision = :expected',
        ExpressionAttributeValues: { ':expected': expectedRevision },
      });
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw new ControlPlaneConflictError(model, { cause: error });
      throw controlBackendError('DynamoDB', 'PutItem', error);
    }
    return { before, after };
  }

  /**
   * Stores `state` for its model unless the model has a state already (a
   * conditional put on absence): start-up of the embedded target and the
   * demo model call it every time without undoing changes made since.
   *
   * @example
   * const { created, state } = await plane.seed({ model: 'demo-chat', activeVersion: 'v2', versions, killSwitch: false, safeMode: false, humanReview: false, revision: 0, updatedAt: now, updatedBy: 'seed' });
   */
  async seed(state: ModelControlState): Promise<SeedResult> {
    const valid = validateSeedState(state);
    try {
      await this.db.put({
        TableName: this.tableName,
        Item: { PK: modelPk(valid.model), SK: CONTROL_SK, revision: valid.revision, doc: valid },
        ConditionExpression: 'attribute_not_exists(PK)',
      });
      return { created: true, state: valid };
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw controlBackendError('DynamoDB', 'PutItem', error);
    }
    const existing = await this.get(valid.model);
    // Seen by the put, gone by the read: a concurrent delete; the caller may seed again.
    if (existing === undefined) throw new ControlPlaneConflictError(valid.model);
    return { created: false, state: existing };
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw controlBackendError('DynamoDB', operation, error);
    }
  }
}

/** Options of {@link DynamoDbControlWriteLock}. */
export interface DynamoDbControlWriteLockOptions {
  /**
   * How long a lease lasts. A holder that crashed blocks writers of its model
   * for at most this long.
   * @default 30 s
   */
  readonly leaseMs?: number;
  /** @default the system clock */
  readonly clock?: Clock;
}

/**
 * A `ControlWriteLock` on the incident table: a lease item
 * `MODEL#<model>` / `CONTROL_LOCK`, taken by a conditional put that succeeds
 * when no lease exists or the existing one has expired, and released by a
 * delete conditional on the owner token. It serialises Firebreak's writers of
 * a backend that has no compare-and-set of its own (SSM Parameter Store), as
 * Terraform's DynamoDB lock table does for its S3 state.
 *
 * Limits: expiry is judged by the writers' clocks (NTP-synchronised on
 * Lambda); a lease is not a fencing token — the guarded backend cannot check
 * it — so a holder stalled past its lease can still write after another
 * writer took over. `SsmModelControlPlane` refuses to start its write when
 * the lease is close to running out and detects what slips through.
 *
 * @example
 * const lock = new DynamoDbControlWriteLock(createDocumentClient(), process.env.TABLE_NAME!, { leaseMs: 30_000 });
 * const plane = new SsmModelControlPlane(new SSMClient({}), { lock });
 */
export class DynamoDbControlWriteLock implements ControlWriteLock {
  private readonly leaseMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly db: DynamoDbDocuments,
    private readonly tableName: string,
    options: DynamoDbControlWriteLockOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.clock = options.clock ?? systemClock;
  }

  async acquire(model: string): Promise<ControlWriteLease> {
    const now = this.clock.now().getTime();
    const owner = randomUUID();
    const expiresAt = now + this.leaseMs;
    try {
      await this.db.put({
        TableName: this.tableName,
        Item: { PK: modelPk(model), SK: LOCK_SK, owner, expiresAt, expiresAtIso: new Date(expiresAt).toISOString() },
        ConditionExpression: 'attribute_not_exists(PK) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': now },
      });
    } catch (error) {
      // Held by another writer, who is about to change the revision: the caller re-reads and retries.
      if (isConditionalCheckFailure(error)) throw new ControlPlaneConflictError(model, { cause: error });
      throw controlBackendError('DynamoDB', 'PutItem', error);
    }
    return {
      expiresAt: new Date(expiresAt),
      release: async () => {
        try {
          await this.db.delete({
            TableName: this.tableName,
            Key: { PK: modelPk(model), SK: LOCK_SK },
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': owner },
          });
        } catch (error) {
          // Expired and taken over by another writer: that lease is not ours to free.
          if (!isConditionalCheckFailure(error)) throw controlBackendError('DynamoDB', 'DeleteItem', error);
        }
      },
    };
  }
}
