import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type Node } from 'constructs';
import { acknowledgeFinding, wildcardResourceFindingId } from '../acknowledge-finding';
import type { FirebreakFunction } from './firebreak-function';

/** The model control planes Firebreak can drive on AWS. */
export const MODEL_CONTROL_PLANES = ['ssm', 'sagemaker', 'lambda-alias'] as const;

/** One of {@link MODEL_CONTROL_PLANES}. */
export type ModelControlPlaneKind = (typeof MODEL_CONTROL_PLANES)[number];

/** The SSM parameter path under which each model has its control document. */
export const DEFAULT_CONTROL_PLANE_SSM_PREFIX = '/firebreak/models';

/** Environment variable naming the control plane (`ssm`, `sagemaker`, `lambda-alias`). */
export const CONTROL_PLANE_ENV = 'FIREBREAK_CONTROL_PLANE';

/**
 * Environment variable holding the SSM parameter prefix of the models'
 * control documents (every control plane: with `sagemaker` and
 * `lambda-alias` the document holds the switches and known-good marks).
 */
export const CONTROL_PLANE_SSM_PREFIX_ENV = 'FIREBREAK_CONTROL_PLANE_SSM_PREFIX';

/**
 * Environment variable mapping models to the endpoint or function that
 * serves them (`support-llm=chat-prod,other=chat-b`); a model left out is
 * served by the endpoint or function of its own name.
 */
export const CONTROL_PLANE_MODEL_TARGETS_ENV = 'FIREBREAK_MODEL_TARGETS';

/**
 * Where the serving configuration of the models Firebreak contains and rolls
 * back lives, and which of them it may change.
 */
export interface ModelControlPlaneSettings {
  /**
   * The control plane. CDK context key `controlPlane`.
   *
   * - `ssm`: one JSON document per model in SSM Parameter Store, under
   *   {@link ModelControlPlaneSettings.ssmPrefix}, that the serving
   *   application reads.
   * - `sagemaker`: SageMaker endpoint production-variant weights
   *   (`UpdateEndpointWeightsAndCapacities`).
   * - `lambda-alias`: Lambda alias routing for Lambda-served models.
   *
   * @default 'ssm'
   */
  readonly controlPlane?: ModelControlPlaneKind;

  /**
   * Parameter path of the model documents (`/firebreak/models` holds
   * `/firebreak/models/<model>`). Used with `ssm` only. CDK context key
   * `controlPlaneSsmPrefix`.
   *
   * @default DEFAULT_CONTROL_PLANE_SSM_PREFIX
   */
  readonly ssmPrefix?: string;

  /**
   * The SageMaker endpoints Firebreak may re-weight, by name or ARN.
   * Required with `sagemaker` (there is no safe default: Firebreak must not
   * re-weight every endpoint of the account). CDK context key
   * `controlPlaneSageMakerEndpoints` (a list, or a comma-separated string).
   *
   * @default - none
   */
  readonly sageMakerEndpoints?: readonly string[];

  /**
   * The Lambda functions whose aliases Firebreak may move, by name or
   * unqualified ARN. Required with `lambda-alias`. CDK context key
   * `controlPlaneLambdaFunctions` (a list, or a comma-separated string).
   *
   * @default - none
   */
  readonly lambdaFunctions?: readonly string[];

  /**
   * Which endpoint (`sagemaker`) or function (`lambda-alias`) serves which
   * model, as `model=target` pairs; a model not listed is served by the
   * endpoint or function of its own name. CDK context key
   * `controlPlaneModelTargets` (a list, or a comma-separated string).
   *
   * @default - every model by its own name
   */
  readonly modelTargets?: readonly string[];
}

/** CDK context key of each {@link ModelControlPlaneSettings} field. */
export const MODEL_CONTROL_PLANE_CONTEXT_KEYS: Readonly<Record<keyof ModelControlPlaneSettings, string>> = {
  controlPlane: 'controlPlane',
  ssmPrefix: 'controlPlaneSsmPrefix',
  sageMakerEndpoints: 'controlPlaneSageMakerEndpoints',
  lambdaFunctions: 'controlPlaneLambdaFunctions',
  modelTargets: 'controlPlaneModelTargets',
};

/**
 * Reads {@link ModelControlPlaneSettings} from CDK context (`cdk deploy -c
 * controlPlane=sagemaker -c controlPlaneSageMakerEndpoints=chat-prod,chat-canary`,
 * or `context` in `cdk.json`). An absent or empty key is an unset setting.
 * The values are checked by {@link ModelControlAccess}.
 *
 * @param node - the construct node whose context to read (usually the stack's)
 * @returns the settings found
 * @throws Error when a context value has the wrong type
 *
 * @example
 * const settings = modelControlPlaneSettingsFromContext(this.node);
 */
export function modelControlPlaneSettingsFromContext(node: Node): ModelControlPlaneSettings {
  const keys = MODEL_CONTROL_PLANE_CONTEXT_KEYS;
  const single = (key: string): string | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new Error(`CDK context ${key} must be a string`);
    return value.trim();
  };
  const list = (key: string): string[] | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    const items = typeof value === 'string' ? value.split(',') : value;
    if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
      throw new Error(`CDK context ${key} must be a list of strings or a comma-separated string`);
    }
    return (items as string[]).map((item) => item.trim()).filter((item) => item !== '');
  };
  return {
    controlPlane: single(keys.controlPlane) as ModelControlPlaneKind | undefined,
    ssmPrefix: single(keys.ssmPrefix),
    sageMakerEndpoints: list(keys.sageMakerEndpoints),
    lambdaFunctions: list(keys.lambdaFunctions),
    modelTargets: list(keys.modelTargets),
  };
}

/** Properties of {@link ModelControlAccess}. */
export interface ModelControlAccessProps {
  /**
   * The control plane and what Firebreak may change on it.
   *
   * @default - `ssm` under `/firebreak/models`
   */
  readonly settings?: ModelControlPlaneSettings;
}

/** What one control plane needs: the actions, on which resources. */
interface ControlPlaneGrant {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** Set when a resource is a pattern (SSM: every parameter under the prefix): why that is least privilege. */
  readonly wildcardReason?: string;
}

/**
 * The model control plane settings of the functions that change a model's
 * serving configuration (`contain-model`, `roll-back-model`, and
 * `slack-events` for `/incident undo`): their environment and their IAM
 * permissions. Checks the settings when constructed, so a bad value fails
 * synthesis with the context key to fix.
 *
 * Each {@link ModelControlAccess.grant} adds a policy of its own to the
 * function's role, holding only the control plane's statement:
 *
 * - `ssm`: `ssm:GetParameter`, `ssm:PutParameter` on
 *   `arn:<partition>:ssm:<region>:<account>:parameter<prefix>/*`;
 * - `sagemaker`: `sagemaker:DescribeEndpoint`,
 *   `sagemaker:UpdateEndpointWeightsAndCapacities` on the listed endpoints;
 * - `lambda-alias`: `lambda:GetAlias`, `lambda:UpdateAlias`,
 *   `lambda:ListVersionsByFunction` on the listed functions (these actions
 *   are authorized on the unqualified function ARN).
 *
 * @example
 * const modelControl = new ModelControlAccess(this, 'ModelControl', { settings: modelControlPlaneSettingsFromContext(this.node) });
 * const fn = new FirebreakFunction(this, 'ContainModel', { entry, environment: { ...modelControl.environment } });
 * modelControl.grant(fn);
 */
export class ModelControlAccess extends Construct {
  /** The control plane the functions drive. */
  public readonly controlPlane: ModelControlPlaneKind;

  /** `FIREBREAK_CONTROL_PLANE`, and `FIREBREAK_CONTROL_PLANE_SSM_PREFIX` with `ssm`. */
  public readonly environment: Readonly<Record<string, string>>;

  /** The IAM actions {@link ModelControlAccess.grant} allows. */
  public readonly actions: readonly string[];

  /** The resources (ARNs or, for SSM, the prefix pattern) {@link ModelControlAccess.grant} allows them on. */
  public readonly resources: readonly string[];

  private readonly grants: readonly ControlPlaneGrant[];

  constructor(scope: Construct, id: string, props: ModelControlAccessProps = {}) {
    super(scope, id);
    const settings = props.settings ?? {};
    this.controlPlane = checkControlPlane(settings.controlPlane);
    const stack = Stack.of(this);
    const prefix = checkSsmPrefix(settings.ssmPrefix ?? DEFAULT_CONTROL_PLANE_SSM_PREFIX);
    const documents: ControlPlaneGrant = {
      actions: ['ssm:GetParameter', 'ssm:PutParameter'],
      resources: [
        stack.formatArn({
          service: 'ssm',
          resource: 'parameter',
          resourceName: `${prefix.slice(1)}/*`,
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        }),
      ],
      wildcardReason:
        `The SSM control plane keeps one parameter per model under ${prefix}/ (${prefix}/<model>); ` +
        'models are added without redeploying Firebreak, so the grant names the prefix, not each ' +
        'parameter. Only ssm:GetParameter and ssm:PutParameter, only under that prefix.',
    };
    const targets = checkModelTargets(settings.modelTargets);
    const split = (kind: 'sagemaker' | 'lambda-alias'): Record<string, string> => ({
      [CONTROL_PLANE_ENV]: kind,
      [CONTROL_PLANE_SSM_PREFIX_ENV]: prefix,
      ...(targets === undefined ? {} : { [CONTROL_PLANE_MODEL_TARGETS_ENV]: targets }),
    });
    switch (this.controlPlane) {
      case 'ssm':
        this.environment = { [CONTROL_PLANE_ENV]: 'ssm', [CONTROL_PLANE_SSM_PREFIX_ENV]: prefix };
        this.grants = [documents];
        break;
      case 'sagemaker':
        // Traffic on the endpoint; switches and known-good marks in the model's SSM document.
        this.environment = split('sagemaker');
        this.grants = [
          {
            actions: ['sagemaker:DescribeEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities'],
            resources: required(settings.sageMakerEndpoints, MODEL_CONTROL_PLANE_CONTEXT_KEYS.sageMakerEndpoints, 'sagemaker', 'endpoint names or ARNs Firebreak may re-weight, e.g. chat-prod,chat-canary').map(
              (endpoint) => sageMakerEndpointArn(stack, endpoint),
            ),
          },
          documents,
        ];
        break;
      case 'lambda-alias':
        this.environment = split('lambda-alias');
        this.grants = [
          {
            actions: ['lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:ListVersionsByFunction'],
            resources: required(settings.lambdaFunctions, MODEL_CONTROL_PLANE_CONTEXT_KEYS.lambdaFunctions, 'lambda-alias', 'names or unqualified ARNs of the functions whose aliases Firebreak may move, e.g. chat-model').map(
              (fn) => lambdaFunctionArn(stack, fn),
            ),
          },
          documents,
        ];
        break;
    }
    this.actions = this.grants.flatMap((g) => g.actions);
    this.resources = [...new Set(this.grants.flatMap((g) => g.resources))];
  }

  /**
   * Lets `fn` read and change model control state: a policy of its own
   * (`<fn>/ModelControlPolicy`) with the control plane's one statement. The
   * function depends on the policy, so it is never invoked without it.
   *
   * @param fn - the function
   * @returns the policy
   *
   * @example
   * modelControl.grant(containModel);
   */
  public grant(fn: FirebreakFunction): iam.Policy {
    const policy = new iam.Policy(fn, 'ModelControlPolicy', {
      roles: [fn.role],
      statements: this.grants.map(
        (g, i) => new iam.PolicyStatement({ sid: i === 0 ? 'ChangeModelControlState' : 'ChangeModelControlDocument', actions: [...g.actions], resources: [...g.resources] }),
      ),
    });
    fn.function.node.addDependency(policy);
    for (const g of this.grants) {
      if (g.wildcardReason === undefined) continue;
      for (const resource of g.resources) {
        acknowledgeFinding(policy, { id: wildcardResourceFindingId(policy, resource), reason: g.wildcardReason });
      }
    }
    return policy;
  }
}

/** `model=target` pairs as one environment value, or undefined when none are set; refuses a malformed pair. */
function checkModelTargets(pairs: readonly string[] | undefined): string | undefined {
  if (pairs === undefined || pairs.length === 0) return undefined;
  for (const pair of pairs) {
    if (!/^[\w.:@/+-]+=[\w.:@/+-]+$/.test(pair)) {
      throw new Error(`CDK context ${MODEL_CONTROL_PLANE_CONTEXT_KEYS.modelTargets} must list model=endpoint-or-function pairs (got "${pair}")`);
    }
  }
  return pairs.join(',');
}

function checkControlPlane(value: string | undefined): ModelControlPlaneKind {
  if (value === undefined) return 'ssm';
  if ((MODEL_CONTROL_PLANES as readonly string[]).includes(value)) return value as ModelControlPlaneKind;
  throw new Error(
    `CDK context ${MODEL_CONTROL_PLANE_CONTEXT_KEYS.controlPlane} must be one of ${MODEL_CONTROL_PLANES.join(', ')} (got "${value}")`,
  );
}

/** `/firebreak/models/` -> `/firebreak/models`; refuses what SSM or least privilege would not accept. */
function checkSsmPrefix(value: string): string {
  const key = MODEL_CONTROL_PLANE_CONTEXT_KEYS.ssmPrefix;
  const prefix = value.trim().replace(/\/+$/, '');
  const segments = prefix.split('/').slice(1);
  if (!prefix.startsWith('/') || segments.length === 0 || segments.some((segment) => !/^[A-Za-z0-9_.-]+$/.test(segment))) {
    throw new Error(
      `CDK context ${key} must be a parameter path such as /firebreak/models: a leading slash and one or more ` +
        `segments of letters, digits, _ . - (got "${value}")`,
    );
  }
  if (/^(aws|ssm)/i.test(segments[0])) {
    throw new Error(`CDK context ${key} cannot start with aws or ssm: SSM reserves those prefixes (got "${value}")`);
  }
  return prefix;
}

function required(values: readonly string[] | undefined, key: string, controlPlane: string, what: string): string[] {
  const list = (values ?? []).map((value) => value.trim()).filter((value) => value !== '');
  if (list.length === 0) {
    throw new Error(
      `CDK context ${key} is required when controlPlane=${controlPlane}: list the ${what} ` +
        `(cdk deploy -c controlPlane=${controlPlane} -c ${key}=...). Firebreak does not grant it on every resource of the account.`,
    );
  }
  return list;
}

/** An endpoint name or ARN -> its ARN. SageMaker writes endpoint names in lower case in ARNs. */
function sageMakerEndpointArn(stack: Stack, endpoint: string): string {
  const key = MODEL_CONTROL_PLANE_CONTEXT_KEYS.sageMakerEndpoints;
  if (/^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:endpoint\/[a-z0-9](-*[a-z0-9]){0,62}$/.test(endpoint)) return endpoint;
  if (/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(endpoint)) {
    return stack.formatArn({
      service: 'sagemaker',
      resource: 'endpoint',
      resourceName: endpoint.toLowerCase(),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }
  throw new Error(`CDK context ${key}: "${endpoint}" is neither a SageMaker endpoint name nor an endpoint ARN (no wildcards)`);
}

/** A function name or unqualified ARN -> its ARN. */
function lambdaFunctionArn(stack: Stack, fn: string): string {
  const key = MODEL_CONTROL_PLANE_CONTEXT_KEYS.lambdaFunctions;
  if (/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}$/.test(fn)) return fn;
  if (/^[A-Za-z0-9_-]{1,64}$/.test(fn)) {
    return stack.formatArn({ service: 'lambda', resource: 'function', resourceName: fn, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }
  throw new Error(
    `CDK context ${key}: "${fn}" is neither a function name nor an unqualified function ARN (no alias or version ` +
      'suffix, no wildcards: alias changes are authorized on the function itself)',
  );
}
