import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { HttpRequest } from '@smithy/types';
import { InProcessHttpHandler, localSigner, type LocalApiRequest, type LocalApiResponse } from '../../local/in-process-http-handler';

const STATE_MACHINE_ARN = 'arn:aws:states:local:000000000000:stateMachine:respond';

/** A real SFN client whose requests go to `serve`; its endpoint (the discard port) is never contacted. */
function sfnClient(serve: (request: LocalApiRequest) => LocalApiResponse): SFNClient {
  return new SFNClient({
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    endpoint: 'http://127.0.0.1:9',
    requestHandler: new InProcessHttpHandler(serve),
    signer: localSigner('states', 'local'),
  });
}

/** An SDK HTTP request as the client hands it to its request handler. */
const httpRequest = (fields: Pick<HttpRequest, 'method' | 'path' | 'headers'> & { body?: unknown }): HttpRequest => ({
  protocol: 'http:',
  hostname: '127.0.0.1',
  port: 9,
  query: {},
  ...fields,
});

const json = (status: number, payload: unknown, headers: Record<string, string> = {}): LocalApiResponse => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.0', ...headers },
  body: JSON.stringify(payload),
});

describe('InProcessHttpHandler', () => {
  it('hands the serve function the request with lower-case headers, the action, the JSON body and a local SigV4-shaped authorization', async () => {
    const received: LocalApiRequest[] = [];
    const client = sfnClient((request) => {
      received.push(request);
      return json(200, { executionArn: `${STATE_MACHINE_ARN}:inc-1`, startDate: 1_795_000_000 });
    });
    try {
      await client.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'inc-1', input: '{"incidentId":"inc-1"}' }));
    } finally {
      client.destroy();
    }
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/');
    for (const name of Object.keys(request.headers)) expect(name).toBe(name.toLowerCase());
    expect(request.headers['x-amz-target']).toBe('AWSStepFunctions.StartExecution');
    expect(request.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(JSON.parse(request.body)).toEqual({ stateMachineArn: STATE_MACHINE_ARN, name: 'inc-1', input: '{"incidentId":"inc-1"}' });
    expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/local\/states\/aws4_request, SignedHeaders=/);
    expect(request.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(request.headers.authorization).toContain(`Credential=local/${request.headers['x-amz-date'].slice(0, 8)}/`);
  });

  it('parses a 200 answer into the command output', async () => {
    const client = sfnClient(() => json(200, { executionArn: `${STATE_MACHINE_ARN}:inc-2`, startDate: 1_795_000_000 }));
    try {
      const output = await client.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'inc-2' }));
      expect(output.executionArn).toBe(`${STATE_MACHINE_ARN}:inc-2`);
      expect(output.startDate).toEqual(new Date(1_795_000_000 * 1000));
      expect(output.$metadata.httpStatusCode).toBe(200);
    } finally {
      client.destroy();
    }
  });

  it('turns a 400 answer with an error type into a rejection carrying that error name and message', async () => {
    const client = sfnClient(() =>
      json(400, { __type: 'ExecutionAlreadyExists', message: 'execution inc-3 already exists' }, { 'x-amzn-errortype': 'ExecutionAlreadyExists' }),
    );
    try {
      await expect(client.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'inc-3' }))).rejects.toMatchObject({
        name: 'ExecutionAlreadyExists',
        message: 'execution inc-3 already exists',
        $metadata: { httpStatusCode: 400 },
      });
    } finally {
      client.destroy();
    }
  });

  it('passes a byte body to the serve function as UTF-8 text', async () => {
    const received: LocalApiRequest[] = [];
    const handler = new InProcessHttpHandler((request) => {
      received.push(request);
      return { status: 204, headers: { 'X-Answer': 'yes' }, body: '' };
    });
    const bytes = new TextEncoder().encode('{"name":"é-1"}');
    // A view into a larger buffer: only the viewed bytes are the body.
    const padded = new Uint8Array(bytes.length + 4);
    padded.set(bytes, 2);
    const body = padded.subarray(2, 2 + bytes.length);
    const { response } = await handler.handle(httpRequest({ method: 'POST', path: '/', headers: { 'X-Amz-Target': 'AWSStepFunctions.StartExecution' }, body }));
    expect(received).toEqual([{ method: 'POST', path: '/', headers: { 'x-amz-target': 'AWSStepFunctions.StartExecution' }, body: '{"name":"é-1"}' }]);
    expect(response.statusCode).toBe(204);
    expect(response.headers).toEqual({ 'X-Answer': 'yes' });
  });

  it('passes a missing body as empty text', async () => {
    const received: LocalApiRequest[] = [];
    const handler = new InProcessHttpHandler((request) => {
      received.push(request);
      return { status: 200, headers: {}, body: '{}' };
    });
    await handler.handle(httpRequest({ method: 'GET', path: '/ping', headers: {} }));
    expect(received.map((request) => request.body)).toEqual(['']);
  });

  it('rejects a body that is neither text nor bytes with a TypeError naming the problem, without calling serve', async () => {
    const serve = jest.fn(() => json(200, {}));
    const handler = new InProcessHttpHandler(serve);
    const request = httpRequest({ method: 'POST', path: '/', headers: {}, body: { stream: true } });
    await expect(handler.handle(request)).rejects.toThrow(TypeError);
    await expect(handler.handle(request)).rejects.toThrow('in-process AWS requests carry a string or bytes body, not object');
    expect(serve).not.toHaveBeenCalled();
  });
});
