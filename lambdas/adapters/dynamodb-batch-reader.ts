import type { DynamoDbDocuments } from './dynamodb-documents';
import { FirebreakError } from '../core/errors';

/** The primary key of an item of the single-table design. */
export interface ItemKey {
  readonly PK: string;
  readonly SK: string;
}

/** BatchGetItem kept answering some keys as unprocessed (throttling) after every retry. */
export class BatchReadIncompleteError extends FirebreakError {
  constructor(
    readonly keys: readonly ItemKey[],
    attempts: number,
  ) {
    super(`BatchGetItem left ${keys.length} key(s) unprocessed after ${attempts} attempts, e.g. ${keys[0]?.PK ?? ''}/${keys[0]?.SK ?? ''}`);
  }
}

/** Options of {@link DynamoDbBatchReader}. */
export interface BatchReaderOptions {
  /** Keys per BatchGetItem; DynamoDB allows at most 100. @default 100 */
  readonly maxKeys?: number;
  /** BatchGetItem calls for the keys DynamoDB answers as unprocessed, before giving up. @default 8 */
  readonly maxAttempts?: number;
}

interface Waiter {
  resolve(item: Record<string, unknown> | undefined): void;
  reject(error: unknown): void;
}

const keyString = (key: ItemKey): string => `${key.PK}\u0000${key.SK}`;

/**
 * Strongly consistent single-item reads of one table, coalesced: every read
 * asked for during one turn of the event loop goes out in one BatchGetItem
 * (`ConsistentRead: true`, up to 100 keys, a key asked twice is read once).
 * Each caller gets its own item, as GetItem would answer it.
 *
 * A lone read costs one call as before; reads issued side by side (the
 * record step's inbox and key-lock reads) or by concurrent deliveries share
 * one call, which is what bounds the CPU per delivery under load.
 * Unprocessed keys are read again with backoff; a batch the service rejects
 * as a whole (e.g. one malformed key) is read again key by key, so that one
 * bad key fails only its own caller.
 *
 * @example
 * const reader = new DynamoDbBatchReader(createDocumentClient(), process.env.TABLE_NAME!);
 * const [signal, lock] = await Promise.all([reader.get({ PK: 'SIGNAL#s1', SK: 'SIGNAL' }), reader.get({ PK: 'KEY#k', SK: 'ACTIVE' })]);
 */
export class DynamoDbBatchReader {
  private static readonly shared = new WeakMap<DynamoDbDocuments, Map<string, DynamoDbBatchReader>>();

  /**
   * The reader of `tableName` through `db`, one per client and table, so that
   * every adapter built on the same client (inbox, incident store) shares its
   * batches.
   */
  static for(db: DynamoDbDocuments, tableName: string): DynamoDbBatchReader {
    let byTable = DynamoDbBatchReader.shared.get(db);
    if (byTable === undefined) {
      byTable = new Map();
      DynamoDbBatchReader.shared.set(db, byTable);
    }
    let reader = byTable.get(tableName);
    if (reader === undefined) {
      reader = new DynamoDbBatchReader(db, tableName);
      byTable.set(tableName, reader);
    }
    return reader;
  }

  private pending = new Map<string, { key: ItemKey; waiters: Waiter[] }>();
  private scheduled = false;
  private readonly maxKeys: number;
  private readonly maxAttempts: number;

  constructor(
    private readonly db: DynamoDbDocuments,
    private readonly tableName: string,
    options: BatchReaderOptions = {},
  ) {
    this.maxKeys = Math.min(100, Math.max(1, options.maxKeys ?? 100));
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 8);
  }

  /** The item with this key (strongly consistent), or undefined when there is none. */
  get(key: ItemKey): Promise<Record<string, unknown> | undefined> {
    return new Promise((resolve, reject) => {
      const id = keyString(key);
      const entry = this.pending.get(id);
      if (entry !== undefined) entry.waiters.push({ resolve, reject });
      else this.pending.set(id, { key: { PK: key.PK, SK: key.SK }, waiters: [{ resolve, reject }] });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O callbacks of this turn: reads started by all of them go out together.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const entries = [...this.pending.values()];
    this.pending = new Map();
    for (let i = 0; i < entries.length; i += this.maxKeys) {
      const chunk = entries.slice(i, i + this.maxKeys);
      void this.readChunk(chunk);
    }
  }

  private async readChunk(chunk: { key: ItemKey; waiters: Waiter[] }[]): Promise<void> {
    const byId = new Map(chunk.map((entry) => [keyString(entry.key), entry]));
    const settle = (id: string, item: Record<string, unknown> | undefined): void => {
      for (const waiter of byId.get(id)?.waiters ?? []) waiter.resolve(item);
      byId.delete(id);
    };
    try {
      if (chunk.length === 1) {
        const only = chunk[0] as { key: ItemKey };
        const out = await this.db.get({ TableName: this.tableName, Key: only.key, ConsistentRead: true });
        settle(keyString(only.key), out.Item);
        return;
      }
      let keys = chunk.map((entry) => entry.key);
      for (let attempt = 1; keys.length > 0; attempt += 1) {
        if (attempt > this.maxAttempts) throw new BatchReadIncompleteError(keys, this.maxAttempts);
        if (attempt > 1) await sleep(Math.random() * Math.min(1000, 25 * 2 ** attempt));
        const out = await this.db.batchGet({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } });
        for (const item of out.Responses?.[this.tableName] ?? []) settle(keyString({ PK: String(item.PK), SK: String(item.SK) }), item);
        const unprocessed = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []).map((k) => ({ PK: String(k.PK), SK: String(k.SK) }));
        const left = new Set(unprocessed.map(keyString));
        // A key asked for that is neither answered nor left unprocessed has no item.
        for (const key of keys) if (!left.has(keyString(key))) settle(keyString(key), undefined);
        keys = unprocessed;
      }
    } catch (error) {
      if (isValidationError(error) && byId.size > 1) {
        // One malformed key makes the service reject the whole batch: read each on its own.
        await Promise.all([...byId.values()].map((entry) => this.readChunk([entry])));
        return;
      }
      for (const entry of byId.values()) for (const waiter of entry.waiters) waiter.reject(error);
    }
  }
}

function isValidationError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ValidationException';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
