import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * The base of the loopback fakes of vendor APIs (test/support/fake-aws.ts,
 * test/support/fake-vendors-records.ts): an HTTP server on 127.0.0.1 that
 * names each request's operation, records it, answers it (or with an error
 * injected by `failNext`), and the AWS JSON 1.1 protocol several of them speak.
 */

/** One request as the fake received it. */
export interface RecordedRequest {
  /** The API operation, e.g. `GetParameter`, `UpdateAlias`. */
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: http.IncomingHttpHeaders;
  /** The JSON body, parsed; undefined when there was none. */
  readonly body: Record<string, unknown> | undefined;
}

/** An error answer in the service's own terms. */
export interface AwsErrorReply {
  readonly status: number;
  /** The error code, e.g. `ThrottlingException`. */
  readonly type: string;
  readonly message: string;
}

/** The answer to one request. */
export interface Reply {
  readonly status: number;
  readonly contentType?: string;
  readonly body?: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The loopback server, request log and error injection every fake shares. */
export abstract class LoopbackFake {
  readonly requests: RecordedRequest[] = [];
  private server: http.Server | undefined;
  private port = 0;
  private readonly failures: { operation: string; error: AwsErrorReply }[] = [];

  /** `http://127.0.0.1:<port>`, for the client's `endpoint` or `baseUrl`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests of one operation, in order. */
  requestsOf(operation: string): RecordedRequest[] {
    return this.requests.filter((r) => r.operation === operation);
  }

  /** The next request of `operation` gets this error instead of its answer. */
  failNext(operation: string, error: AwsErrorReply): void {
    this.failures.push({ operation, error });
  }

  async listen(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.serve(req, res).catch((error: unknown) => {
        // A fake that cannot answer says why, as a 500 the client reports, rather than hanging the test.
        if (!res.headersSent) this.write(res, this.errorReply({ status: 500, type: 'InternalFailure', message: String(error) }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Names the operation of a request, or undefined when the service has no such route. */
  protected abstract operationOf(method: string, url: URL, headers: http.IncomingHttpHeaders): string | undefined;
  protected abstract handle(request: RecordedRequest): Reply | Promise<Reply>;
  protected abstract errorReply(error: AwsErrorReply): Reply;

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const operation = this.operationOf(method, url, req.headers);
    const request: RecordedRequest = {
      operation: operation ?? 'Unknown',
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
    };
    this.requests.push(request);
    if (operation === undefined) {
      this.write(res, this.errorReply({ status: 400, type: 'UnknownOperationException', message: `no route for ${method} ${url.pathname}` }));
      return;
    }
    const index = this.failures.findIndex((f) => f.operation === operation);
    if (index >= 0) {
      this.write(res, this.errorReply(this.failures.splice(index, 1)[0]!.error));
      return;
    }
    this.write(res, await this.handle(request));
  }

  private write(res: http.ServerResponse, reply: Reply): void {
    const body = reply.body ?? '';
    res.writeHead(reply.status, {
      'x-amzn-requestid': randomUUID(),
      ...(reply.contentType === undefined ? {} : { 'content-type': reply.contentType }),
      'content-length': Buffer.byteLength(body),
      ...reply.headers,
    });
    res.end(body);
  }
}

// ---------------------------------------------------------------- AWS JSON 1.1

/** AWS JSON 1.1: the operation is named by `X-Amz-Target: <prefix>.<Operation>`. */
export abstract class FakeJson11 extends LoopbackFake {
  protected abstract readonly targetPrefix: string;

  protected operationOf(method: string, url: URL, headers: http.IncomingHttpHeaders): string | undefined {
    const target = String(headers['x-amz-target'] ?? '');
    const json11 = String(headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1');
    if (method !== 'POST' || url.pathname !== '/' || !json11 || !target.startsWith(`${this.targetPrefix}.`)) return undefined;
    return target.slice(this.targetPrefix.length + 1);
  }

  protected errorReply(error: AwsErrorReply): Reply {
    return { status: error.status, contentType: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: error.type, message: error.message }) };
  }

  protected ok(body: unknown): Reply {
    return { status: 200, contentType: 'application/x-amz-json-1.1', body: JSON.stringify(body) };
  }

  protected fail(type: string, message: string, status = 400): Reply {
    return this.errorReply({ status, type, message });
  }
}
