import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb-client';
import { DynamoDbBatchWriter } from '../../lambdas/adapters/dynamodb-batch-writer';
import { DynamoDbSignalInbox } from '../../lambdas/adapters/dynamodb-signal-inbox';
import { ensureTable, LOCAL_AWS, startLocalDynamoDb, type LocalDynamoDb } from '../../local/local-dynamodb';
import { makeSignal, ManualClock } from '../support/signals';
import { tableOf, testTemplate } from '../support/template';

/** A document client on dynalite that records the operation name of every call it sends. */
function countingClient(endpoint: string): { db: ReturnType<typeof createDocumentClient>; operations: string[] } {
  const operations: string[] = [];
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  client.middlewareStack.add(
    (next, context) => (args) => {
      operations.push(String(context.commandName).replace(/(Item)?Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'countOperations' },
  );
  return { db: createDocumentClient(client), operations };
}

describe('DynamoDbBatchWriter on dynalite', () => {
  let ddb: LocalDynamoDb;
  let tableName: string;
  let tableCount = 0;

  beforeAll(async () => {
    ddb = await startLocalDynamoDb();
  });
  afterAll(async () => {
    await ddb.close();
  });
  beforeEach(async () => {
    tableCount += 1;
    tableName = `batch-writer-${tableCount}`;
    await ensureTable(ddb.endpoint, tableName, tableOf(testTemplate()).properties);
  });

  const read = async (db: ReturnType<typeof createDocumentClient>, PK: string, SK: string) =>
    (await db.send(new GetCommand({ TableName: tableName, Key: { PK, SK }, ConsistentRead: true }))).Item;

  it('writes the puts asked for in the same turn with one BatchWriteItem and resolves each once written', async () => {
    const { db, operations } = countingClient(ddb.endpoint);
    const writer = new DynamoDbBatchWriter(db, tableName);
    await Promise.all(Array.from({ length: 30 }, (_, i) => writer.put({ PK: `K${i}`, SK: '1', n: i })));
    expect(operations).toEqual(['BatchWrite', 'BatchWrite']);
    expect(await read(db, 'K0', '1')).toEqual({ PK: 'K0', SK: '1', n: 0 });
    expect(await read(db, 'K29', '1')).toEqual({ PK: 'K29', SK: '1', n: 29 });
    db.destroy();
  });

  it('writes two puts of the same item in one turn one after the other, the later one last', async () => {
    const { db } = countingClient(ddb.endpoint);
    const writer = new DynamoDbBatchWriter(db, tableName);
    await Promise.all([writer.put({ PK: 'A', SK: '1', n: 1 }), writer.put({ PK: 'B', SK: '1', n: 1 }), writer.put({ PK: 'A', SK: '1', n: 2 })]);
    expect(await read(db, 'A', '1')).toEqual({ PK: 'A', SK: '1', n: 2 });
    expect(await read(db, 'B', '1')).toEqual({ PK: 'B', SK: '1', n: 1 });
    db.destroy();
  });

  it('fails only the caller whose item the service rejects and writes the others', async () => {
    const { db } = countingClient(ddb.endpoint);
    const writer = new DynamoDbBatchWriter(db, tableName);
    const [good, bad] = await Promise.allSettled([writer.put({ PK: 'A', SK: '1' }), writer.put({ PK: '', SK: '1' })]);
    expect(good).toEqual({ status: 'fulfilled', value: undefined });
    expect(bad.status).toBe('rejected');
    expect(await read(db, 'A', '1')).toEqual({ PK: 'A', SK: '1' });
    db.destroy();
  });

  it('marks signals processed together and keeps everything else of their items', async () => {
    const { db, operations } = countingClient(ddb.endpoint);
    const inbox = new DynamoDbSignalInbox(db, tableName);
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
    const { db, operations } = countingClient(ddb.endpoint);
    const clock = new ManualClock(new Date('2026-11-21T10:00:30.000Z'));
    const signal = makeSignal();
    await new DynamoDbSignalInbox(db, tableName).accept(signal, clock.now());
    const inbox = new DynamoDbSignalInbox(db, tableName);
    operations.length = 0;
    await inbox.markProcessed(signal.id, 'joined', undefined);
    expect(operations).toEqual(['Update']);
    expect(await inbox.get(signal.id)).toMatchObject({ state: 'processed', outcome: 'joined' });
    await expect(inbox.markProcessed('sig-never-accepted', 'joined', undefined)).rejects.toMatchObject({ name: 'IncidentStoreError' });
    db.destroy();
  });
});
