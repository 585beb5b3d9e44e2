import { DynamoDBClient, GetItemCommand, PutItemCommand, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { localSigner } from '../../local/in-process-http-handler';
import { ensureTable, LOCAL_AWS, startLocalDynamoDb, type LocalDynamoDb } from '../../local/local-dynamodb';

/** The smallest table the pipeline's items fit in: string PK and SK. */
const TABLE_PROPERTIES = {
  KeySchema: [
    { AttributeName: 'PK', KeyType: 'HASH' },
    { AttributeName: 'SK', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'PK', AttributeType: 'S' },
    { AttributeName: 'SK', AttributeType: 'S' },
  ],
};
const TABLE = 'in-process';

describe('local DynamoDB served in-process through the dynalite worker', () => {
  let dir: string;
  let ddb: LocalDynamoDb;
  const clients: DynamoDBClient[] = [];

  /** A client whose requests go to the worker over its message port (no socket). */
  const inProcessClient = (config: DynamoDBClientConfig = {}): DynamoDBClient => {
    const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: ddb.endpoint, requestHandler: ddb.requestHandler, signer: localSigner('dynamodb', 'local'), ...config });
    clients.push(client);
    return client;
  };
  /** A client that reaches the same dynalite over its HTTP endpoint, as another process would. */
  const httpClient = (): DynamoDBClient => {
    const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: ddb.endpoint });
    clients.push(client);
    return client;
  };
  const item = (pk: string, extra: Record<string, { S: string } | { N: string }> = {}) => ({ PK: { S: pk }, SK: { S: 'META' }, ...extra });
  const get = async (client: DynamoDBClient, pk: string) =>
    (await client.send(new GetItemCommand({ TableName: TABLE, Key: { PK: { S: pk }, SK: { S: 'META' } }, ConsistentRead: true }))).Item;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'firebreak-ddb-in-process-'));
    ddb = await startLocalDynamoDb({ dir });
    await ensureTable(ddb.endpoint, TABLE, TABLE_PROPERTIES);
  }, 30_000);

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await ddb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('round-trips a conditional PutItem and a GetItem', async () => {
    const client = inProcessClient();
    await client.send(new PutItemCommand({ TableName: TABLE, Item: item('INC#round-trip', { title: { S: 'p99 latency é' } }), ConditionExpression: 'attribute_not_exists(PK)' }));
    expect(await get(client, 'INC#round-trip')).toEqual(item('INC#round-trip', { title: { S: 'p99 latency é' } }));
  });

  it('rejects a PutItem whose condition fails with ConditionalCheckFailedException', async () => {
    const client = inProcessClient();
    const put = () => client.send(new PutItemCommand({ TableName: TABLE, Item: item('INC#conditional'), ConditionExpression: 'attribute_not_exists(PK)' }));
    await put();
    await expect(put()).rejects.toMatchObject({ name: 'ConditionalCheckFailedException', $metadata: { httpStatusCode: 400 } });
  });

  it('shares its data with clients that use the HTTP endpoint, both ways', async () => {
    const inProcess = inProcessClient();
    const overHttp = httpClient();
    await inProcess.send(new PutItemCommand({ TableName: TABLE, Item: item('INC#from-in-process', { n: { N: '1' } }) }));
    await overHttp.send(new PutItemCommand({ TableName: TABLE, Item: item('INC#from-http', { n: { N: '2' } }) }));
    expect(await get(overHttp, 'INC#from-in-process')).toEqual(item('INC#from-in-process', { n: { N: '1' } }));
    expect(await get(inProcess, 'INC#from-http')).toEqual(item('INC#from-http', { n: { N: '2' } }));
  });

  it('answers each of many concurrent requests with its own response', async () => {
    const client = inProcessClient();
    const ids = Array.from({ length: 200 }, (_, i) => `INC#concurrent-${i}`);
    await Promise.all(ids.map((id, i) => client.send(new PutItemCommand({ TableName: TABLE, Item: item(id, { n: { N: String(i) } }) }))));
    // The second round asks for each old item back: every answer names the item its own request wrote, so a mixed-up answer shows.
    const answers = await Promise.all(
      ids.map((id, i) => client.send(new PutItemCommand({ TableName: TABLE, Item: item(id, { n: { N: String(i + 1000) } }), ReturnValues: 'ALL_OLD' }))),
    );
    expect(answers.map((answer) => answer.Attributes)).toEqual(ids.map((id, i) => item(id, { n: { N: String(i) } })));
    const reads = await Promise.all(ids.map((id) => get(client, id)));
    expect(reads).toEqual(ids.map((id, i) => item(id, { n: { N: String(i + 1000) } })));
  });

  it('answers a request for an unknown table with ResourceNotFoundException', async () => {
    const client = inProcessClient();
    await expect(client.send(new GetItemCommand({ TableName: 'no-such-table', Key: { PK: { S: 'x' }, SK: { S: 'y' } } }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('local DynamoDB request handler after close', () => {
  it('rejects requests once the worker has stopped instead of leaving them pending', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'firebreak-ddb-in-process-closed-'));
    const ddb = await startLocalDynamoDb({ dir });
    // No retries: the rejection must come from the handler itself.
    const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: ddb.endpoint, requestHandler: ddb.requestHandler, signer: localSigner('dynamodb', 'local'), maxAttempts: 1 });
    try {
      await ensureTable(ddb.endpoint, TABLE, TABLE_PROPERTIES);
      await client.send(new PutItemCommand({ TableName: TABLE, Item: { PK: { S: 'before' }, SK: { S: 'close' } } }));
      await ddb.close();
      await expect(client.send(new PutItemCommand({ TableName: TABLE, Item: { PK: { S: 'after' }, SK: { S: 'close' } } }))).rejects.toThrow(/worker.*stopped/);
    } finally {
      client.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
