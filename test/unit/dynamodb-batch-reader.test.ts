import type { BatchGetCommandInput } from '@aws-sdk/lib-dynamodb';
import type { DynamoDbDocuments } from '../../lambdas/adapters/dynamodb-documents';
import { BatchReadIncompleteError, DynamoDbBatchReader } from '../../lambdas/adapters/dynamodb-batch-reader';

type Answer = { Responses?: Record<string, Record<string, unknown>[]>; UnprocessedKeys?: Record<string, { Keys: Record<string, unknown>[] }> };

/** A document client whose BatchGetItem answers come from `answers`, in order; records the keys asked for. */
function fakeClient(answers: Answer[]): { db: DynamoDbDocuments; asked: string[][] } {
  const asked: string[][] = [];
  const db = {
    batchGet: async (input: BatchGetCommandInput) => {
      const keys = input.RequestItems?.t?.Keys ?? [];
      asked.push(keys.map((k) => String(k.PK)));
      const answer = answers.shift();
      if (answer === undefined) throw new Error('no answer left');
      return answer;
    },
  };
  // A stand-in for DynamoDB: only `batchGet` is used by the reader for more than one key.
  return { db: db as unknown as DynamoDbDocuments, asked };
}

describe('DynamoDbBatchReader', () => {
  it('reads again the keys BatchGetItem leaves unprocessed and answers every caller', async () => {
    const { db, asked } = fakeClient([
      { Responses: { t: [{ PK: 'A', SK: 'x', v: 1 }] }, UnprocessedKeys: { t: { Keys: [{ PK: 'B', SK: 'x' }] } } },
      { Responses: { t: [{ PK: 'B', SK: 'x', v: 2 }] } },
    ]);
    const reader = new DynamoDbBatchReader(db, 't');
    const [a, b] = await Promise.all([reader.get({ PK: 'A', SK: 'x' }), reader.get({ PK: 'B', SK: 'x' })]);
    expect(a).toEqual({ PK: 'A', SK: 'x', v: 1 });
    expect(b).toEqual({ PK: 'B', SK: 'x', v: 2 });
    expect(asked).toEqual([['A', 'B'], ['B']]);
  });

  it('fails the callers of keys still unprocessed after the last attempt with BatchReadIncompleteError', async () => {
    const unprocessed: Answer = { UnprocessedKeys: { t: { Keys: [{ PK: 'B', SK: 'x' }] } } };
    const { db } = fakeClient([{ Responses: { t: [{ PK: 'A', SK: 'x' }] }, ...unprocessed }, unprocessed]);
    const reader = new DynamoDbBatchReader(db, 't', { maxAttempts: 2 });
    const [a, b] = await Promise.allSettled([reader.get({ PK: 'A', SK: 'x' }), reader.get({ PK: 'B', SK: 'x' })]);
    expect(a).toEqual({ status: 'fulfilled', value: { PK: 'A', SK: 'x' } });
    expect(b.status).toBe('rejected');
    expect((b as PromiseRejectedResult).reason).toBeInstanceOf(BatchReadIncompleteError);
  });

  it('shares one reader per client and table', () => {
    const { db } = fakeClient([]);
    expect(DynamoDbBatchReader.for(db, 't')).toBe(DynamoDbBatchReader.for(db, 't'));
    expect(DynamoDbBatchReader.for(db, 'u')).not.toBe(DynamoDbBatchReader.for(db, 't'));
  });
});
