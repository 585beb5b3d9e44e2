import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Properties of {@link EncryptedTopic}. */
export interface EncryptedTopicProps {
  /**
   * Display name of the topic.
   *
   * @default - no display name
   */
  readonly displayName?: string;

  /**
   * Whether CloudWatch alarms of this account may publish to the topic (alarm
   * actions). Grants `sns:Publish` to `cloudwatch.amazonaws.com` limited to
   * this account's alarms, and use of the topic's key.
   *
   * @default false
   */
  readonly allowCloudWatchAlarms?: boolean;
}

/**
 * An SNS topic encrypted with its own customer-managed KMS key (rotation on)
 * and publishable over TLS only.
 *
 * A customer-managed key rather than `alias/aws/sns`: AWS services that
 * publish on your behalf (CloudWatch alarms, EventBridge) cannot use the
 * AWS-managed key, because its policy cannot be changed.
 *
 * @example
 * const alarms = new EncryptedTopic(this, 'AlarmTopic', { allowCloudWatchAlarms: true });
 * alarms.topic.addSubscription(new subscriptions.LambdaSubscription(fn));
 */
export class EncryptedTopic extends Construct {
  /** The topic. */
  public readonly topic: sns.Topic;

  /** The key the topic is encrypted with. */
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: EncryptedTopicProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      enableKeyRotation: true,
      description: `Encrypts the SNS topic ${this.node.path}`,
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: props.displayName,
      masterKey: this.key,
      enforceSSL: true,
    });

    if (props.allowCloudWatchAlarms === true) {
      const stack = Stack.of(this);
      const cloudwatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
      // Topic policy: only alarms of this account (confused-deputy guard).
      this.topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowThisAccountsCloudWatchAlarms',
          principals: [cloudwatch],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
          },
        }),
      );
      // Key policy as AWS documents it for CloudWatch -> encrypted SNS topics.
      this.key.grant(cloudwatch, 'kms:Decrypt', 'kms:GenerateDataKey*');
    }
  }
}
