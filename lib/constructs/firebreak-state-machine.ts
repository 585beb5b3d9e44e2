import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../acknowledge-finding';

/**
 * CloudFormation metadata key on every `AWS::StepFunctions::StateMachine`
 * Firebreak defines; its value names the workflow (`respond`, ...). The
 * embedded target finds the definitions it runs through it.
 */
export const WORKFLOW_METADATA_KEY = 'firebreak:workflow';

/** Properties of {@link FirebreakStateMachine}. */
export interface FirebreakStateMachineProps {
  /**
   * Workflow name, kebab-case (`respond`, `rollback`, ...): the value of the
   * {@link WORKFLOW_METADATA_KEY} metadata and part of the log group name.
   */
  readonly workflow: string;

  /** The first state of the definition. */
  readonly definition: sfn.IChainable;

  /** What the workflow does, as the definition's `Comment`. */
  readonly comment: string;

  /**
   * The Lambda functions the definition invokes with `LambdaInvoke`. Their
   * version/alias wildcard (`<function ARN>:*`), which `LambdaInvoke` always
   * grants, is acknowledged for exactly these functions.
   */
  readonly invokedFunctions: readonly lambda.IFunction[];

  /**
   * Maximum run time of one execution.
   *
   * @default Duration.hours(1)
   */
  readonly timeout?: Duration;

  /**
   * Whether the execution log includes each state's input and output. Off by
   * default: signals and harvested evidence can carry prompt text, which must
   * not land in logs in the clear. Execution history (IAM-guarded) still
   * shows the data.
   *
   * @default false
   */
  readonly logExecutionData?: boolean;

  /**
   * Retention of the execution log group.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A Firebreak workflow: a STANDARD state machine in JSONPath (the embedded
 * interpreter runs neither JSONata nor variables), with an execution timeout,
 * logging level ALL to its own log group and X-Ray tracing, tagged with
 * {@link WORKFLOW_METADATA_KEY} so the embedded target can find it.
 *
 * Logging and tracing are configured on the L1 resource, with their
 * permissions (which AWS only supports on Resource "*") in a policy of their
 * own: the wildcard acknowledgement then covers those actions only, never a
 * grant a task adds to the role's default policy later.
 *
 * @example
 * const workflow = new FirebreakStateMachine(this, 'Workflow', {
 *   workflow: 'respond',
 *   definition: recordSignal.next(choice),
 *   comment: 'respond: ...',
 *   invokedFunctions: [recordSignalFunction],
 * });
 */
export class FirebreakStateMachine extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;

  /** The execution log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FirebreakStateMachineProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      // The /aws/vendedlogs/ prefix keeps Step Functions from adding a
      // resource policy per log group (CloudWatch Logs caps their total size).
      logGroupName: `/aws/vendedlogs/states/${stack.stackName}-${props.workflow}`,
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: props.comment,
      definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      timeout: props.timeout ?? Duration.hours(1),
    });
    const cfn = this.stateMachine.node.defaultChild as sfn.CfnStateMachine;
    cfn.addMetadata(WORKFLOW_METADATA_KEY, props.workflow);
    cfn.loggingConfiguration = {
      level: sfn.LogLevel.ALL,
      includeExecutionData: props.logExecutionData ?? false,
      destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: this.logGroup.logGroupArn } }],
    };
    cfn.tracingConfiguration = { enabled: true };

    // The same statements the L2 `logs` and `tracingEnabled` props add.
    const observability = new iam.Policy(this, 'ObservabilityPolicy', {
      roles: [this.stateMachine.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'DeliverExecutionLogs',
          actions: [
            'logs:CreateLogDelivery',
            'logs:GetLogDelivery',
            'logs:UpdateLogDelivery',
            'logs:DeleteLogDelivery',
            'logs:ListLogDeliveries',
            'logs:PutResourcePolicy',
            'logs:DescribeResourcePolicies',
            'logs:DescribeLogGroups',
          ],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'WriteTraces',
          actions: [
            'xray:PutTraceSegments',
            'xray:PutTelemetryRecords',
            'xray:GetSamplingRules',
            'xray:GetSamplingTargets',
          ],
          resources: ['*'],
        }),
      ],
    });
    cfn.node.addDependency(observability);
    acknowledgeFinding(observability, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:*LogDelivery*, logs:PutResourcePolicy, logs:Describe*) and ' +
        'X-Ray (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) do not support resource-level ' +
        'permissions; AWS documents Resource "*" for them. This policy holds only those actions.',
    });

    const defaultPolicy = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy !== undefined) {
      for (const fn of props.invokedFunctions) {
        const logicalId = stack.resolve((fn.node.defaultChild as lambda.CfnFunction).logicalId) as string;
        acknowledgeFinding(defaultPolicy, {
          id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
          reason:
            `LambdaInvoke grants lambda:InvokeFunction on ${fn.node.path} and on its versions and aliases ` +
            '(<function ARN>:*). The wildcard is the qualifier of this one function; no other function ' +
            'is invokable.',
        });
      }
    }
  }
}
