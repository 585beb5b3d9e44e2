import * as diagnosticsChannel from 'node:diagnostics_channel';
import type { HttpRequest, HttpResponse, RequestHandler, RequestSigner } from '@smithy/types';

/** One AWS JSON-protocol request as a local stand-in sees it. */
export interface LocalApiRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A local stand-in's answer. */
export interface LocalApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Diagnostics channel on which each in-process request is published as
 * `{ host, target }` (host = the endpoint's `hostname:port`, target = its
 * `X-Amz-Target`), the way Node publishes `http.client.request.start` for
 * requests over a socket: the benchmark counts calls per delivery with it.
 */
export const IN_PROCESS_REQUEST_CHANNEL = 'firebreak.local-aws.request';
const requestChannel = diagnosticsChannel.channel(IN_PROCESS_REQUEST_CHANNEL);

/**
 * An AWS SDK request handler that hands each request to a local stand-in
 * (the embedded Step Functions engine, dynalite) without a socket: the SDK
 * serializes, retries and parses exactly as over HTTP; only the loopback
 * round trip (an HTTP client and server on one machine) is skipped. The
 * stand-ins keep serving HTTP for other processes.
 *
 * @example
 * new SFNClient({ requestHandler: new InProcessHttpHandler((req) => serveStepFunctionsRequest(engine, req)) });
 */
export class InProcessHttpHandler implements RequestHandler<HttpRequest, HttpResponse> {
  constructor(private readonly serve: (request: LocalApiRequest) => LocalApiResponse | Promise<LocalApiResponse>) {}

  async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    if (requestChannel.hasSubscribers) requestChannel.publish({ host: `${request.hostname}${request.port === undefined ? '' : `:${request.port}`}`, target: headers['x-amz-target'] ?? '' });
    const answer = await this.serve({ method: request.method, path: request.path, headers, body: bodyText(request.body) });
    return { response: { statusCode: answer.status, headers: { ...answer.headers }, body: Buffer.from(answer.body, 'utf8') } };
  }

  updateHttpClientConfig(): void {
    // Nothing to configure: there is no connection.
  }

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  throw new TypeError(`in-process AWS requests carry a string or bytes body, not ${typeof body}`);
}

/**
 * A SigV4-shaped signer for local stand-ins, which accept any credentials and
 * check only that an `Authorization: AWS4-…` header with its parts and a date
 * are present (dynalite answers `MissingAuthenticationTokenException`
 * otherwise). It computes no signature: on loopback that HMAC work (about a
 * tenth of the embedded target's CPU per alert) buys nothing. Never used
 * against AWS.
 */
export function localSigner(service: string, region: string): RequestSigner {
  return {
    sign: async (request: HttpRequest): Promise<HttpRequest> => {
      const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
      request.headers['x-amz-date'] = amzDate;
      request.headers.authorization = `AWS4-HMAC-SHA256 Credential=local/${amzDate.slice(0, 8)}/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=unsigned-local`;
      return request;
    },
  };
}
