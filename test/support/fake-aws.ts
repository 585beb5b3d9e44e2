import { randomUUID } from 'node:crypto';
import { FakeJson11, LoopbackFake, type AwsErrorReply, type RecordedRequest, type Reply } from './loopback-fake';

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

export type { AwsErrorReply, RecordedRequest } from './loopback-fake';

/** Credentials and region for SDK clients pointed at a fake; `maxAttempts: 1` so a test sees every answer. */
export const FAKE_AWS_CLIENT_CONFIG = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' },
  maxAttempts: 1,
} as const;

const ACCOUNT = '123456789012';

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
export class FakeSsm extends FakeJson11 {
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
export class FakeSageMaker extends FakeJson11 {
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
export class FakeLambda extends LoopbackFake {
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

  protected operationOf(method: string, url: URL): string | undefined {
    const path = url.pathname;
    if (!path.startsWith(LAMBDA_API)) return undefined;
    const parts = path.slice(LAMBDA_API.length).split('/').map(decodeURIComponent);
    if (parts.length === 3 && parts[1] === 'aliases' && method === 'GET') return 'GetAlias';
    if (parts.length === 3 && parts[1] === 'aliases' && method === 'PUT') return 'UpdateAlias';
    if (parts.length === 2 && parts[1] === 'versions' && method === 'GET') return 'ListVersionsByFunction';
    return undefined;
  }

  protected errorReply(error: AwsErrorReply): Reply {
    return { ...this.json(error.status, { Type: 'User', message: error.message }), headers: { 'x-amzn-errortype': `${error.type}:http://internal.amazon.com/coral/com.amazonaws.awslambda/` } };
  }

  private json(status: number, body: unknown): Reply {
    return { status, contentType: 'application/json', body: JSON.stringify(body) };
  }

  protected handle(request: RecordedRequest): Reply {
    const [functionName = '', , aliasName = ''] = request.path.slice(LAMBDA_API.length).split('/').map(decodeURIComponent);
    const fn = this.functions.get(functionName);
    const functionArn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${functionName}`;
    if (fn === undefined) return this.errorReply({ status: 404, type: 'ResourceNotFoundException', message: `Function not found: ${functionArn}` });
    if (request.operation === 'ListVersionsByFunction') {
      const start = Number(request.query.Marker ?? '0');
      const size = Math.min(this.pageSize, Number(request.query.MaxItems ?? '50'));
      const page = fn.versions.slice(start, start + size);
      const next = start + size < fn.versions.length ? String(start + size) : undefined;
      return this.json(200, {
        Versions: page.map((v) => ({ FunctionName: functionName, FunctionArn: `${functionArn}:${v.Version}`, Version: v.Version, LastModified: v.LastModified, Runtime: 'nodejs20.x' })),
        ...(next === undefined ? {} : { NextMarker: next }),
      });
    }
    if (request.operation === 'UpdateAlias') this.beforeUpdateAlias?.(functionName, aliasName);
    const alias = fn.aliases.get(aliasName);
    const aliasArn = `${functionArn}:${aliasName}`;
    if (alias === undefined) return this.errorReply({ status: 404, type: 'ResourceNotFoundException', message: `Alias not found: ${aliasArn}` });
    if (request.operation === 'UpdateAlias') {
      const body = request.body ?? {};
      if (typeof body.RevisionId === 'string' && body.RevisionId !== alias.RevisionId) {
        return this.errorReply({
          status: 412,
          type: 'PreconditionFailedException',
          message: 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
        });
      }
      if (typeof body.FunctionVersion === 'string' && !fn.versions.some((v) => v.Version === body.FunctionVersion)) {
        return this.errorReply({ status: 404, type: 'ResourceNotFoundException', message: `Function not found: ${functionArn}:${body.FunctionVersion}` });
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
    return this.json(200, {
      AliasArn: aliasArn,
      Name: aliasName,
      FunctionVersion: alias.FunctionVersion,
      Description: alias.Description,
      RevisionId: alias.RevisionId,
      ...(alias.RoutingConfig === undefined ? {} : { RoutingConfig: alias.RoutingConfig }),
    });
  }
}
