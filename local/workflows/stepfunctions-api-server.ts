import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InProcessHttpHandler, type LocalApiRequest, type LocalApiResponse } from '../in-process-http-handler';
import { LocalStepFunctionsError, type LocalExecution, type LocalWorkflowEngine } from './local-workflow-engine';

/** The Step Functions API actions the embedded target serves. */
const ACTIONS = ['StartExecution', 'DescribeExecution', 'ListExecutions', 'GetExecutionHistory'] as const;

const epochSeconds = (date: Date | undefined): number | undefined => (date === undefined ? undefined : date.getTime() / 1000);

function describe(execution: LocalExecution): Record<string, unknown> {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: epochSeconds(execution.startDate),
    stopDate: epochSeconds(execution.stopDate),
    input: execution.input,
    output: execution.output,
    error: execution.error,
    cause: execution.cause,
  };
}

function handle(engine: LocalWorkflowEngine, action: string, body: Record<string, unknown>): unknown {
  switch (action) {
    case 'StartExecution': {
      const execution = engine.start(String(body.stateMachineArn ?? ''), String(body.name ?? crypto.randomUUID()), String(body.input ?? '{}'));
      return { executionArn: execution.executionArn, startDate: epochSeconds(execution.startDate) };
    }
    case 'DescribeExecution':
      return describe(engine.describe(String(body.executionArn ?? '')));
    case 'ListExecutions':
      return {
        executions: engine
          .list(String(body.stateMachineArn ?? ''))
          .filter((e) => body.statusFilter === undefined || e.status === body.statusFilter)
          .map((e) => ({ executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status, startDate: epochSeconds(e.startDate), stopDate: epochSeconds(e.stopDate) })),
      };
    case 'GetExecutionHistory':
      return {
        events: engine.describe(String(body.executionArn ?? '')).events.map((event, index) => ({
          id: index + 1,
          timestamp: event.timestamp / 1000,
          type: event.type,
          ...(event.stateName === undefined ? {} : { stateName: event.stateName }),
          ...(event.detail === undefined ? {} : { detail: event.detail }),
        })),
      };
    default:
      throw new LocalStepFunctionsError('InvalidName', `unsupported action ${action}`);
  }
}

const JSON_10 = 'application/x-amz-json-1.0';

function answer(status: number, payload: unknown, errorType?: string): LocalApiResponse {
  return { status, headers: { 'content-type': JSON_10, ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }) }, body: JSON.stringify(payload) };
}

/**
 * Answers one Step Functions API request (AWS JSON 1.0: action in
 * `X-Amz-Target`, JSON body) from the engine: the HTTP server below and the
 * embedded target's in-process transport both go through here.
 */
export function serveStepFunctionsRequest(engine: LocalWorkflowEngine, request: Pick<LocalApiRequest, 'headers' | 'body'>): LocalApiResponse {
  const target = request.headers['x-amz-target'] ?? '';
  const action = target.replace(/^AWSStepFunctions\./, '');
  try {
    if (!(ACTIONS as readonly string[]).includes(action)) {
      return answer(400, { __type: 'UnknownOperationException', message: `the embedded Step Functions API does not serve ${target || '(no X-Amz-Target)'}` }, 'UnknownOperationException');
    }
    const body = JSON.parse(request.body || '{}') as Record<string, unknown>;
    return answer(200, handle(engine, action, body));
  } catch (error) {
    if (error instanceof LocalStepFunctionsError) return answer(400, { __type: error.type, message: error.message }, error.type);
    if (error instanceof SyntaxError) return answer(400, { __type: 'SerializationException', message: error.message }, 'SerializationException');
    return answer(500, { __type: 'InternalFailure', message: (error as Error).message }, 'InternalFailure');
  }
}

/**
 * Serves the Step Functions API actions Firebreak calls (StartExecution,
 * DescribeExecution, ListExecutions, GetExecutionHistory) in the AWS JSON 1.0
 * protocol on loopback, so @aws-sdk/client-sfn works unchanged against the
 * embedded target (`AWS_ENDPOINT_URL_SFN`). The embedded target's own
 * clients skip the socket with `requestHandler`.
 */
export async function startStepFunctionsApi(engine: LocalWorkflowEngine): Promise<{ endpoint: string; requestHandler: InProcessHttpHandler; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const response = serveStepFunctionsRequest(engine, { headers: { 'x-amz-target': String(req.headers['x-amz-target'] ?? '') }, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(response.status, response.headers);
      res.end(response.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requestHandler: new InProcessHttpHandler((request) => serveStepFunctionsRequest(engine, request)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
