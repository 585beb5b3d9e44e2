import type { DynamoDbDocuments } from './dynamodb-documents';
import type { InboxRecord, SignalInbox, SignalOutcome } from '../core/ports';
import { SignalSchema } from '../core/signal';
import { DynamoDbBatchReader } from './dynamodb-batch-reader';
import { DynamoDbBatchWriter } from './dynamodb-batch-writer';
import { isConditionalCheckFailure, storeError } from './dynamodb-errors';

const signalPk = (id: string): string => `SIGNAL#${id}`;
const PENDING_INDEX_PK = 'PENDING_SIGNAL';
/** Pending items kept from `get` until their `markProcessed` (oldest dropped first beyond this). */
const MAX_REMEMBERED = 1024;

/**
 * `SignalInbox` on the incident table: item `SIGNAL#<id>` / `SIGNAL`, indexed
 * in GSI1 under `PENDING_SIGNAL` until processed, so that pending signals can
 * be re-driven after a crash. Reads go through the table's shared
 * {@link DynamoDbBatchReader}, so they share BatchGetItem calls with the
 * incident store's.
 *
 * `markProcessed` of a signal whose pending item this inbox has just read
 * writes that item back whole, processed and out of the pending index,
 * through the table's {@link DynamoDbBatchWriter}, so that concurrent record
 * steps share BatchWriteItem calls. That needs no condition: a signal is
 * processed by its own `respond` execution only (the execution is named after
 * it), so nothing else changes its item between that read and this write, and
 * items are never deleted. Without such a read (or once it was dropped) it is
 * the conditional UpdateItem it always was.
 *
 * @example
 * const inbox = new DynamoDbSignalInbox(createDocumentClient(), process.env.TABLE_NAME!);
 * await inbox.accept(signal, new Date());
 */
export class DynamoDbSignalInbox implements SignalInbox {
  private readonly reader: DynamoDbBatchReader;
  private readonly writer: DynamoDbBatchWriter;
  /** Signal id → its pending item as last read, until it is marked processed. */
  private readonly pendingItems = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly db: DynamoDbDocuments,
    private readonly tableName: string,
  ) {
    this.reader = DynamoDbBatchReader.for(db, tableName);
    this.writer = DynamoDbBatchWriter.for(db, tableName);
  }

  async accept(signal: Parameters<SignalInbox['accept']>[0], receivedAt: Date): Promise<'accepted' | 'duplicate'> {
    const at = receivedAt.toISOString();
    try {
      await this.db.put({
        TableName: this.tableName,
        Item: { PK: signalPk(signal.id), SK: 'SIGNAL', signal, receivedAt: at, state: 'pending', GSI1PK: PENDING_INDEX_PK, GSI1SK: `${at}#${signal.id}` },
        ConditionExpression: 'attribute_not_exists(PK)',
      });
      return 'accepted';
    } catch (error) {
      if (isConditionalCheckFailure(error)) return 'duplicate';
      throw storeError('PutItem', error);
    }
  }

  async get(signalId: string): Promise<InboxRecord | undefined> {
    try {
      const item = await this.reader.get({ PK: signalPk(signalId), SK: 'SIGNAL' });
      if (item === undefined) return undefined;
      const record = toRecord(item);
      if (record.state === 'pending') this.remember(signalId, item);
      return record;
    } catch (error) {
      throw storeError('GetItem', error);
    }
  }

  async markProcessed(signalId: string, outcome: SignalOutcome, incidentId: string | undefined): Promise<void> {
    const read = this.pendingItems.get(signalId);
    this.pendingItems.delete(signalId);
    if (read !== undefined) {
      // What the update below does, on the item as read: processed, out of the pending index.
      const item: Record<string, unknown> = { ...read, state: 'processed', outcome, ...(incidentId === undefined ? {} : { incidentId }) };
      delete item.GSI1PK;
      delete item.GSI1SK;
      try {
        await this.writer.put(item);
        return;
      } catch (error) {
        throw storeError('BatchWriteItem', error);
      }
    }
    try {
      await this.db.update({
        TableName: this.tableName,
        Key: { PK: signalPk(signalId), SK: 'SIGNAL' },
        UpdateExpression: `SET #state = :processed, outcome = :outcome${incidentId === undefined ? '' : ', incidentId = :incidentId'} REMOVE GSI1PK, GSI1SK`,
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':processed': 'processed', ':outcome': outcome, ...(incidentId === undefined ? {} : { ':incidentId': incidentId }) },
      });
    } catch (error) {
      throw storeError('UpdateItem', error);
    }
  }

  private remember(signalId: string, item: Record<string, unknown>): void {
    this.pendingItems.delete(signalId);
    this.pendingItems.set(signalId, item);
    if (this.pendingItems.size > MAX_REMEMBERED) {
      const oldest = this.pendingItems.keys().next().value;
      if (oldest !== undefined) this.pendingItems.delete(oldest);
    }
  }

  async listPending(): Promise<InboxRecord[]> {
    const records: InboxRecord[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    try {
      do {
        const page = await this.db.query({
          TableName: this.tableName,
          IndexName: 'GSI1',
          KeyConditionExpression: 'GSI1PK = :pk',
          ExpressionAttributeValues: { ':pk': PENDING_INDEX_PK },
          ExclusiveStartKey,
        });
        records.push(...(page.Items ?? []).map(toRecord));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey !== undefined);
    } catch (error) {
      throw storeError('Query', error);
    }
    return records;
  }
}

function toRecord(item: Record<string, unknown>): InboxRecord {
  return {
    signal: SignalSchema.parse(item.signal),
    receivedAt: String(item.receivedAt),
    state: item.state === 'processed' ? 'processed' : 'pending',
    ...(typeof item.outcome === 'string' ? { outcome: item.outcome as SignalOutcome } : {}),
    ...(typeof item.incidentId === 'string' ? { incidentId: item.incidentId } : {}),
  };
}
