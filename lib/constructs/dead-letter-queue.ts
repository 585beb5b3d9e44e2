import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../acknowledge-finding';

/** Properties of {@link DeadLetterQueue}. */
export interface DeadLetterQueueProps {
  /**
   * What delivers into this queue, in words, e.g. `the EventBridge rule
   * target of cloudwatch-intake`. Used in the acknowledgement reason.
   */
  readonly deadLetterFor: string;

  /**
   * Whether the source is something cdk-nag's `AwsSolutions-SQS3` cannot see
   * as a dead-letter source (an EventBridge target or an SNS subscription
   * redrive policy; it only recognises SQS redrive policies and Lambda
   * `DeadLetterConfig`). When true, that finding is acknowledged on this
   * queue, with {@link DeadLetterQueueProps.deadLetterFor} as the reason.
   *
   * @default false
   */
  readonly sourceInvisibleToNag?: boolean;

  /**
   * How long a message stays before SQS drops it.
   *
   * @default Duration.days(14) (the SQS maximum)
   */
  readonly retentionPeriod?: Duration;
}

/**
 * An SQS queue that receives events Firebreak failed to process: TLS-only,
 * encrypted with SQS-managed keys (so EventBridge, SNS and Lambda can deliver
 * to it without KMS grants) and kept for the longest retention SQS allows.
 * Pair it with an alarm on `ApproximateNumberOfMessagesVisible` (see
 * `PipelineAlarms`): a message here is an alert Firebreak did not act on.
 *
 * @example
 * const dlq = new DeadLetterQueue(this, 'RuleDeadLetters', {
 *   deadLetterFor: 'the EventBridge target of cloudwatch-intake',
 *   sourceInvisibleToNag: true,
 * });
 */
export class DeadLetterQueue extends Construct {
  /** The queue. */
  public readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
    });
    if (props.sourceInvisibleToNag === true) {
      acknowledgeFinding(this.queue, {
        id: 'AwsSolutions-SQS3',
        reason:
          `This queue is itself a dead-letter queue (for ${props.deadLetterFor}); SQS3 only recognises ` +
          'SQS redrive policies and Lambda DeadLetterConfig as dead-letter sources. A DLQ of a DLQ has ' +
          'nowhere better to go: messages are kept 14 days and an alarm fires on the first one.',
      });
    }
  }
}
