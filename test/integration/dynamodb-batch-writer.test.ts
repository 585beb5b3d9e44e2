import type { createDocumentClient } from '../../lambdas/adapters/dynamodb-client';
import { DynamoDbBatchWriter } from '../../lambdas/adapters/dynamodb-batch-writer';
import { DynamoDbSignalInbox } from '../../lambdas/adapters/dynamodb-signal-inbox';
import { makeSignal, ManualClock } from '../support/signals';
import { countingClient, useLocalTables } from '../support/local-tables';

describe('DynamoDbBatchWriter on dynalite', () => {
  const tables = useLocalTables('batch-writer');

  const read = async (db: ReturnType<typeof createDocumentClient>, PK: string, SK: string) =>
    (await db.get({ TableName: tables.tableName(), Key: { PK, SK }, ConsistentRead: true })).Item;

  it('writes the puts asked for in the same turn with one BatchWriteItem and resolves each once written', async () => {
    const { db, operations } = countingClient(tables.endpoint());
    const writer = new DynamoDbBatchWriter(db, tables.tableName());
    await Promise.all(Array.from({ length: 30 }, (_, i) => writer.put({ PK: `K${i}`, SK: '1', n: i })));
    expect(operations).toEqual(['BatchWrite', 'BatchWrite']);
    expect(await read(db, 'K0', '1')).toEqual({ PK: 'K0', SK: '1', n: 0 });
    expect(await read(db, 'K29', '1')).toEqual({ PK: 'K29', SK: '1', n: 29 });
    db.destroy();
  });

  it('writes two puts of the same item in one turn one after the other, the later one last', async () => {
    const { db } = countingClient(tables.endpoint());
    const writer = new DynamoDbBatchWriter(db, tables.tableName());
    await Promise.all([writer.put({ PK: 'A', SK: '1', n: 1 }), writer.put({ PK: 'B', SK: '1', n: 1 }), writer.put({ PK: 'A', SK: '1', n: 2 })]);
    expect(await read(db, 'A', '1')).toEqual({ PK: 'A', SK: '1', n: 2 });
    expect(await read(db, 'B', '1')).toEqual({ PK: 'B', SK: '1', n: 1 });
    db.destroy();
  });

  it('fails only the caller whose item the service rejects and writes the others', async () => {
    const { db } = countingClient(tables.endpoint());
    const writer = new DynamoDbBatchWriter(db, tables.tableName());
    const [good, bad] = await Promise.allSettled([writer.put({ PK: 'A', SK: '1' }), writer.put({ PK: '', SK: '1' })]);
    expect(good).toEqual({ status: 'fulfilled', value: undefined });
    expect(bad.status).toBe('rejected');
    expect(await read(db, 'A', '1')).toEqual({ PK: 'A', SK: '1' });
    db.destroy();
  });

  it('marks signals processed together and keeps everything else of their items', async () => {
    const { db, operations } = countingClient(tables.endpoint());
    const inbox = new DynamoDbSignalInbox(db, tables.tableName());
    const clock = new ManualClock(new Date('2026-11-21T10:00:30.000Z'));
    const signals = Array.from({ length: 3 }, (_, i) => makeSignal({ identity: `fp-${i}` }));
    for (const signal of signals) await inbox.accept(signal, clock.now());
    await Promise.all(signals.map((signal) => inbox.get(signal.id)));
    operations.length = 0;
    await Promise.all(signals.map((signal, i) => inbox.markProcessed(signal.id, 'opened', `inc-${i}`)));
    expect(operations).toEqual(['BatchWrite']);
    expect(await inbox.listPending()).toEqual([]);
    for (const [i, signal] of signals.entries()) {
      expect(await inbox.get(signal.id)).toEqual({ signal, receivedAt: clock.now().toISOString(), state: 'processed', outcome: 'opened', incidentId: `inc-${i}` });
    }
    db.destroy();
  });

  it('marks a signal it has not read processed with a conditional update', async () => {
    const { db, operations } = countingClient(tables.endpoint());
    const clock = new ManualClock(new Date('2026-11-21T10:00:30.000Z'));
    const signal = makeSignal();
    await new DynamoDbSignalInbox(db, tables.tableName()).accept(signal, clock.now());
    const inbox = new DynamoDbSignalInbox(db, tables.tableName());
    operations.length = 0;
    await inbox.markProcessed(signal.id, 'joined', undefined);
    expect(operations).toEqual(['Update']);
    expect(await inbox.get(signal.id)).toMatchObject({ state: 'processed', outcome: 'joined' });
    await expect(inbox.markProcessed('sig-never-accepted', 'joined', undefined)).rejects.toMatchObject({ name: 'IncidentStoreError' });
    db.destroy();
  });
});
