import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb-client';
import { DynamoDbControlWriteLock, DynamoDbModelControlPlane, ModelControlBackendError } from '../../lambdas/adapters/dynamodb-model-control-plane';
import { InvalidInputError } from '../../lambdas/core/errors';
import { ControlPlaneConflictError, UnknownModelVersionError, type ModelControlState } from '../../lambdas/core/model-control';
import { LOCAL_AWS } from '../../local/local-dynamodb';
import { ManualClock } from '../support/signals';
import { useLocalTables } from '../support/local-tables';

function seedState(overrides: Partial<ModelControlState> = {}): ModelControlState {
  return {
    model: 'demo-chat',
    activeVersion: 'v2',
    versions: [
      { version: 'v1', deployedAt: '2026-10-01T09:00:00.000Z', knownGood: true },
      { version: 'v2', deployedAt: '2026-11-20T09:00:00.000Z', knownGood: false },
    ],
    killSwitch: false,
    safeMode: false,
    humanReview: false,
    revision: 0,
    updatedAt: '2026-11-20T09:00:00.000Z',
    updatedBy: 'seed',
    ...overrides,
  };
}

describe('DynamoDbModelControlPlane on dynalite', () => {
  // A fresh table per test, created from the synthesized CDK table definition.
  const tables = useLocalTables('model-control');
  let db: ReturnType<typeof createDocumentClient>;
  let tableName: string;
  let clock: ManualClock;
  let plane: DynamoDbModelControlPlane;

  beforeEach(() => {
    tableName = tables.tableName();
    db = createDocumentClient(new DynamoDBClient({ ...LOCAL_AWS, endpoint: tables.endpoint() }));
    clock = new ManualClock(new Date('2026-11-21T10:03:00.000Z'));
    plane = new DynamoDbModelControlPlane(db, tableName, clock);
  });
  afterEach(() => {
    db.destroy();
  });

  it('seeds a model and reads it back', async () => {
    expect(await plane.seed(seedState())).toEqual({ created: true, state: seedState() });
    expect(await plane.get('demo-chat')).toEqual(seedState());
    const item = await db.get({ TableName: tableName, Key: { PK: 'MODEL#demo-chat', SK: 'CONTROL' } });
    expect(item.Item).toMatchObject({ revision: 0, doc: seedState() });
  });

  it('keeps the stored state when seeding a model that has one', async () => {
    await plane.seed(seedState());
    const { after } = await plane.update('demo-chat', 0, { killSwitch: true }, 'inc-1');
    expect(await plane.seed(seedState())).toEqual({ created: false, state: after });
    expect(await plane.get('demo-chat')).toEqual(after);
  });

  it('rejects a seed that is not a control state with InvalidInputError', async () => {
    await expect(plane.seed({ ...seedState(), versions: [] })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('returns undefined for a model it does not know', async () => {
    expect(await plane.get('no-such-model')).toBeUndefined();
  });

  it('applies a patch and reports the state before and after', async () => {
    await plane.seed(seedState());
    const change = await plane.update('demo-chat', 0, { activeVersion: 'v1', safeMode: true }, 'inc-20261121-5f2a9c1e');
    expect(change).toEqual({
      before: seedState(),
      after: seedState({ activeVersion: 'v1', safeMode: true, revision: 1, updatedAt: '2026-11-21T10:03:00.000Z', updatedBy: 'inc-20261121-5f2a9c1e' }),
    });
    expect(await plane.get('demo-chat')).toEqual(change.after);
    const item = await db.get({ TableName: tableName, Key: { PK: 'MODEL#demo-chat', SK: 'CONTROL' } });
    expect(item.Item!.revision).toBe(1);
  });

  it('undoes a change with a second update from the revision the first returned', async () => {
    await plane.seed(seedState());
    const contain = await plane.update('demo-chat', 0, { killSwitch: true }, 'inc-1');
    const undo = await plane.update('demo-chat', contain.after.revision, { killSwitch: contain.before.killSwitch }, 'U024BE7LH');
    expect(undo.after).toMatchObject({ killSwitch: false, revision: 2, updatedBy: 'U024BE7LH' });
  });

  it('refuses a stale revision with ControlPlaneConflictError and keeps the first writer’s change', async () => {
    await plane.seed(seedState());
    await plane.update('demo-chat', 0, { killSwitch: true }, 'inc-1');
    await expect(plane.update('demo-chat', 0, { safeMode: true }, 'inc-2')).rejects.toBeInstanceOf(ControlPlaneConflictError);
    expect(await plane.get('demo-chat')).toMatchObject({ killSwitch: true, safeMode: false, revision: 1 });
  });

  it('refuses with ControlPlaneConflictError when the revision moves between its read and its write', async () => {
    await plane.seed(seedState());
    // Another writer's conditional put lands after this update read revision 0.
    const racing = new DynamoDbModelControlPlane(
      {
        get: (input: Parameters<typeof db.get>[0]) => db.get(input),
        put: async (input: Parameters<typeof db.put>[0]) => {
          await db.put({ TableName: tableName, Item: { PK: 'MODEL#demo-chat', SK: 'CONTROL', revision: 1, doc: seedState({ revision: 1, humanReview: true }) } });
          return db.put(input);
        },
      } as unknown as typeof db,
      tableName,
      clock,
    );
    await expect(racing.update('demo-chat', 0, { killSwitch: true }, 'inc-1')).rejects.toBeInstanceOf(ControlPlaneConflictError);
    expect(await plane.get('demo-chat')).toMatchObject({ humanReview: true, killSwitch: false, revision: 1 });
  });

  it('refuses an unknown version with UnknownModelVersionError and writes nothing', async () => {
    await plane.seed(seedState());
    await expect(plane.update('demo-chat', 0, { activeVersion: 'v7' }, 'inc-1')).rejects.toBeInstanceOf(UnknownModelVersionError);
    await expect(plane.update('demo-chat', 0, { knownGood: { version: 'v7', good: true } }, 'inc-1')).rejects.toBeInstanceOf(UnknownModelVersionError);
    expect(await plane.get('demo-chat')).toEqual(seedState());
  });

  it('refuses an update of a model it does not know with ControlPlaneConflictError', async () => {
    await expect(plane.update('no-such-model', 0, { killSwitch: true }, 'inc-1')).rejects.toBeInstanceOf(ControlPlaneConflictError);
    expect(await plane.get('no-such-model')).toBeUndefined();
  });

  it('lets exactly one of concurrent updates from the same revision win', async () => {
    await plane.seed(seedState());
    const writers = ['killSwitch', 'safeMode', 'humanReview'] as const;
    const results = await Promise.allSettled(writers.map((field, i) => plane.update('demo-chat', 0, { [field]: true }, `inc-${i}`)));
    const won = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof plane.update>>> => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const lost of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) expect(lost.reason).toBeInstanceOf(ControlPlaneConflictError);
    const stored = (await plane.get('demo-chat'))!;
    expect(stored).toEqual(won[0]!.value.after);
    expect(writers.filter((field) => stored[field])).toHaveLength(1);
  });

  it('rejects a stored document that is not a control state as a permanent ModelControlBackendError', async () => {
    await db.put({ TableName: tableName, Item: { PK: 'MODEL#demo-chat', SK: 'CONTROL', revision: 0, doc: { model: 'demo-chat' } } });
    const error = await plane.get('demo-chat').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelControlBackendError);
    expect(error).toMatchObject({ backend: 'DynamoDB', retryable: false });
    expect((error as Error).message).toContain('activeVersion');
  });

  it('wraps a failing table as a ModelControlBackendError', async () => {
    const missing = new DynamoDbModelControlPlane(db, 'no-such-table', clock);
    await expect(missing.get('demo-chat')).rejects.toMatchObject({ name: 'ModelControlBackendError', backend: 'DynamoDB', operation: 'GetItem' });
  });

  describe('DynamoDbControlWriteLock', () => {
    it('hands the lock to one writer at a time', async () => {
      const lock = new DynamoDbControlWriteLock(db, tableName, { clock, leaseMs: 30_000 });
      const lease = await lock.acquire('support-bot');
      expect(lease.expiresAt.toISOString()).toBe('2026-11-21T10:03:30.000Z');
      await expect(lock.acquire('support-bot')).rejects.toBeInstanceOf(ControlPlaneConflictError);
      expect(await lock.acquire('other-bot')).toBeDefined();
      await lease.release();
      expect(await lock.acquire('support-bot')).toBeDefined();
    });

    it('lets a writer take over a lease that has expired', async () => {
      const lock = new DynamoDbControlWriteLock(db, tableName, { clock, leaseMs: 30_000 });
      await lock.acquire('support-bot');
      clock.set('2026-11-21T10:03:31.000Z');
      const taken = await lock.acquire('support-bot');
      expect(taken.expiresAt.toISOString()).toBe('2026-11-21T10:04:01.000Z');
    });

    it('does not free a lease another writer took over', async () => {
      const lock = new DynamoDbControlWriteLock(db, tableName, { clock, leaseMs: 30_000 });
      const stale = await lock.acquire('support-bot');
      clock.set('2026-11-21T10:03:31.000Z');
      await lock.acquire('support-bot');
      await stale.release();
      await expect(lock.acquire('support-bot')).rejects.toBeInstanceOf(ControlPlaneConflictError);
      const item = await db.get({ TableName: tableName, Key: { PK: 'MODEL#support-bot', SK: 'CONTROL_LOCK' } });
      expect(item.Item!.expiresAt).toBe(Date.parse('2026-11-21T10:04:01.000Z'));
    });

    it('gives the lock to exactly one of many concurrent writers', async () => {
      const lock = new DynamoDbControlWriteLock(db, tableName, { clock });
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => lock.acquire('support-bot')));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    });
  });
});
