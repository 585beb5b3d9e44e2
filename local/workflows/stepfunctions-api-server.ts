import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
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

/**
 * Serves the Step Functions API actions Firebreak calls (StartExecution,
 * DescribeExecution, ListExecutions, GetExecutionHistory) in the AWS JSON 1.0
 * protocol on loopback, so @aws-sdk/client-sfn works unchanged against the
 * embedded target (`AWS_ENDPOINT_URL_SFN`).
 */
export async function startStepFunctionsApi(engine: LocalWorkflowEngine): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.replace(/^AWSStepFunctions\./, '');
      const send = (status: number, payload: unknown, errorType?: string): void => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }) });
        res.end(JSON.stringify(payload));
      };
      try {
        if (!(ACTIONS as readonly string[]).includes(action)) {
          send(400, { __type: 'UnknownOperationException', message: `the embedded Step Functions API does not serve ${target || '(no X-Amz-Target)'}` }, 'UnknownOperationException');
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        send(200, handle(engine, action, body));
      } catch (error) {
        if (error instanceof LocalStepFunctionsError) send(400, { __type: error.type, message: error.message }, error.type);
        else if (error instanceof SyntaxError) send(400, { __type: 'SerializationException', message: error.message }, 'SerializationException');
        else send(500, { __type: 'InternalFailure', message: (error as Error).message }, 'InternalFailure');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
