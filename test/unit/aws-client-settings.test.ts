import { awsClientSettings, awsClientSettingsGeneration, useAwsClientSettings } from '../../lambdas/adapters/aws-client-settings';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb-client';
import { InProcessHttpHandler, localSigner, type LocalApiRequest } from '../../local/in-process-http-handler';

describe('aws client settings', () => {
  const restores: (() => void)[] = [];
  /** useAwsClientSettings whose restore afterEach calls unless the test already did. */
  const use = (settings: Parameters<typeof useAwsClientSettings>[0]): (() => void) => {
    const restoreSettings = useAwsClientSettings(settings);
    const restore = (): void => {
      restores.splice(restores.indexOf(restore), 1);
      restoreSettings();
    };
    restores.push(restore);
    return restore;
  };

  afterEach(() => {
    // Undo whatever a test left set, innermost first.
    for (const restore of [...restores].reverse()) restore();
  });

  it('has no settings for any service by default', () => {
    expect(awsClientSettings('dynamodb')).toEqual({});
    expect(awsClientSettings('sfn')).toEqual({});
  });

  it('returns the settings set for a service and changes the generation', () => {
    const before = awsClientSettingsGeneration();
    const requestHandler = new InProcessHttpHandler(() => ({ status: 200, headers: {}, body: '{}' }));
    use({ sfn: { requestHandler } });
    expect(awsClientSettings('sfn').requestHandler).toBe(requestHandler);
    expect(awsClientSettings('dynamodb')).toEqual({});
    expect(awsClientSettingsGeneration()).not.toBe(before);
  });

  it('puts the previous settings back on restore, nested uses included, and changes the generation each time', () => {
    const outerHandler = new InProcessHttpHandler(() => ({ status: 200, headers: {}, body: '{}' }));
    const innerHandler = new InProcessHttpHandler(() => ({ status: 200, headers: {}, body: '{}' }));
    const generations = [awsClientSettingsGeneration()];
    const restoreOuter = use({ dynamodb: { requestHandler: outerHandler } });
    generations.push(awsClientSettingsGeneration());
    const restoreInner = use({ dynamodb: { requestHandler: innerHandler } });
    generations.push(awsClientSettingsGeneration());
    expect(awsClientSettings('dynamodb').requestHandler).toBe(innerHandler);

    restoreInner();
    generations.push(awsClientSettingsGeneration());
    expect(awsClientSettings('dynamodb').requestHandler).toBe(outerHandler);

    restoreOuter();
    generations.push(awsClientSettingsGeneration());
    expect(awsClientSettings('dynamodb')).toEqual({});

    expect(new Set(generations).size).toBe(generations.length);
  });

  describe('createDocumentClient', () => {
    const savedEnv = { ...process.env };
    beforeEach(() => {
      // Region and credentials from the environment, so the SDK never looks for them elsewhere; the
      // endpoint is the discard port on loopback, so a request that missed the in-process handler fails there.
      process.env = { ...savedEnv, AWS_REGION: 'local', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9' };
      delete process.env.AWS_PROFILE;
    });
    afterEach(() => {
      process.env = savedEnv;
    });

    it('sends requests through the request handler set for dynamodb and unmarshalls its answer', async () => {
      const received: LocalApiRequest[] = [];
      const requestHandler = new InProcessHttpHandler((request) => {
        received.push(request);
        return {
          status: 200,
          headers: { 'content-type': 'application/x-amz-json-1.0' },
          body: JSON.stringify({ Item: { PK: { S: 'INC#1' }, SK: { S: 'META' }, count: { N: '3' }, tags: { L: [{ S: 'a' }] } } }),
        };
      });
      use({ dynamodb: { requestHandler, signer: localSigner('dynamodb', 'local') } });
      const db = createDocumentClient();
      try {
        const { Item } = await db.get({ TableName: 'incidents', Key: { PK: 'INC#1', SK: 'META' } });
        expect(Item).toEqual({ PK: 'INC#1', SK: 'META', count: 3, tags: ['a'] });
      } finally {
        db.destroy();
      }
      expect(received).toHaveLength(1);
      expect(received[0].headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
      expect(JSON.parse(received[0].body)).toEqual({ TableName: 'incidents', Key: { PK: { S: 'INC#1' }, SK: { S: 'META' } } });
    });

    it('uses the SDK default transport again once the settings are restored', () => {
      const requestHandler = new InProcessHttpHandler(() => ({ status: 200, headers: {}, body: '{}' }));
      const restore = use({ dynamodb: { requestHandler } });
      const inProcess = createDocumentClient();
      restore();
      const standard = createDocumentClient();
      try {
        expect(inProcess.client.config.requestHandler).toBe(requestHandler);
        expect(standard.client.config.requestHandler).not.toBe(requestHandler);
        expect(standard.client.config.requestHandler).not.toBeInstanceOf(InProcessHttpHandler);
      } finally {
        inProcess.destroy();
        standard.destroy();
      }
    });
  });
});
