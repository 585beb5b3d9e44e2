import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FirebreakError } from '../lambdas/core/errors';
import { InProcessHttpHandler, type LocalApiResponse } from './in-process-http-handler';

/** A DynamoDB API served by dynalite on loopback, persisted under `dir` (or in memory). */
export interface LocalDynamoDb {
  readonly endpoint: string;
  /** Serves this process's requests in the worker without a socket (see {@link InProcessHttpHandler}). */
  readonly requestHandler: InProcessHttpHandler;
  close(): Promise<void>;
}

/** The local DynamoDB's worker thread is gone (closed, or crashed): requests to it cannot be answered. */
export class LocalDynamoDbUnavailableError extends FirebreakError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

interface WorkerMessage {
  readonly type: string;
  readonly port?: number;
  readonly message?: string;
  readonly id?: number;
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * Starts dynalite on 127.0.0.1 (ephemeral port) in a worker thread, so it
 * runs on its own core and dies with the process (a kill -9 leaves no
 * orphan holding the LevelDB lock). With `dir`, data lives in a LevelDB there
 * and survives restarts, kill -9 included. Other processes reach it over
 * HTTP (`endpoint`); this one can skip the socket with `requestHandler`.
 *
 * @example
 * const ddb = await startLocalDynamoDb({ dir: '.firebreak/dynamodb' });
 */
export async function startLocalDynamoDb(options: { dir?: string; port?: number } = {}): Promise<LocalDynamoDb> {
  if (options.dir !== undefined) fs.mkdirSync(options.dir, { recursive: true });
  const worker = new Worker(path.join(__dirname, 'dynalite-worker.js'), { workerData: { path: options.dir, port: options.port } });
  const pending = new Map<number, { resolve: (response: LocalApiResponse) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let closed: (() => void) | undefined;
  const failAll = (error: Error): void => {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: WorkerMessage) => {
      if (message.type === 'listening' && message.port !== undefined) resolve(message.port);
      else reject(new Error(`dynalite did not start: ${message.message ?? JSON.stringify(message)}`));
    });
  });
  worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'response' && message.id !== undefined) {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      waiter?.resolve({ status: message.status ?? 500, headers: message.headers ?? {}, body: message.body ?? '' });
    } else if (message.type === 'closed') {
      closed?.();
    }
  });
  worker.on('error', (error) => failAll(new LocalDynamoDbUnavailableError(`local DynamoDB (dynalite worker) failed: ${error.message}`, { cause: error })));
  worker.on('exit', () => failAll(new LocalDynamoDbUnavailableError('local DynamoDB (dynalite worker) has stopped')));
  const requestHandler = new InProcessHttpHandler(
    (request) =>
      new Promise<LocalApiResponse>((resolve, reject) => {
        // A stopped worker drops messages silently (threadId is -1 from then on): fail at once rather than wait forever.
        if (worker.threadId === -1) return reject(new LocalDynamoDbUnavailableError('local DynamoDB (dynalite worker) has stopped'));
        nextId += 1;
        pending.set(nextId, { resolve, reject });
        worker.postMessage({ type: 'request', id: nextId, ...request });
      }),
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requestHandler,
    close: async () => {
      if (worker.threadId === -1) return; // stopped already (closed before, or crashed)
      await new Promise<void>((resolve) => {
        closed = resolve;
        worker.postMessage('close');
      });
      await worker.terminate();
    },
  };
}

/** Local credentials and region: dynalite and the local Step Functions API accept any. */
export const LOCAL_AWS = { region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } as const;

/** dynalite answers CreateTable before the table (and its indexes) is ACTIVE: wait, bounded, until it is. */
async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} is still ${Table?.TableStatus} after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Creates the table described by a synthesized `AWS::DynamoDB::Table`
 * resource (keys, attributes, indexes), unless it exists. The CDK definition
 * stays the only description of the table.
 */
export async function ensureTable(endpoint: string, tableName: string, properties: Record<string, unknown>): Promise<void> {
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  try {
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
      await waitUntilActive(client, tableName);
      return;
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
    }
    const gsis = (properties.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes']) ?? [];
    const input: CreateTableCommandInput = {
      TableName: tableName,
      KeySchema: properties.KeySchema as CreateTableCommandInput['KeySchema'],
      AttributeDefinitions: properties.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
      BillingMode: 'PAY_PER_REQUEST',
      ...(gsis.length > 0 ? { GlobalSecondaryIndexes: gsis.map((g) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection })) } : {}),
    };
    try {
      await client.send(new CreateTableCommand(input));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await waitUntilActive(client, tableName);
  } finally {
    client.destroy();
  }
}
