import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { withoutSdkCallLogging } from '../../lambdas/adapters/aws-client-tuning';
import { InProcessHttpHandler } from '../../local/in-process-http-handler';

function client(logger: { debug(): void; info: jest.Mock; warn(): void; error: jest.Mock }, status = 200): DynamoDBClient {
  const requestHandler = new InProcessHttpHandler(() =>
    status === 200
      ? { status, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{"Item":{"PK":{"S":"a"}}}' }
      : { status, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"no table"}' },
  );
  return new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, endpoint: 'http://127.0.0.1:9', requestHandler, logger, maxAttempts: 1 });
}

const logger = (): { debug(): void; info: jest.Mock; warn(): void; error: jest.Mock } => ({ debug: () => undefined, info: jest.fn(), warn: () => undefined, error: jest.fn() });

describe('withoutSdkCallLogging', () => {
  it('stops the SDK from handing each call to its logger', async () => {
    const seen = logger();
    const plain = client(seen);
    await plain.send(new GetItemCommand({ TableName: 't', Key: { PK: { S: 'a' } } }));
    expect(seen.info).toHaveBeenCalledTimes(1);

    const quiet = logger();
    const tuned = withoutSdkCallLogging(client(quiet));
    const out = await tuned.send(new GetItemCommand({ TableName: 't', Key: { PK: { S: 'a' } } }));
    expect(out.Item).toEqual({ PK: { S: 'a' } });
    expect(quiet.info).not.toHaveBeenCalled();
  });

  it('still rejects with the service error, unlogged', async () => {
    const quiet = logger();
    const tuned = withoutSdkCallLogging(client(quiet, 400));
    await expect(tuned.send(new GetItemCommand({ TableName: 't', Key: { PK: { S: 'a' } } }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(quiet.error).not.toHaveBeenCalled();
  });
});
