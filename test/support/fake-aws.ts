import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * Small fakes of the AWS APIs the model control plane adapters call, served
 * on 127.0.0.1 and speaking the real wire protocols, so the real SDK clients
 * (serialisation, error parsing, retries) run against them:
 *
 * - SSM and SageMaker: AWS JSON 1.1 — `POST /`, `X-Amz-Target: AmazonSSM.GetParameter`,
 *   `Content-Type: application/x-amz-json-1.1`; errors are HTTP 400 with
 *   `{"__type": "ParameterNotFound", "message": ...}`; timestamps are epoch seconds.
 * - Lambda: REST-JSON — `GET|PUT /2015-03-31/functions/{name}/aliases/{alias}`,
 *   `GET /2015-03-31/functions/{name}/versions?Marker=&MaxItems=`; errors carry
 *   the HTTP status of the error (404, 412…) and `X-Amzn-ErrorType`.
 *
 * Every request is recorded (operation, method, path, query, headers, parsed
 * body) so tests check the exact requests sent. Only the behaviour the
 * adapters depend on is modelled.
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

interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly error?: AwsErrorReply;
}

/** Credentials and region for SDK clients pointed at a fake; `maxAttempts: 1` so a test sees every answer. */
export const FAKE_AWS_CLIENT_CONFIG = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' },
  maxAttempts: 1,
} as const;

const ACCOUNT = '123456789012';

/** What every fake shares: the loopback server, the request log, error injection. */
abstract class FakeAwsService {
  readonly requests: RecordedRequest[] = [];
  private server: http.Server | undefined;
  private readonly failures: { operation: string; error: AwsErrorReply }[] = [];
  private port = 0;

  /** `http://127.0.0.1:<port>`, for the SDK client's `endpoint`. */
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
        // A fake that cannot answer says why, as a 500 the SDK reports, rather than hanging the test.
        if (!res.headersSent) this.writeJson(res, 500, { __type: 'InternalFailure', message: String(error) });
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
  protected abstract operationOf(method: string, path: string, headers: http.IncomingHttpHeaders): string | undefined;
  protected abstract handle(request: RecordedRequest): Reply;
  protected abstract writeError(res: http.ServerResponse, error: AwsErrorReply): void;

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const operation = this.operationOf(method, url.pathname, req.headers);
    const request: RecordedRequest = {
      operation: operation ?? 'Unknown',
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
    };
    this.requests.push(request);
    let reply: Reply;
    if (operation === undefined) {
      reply = { status: 400, error: { status: 400, type: 'UnknownOperationException', message: `no route for ${method} ${url.pathname}` } };
    } else {
      const index = this.failures.findIndex((f) => f.operation === operation);
      reply = index >= 0 ? { status: this.failures[index]!.error.status, error: this.failures.splice(index, 1)[0]!.error } : this.handle(request);
    }
    res.setHeader('x-amzn-requestid', randomUUID());
    if (reply.error !== undefined) {
      this.writeError(res, reply.error);
      return;
    }
    this.writeJson(res, reply.status, reply.body ?? {});
  }

  protected writeJson(res: http.ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}

/** AWS JSON 1.1: the operation is named by `X-Amz-Target: <prefix>.<Operation>`. */
abstract class FakeJson11Service extends FakeAwsService {
  protected abstract readonly targetPrefix: string;

  protected operationOf(method: string, path: string, headers: http.IncomingHttpHeaders): string | undefined {
    const target = String(headers['x-amz-target'] ?? '');
    const json11 = String(headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1');
    if (method !== 'POST' || path !== '/' || !json11 || !target.startsWith(`${this.targetPrefix}.`)) return undefined;
    return target.slice(this.targetPrefix.length + 1);
  }

  protected writeError(res: http.ServerResponse, error: AwsErrorReply): void {
    this.writeJson(res, error.status, { __type: error.type, message: error.message }, 'application/x-amz-json-1.1');
  }

  protected ok(body: unknown): Reply {
    return { status: 200, body };
  }

  protected fail(type: string, message: string, status = 400): Reply {
    return { status, error: { status, type, message } };
  }
}

const epochSeconds = (date: Date): number => date.getTime() / 1000;

interface FakeParameterVersion {
  readonly version: number;
  readonly value: string;
  readonly type: string;
  readonly tier: string;
  readonly lastModified: Date;
}

/**
 * SSM Parameter Store: GetParameter (with `name:version` selectors) and
 * PutParameter (versions numbered 1, 2, …; `ParameterAlreadyExists` without
 * `Overwrite`).
 *
 * @example
 * const ssm = await FakeSsm.start();
 * const client = new SSMClient({ ...FAKE_AWS_CLIENT_CONFIG, endpoint: ssm.endpoint });
 */
export class FakeSsm extends FakeJson11Service {
  protected readonly targetPrefix = 'AmazonSSM';
  private readonly parameters = new Map<string, FakeParameterVersion[]>();
  /**
   * Runs when a PutParameter arrives, before it is applied: a test writes
   * there (`putOutOfBand`) to have another writer land first.
   */
  beforePut: ((name: string) => void) | undefined;
  /** Runs when a PutParameter has been applied, before it is answered: a test writes there to land right after it. */
  afterPut: ((name: string, version: number) => void) | undefined;

  static start(): Promise<FakeSsm> {
    return new FakeSsm().listen();
  }

  /** A write by someone else (the console, another tool), straight into the store. */
  putOutOfBand(name: string, value: string): number {
    const versions = this.parameters.get(name) ?? [];
    const version = (versions.at(-1)?.version ?? 0) + 1;
    versions.push({ version, value, type: 'String', tier: 'Standard', lastModified: new Date() });
    this.parameters.set(name, versions);
    return version;
  }

  /** The latest value and version of a parameter. */
  latest(name: string): { value: string; version: number } | undefined {
    const last = this.parameters.get(name)?.at(-1);
    return last === undefined ? undefined : { value: last.value, version: last.version };
  }

  protected handle(request: RecordedRequest): Reply {
    const body = request.body ?? {};
    switch (request.operation) {
      case 'GetParameter': {
        const [name, selector] = splitSelector(String(body.Name));
        const versions = this.parameters.get(name);
        if (versions === undefined) return this.fail('ParameterNotFound', '');
        const found = selector === undefined ? versions.at(-1) : versions.find((v) => String(v.version) === selector);
        if (found === undefined) return this.fail('ParameterVersionNotFound', `Systems Manager could not find version ${selector} of ${name}. Verify the version and try again.`);
        return this.ok({
          Parameter: {
            Name: name,
            Type: found.type,
            Value: found.value,
            Version: found.version,
            ...(selector === undefined ? {} : { Selector: `:${selector}` }),
            LastModifiedDate: epochSeconds(found.lastModified),
            ARN: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter${name}`,
            DataType: 'text',
          },
        });
      }
      case 'PutParameter': {
        const name = String(body.Name);
        if (typeof body.Value !== 'string' || typeof body.Type !== 'string') return this.fail('ValidationException', 'Value and Type are required');
        this.beforePut?.(name);
        const versions = this.parameters.get(name);
        if (versions !== undefined && body.Overwrite !== true) {
          return this.fail('ParameterAlreadyExists', 'The parameter already exists. To overwrite this request value, set the overwrite option in the request to true.');
        }
        const list = versions ?? [];
        const version = (list.at(-1)?.version ?? 0) + 1;
        const tier = typeof body.Tier === 'string' ? body.Tier : 'Standard';
        list.push({ version, value: body.Value, type: body.Type, tier, lastModified: new Date() });
        this.parameters.set(name, list);
        this.afterPut?.(name, version);
        return this.ok({ Version: version, Tier: tier });
      }
      default:
        return this.fail('UnknownOperationException', `${request.operation} is not modelled by FakeSsm`);
    }
  }
}

/** `name:selector` → [name, selector]; SSM names start with `/`, so the selector is after the last `:`. */
function splitSelector(name: string): [string, string | undefined] {
  const colon = name.lastIndexOf(':');
  return colon > 0 ? [name.slice(0, colon), name.slice(colon + 1)] : [name, undefined];
}

/** A production variant of a fake endpoint. */
export interface FakeVariant {
  readonly VariantName: string;
  CurrentWeight: number;
  DesiredWeight: number;
  readonly CurrentInstanceCount: number;
  readonly DesiredInstanceCount: number;
}

/** A fake endpoint, as a test sets it up and inspects it. */
export interface FakeEndpoint {
  readonly EndpointName: string;
  EndpointStatus: string;
  readonly CreationTime: Date;
  LastModifiedTime: Date;
  readonly ProductionVariants: FakeVariant[];
}

/**
 * SageMaker: DescribeEndpoint and UpdateEndpointWeightsAndCapacities, with
 * the service's answers for an unknown endpoint and for an endpoint that is
 * not `InService` (both `ValidationException`s). An update leaves the endpoint
 * `Updating` until the test calls `completeUpdate`.
 *
 * @example
 * const sm = await FakeSageMaker.start();
 * sm.addEndpoint('support-bot', [['v1', 0], ['v2', 1]]);
 */
export class FakeSageMaker extends FakeJson11Service {
  protected readonly targetPrefix = 'SageMaker';
  readonly endpoints = new Map<string, FakeEndpoint>();

  static start(): Promise<FakeSageMaker> {
    return new FakeSageMaker().listen();
  }

  addEndpoint(name: string, variants: readonly (readonly [string, number])[], at = new Date('2026-11-01T09:00:00.000Z')): FakeEndpoint {
    const endpoint: FakeEndpoint = {
      EndpointName: name,
      EndpointStatus: 'InService',
      CreationTime: at,
      LastModifiedTime: at,
      ProductionVariants: variants.map(([VariantName, weight]) => ({ VariantName, CurrentWeight: weight, DesiredWeight: weight, CurrentInstanceCount: 1, DesiredInstanceCount: 1 })),
    };
    this.endpoints.set(name, endpoint);
    return endpoint;
  }

  /** SageMaker finishes shifting the traffic: current weights = desired, `InService`. */
  completeUpdate(name: string, at = new Date()): void {
    const endpoint = this.endpoints.get(name)!;
    for (const v of endpoint.ProductionVariants) v.CurrentWeight = v.DesiredWeight;
    endpoint.EndpointStatus = 'InService';
    endpoint.LastModifiedTime = at;
  }

  private arn(name: string): string {
    return `arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint/${name.toLowerCase()}`;
  }

  protected handle(request: RecordedRequest): Reply {
    const name = String(request.body?.EndpointName);
    const endpoint = this.endpoints.get(name);
    if (endpoint === undefined) return this.fail('ValidationException', `Could not find endpoint "${this.arn(name)}".`);
    switch (request.operation) {
      case 'DescribeEndpoint':
        return this.ok({
          EndpointName: endpoint.EndpointName,
          EndpointArn: this.arn(name),
          EndpointConfigName: `${name}-config`,
          ProductionVariants: endpoint.ProductionVariants,
          EndpointStatus: endpoint.EndpointStatus,
          CreationTime: epochSeconds(endpoint.CreationTime),
          LastModifiedTime: epochSeconds(endpoint.LastModifiedTime),
        });
      case 'UpdateEndpointWeightsAndCapacities': {
        if (endpoint.EndpointStatus !== 'InService') return this.fail('ValidationException', `Cannot update in-progress endpoint "${this.arn(name)}".`);
        const desired = (request.body?.DesiredWeightsAndCapacities ?? []) as { VariantName: string; DesiredWeight?: number }[];
        const unknown = desired.filter((d) => !endpoint.ProductionVariants.some((v) => v.VariantName === d.VariantName));
        if (desired.length === 0 || unknown.length > 0) return this.fail('ValidationException', `The variant name(s) "${unknown.map((d) => d.VariantName).join(', ')}" is/are not present.`);
        for (const d of desired) {
          const variant = endpoint.ProductionVariants.find((v) => v.VariantName === d.VariantName)!;
          if (d.DesiredWeight !== undefined) variant.DesiredWeight = d.DesiredWeight;
        }
        endpoint.EndpointStatus = 'Updating';
        endpoint.LastModifiedTime = new Date(Math.max(Date.now(), endpoint.LastModifiedTime.getTime() + 1));
        return this.ok({ EndpointArn: this.arn(name) });
      }
      default:
        return this.fail('UnknownOperationException', `${request.operation} is not modelled by FakeSageMaker`);
    }
  }
}

/** An alias of a fake function. */
export interface FakeAlias {
  FunctionVersion: string;
  Description: string;
  RevisionId: string;
  RoutingConfig?: { AdditionalVersionWeights: Record<string, number> };
}

interface FakeFunction {
  readonly versions: { Version: string; LastModified: string }[];
  readonly aliases: Map<string, FakeAlias>;
}

const LAMBDA_API = '/2015-03-31/functions/';

/**
 * Lambda: GetAlias, UpdateAlias (with `RevisionId` →
 * `PreconditionFailedException`, HTTP 412) and ListVersionsByFunction (paged,
 * `pageSize` versions per page whatever `MaxItems` asks, as Lambda may).
 *
 * @example
 * const lambda = await FakeLambda.start();
 * lambda.addFunction('support-bot', ['1', '2', '3'], { live: '3' });
 */
export class FakeLambda extends FakeAwsService {
  readonly functions = new Map<string, FakeFunction>();
  /** Versions per ListVersionsByFunction page. */
  pageSize = 50;
  /** Runs when an UpdateAlias arrives, before its RevisionId is checked: a test changes the alias there. */
  beforeUpdateAlias: ((functionName: string, alias: string) => void) | undefined;

  static start(): Promise<FakeLambda> {
    return new FakeLambda().listen();
  }

  addFunction(name: string, versions: readonly string[], aliases: Readonly<Record<string, string>>): void {
    this.functions.set(name, {
      versions: ['$LATEST', ...versions].map((Version, i) => ({ Version, LastModified: `2026-11-${String(i + 1).padStart(2, '0')}T09:00:00.000+0000` })),
      aliases: new Map(Object.entries(aliases).map(([alias, version]) => [alias, { FunctionVersion: version, Description: '', RevisionId: randomUUID() }])),
    });
  }

  /** A change of the alias by someone else: a new RevisionId. */
  changeAlias(functionName: string, alias: string, change: Partial<Omit<FakeAlias, 'RevisionId'>>): FakeAlias {
    const current = this.functions.get(functionName)!.aliases.get(alias)!;
    Object.assign(current, change, { RevisionId: randomUUID() });
    return current;
  }

  alias(functionName: string, alias: string): FakeAlias | undefined {
    return this.functions.get(functionName)?.aliases.get(alias);
  }

  protected operationOf(method: string, path: string): string | undefined {
    if (!path.startsWith(LAMBDA_API)) return undefined;
    const parts = path.slice(LAMBDA_API.length).split('/').map(decodeURIComponent);
    if (parts.length === 3 && parts[1] === 'aliases' && method === 'GET') return 'GetAlias';
    if (parts.length === 3 && parts[1] === 'aliases' && method === 'PUT') return 'UpdateAlias';
    if (parts.length === 2 && parts[1] === 'versions' && method === 'GET') return 'ListVersionsByFunction';
    return undefined;
  }

  protected writeError(res: http.ServerResponse, error: AwsErrorReply): void {
    res.setHeader('x-amzn-errortype', `${error.type}:http://internal.amazon.com/coral/com.amazonaws.awslambda/`);
    this.writeJson(res, error.status, { Type: 'User', message: error.message });
  }

  protected handle(request: RecordedRequest): Reply {
    const [functionName = '', , aliasName = ''] = request.path.slice(LAMBDA_API.length).split('/').map(decodeURIComponent);
    const fn = this.functions.get(functionName);
    const functionArn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${functionName}`;
    if (fn === undefined) return { status: 404, error: { status: 404, type: 'ResourceNotFoundException', message: `Function not found: ${functionArn}` } };
    if (request.operation === 'ListVersionsByFunction') {
      const start = Number(request.query.Marker ?? '0');
      const size = Math.min(this.pageSize, Number(request.query.MaxItems ?? '50'));
      const page = fn.versions.slice(start, start + size);
      const next = start + size < fn.versions.length ? String(start + size) : undefined;
      return {
        status: 200,
        body: {
          Versions: page.map((v) => ({ FunctionName: functionName, FunctionArn: `${functionArn}:${v.Version}`, Version: v.Version, LastModified: v.LastModified, Runtime: 'nodejs20.x' })),
          ...(next === undefined ? {} : { NextMarker: next }),
        },
      };
    }
    if (request.operation === 'UpdateAlias') this.beforeUpdateAlias?.(functionName, aliasName);
    const alias = fn.aliases.get(aliasName);
    const aliasArn = `${functionArn}:${aliasName}`;
    if (alias === undefined) return { status: 404, error: { status: 404, type: 'ResourceNotFoundException', message: `Alias not found: ${aliasArn}` } };
    if (request.operation === 'UpdateAlias') {
      const body = request.body ?? {};
      if (typeof body.RevisionId === 'string' && body.RevisionId !== alias.RevisionId) {
        return {
          status: 412,
          error: { status: 412, type: 'PreconditionFailedException', message: 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id' },
        };
      }
      if (typeof body.FunctionVersion === 'string' && !fn.versions.some((v) => v.Version === body.FunctionVersion)) {
        return { status: 404, error: { status: 404, type: 'ResourceNotFoundException', message: `Function not found: ${functionArn}:${body.FunctionVersion}` } };
      }
      if (typeof body.FunctionVersion === 'string') alias.FunctionVersion = body.FunctionVersion;
      if (typeof body.Description === 'string') alias.Description = body.Description;
      const routing = body.RoutingConfig as { AdditionalVersionWeights?: Record<string, number> } | undefined;
      if (routing !== undefined) {
        if (Object.keys(routing.AdditionalVersionWeights ?? {}).length === 0) delete alias.RoutingConfig;
        else alias.RoutingConfig = { AdditionalVersionWeights: routing.AdditionalVersionWeights ?? {} };
      }
      alias.RevisionId = randomUUID();
    }
    return {
      status: 200,
      body: { AliasArn: aliasArn, Name: aliasName, FunctionVersion: alias.FunctionVersion, Description: alias.Description, RevisionId: alias.RevisionId, ...(alias.RoutingConfig === undefined ? {} : { RoutingConfig: alias.RoutingConfig }) },
    };
  }
}
