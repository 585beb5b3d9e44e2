import type { BatchWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { DynamoDbDocuments } from '../../lambdas/adapters/dynamodb-documents';
import { BatchWriteIncompleteError, DynamoDbBatchWriter } from '../../lambdas/adapters/dynamodb-batch-writer';

type Answer = { UnprocessedItems?: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> };

/** A document client whose BatchWriteItem answers come from `answers`, in order; records the items sent. */
function fakeClient(answers: Answer[]): { db: DynamoDbDocuments; sent: string[][] } {
  const sent: string[][] = [];
  const db = {
    batchWrite: async (input: BatchWriteCommandInput) => {
      sent.push((input.RequestItems?.t ?? []).map((r) => String(r.PutRequest?.Item?.PK)));
      const answer = answers.shift();
      if (answer === undefined) throw new Error('no answer left');
      return answer;
    },
  };
  // A stand-in for DynamoDB: only `batchWrite` is used by the writer for more than one item.
  return { db: db as unknown as DynamoDbDocuments, sent };
}

describe('DynamoDbBatchWriter', () => {
  it('writes again the items BatchWriteItem leaves unprocessed before resolving their callers', async () => {
    const { db, sent } = fakeClient([{ UnprocessedItems: { t: [{ PutRequest: { Item: { PK: 'B', SK: 'x' } } }] } }, {}]);
    const writer = new DynamoDbBatchWriter(db, 't');
    await Promise.all([writer.put({ PK: 'A', SK: 'x' }), writer.put({ PK: 'B', SK: 'x' })]);
    expect(sent).toEqual([['A', 'B'], ['B']]);
  });

  it('fails the callers of items still unprocessed after the last attempt with BatchWriteIncompleteError', async () => {
    const unprocessed: Answer = { UnprocessedItems: { t: [{ PutRequest: { Item: { PK: 'B', SK: 'x' } } }] } };
    const { db } = fakeClient([unprocessed, unprocessed]);
    const writer = new DynamoDbBatchWriter(db, 't', { maxAttempts: 2 });
    const [a, b] = await Promise.allSettled([writer.put({ PK: 'A', SK: 'x' }), writer.put({ PK: 'B', SK: 'x' })]);
    expect(a).toEqual({ status: 'fulfilled', value: undefined });
    expect(b.status).toBe('rejected');
    expect((b as PromiseRejectedResult).reason).toBeInstanceOf(BatchWriteIncompleteError);
  });

  it('shares one writer per client and table', () => {
    const { db } = fakeClient([]);
    expect(DynamoDbBatchWriter.for(db, 't')).toBe(DynamoDbBatchWriter.for(db, 't'));
  });
});
