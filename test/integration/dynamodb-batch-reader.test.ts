import { DynamoDbBatchReader } from '../../lambdas/adapters/dynamodb-batch-reader';
import { DynamoDbIncidentStore } from '../../lambdas/adapters/dynamodb-incident-store';
import { DynamoDbSignalInbox } from '../../lambdas/adapters/dynamodb-signal-inbox';
import { recordSignal } from '../../lambdas/core/record-signal';
import { makeSignal, ManualClock } from '../support/signals';
import { countingClient, useLocalTables } from '../support/local-tables';

describe('DynamoDbBatchReader on dynalite', () => {
  const tables = useLocalTables('batch-reader');

  it('answers reads asked for in the same turn with one BatchGetItem, each caller its own item', async () => {
    const { db, operations } = countingClient(tables.endpoint());
    await db.put({ TableName: tables.tableName(), Item: { PK: 'A', SK: '1', value: 'a' } });
    await db.put({ TableName: tables.tableName(), Item: { PK: 'B', SK: '1', value: 'b' } });
    operations.length = 0;
    const reader = new DynamoDbBatchReader(db, tables.tableName());
    const [a, b, missing] = await Promise.all([reader.get({ PK: 'A', SK: '1' }), reader.get({ PK: 'B', SK: '1' }), reader.get({ PK: 'C', SK: '1' })]);
    expect(a).toEqual({ PK: 'A', SK: '1', value: 'a' });
    expect(b).toEqual({ PK: 'B', SK: '1', value: 'b' });
    expect(missing).toBeUndefined();
    expect(operations).toEqual(['BatchGet']);
    db.destroy();
  });

  it('reads a key asked for twice in one turn once and gives it to both callers', async () => {
    const { db, operations } = countingClient(tables.endpoint());
    await db.put({ TableName: tables.tableName(), Item: { PK: 'A', SK: '1', value: 'a' } });
    operations.length = 0;
    const reader = new DynamoDbBatchReader(db, tables.tableName());
    const [first, second] = await Promise.all([reader.get({ PK: 'A', SK: '1' }), reader.get({ PK: 'A', SK: '1' })]);
    expect(first).toEqual({ PK: 'A', SK: '1', value: 'a' });
    expect(second).toEqual(first);
    expect(operations).toEqual(['Get']);
    db.destroy();
  });

  it('sees a write that completed before the read was asked for (strongly consistent)', async () => {
    const { db } = countingClient(tables.endpoint());
    const reader = new DynamoDbBatchReader(db, tables.tableName());
    for (let i = 0; i < 5; i += 1) {
      await db.put({ TableName: tables.tableName(), Item: { PK: 'A', SK: '1', n: i } });
      const [item] = await Promise.all([reader.get({ PK: 'A', SK: '1' }), reader.get({ PK: 'other', SK: '1' })]);
      expect(item?.n).toBe(i);
    }
    db.destroy();
  });

  it('fails only the caller whose key the service rejects and answers the others', async () => {
    const { db } = countingClient(tables.endpoint());
    await db.put({ TableName: tables.tableName(), Item: { PK: 'A', SK: '1', value: 'a' } });
    const reader = new DynamoDbBatchReader(db, tables.tableName());
    const [good, bad] = await Promise.allSettled([reader.get({ PK: 'A', SK: '1' }), reader.get({ PK: '', SK: '1' })]);
    expect(good).toEqual({ status: 'fulfilled', value: { PK: 'A', SK: '1', value: 'a' } });
    expect(bad.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason).toMatchObject({ name: 'ValidationException' });
    db.destroy();
  });

  it('splits more than 100 keys asked for in one turn into batches of at most 100', async () => {
    const { db, operations } = countingClient(tables.endpoint());
    const reader = new DynamoDbBatchReader(db, tables.tableName());
    const items = await Promise.all(Array.from({ length: 150 }, (_, i) => reader.get({ PK: `K${i}`, SK: '1' })));
    expect(items.every((item) => item === undefined)).toBe(true);
    expect(operations).toEqual(['BatchGet', 'BatchGet']);
    db.destroy();
  });

  it('lets the record step read the signal and the key lock in one call', async () => {
    const { db, operations } = countingClient(tables.endpoint());
    const deps = { store: new DynamoDbIncidentStore(db, tables.tableName()), inbox: new DynamoDbSignalInbox(db, tables.tableName()), clock: new ManualClock(new Date('2026-11-21T10:00:30.000Z')) };
    const signal = makeSignal();
    await deps.inbox.accept(signal, deps.clock.now());
    operations.length = 0;
    const result = await recordSignal(deps, signal);
    expect(result.outcome).toBe('opened');
    // Signal and lock read together; lock, then the incident with its opening entries; then the
    // signal written back processed (a put of the item read) ∥ the alert's resolution read.
    expect(operations.slice(0, 3)).toEqual(['BatchGet', 'Put', 'Put']);
    expect([...operations.slice(3)].sort()).toEqual(['Get', 'Put']);
    expect(await deps.inbox.get(signal.id)).toMatchObject({ state: 'processed', outcome: 'opened', incidentId: result.incidentId });
    expect(await deps.inbox.listPending()).toEqual([]);
    db.destroy();
  });
});
