import * as diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EmbeddedTarget } from '../../local/embedded';
import { IN_PROCESS_REQUEST_CHANNEL } from '../../local/in-process-http-handler';
import { LOCAL_AWS } from '../../local/local-dynamodb';
import { awsClientSettings } from '../../lambdas/adapters/aws-client-settings';
import { alertmanagerWebhook } from '../support/payloads';
import { post, startTestTarget } from '../support/embedded';

describe('embedded target: how its handlers reach the local AWS stand-ins', () => {
  let target: EmbeddedTarget;
  let endpoints: { dynamodb: string; sfn: string };

  beforeAll(async () => {
    target = await startTestTarget({ waitTimeOverrides: { 'Wait Out The Flap Hold': 0 } });
    endpoints = { dynamodb: new URL(String(process.env.AWS_ENDPOINT_URL_DYNAMODB)).host, sfn: new URL(String(process.env.AWS_ENDPOINT_URL_SFN)).host };
  });
  afterAll(async () => {
    await target.engine.idle();
    await target.close();
  });

  it('records an alert through in-process DynamoDB and Step Functions calls, with no loopback request to either', async () => {
    const inProcess: string[] = [];
    const overSockets: string[] = [];
    const onInProcess = (message: unknown): void => {
      inProcess.push((message as { host: string }).host);
    };
    const onSocket = (message: unknown): void => {
      overSockets.push(String((message as { request: ClientRequest }).request.getHeader('host')));
    };
    diagnosticsChannel.subscribe(IN_PROCESS_REQUEST_CHANNEL, onInProcess);
    diagnosticsChannel.subscribe('http.client.request.start', onSocket);
    try {
      const answer = await post(`${target.url}/alerts/alertmanager`, alertmanagerWebhook([{ alertname: 'AdversarialRefusalRateLow', fingerprint: 'd4d4d4d4d4d4d4d4' }]));
      expect(answer.status).toBe(202);
      await target.engine.idle();
    } finally {
      diagnosticsChannel.unsubscribe(IN_PROCESS_REQUEST_CHANNEL, onInProcess);
      diagnosticsChannel.unsubscribe('http.client.request.start', onSocket);
    }
    expect(inProcess).toContain(endpoints.dynamodb);
    expect(inProcess).toContain(endpoints.sfn);
    expect(overSockets).not.toContain(endpoints.dynamodb);
    expect(overSockets).not.toContain(endpoints.sfn);
  });

  it('still serves both APIs over HTTP to clients of other processes', async () => {
    const answer = await post(`${target.url}/alerts/alertmanager`, alertmanagerWebhook([{ alertname: 'AdversarialRefusalRateLow', fingerprint: 'e5e5e5e5e5e5e5e5' }]));
    const signalId = String((answer.body.accepted as { signalId: string }[])[0]?.signalId);
    await target.engine.idle();
    // Plain SDK clients: SigV4 over HTTP to the loopback endpoints, as the CLI or another process would use them.
    const sfn = new SFNClient({ ...LOCAL_AWS, endpoint: process.env.AWS_ENDPOINT_URL_SFN });
    const ddb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB });
    try {
      const arn = `${String(process.env.RESPOND_STATE_MACHINE_ARN).replace(':stateMachine:', ':execution:')}:${signalId}`;
      expect((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('SUCCEEDED');
      const stored = await ddb.send(new GetItemCommand({ TableName: String(process.env.TABLE_NAME), Key: { PK: { S: `SIGNAL#${signalId}` }, SK: { S: 'SIGNAL' } } }));
      expect(stored.Item?.state?.S).toBe('processed');
    } finally {
      sfn.destroy();
      ddb.destroy();
    }
  });

  it('hands the in-process transports to the handlers only while it runs', () => {
    expect(awsClientSettings('dynamodb').requestHandler).toBeDefined();
    expect(awsClientSettings('sfn').requestHandler).toBeDefined();
  });
});

describe('embedded target: after close', () => {
  it('leaves AWS clients created afterwards on the SDK defaults', async () => {
    const target = await startTestTarget({ waitTimeOverrides: { 'Wait Out The Flap Hold': 0 } });
    await target.close();
    expect(awsClientSettings('dynamodb')).toEqual({});
    expect(awsClientSettings('sfn')).toEqual({});
  });
});
