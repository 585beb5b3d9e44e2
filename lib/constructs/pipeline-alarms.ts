import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EncryptedTopic } from './encrypted-topic';

/**
 * Alarm names starting with this prefix are Firebreak's own pipeline alarms.
 * The CloudWatch alert intake ignores them.
 */
export const PIPELINE_ALARM_NAME_PREFIX = 'firebreak-pipeline-';

/** Properties of {@link PipelineAlarms}. */
export interface PipelineAlarmsProps {
  /** Workflows to watch, keyed by workflow name (`respond`, ...). */
  readonly workflows: Readonly<Record<string, sfn.IStateMachine>>;

  /** Dead-letter queues to watch, keyed by a short kebab-case name. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;

  /** Functions to watch, keyed by their kebab-case name (`record-signal`, ...). */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;

  /**
   * Length of the period each alarm evaluates.
   *
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
}

/**
 * Alarms on Firebreak itself, all sent to `PipelineAlarmTopic` (encrypted),
 * on alarm and on recovery:
 *
 * - per workflow: executions failed, timed out, aborted, throttled (>= 1 per period);
 * - per dead-letter queue: a visible message (>= 1), i.e. an alert Firebreak dropped;
 * - per function: errors (>= 1 per period).
 *
 * An EventBridge rule also forwards each FAILED, TIMED_OUT or ABORTED
 * execution of the watched workflows to the topic, one message per execution.
 *
 * Alarm names start with `firebreak-pipeline-<stack>-`, which the CloudWatch
 * alert intake ignores. Nothing subscribes to the topic here: operators (and
 * the paging issue) subscribe to `PipelineAlarmTopicArn`.
 *
 * @example
 * new PipelineAlarms(this, 'PipelineAlarms', {
 *   workflows: { respond: respond.stateMachine },
 *   deadLetterQueues: { 'cloudwatch-rule': intake.ruleDeadLetters.queue },
 *   functions: { 'record-signal': respond.recordSignal.function },
 * });
 */
export class PipelineAlarms extends Construct {
  /** Where every pipeline alarm and failed-execution event goes. */
  public readonly topic: EncryptedTopic;

  /** Every alarm created, keyed by its construct id. */
  public readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;

  /** The rule forwarding failed, timed-out and aborted executions. */
  public readonly executionStatusRule: events.Rule;

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const namePrefix = `${PIPELINE_ALARM_NAME_PREFIX}${Stack.of(this).stackName}-`;

    this.topic = new EncryptedTopic(this, 'PipelineAlarmTopic', {
      displayName: 'Firebreak pipeline alarms',
      allowCloudWatchAlarms: true,
    });
    const notify = new actions.SnsAction(this.topic.topic);
    const alarms: Record<string, cloudwatch.Alarm> = {};
    const alarmOn = (alarmId: string, name: string, description: string, metric: cloudwatch.IMetric): void => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        alarmName: `${namePrefix}${name}`,
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
      alarms[alarmId] = alarm;
    };

    for (const [workflow, stateMachine] of Object.entries(props.workflows)) {
      const prefix = pascalCase(workflow);
      const sum = { period, statistic: cloudwatch.Stats.SUM };
      alarmOn(`${prefix}ExecutionsFailed`, `${workflow}-executions-failed`,
        `The ${workflow} workflow failed; the error is on the incident timeline.`, stateMachine.metricFailed(sum));
      alarmOn(`${prefix}ExecutionsTimedOut`, `${workflow}-executions-timed-out`,
        `The ${workflow} workflow ran past its timeout.`, stateMachine.metricTimedOut(sum));
      alarmOn(`${prefix}ExecutionsAborted`, `${workflow}-executions-aborted`,
        `An execution of the ${workflow} workflow was aborted.`, stateMachine.metricAborted(sum));
      alarmOn(`${prefix}ExecutionsThrottled`, `${workflow}-executions-throttled`,
        `Step Functions throttled the ${workflow} workflow.`, stateMachine.metricThrottled(sum));
    }
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      alarmOn(`${pascalCase(name)}DeadLetters`, `${name}-dead-letters`,
        `A message is waiting in the ${name} dead-letter queue: an alert Firebreak did not process.`,
        queue.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM }));
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      alarmOn(`${pascalCase(name)}Errors`, `${name}-errors`,
        `The ${name} function returned errors.`, fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }));
    }
    this.alarms = alarms;

    this.executionStatusRule = new events.Rule(this, 'ExecutionStatusRule', {
      description: 'Failed, timed-out and aborted Firebreak workflow executions',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: Object.values(props.workflows).map((sm) => sm.stateMachineArn),
        },
      },
      targets: [new targets.SnsTopic(this.topic.topic)],
    });
  }
}

/** `cloudwatch-rule` -> `CloudwatchRule`, for construct ids. */
function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}
