import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../acknowledge-finding';
import { DeadLetterQueue } from './dead-letter-queue';
import { EncryptedTopic } from './encrypted-topic';
import { FirebreakFunction } from './firebreak-function';
import type { IncidentTable } from './incident-table';
import { PIPELINE_ALARM_NAME_PREFIX } from './pipeline-alarms';

/** Properties of {@link AlertIntake}. */
export interface AlertIntakeProps {
  /** The incident table the intake functions record signals in. */
  readonly incidentTable: IncidentTable;

  /** The `respond` workflow the intake functions start for a breach signal. */
  readonly respondStateMachine: sfn.IStateMachine;
}

/**
 * The ways alerts enter Firebreak:
 *
 * - **Alertmanager**: a webhook on a Lambda Function URL (HTTPS). The URL has
 *   no IAM auth because Alertmanager cannot sign requests; the handler checks
 *   `Authorization: Bearer <token>` against the generated `WebhookToken`
 *   secret.
 * - **CloudWatch**: alarm state changes through an EventBridge rule, and alarm
 *   actions through the `AlarmTopic` SNS topic. Both deliver asynchronously,
 *   each with retries and a dead-letter queue; the function's own async
 *   invocations have one too.
 *
 * Both intake functions get `TABLE_NAME` and `RESPOND_STATE_MACHINE_ARN`, read
 * and write the incident table, and may start executions of the respond
 * workflow, nothing else.
 *
 * @example
 * const intake = new AlertIntake(this, 'AlertIntake', {
 *   incidentTable,
 *   respondStateMachine: respond.stateMachine,
 * });
 * new CfnOutput(this, 'AlertmanagerWebhookUrl', { value: intake.webhookUrl.url });
 */
export class AlertIntake extends Construct {
  /** Handles Alertmanager webhook deliveries. */
  public readonly alertmanagerIntake: FirebreakFunction;

  /** The Function URL Alertmanager posts to. */
  public readonly webhookUrl: lambda.FunctionUrl;

  /** The bearer token Alertmanager must send (`Authorization: Bearer ...`). */
  public readonly webhookToken: secretsmanager.Secret;

  /** Handles CloudWatch alarm events (EventBridge and SNS forms). */
  public readonly cloudwatchIntake: FirebreakFunction;

  /** The EventBridge rule for `CloudWatch Alarm State Change` events. */
  public readonly alarmStateChangeRule: events.Rule;

  /** The topic CloudWatch alarm actions publish to. */
  public readonly alarmTopic: EncryptedTopic;

  /** Events the EventBridge rule could not deliver to `cloudwatch-intake`. */
  public readonly ruleDeadLetters: DeadLetterQueue;

  /** Notifications the SNS subscription could not deliver to `cloudwatch-intake`. */
  public readonly subscriptionDeadLetters: DeadLetterQueue;

  /** Asynchronous invocations of `cloudwatch-intake` that failed every attempt. */
  public readonly invocationDeadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: AlertIntakeProps) {
    super(scope, id);
    const environment = {
      TABLE_NAME: props.incidentTable.tableName,
      RESPOND_STATE_MACHINE_ARN: props.respondStateMachine.stateMachineArn,
    };

    // Alertmanager webhook.
    this.webhookToken = new secretsmanager.Secret(this, 'WebhookToken', {
      description: 'Bearer token Alertmanager sends to the Firebreak webhook',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    acknowledgeFinding(this.webhookToken, {
      id: 'AwsSolutions-SMG4',
      reason:
        'The token is a shared secret also configured in Alertmanager (http_config.authorization); ' +
        'an automatic rotation would break alert delivery until Alertmanager is reconfigured. It is ' +
        'rotated by the operator together with the Alertmanager configuration.',
    });
    this.alertmanagerIntake = new FirebreakFunction(this, 'AlertmanagerIntake', {
      entry: 'lambdas/handlers/alertmanager-intake.ts',
      description: 'Alertmanager webhook: records alerts and starts the respond workflow',
      environment: { ...environment, FIREBREAK_WEBHOOK_TOKEN_SECRET_ARN: this.webhookToken.secretArn },
    });
    this.webhookToken.grantRead(this.alertmanagerIntake.function);
    this.webhookUrl = this.alertmanagerIntake.function.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
    });

    // CloudWatch alarms: EventBridge rule and SNS topic.
    this.invocationDeadLetters = new DeadLetterQueue(this, 'InvocationDeadLetters', {
      deadLetterFor: 'asynchronous invocations of cloudwatch-intake',
    });
    this.cloudwatchIntake = new FirebreakFunction(this, 'CloudWatchIntake', {
      entry: 'lambdas/handlers/cloudwatch-intake.ts',
      description: 'CloudWatch alarm events (EventBridge, SNS): records alerts and starts the respond workflow',
      environment,
      deadLetterQueue: this.invocationDeadLetters.queue,
      retryAttempts: 2,
    });

    this.ruleDeadLetters = new DeadLetterQueue(this, 'RuleDeadLetters', {
      deadLetterFor: 'the EventBridge rule target cloudwatch-intake',
      sourceInvisibleToNag: true,
    });
    this.alarmStateChangeRule = new events.Rule(this, 'AlarmStateChangeRule', {
      description: 'CloudWatch alarm state changes to Firebreak (its own pipeline alarms excepted)',
      // Firebreak's own alarms are excluded so that a failing intake cannot
      // feed its own error alarm back into itself.
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: events.Match.anythingButPrefix(PIPELINE_ALARM_NAME_PREFIX) },
      },
      targets: [
        new targets.LambdaFunction(this.cloudwatchIntake.function, {
          deadLetterQueue: this.ruleDeadLetters.queue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });

    this.alarmTopic = new EncryptedTopic(this, 'AlarmTopic', {
      displayName: 'Firebreak alarm intake',
      allowCloudWatchAlarms: true,
    });
    this.subscriptionDeadLetters = new DeadLetterQueue(this, 'SubscriptionDeadLetters', {
      deadLetterFor: 'the AlarmTopic subscription of cloudwatch-intake',
      sourceInvisibleToNag: true,
    });
    this.alarmTopic.topic.addSubscription(
      new subscriptions.LambdaSubscription(this.cloudwatchIntake.function, {
        deadLetterQueue: this.subscriptionDeadLetters.queue,
      }),
    );

    for (const intake of [this.alertmanagerIntake, this.cloudwatchIntake]) {
      props.incidentTable.grantReadWriteData(intake.function);
      props.respondStateMachine.grantStartExecution(intake.function);
    }
  }

  /** All dead-letter queues of the intake, keyed by a short name (for alarms). */
  public get deadLetterQueues(): Readonly<Record<string, DeadLetterQueue>> {
    return {
      'cloudwatch-rule': this.ruleDeadLetters,
      'cloudwatch-subscription': this.subscriptionDeadLetters,
      'cloudwatch-invocation': this.invocationDeadLetters,
    };
  }
}
