import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../acknowledge-finding';
import { PROJECT_ROOT } from '../project-root';

/**
 * CloudFormation metadata key, on every `AWS::Lambda::Function` Firebreak
 * defines, whose value is `<entry relative to the project root>#<export>`
 * (e.g. `lambdas/handlers/record-signal.ts#handler`). The embedded target
 * finds each function's code through it.
 */
export const HANDLER_METADATA_KEY = 'firebreak:handler';

/** Path, relative to the project root, of the SLO policy copied into every bundle. */
export const POLICY_FILE_RELATIVE_PATH = 'runbooks/slos.yaml';

/** Where the policy file lands inside the deployed function (`/var/task` is the bundle root). */
export const DEPLOYED_POLICY_FILE = '/var/task/slos.yaml';

/** Properties of {@link FirebreakFunction}. */
export interface FirebreakFunctionProps {
  /**
   * The handler file, relative to the project root, e.g.
   * `lambdas/handlers/record-signal.ts`.
   */
  readonly entry: string;

  /**
   * Name of the exported handler function in `entry`.
   *
   * @default 'handler'
   */
  readonly handler?: string;

  /**
   * What the function does, shown in the Lambda console.
   *
   * @default - no description
   */
  readonly description?: string;

  /**
   * Environment variables in addition to the ones every Firebreak function
   * gets (`POWERTOOLS_SERVICE_NAME`, `NODE_OPTIONS`, `FIREBREAK_POLICY_FILE`).
   *
   * @default - only the common variables
   */
  readonly environment?: Readonly<Record<string, string>>;

  /**
   * Memory in MiB.
   *
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Maximum run time of one invocation.
   *
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;

  /**
   * Retention of the function's log group.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Queue that receives asynchronous invocations that failed every attempt
   * (Lambda `DeadLetterConfig`). Only meaningful for functions invoked
   * asynchronously (EventBridge, SNS).
   *
   * @default - no dead-letter queue
   */
  readonly deadLetterQueue?: sqs.IQueue;

  /**
   * Retries Lambda makes of a failed asynchronous invocation before it goes to
   * the dead-letter queue.
   *
   * @default - Lambda's default (2)
   */
  readonly retryAttempts?: number;
}

/**
 * A Firebreak Lambda handler: Node.js 22 on ARM64, bundled locally with
 * esbuild (no Docker), X-Ray active tracing, a dedicated log group with
 * retention, an explicit least-privilege role, and the SLO policy file
 * (`runbooks/slos.yaml`) shipped inside the bundle.
 *
 * The underlying `AWS::Lambda::Function` carries the metadata
 * {@link HANDLER_METADATA_KEY} = `<entry>#<handler>`.
 *
 * @example
 * const recordSignal = new FirebreakFunction(this, 'RecordSignal', {
 *   entry: 'lambdas/handlers/record-signal.ts',
 *   environment: { TABLE_NAME: table.tableName },
 * });
 * table.grantReadWriteData(recordSignal.function);
 */
export class FirebreakFunction extends Construct {
  /** The Lambda function. */
  public readonly function: nodejs.NodejsFunction;

  /** The execution role; grants to the function land here. */
  public readonly role: iam.Role;

  /** The log group the function writes to. */
  public readonly logGroup: logs.LogGroup;

  /** `<entry>#<handler>`, the value of the {@link HANDLER_METADATA_KEY} metadata. */
  public readonly handlerReference: string;

  constructor(scope: Construct, id: string, props: FirebreakFunctionProps) {
    super(scope, id);
    const handler = props.handler ?? 'handler';
    this.handlerReference = `${props.entry}#${handler}`;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    });

    // An explicit role instead of the default one with the AWS managed
    // AWSLambdaBasicExecutionRole (logs:* on every log group): this role may
    // only write to the function's own log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.handlerReference}`,
    });
    this.logGroup.grantWrite(this.role);

    const policyFileSource = path.join(PROJECT_ROOT, POLICY_FILE_RELATIVE_PATH);
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.retryAttempts,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'firebreak',
        NODE_OPTIONS: '--enable-source-maps',
        FIREBREAK_POLICY_FILE: DEPLOYED_POLICY_FILE,
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        target: 'node22',
        minify: true,
        sourceMap: true,
        // Bundle the AWS SDK too: the handlers are tested against the pinned
        // SDK version, not whichever one the Lambda runtime ships.
        externalModules: [],
        commandHooks: {
          beforeBundling: (): string[] => [],
          beforeInstall: (): string[] => [],
          afterBundling: (_inputDir: string, outputDir: string): string[] => [
            `cp ${shellQuote(policyFileSource)} ${shellQuote(path.posix.join(outputDir, 'slos.yaml'))}`,
          ],
        },
      },
    });

    const cfnFunction = this.function.node.defaultChild as lambda.CfnFunction;
    cfnFunction.addMetadata(HANDLER_METADATA_KEY, this.handlerReference);

    // Active tracing is set on the L1 resource instead of the L2 `tracing`
    // prop so that the X-Ray statement (which needs Resource "*") lives in
    // its own policy below, and the wildcard acknowledgement covers that
    // policy only, not every grant later added to the role's default policy.
    cfnFunction.tracingConfig = { mode: lambda.Tracing.ACTIVE };
    const xrayPolicy = new iam.Policy(this, 'XRayWritePolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
      ],
    });
    this.function.node.addDependency(xrayPolicy);
    acknowledgeFinding(xrayPolicy, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions; ' +
        'AWS documents Resource "*" for them. This policy holds only those two actions.',
    });

    acknowledgeFinding(this.function, {
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is pinned on purpose: the handlers are bundled for and tested on Node 22 ' +
        '(esbuild target node22), and Node 22 is an LTS release that Lambda supports until April 2027. ' +
        'Moving to a newer runtime is a planned upgrade with its own test run, not a lint fix.',
    });
  }
}

/** Quotes a path for `bash -c`, which runs the bundling command hooks. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
