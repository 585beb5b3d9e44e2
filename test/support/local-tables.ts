import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb-client';
import { ensureTable, LOCAL_AWS, startLocalDynamoDb, type LocalDynamoDb } from '../../local/local-dynamodb';
import { tableOf, testTemplate } from './template';

/** The dynalite endpoint and the fresh table of the current test. */
export interface LocalTables {
  /** The dynalite endpoint (set once the suite has started). */
  endpoint(): string;
  /** The current test's table, created from the synthesized CDK table definition. */
  tableName(): string;
}

/**
 * Registers jest hooks: one dynalite for the suite, a fresh table named
 * `<prefix>-<n>` before each test.
 *
 * @example
 * const tables = useLocalTables('batch-reader');
 * it('…', async () => { const db = createDocumentClient(...); await db.send(new PutCommand({ TableName: tables.tableName(), … })); });
 */
export function useLocalTables(prefix: string): LocalTables {
  let ddb: LocalDynamoDb | undefined;
  let name = '';
  let count = 0;
  beforeAll(async () => {
    ddb = await startLocalDynamoDb();
  });
  afterAll(async () => {
    await ddb?.close();
  });
  beforeEach(async () => {
    count += 1;
    name = `${prefix}-${count}`;
    await ensureTable(ddb!.endpoint, name, tableOf(testTemplate()).properties);
  });
  return { endpoint: () => ddb!.endpoint, tableName: () => name };
}

/** A document client on dynalite that records the operation name of every call it sends. */
export function countingClient(endpoint: string): { db: ReturnType<typeof createDocumentClient>; operations: string[] } {
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
