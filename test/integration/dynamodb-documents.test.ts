import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb-client';
import type { DynamoDbDocuments, Item } from '../../lambdas/adapters/dynamodb-documents';
import { LOCAL_AWS } from '../../local/local-dynamodb';
import { useLocalTables } from '../support/local-tables';

/** The table's first global secondary index and its keys (see IncidentTable). */
const GSI = { name: 'GSI1', pk: 'GSI1PK', sk: 'GSI1SK' } as const;

/** A document layer on dynalite over a plain client, with or without `cacheMiddleware`, recording every request body it sends. */
function documentsOn(endpoint: string, cacheMiddleware: boolean): { db: DynamoDbDocuments; bodies: Item[] } {
  const bodies: Item[] = [];
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint, cacheMiddleware });
  client.middlewareStack.add(
    (next) => (args) => {
      const { body } = args.request as { body?: unknown };
      // The JSON protocol serializes to a string or to UTF-8 bytes, depending on the SDK version.
      if (typeof body === 'string') bodies.push(JSON.parse(body) as Item);
      else if (body instanceof Uint8Array) bodies.push(JSON.parse(new TextDecoder().decode(body)) as Item);
      return next(args);
    },
    { step: 'finalizeRequest', name: 'recordBodies' },
  );
  return { db: createDocumentClient(client), bodies };
}

const bySortKey = (a: Item, b: Item): number => String(a.SK).localeCompare(String(b.SK));
const byPartitionKey = (a: Item, b: Item): number => String(a.PK).localeCompare(String(b.PK));

describe('DynamoDbDocuments on dynalite', () => {
  const tables = useLocalTables('documents');
  const clients: DynamoDbDocuments[] = [];
  const open = (cacheMiddleware: boolean): ReturnType<typeof documentsOn> => {
    const opened = documentsOn(tables.endpoint(), cacheMiddleware);
    clients.push(opened.db);
    return opened;
  };
  afterEach(() => {
    for (const db of clients.splice(0)) db.destroy();
  });

  describe.each([
    ['a client with cacheMiddleware (as createDocumentClient builds it)', true],
    ['a client without cacheMiddleware', false],
  ])('over %s', (_label, cacheMiddleware) => {
    const documents = (): DynamoDbDocuments => open(cacheMiddleware).db;

    it('round-trips nested plain values through put and get and drops undefined attributes', async () => {
      const db = documents();
      const item = {
        PK: 'P',
        SK: 'S',
        text: 'hello',
        empty: '',
        count: 42,
        ratio: -0.25,
        yes: true,
        no: false,
        nothing: null,
        list: [1, 'two', { three: 3 }, [false, null], ''],
        map: { inner: { deep: ['x'], n: 0, flag: true, gone: undefined }, emptyMap: {}, emptyList: [] },
        missing: undefined,
      };
      await db.put({ TableName: tables.tableName(), Item: item });
      const { Item: read } = await db.get({ TableName: tables.tableName(), Key: { PK: 'P', SK: 'S' }, ConsistentRead: true });
      expect(read).toEqual({
        PK: 'P',
        SK: 'S',
        text: 'hello',
        empty: '',
        count: 42,
        ratio: -0.25,
        yes: true,
        no: false,
        nothing: null,
        list: [1, 'two', { three: 3 }, [false, null], ''],
        map: { inner: { deep: ['x'], n: 0, flag: true }, emptyMap: {}, emptyList: [] },
      });
      expect(read).not.toHaveProperty('missing');
      expect(read?.map).not.toHaveProperty('inner.gone');
    });

    it('answers get of a key that is not there with no Item', async () => {
      const db = documents();
      expect(await db.get({ TableName: tables.tableName(), Key: { PK: 'nope', SK: 'nope' } })).toEqual({ Item: undefined });
    });

    it('rejects a put conditioned on attribute_not_exists(PK) over an existing item with ConditionalCheckFailedException and keeps the item', async () => {
      const db = documents();
      await db.put({ TableName: tables.tableName(), Item: { PK: 'P', SK: 'S', v: 1 }, ConditionExpression: 'attribute_not_exists(PK)' });
      await expect(
        db.put({ TableName: tables.tableName(), Item: { PK: 'P', SK: 'S', v: 2 }, ConditionExpression: 'attribute_not_exists(PK)' }),
      ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
      expect((await db.get({ TableName: tables.tableName(), Key: { PK: 'P', SK: 'S' }, ConsistentRead: true })).Item).toEqual({ PK: 'P', SK: 'S', v: 1 });
    });

    it('applies a put whose condition on an attribute value holds, with ExpressionAttributeValues marshalled', async () => {
      const db = documents();
      await db.put({ TableName: tables.tableName(), Item: { PK: 'P', SK: 'S', state: 'open' } });
      await db.put({
        TableName: tables.tableName(),
        Item: { PK: 'P', SK: 'S', state: 'closed' },
        ConditionExpression: '#state = :open',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':open': 'open' },
      });
      expect((await db.get({ TableName: tables.tableName(), Key: { PK: 'P', SK: 'S' }, ConsistentRead: true })).Item).toEqual({ PK: 'P', SK: 'S', state: 'closed' });
    });

    it('updates with SET of an object value and REMOVE, returning the whole new item unmarshalled with ReturnValues ALL_NEW', async () => {
      const db = documents();
      await db.put({ TableName: tables.tableName(), Item: { PK: 'P', SK: 'S', state: 'open', stale: 'x', n: 1 } });
      const out = await db.update({
        TableName: tables.tableName(),
        Key: { PK: 'P', SK: 'S' },
        UpdateExpression: 'SET #details = :details, #state = :state, n = n + :one REMOVE stale',
        ConditionExpression: '#state = :was',
        ExpressionAttributeNames: { '#details': 'details', '#state': 'state' },
        ExpressionAttributeValues: {
          ':details': { owner: 'alice', tags: ['a', 'b'], nested: { ok: true, none: null, skipped: undefined } },
          ':state': 'closed',
          ':was': 'open',
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      });
      const expected = { PK: 'P', SK: 'S', state: 'closed', n: 2, details: { owner: 'alice', tags: ['a', 'b'], nested: { ok: true, none: null } } };
      expect(out).toEqual({ Attributes: expected });
      expect((await db.get({ TableName: tables.tableName(), Key: { PK: 'P', SK: 'S' }, ConsistentRead: true })).Item).toEqual(expected);
    });

    it('returns no Attributes from an update that does not ask for them', async () => {
      const db = documents();
      const out = await db.update({
        TableName: tables.tableName(),
        Key: { PK: 'P', SK: 'S' },
        UpdateExpression: 'SET v = :v',
        ExpressionAttributeValues: { ':v': 'new' },
      });
      expect(out).toEqual({ Attributes: undefined });
      expect((await db.get({ TableName: tables.tableName(), Key: { PK: 'P', SK: 'S' }, ConsistentRead: true })).Item).toEqual({ PK: 'P', SK: 'S', v: 'new' });
    });

    it('deletes when a condition on an attribute value holds and rejects with ConditionalCheckFailedException when it does not', async () => {
      const db = documents();
      await db.put({ TableName: tables.tableName(), Item: { PK: 'P', SK: 'keep', owner: 'alice' } });
      await db.put({ TableName: tables.tableName(), Item: { PK: 'P', SK: 'drop', owner: 'bob' } });
      await expect(
        db.delete({
          TableName: tables.tableName(),
          Key: { PK: 'P', SK: 'keep' },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': 'bob' },
        }),
      ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
      const out = await db.delete({
        TableName: tables.tableName(),
        Key: { PK: 'P', SK: 'drop' },
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': 'bob' },
        ReturnValues: 'ALL_OLD',
      });
      expect(out).toEqual({ Attributes: { PK: 'P', SK: 'drop', owner: 'bob' } });
      expect((await db.get({ TableName: tables.tableName(), Key: { PK: 'P', SK: 'drop' }, ConsistentRead: true })).Item).toBeUndefined();
      expect((await db.get({ TableName: tables.tableName(), Key: { PK: 'P', SK: 'keep' }, ConsistentRead: true })).Item).toEqual({ PK: 'P', SK: 'keep', owner: 'alice' });
    });

    it('queries a partition into unmarshalled Items in sort-key order, without items of other partitions', async () => {
      const db = documents();
      for (const SK of ['c', 'a', 'e', 'b', 'd']) await db.put({ TableName: tables.tableName(), Item: { PK: 'P', SK, body: { sk: SK, list: [SK] } } });
      await db.put({ TableName: tables.tableName(), Item: { PK: 'Q', SK: 'a' } });
      const out = await db.query({
        TableName: tables.tableName(),
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': 'P' },
        ConsistentRead: true,
      });
      expect(out.Items).toEqual(['a', 'b', 'c', 'd', 'e'].map((SK) => ({ PK: 'P', SK, body: { sk: SK, list: [SK] } })));
      expect(out.LastEvaluatedKey).toBeUndefined();
    });

    it('pages a query with Limit and the plain LastEvaluatedKey fed back as ExclusiveStartKey, visiting every item exactly once', async () => {
      const db = documents();
      const sortKeys = Array.from({ length: 7 }, (_, i) => `sk-${String(i).padStart(2, '0')}`);
      for (const SK of sortKeys) await db.put({ TableName: tables.tableName(), Item: { PK: 'P', SK } });
      const seen: string[] = [];
      const startKeys: Item[] = [];
      let start: Item | undefined;
      let pages = 0;
      do {
        const page = await db.query({
          TableName: tables.tableName(),
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': 'P', ':prefix': 'sk-' },
          Limit: 3,
          ExclusiveStartKey: start,
          ConsistentRead: true,
        });
        seen.push(...page.Items.map((item) => String(item.SK)));
        start = page.LastEvaluatedKey;
        if (start !== undefined) startKeys.push(start);
        pages += 1;
      } while (start !== undefined && pages < 10);
      expect(seen).toEqual(sortKeys);
      expect(startKeys.length).toBeGreaterThanOrEqual(2);
      expect(startKeys[0]).toEqual({ PK: 'P', SK: 'sk-02' });
    });

    it('queries the global secondary index into unmarshalled Items in index sort-key order', async () => {
      const db = documents();
      for (const [SK, rank] of [['x', '2'], ['y', '1'], ['z', '3']]) {
        await db.put({ TableName: tables.tableName(), Item: { PK: `P-${SK}`, SK, [GSI.pk]: 'OPEN', [GSI.sk]: rank, tags: [rank] } });
      }
      await db.put({ TableName: tables.tableName(), Item: { PK: 'P-w', SK: 'w', [GSI.pk]: 'CLOSED', [GSI.sk]: '0' } });
      await db.put({ TableName: tables.tableName(), Item: { PK: 'P-v', SK: 'v' } });
      const out = await db.query({
        TableName: tables.tableName(),
        IndexName: GSI.name,
        KeyConditionExpression: '#pk = :open',
        ExpressionAttributeNames: { '#pk': GSI.pk },
        ExpressionAttributeValues: { ':open': 'OPEN' },
      });
      expect(out.Items).toEqual([
        { PK: 'P-y', SK: 'y', [GSI.pk]: 'OPEN', [GSI.sk]: '1', tags: ['1'] },
        { PK: 'P-x', SK: 'x', [GSI.pk]: 'OPEN', [GSI.sk]: '2', tags: ['2'] },
        { PK: 'P-z', SK: 'z', [GSI.pk]: 'OPEN', [GSI.sk]: '3', tags: ['3'] },
      ]);
    });

    it('batch-gets several keys into plain items under Responses[table], leaving missing keys out, with UnprocessedKeys {}', async () => {
      const db = documents();
      for (const PK of ['A', 'B', 'C']) await db.put({ TableName: tables.tableName(), Item: { PK, SK: '1', data: { pk: PK, n: [1, 2] } } });
      const out = await db.batchGet({
        RequestItems: { [tables.tableName()]: { Keys: ['A', 'missing', 'C', 'B'].map((PK) => ({ PK, SK: '1' })), ConsistentRead: true } },
      });
      expect(Object.keys(out.Responses)).toEqual([tables.tableName()]);
      expect([...out.Responses[tables.tableName()]].sort(byPartitionKey)).toEqual(
        ['A', 'B', 'C'].map((PK) => ({ PK, SK: '1', data: { pk: PK, n: [1, 2] } })),
      );
      expect(out.UnprocessedKeys).toEqual({});
    });

    it('batch-writes puts and deletes together, applying both, with UnprocessedItems {}', async () => {
      const db = documents();
      for (const SK of ['old-1', 'old-2', 'stays']) await db.put({ TableName: tables.tableName(), Item: { PK: 'P', SK } });
      const out = await db.batchWrite({
        RequestItems: {
          [tables.tableName()]: [
            { PutRequest: { Item: { PK: 'P', SK: 'new-1', nested: { a: [1, { b: null }] }, dropped: undefined } } },
            { DeleteRequest: { Key: { PK: 'P', SK: 'old-1' } } },
            { PutRequest: { Item: { PK: 'P', SK: 'new-2', flag: false } } },
            { DeleteRequest: { Key: { PK: 'P', SK: 'old-2' } } },
          ],
        },
      });
      expect(out).toEqual({ UnprocessedItems: {} });
      const { Items } = await db.query({
        TableName: tables.tableName(),
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': 'P' },
        ConsistentRead: true,
      });
      expect([...Items].sort(bySortKey)).toEqual([
        { PK: 'P', SK: 'new-1', nested: { a: [1, { b: null }] } },
        { PK: 'P', SK: 'new-2', flag: false },
        { PK: 'P', SK: 'stays' },
      ]);
    });

    it('writes and reads its own item in each of 50 interleaved concurrent puts and gets through one client', async () => {
      const db = documents();
      const results = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const item = { PK: `C${i}`, SK: String(i % 7), n: i, payload: { owner: `o${i}`, list: [i, `${i}`] } };
          await db.put({ TableName: tables.tableName(), Item: item });
          const { Item: read } = await db.get({ TableName: tables.tableName(), Key: { PK: item.PK, SK: item.SK }, ConsistentRead: true });
          return { item, read };
        }),
      );
      for (const { item, read } of results) expect(read).toEqual(item);
    });
  });

  describe('over one client with cacheMiddleware', () => {
    it('resolves the middleware stack once per command and still sends each call its own input', async () => {
      const { db, bodies } = open(true);
      const resolve = jest.spyOn(GetItemCommand.prototype, 'resolveMiddleware');
      try {
        await db.put({ TableName: tables.tableName(), Item: { PK: 'A', SK: '1', v: 'a' } });
        await db.put({ TableName: tables.tableName(), Item: { PK: 'B', SK: '2', v: 'b' } });
        const first = await db.get({ TableName: tables.tableName(), Key: { PK: 'A', SK: '1' }, ConsistentRead: true });
        const second = await db.get({ TableName: tables.tableName(), Key: { PK: 'B', SK: '2' }, ProjectionExpression: 'v' });
        const third = await db.get({ TableName: tables.tableName(), Key: { PK: 'C', SK: '3' } });
        expect(first).toEqual({ Item: { PK: 'A', SK: '1', v: 'a' } });
        expect(second).toEqual({ Item: { v: 'b' } });
        expect(third).toEqual({ Item: undefined });
        expect(resolve).toHaveBeenCalledTimes(1);
      } finally {
        resolve.mockRestore();
      }
      expect(bodies).toEqual([
        { TableName: tables.tableName(), Item: { PK: { S: 'A' }, SK: { S: '1' }, v: { S: 'a' } } },
        { TableName: tables.tableName(), Item: { PK: { S: 'B' }, SK: { S: '2' }, v: { S: 'b' } } },
        { TableName: tables.tableName(), Key: { PK: { S: 'A' }, SK: { S: '1' } }, ConsistentRead: true },
        { TableName: tables.tableName(), Key: { PK: { S: 'B' }, SK: { S: '2' } }, ProjectionExpression: 'v' },
        { TableName: tables.tableName(), Key: { PK: { S: 'C' }, SK: { S: '3' } } },
      ]);
    });

    it('sends each of consecutive queries, updates and deletes its own input on the cached stack', async () => {
      const { db } = open(true);
      for (const PK of ['A', 'B']) {
        for (const SK of ['1', '2']) await db.put({ TableName: tables.tableName(), Item: { PK, SK, n: 0 } });
      }
      const query = (PK: string, Limit?: number) =>
        db.query({ TableName: tables.tableName(), KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': PK }, Limit, ConsistentRead: true });
      expect((await query('A')).Items.map((item) => `${String(item.PK)}${String(item.SK)}`)).toEqual(['A1', 'A2']);
      expect((await query('B', 1)).Items.map((item) => `${String(item.PK)}${String(item.SK)}`)).toEqual(['B1']);
      const update = (PK: string, n: number) =>
        db.update({ TableName: tables.tableName(), Key: { PK, SK: '1' }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': n }, ReturnValues: 'ALL_NEW' });
      expect(await update('A', 10)).toEqual({ Attributes: { PK: 'A', SK: '1', n: 10 } });
      expect(await update('B', 20)).toEqual({ Attributes: { PK: 'B', SK: '1', n: 20 } });
      expect(await db.delete({ TableName: tables.tableName(), Key: { PK: 'A', SK: '2' }, ReturnValues: 'ALL_OLD' })).toEqual({ Attributes: { PK: 'A', SK: '2', n: 0 } });
      expect(await db.delete({ TableName: tables.tableName(), Key: { PK: 'B', SK: '2' }, ReturnValues: 'ALL_OLD' })).toEqual({ Attributes: { PK: 'B', SK: '2', n: 0 } });
      expect((await query('A')).Items).toEqual([{ PK: 'A', SK: '1', n: 10 }]);
      expect((await query('B')).Items).toEqual([{ PK: 'B', SK: '1', n: 20 }]);
    });
  });
});
