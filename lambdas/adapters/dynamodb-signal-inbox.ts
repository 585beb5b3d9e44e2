import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InboxRecord, SignalInbox, SignalOutcome } from '../core/ports';
import { SignalSchema } from '../core/signal';
import { isConditionalCheckFailure, storeError } from './dynamodb-errors';

const signalPk = (id: string): string => `SIGNAL#${id}`;
const PENDING_INDEX_PK = 'PENDING_SIGNAL';

/**
 * `SignalInbox` on the incident table: item `SIGNAL#<id>` / `SIGNAL`, indexed
 * in GSI1 under `PENDING_SIGNAL` until processed, so that pending signals can
 * be re-driven after a crash.
 *
 * @example
 * const inbox = new DynamoDbSignalInbox(createDocumentClient(), process.env.TABLE_NAME!);
 * await inbox.accept(signal, new Date());
 */
export class DynamoDbSignalInbox implements SignalInbox {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async accept(signal: Parameters<SignalInbox['accept']>[0], receivedAt: Date): Promise<'accepted' | 'duplicate'> {
    const at = receivedAt.toISOString();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { PK: signalPk(signal.id), SK: 'SIGNAL', signal, receivedAt: at, state: 'pending', GSI1PK: PENDING_INDEX_PK, GSI1SK: `${at}#${signal.id}` },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return 'accepted';
    } catch (error) {
      if (isConditionalCheckFailure(error)) return 'duplicate';
      throw storeError('PutItem', error);
    }
  }

  async get(signalId: string): Promise<InboxRecord | undefined> {
    try {
      const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { PK: signalPk(signalId), SK: 'SIGNAL' }, ConsistentRead: true }));
      return out.Item === undefined ? undefined : toRecord(out.Item);
    } catch (error) {
      throw storeError('GetItem', error);
    }
  }

  async markProcessed(signalId: string, outcome: SignalOutcome, incidentId: string | undefined): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { PK: signalPk(signalId), SK: 'SIGNAL' },
          UpdateExpression: `SET #state = :processed, outcome = :outcome${incidentId === undefined ? '' : ', incidentId = :incidentId'} REMOVE GSI1PK, GSI1SK`,
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':processed': 'processed', ':outcome': outcome, ...(incidentId === undefined ? {} : { ':incidentId': incidentId }) },
        }),
      );
    } catch (error) {
      throw storeError('UpdateItem', error);
    }
  }

  async listPending(): Promise<InboxRecord[]> {
    const records: InboxRecord[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    try {
      do {
        const page = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: 'GSI1',
            KeyConditionExpression: 'GSI1PK = :pk',
            ExpressionAttributeValues: { ':pk': PENDING_INDEX_PK },
            ExclusiveStartKey,
          }),
        );
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
