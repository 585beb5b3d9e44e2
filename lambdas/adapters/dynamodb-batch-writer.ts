import type { DynamoDbDocuments } from './dynamodb-documents';
import { FirebreakError } from '../core/errors';

/** BatchWriteItem kept answering some items as unprocessed (throttling) after every retry. */
export class BatchWriteIncompleteError extends FirebreakError {
  constructor(
    readonly count: number,
    attempts: number,
  ) {
    super(`BatchWriteItem left ${count} item(s) unprocessed after ${attempts} attempts`);
  }
}

/** Options of {@link DynamoDbBatchWriter}. */
export interface BatchWriterOptions {
  /** Items per BatchWriteItem; DynamoDB allows at most 25. @default 25 */
  readonly maxItems?: number;
  /** BatchWriteItem calls for the items DynamoDB answers as unprocessed, before giving up. @default 8 */
  readonly maxAttempts?: number;
}

interface PendingPut {
  readonly item: Record<string, unknown>;
  readonly id: string;
  resolve(): void;
  reject(error: unknown): void;
}

const itemId = (item: Record<string, unknown>): string => `${String(item.PK)}\u0000${String(item.SK)}`;

/**
 * Unconditional whole-item puts to one table, coalesced: puts asked for
 * during one turn of the event loop go out in one BatchWriteItem (up to 25
 * items), and each caller's promise resolves only once its own item is
 * written. Only for writes that need no condition: BatchWriteItem has none.
 *
 * Two puts of the same item in one turn go out one after the other, in the
 * order they were asked for. Unprocessed items are written again with
 * backoff; a batch the service rejects as a whole (e.g. one malformed item)
 * is written again item by item, so that one bad item fails only its own
 * caller.
 *
 * @example
 * await DynamoDbBatchWriter.for(db, tableName).put({ PK: 'SIGNAL#s1', SK: 'SIGNAL', state: 'processed' });
 */
export class DynamoDbBatchWriter {
  private static readonly shared = new WeakMap<DynamoDbDocuments, Map<string, DynamoDbBatchWriter>>();

  /** The writer of `tableName` through `db`, one per client and table, so that its batches are shared. */
  static for(db: DynamoDbDocuments, tableName: string): DynamoDbBatchWriter {
    let byTable = DynamoDbBatchWriter.shared.get(db);
    if (byTable === undefined) {
      byTable = new Map();
      DynamoDbBatchWriter.shared.set(db, byTable);
    }
    let writer = byTable.get(tableName);
    if (writer === undefined) {
      writer = new DynamoDbBatchWriter(db, tableName);
      byTable.set(tableName, writer);
    }
    return writer;
  }

  private pending: PendingPut[] = [];
  private scheduled = false;
  private readonly maxItems: number;
  private readonly maxAttempts: number;

  constructor(
    private readonly db: DynamoDbDocuments,
    private readonly tableName: string,
    options: BatchWriterOptions = {},
  ) {
    this.maxItems = Math.min(25, Math.max(1, options.maxItems ?? 25));
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 8);
  }

  /** Writes `item` whole (it must carry `PK` and `SK`); resolves once it is written. */
  put(item: Record<string, unknown>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, id: itemId(item), resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O callbacks of this turn: puts started by all of them go out together.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const puts = this.pending;
    this.pending = [];
    if (new Set(puts.map((put) => put.id)).size < puts.length) {
      // The same item twice in one turn (rare): one put after the other, in the order asked for.
      void puts.reduce((previous, put) => previous.then(() => this.write([put])), Promise.resolve());
      return;
    }
    for (let i = 0; i < puts.length; i += this.maxItems) void this.write(puts.slice(i, i + this.maxItems));
  }

  private async write(batch: PendingPut[]): Promise<void> {
    const waiting = new Map(batch.map((put) => [put.id, put]));
    try {
      if (batch.length === 1) {
        const only = batch[0] as PendingPut;
        await this.db.put({ TableName: this.tableName, Item: only.item });
        only.resolve();
        return;
      }
      let requests = batch.map((put) => ({ PutRequest: { Item: put.item } }));
      for (let attempt = 1; requests.length > 0; attempt += 1) {
        if (attempt > this.maxAttempts) throw new BatchWriteIncompleteError(requests.length, this.maxAttempts);
        if (attempt > 1) await sleep(Math.random() * Math.min(1000, 25 * 2 ** attempt));
        const out = await this.db.batchWrite({ RequestItems: { [this.tableName]: requests } });
        const unprocessed = (out.UnprocessedItems?.[this.tableName] ?? []).flatMap((r) => (r.PutRequest?.Item === undefined ? [] : [{ PutRequest: { Item: r.PutRequest.Item } }]));
        const left = new Set(unprocessed.map((r) => itemId(r.PutRequest.Item)));
        for (const [id, put] of waiting) {
          if (left.has(id)) continue;
          put.resolve();
          waiting.delete(id);
        }
        requests = unprocessed;
      }
    } catch (error) {
      if (error instanceof Error && error.name === 'ValidationException' && waiting.size > 1) {
        // One malformed item makes the service reject the whole batch: write each on its own.
        await Promise.all([...waiting.values()].map((put) => this.write([put])));
        return;
      }
      for (const put of waiting.values()) put.reject(error);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
