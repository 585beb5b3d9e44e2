import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AcknowledgeWorkflow } from './constructs/acknowledge-workflow';
import { AlertIntake } from './constructs/alert-intake';
import { EngagementFunctions } from './constructs/engagement-functions';
import { InboundEndpoints } from './constructs/inbound-endpoints';
import { IncidentTable } from './constructs/incident-table';
import {
  ModelControlAccess,
  modelControlPlaneSettingsFromContext,
  type ModelControlPlaneSettings,
} from './constructs/model-control-access';
import { PipelineAlarms } from './constructs/pipeline-alarms';
import {
  RecoveryVerification,
  sliSourceSettingsFromContext,
  type SliSourceSettings,
} from './constructs/recovery-verification';
import { CorpusHarvest } from './constructs/corpus-harvest';
import { RecordsAccess, recordsSettingsFromContext } from './constructs/records-access';
import { WeeklyReviewWorkflow, weeklyReviewSettingsFromContext, type WeeklyReviewSettings } from './constructs/weekly-review-workflow';
import { ResolveWorkflow } from './constructs/resolve-workflow';
import { RespondWorkflow } from './constructs/respond-workflow';
import { RollbackWorkflow } from './constructs/rollback-workflow';
import {
  VENDOR_CREDENTIAL_KEYS,
  VendorCredentials,
  vendorSettingsFromContext,
  type VendorSettings,
} from './constructs/vendor-credentials';

/** Properties of {@link FirebreakStack}. */
export interface FirebreakStackProps extends StackProps {
  /**
   * Plain PagerDuty and Slack settings (server, API URL, responders, public
   * URL), passed to the functions that talk to the vendors.
   *
   * @default - read from CDK context: `pagerDutyServer`, `slackApiUrl`,
   *   `responders`, `publicUrl` (each optional; see {@link VendorSettings})
   */
  readonly vendorSettings?: VendorSettings;

  /**
   * The model control plane that `contain-model`, `roll-back-model` and
   * `slack-events` drive, and which models on it they may change.
   *
   * @default - read from CDK context: `controlPlane` (`ssm`, `sagemaker` or
   *   `lambda-alias`; default `ssm`), `controlPlaneSsmPrefix` (default
   *   `/firebreak/models`), `controlPlaneSageMakerEndpoints` (required with
   *   `sagemaker`), `controlPlaneLambdaFunctions` (required with
   *   `lambda-alias`); see {@link ModelControlPlaneSettings}
   */
  readonly modelControlPlane?: ModelControlPlaneSettings;

  /**
   * Where `check-recovery` reads the SLO's SLI to verify recovery after
   * containment or a rollback.
   *
   * @default - read from CDK context: `sliSource` (`prometheus` or
   *   `cloudwatch`; default `cloudwatch`), `prometheusUrl` (required with
   *   `prometheus`); see {@link SliSourceSettings}
   */
  readonly sliSource?: SliSourceSettings;

  /**
   * When and where the weekly review is made.
   *
   * @default - read from CDK context: `weeklyReviewSchedule`, `reviewChannel`
   */
  readonly weeklyReview?: WeeklyReviewSettings;
}

/**
 * The whole Firebreak deployment: the incident table, the `respond`,
 * `resolve`, `acknowledge` and `rollback` workflows, the PagerDuty and Slack
 * functions and their credentials, the model control plane access of the
 * functions that contain, roll back and undo, the SLI access of the function
 * that verifies recovery, the alert intake (Alertmanager
 * webhook, CloudWatch rule and topic), the Slack and PagerDuty endpoints, and
 * the alarms on the pipeline itself.
 *
 * Outputs: `AlertmanagerWebhookUrl`, `SlackRequestUrl`, `PagerDutyWebhookUrl`,
 * `VendorCredentialsSecretArn`, `AlarmTopicArn`, `PipelineAlarmTopicArn`,
 * `IncidentTableName`, `RespondStateMachineArn`, `ResolveStateMachineArn`,
 * `AcknowledgeStateMachineArn`, `RollbackStateMachineArn`.
 *
 * @example
 * const app = new App();
 * new FirebreakStack(app, 'Firebreak', {
 *   env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
 * });
 * // cdk deploy -c responders=U0123ABCD,U0456EFGH -c publicUrl=https://firebreak.example.com
 * // cdk deploy -c controlPlane=sagemaker -c controlPlaneSageMakerEndpoints=chat-prod,chat-canary
 * // cdk deploy -c sliSource=prometheus -c prometheusUrl=https://prometheus.example.com
 */
export class FirebreakStack extends Stack {
  /** Incidents, timelines and pending signals. */
  public readonly incidentTable: IncidentTable;

  /** PagerDuty and Slack credentials and settings. */
  public readonly vendorCredentials: VendorCredentials;

  /** The paging and channel functions the workflows share. */
  public readonly engagement: EngagementFunctions;

  /** The model control plane settings and permissions of `contain-model`, `roll-back-model` and `slack-events`. */
  public readonly modelControl: ModelControlAccess;

  /** `check-recovery` and where it reads the SLI. */
  public readonly recoveryVerification: RecoveryVerification;

  /** The `rollback` workflow. */
  public readonly rollbackWorkflow: RollbackWorkflow;

  /** The `resolve` workflow. */
  public readonly resolveWorkflow: ResolveWorkflow;

  /** The `acknowledge` workflow. */
  public readonly acknowledgeWorkflow: AcknowledgeWorkflow;

  /** Where regression cases, postmortems and reviews are committed, and evidence read. */
  public readonly records: RecordsAccess;

  /** `harvest-cases`, shared by `respond` and `resolve`. */
  public readonly corpusHarvest: CorpusHarvest;

  /** The `weekly-review` workflow and its schedule. */
  public readonly weeklyReviewWorkflow: WeeklyReviewWorkflow;

  /** The `respond` workflow. */
  public readonly respondWorkflow: RespondWorkflow;

  /** Where alerts come in. */
  public readonly alertIntake: AlertIntake;

  /** Where Slack and PagerDuty call in. */
  public readonly inboundEndpoints: InboundEndpoints;

  /** Alarms on the pipeline itself. */
  public readonly pipelineAlarms: PipelineAlarms;

  constructor(scope: Construct, id: string, props: FirebreakStackProps = {}) {
    const { vendorSettings, modelControlPlane, sliSource, weeklyReview, ...stackProps } = props;
    super(scope, id, {
      description: 'Firebreak: incident response for AI model services',
      ...stackProps,
    });

    this.incidentTable = new IncidentTable(this, 'IncidentTable');
    this.vendorCredentials = new VendorCredentials(this, 'VendorCredentials', {
      settings: vendorSettings ?? vendorSettingsFromContext(this.node),
    });
    this.engagement = new EngagementFunctions(this, 'Engagement', {
      incidentTable: this.incidentTable,
      vendorCredentials: this.vendorCredentials,
    });
    this.modelControl = new ModelControlAccess(this, 'ModelControl', {
      settings: modelControlPlane ?? modelControlPlaneSettingsFromContext(this.node),
    });
    this.recoveryVerification = new RecoveryVerification(this, 'RecoveryVerification', {
      incidentTable: this.incidentTable,
      settings: sliSource ?? sliSourceSettingsFromContext(this.node),
    });
    this.records = new RecordsAccess(this, 'Records', { settings: recordsSettingsFromContext(this.node) });
    this.weeklyReviewWorkflow = new WeeklyReviewWorkflow(this, 'WeeklyReviewWorkflow', {
      incidentTable: this.incidentTable,
      records: this.records,
      vendorCredentials: this.vendorCredentials,
      settings: weeklyReview ?? weeklyReviewSettingsFromContext(this.node),
    });
    this.corpusHarvest = new CorpusHarvest(this, 'CorpusHarvest', {
      incidentTable: this.incidentTable,
      records: this.records,
      vendorCredentials: this.vendorCredentials,
    });
    this.resolveWorkflow = new ResolveWorkflow(this, 'ResolveWorkflow', {
      engagement: this.engagement,
      incidentTable: this.incidentTable,
      vendorCredentials: this.vendorCredentials,
      records: this.records,
      harvestCases: this.corpusHarvest.harvestCases,
    });
    this.acknowledgeWorkflow = new AcknowledgeWorkflow(this, 'AcknowledgeWorkflow', { engagement: this.engagement });
    this.rollbackWorkflow = new RollbackWorkflow(this, 'RollbackWorkflow', {
      incidentTable: this.incidentTable,
      engagement: this.engagement,
      modelControl: this.modelControl,
      checkRecovery: this.recoveryVerification.checkRecovery,
    });
    this.respondWorkflow = new RespondWorkflow(this, 'RespondWorkflow', {
      incidentTable: this.incidentTable,
      engagement: this.engagement,
      modelControl: this.modelControl,
      checkRecovery: this.recoveryVerification.checkRecovery,
      harvestCases: this.corpusHarvest.harvestCases,
      resolveStateMachine: this.resolveWorkflow.stateMachine,
    });
    this.alertIntake = new AlertIntake(this, 'AlertIntake', {
      incidentTable: this.incidentTable,
      respondStateMachine: this.respondWorkflow.stateMachine,
    });
    this.inboundEndpoints = new InboundEndpoints(this, 'InboundEndpoints', {
      incidentTable: this.incidentTable,
      vendorCredentials: this.vendorCredentials,
      resolveStateMachine: this.resolveWorkflow.stateMachine,
      acknowledgeStateMachine: this.acknowledgeWorkflow.stateMachine,
      rollbackStateMachine: this.rollbackWorkflow.stateMachine,
      modelControl: this.modelControl,
    });

    const functions = {
      'record-signal': this.respondWorkflow.recordSignal,
      'confirm-breach': this.respondWorkflow.confirmBreach,
      'record-workflow-failure': this.respondWorkflow.recordWorkflowFailure,
      'contain-model': this.respondWorkflow.containModel,
      'roll-back-model': this.rollbackWorkflow.rollBackModel,
      'check-recovery': this.recoveryVerification.checkRecovery,
      'harvest-cases': this.corpusHarvest.harvestCases,
      ...this.resolveWorkflow.functions,
      'weekly-review': this.weeklyReviewWorkflow.prepareWeeklyReview,
      'alertmanager-intake': this.alertIntake.alertmanagerIntake,
      'cloudwatch-intake': this.alertIntake.cloudwatchIntake,
      ...this.engagement.all,
      ...this.inboundEndpoints.all,
    };
    this.pipelineAlarms = new PipelineAlarms(this, 'PipelineAlarms', {
      workflows: {
        respond: this.respondWorkflow.stateMachine,
        resolve: this.resolveWorkflow.stateMachine,
        acknowledge: this.acknowledgeWorkflow.stateMachine,
        rollback: this.rollbackWorkflow.stateMachine,
        'weekly-review': this.weeklyReviewWorkflow.stateMachine,
      },
      deadLetterQueues: {
        ...Object.fromEntries(Object.entries(this.alertIntake.deadLetterQueues).map(([name, dlq]) => [name, dlq.queue])),
        'weekly-review-schedule': this.weeklyReviewWorkflow.scheduleDeadLetters.queue,
      },
      functions: Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, fn.function])),
    });

    new CfnOutput(this, 'AlertmanagerWebhookUrl', {
      description: 'Alertmanager webhook URL (send Authorization: Bearer <WebhookToken secret>)',
      value: this.alertIntake.webhookUrl.url,
    });
    new CfnOutput(this, 'SlackRequestUrl', {
      description:
        'Slack app Request URL: use it for both the /incident slash command and Interactivity & Shortcuts',
      value: this.inboundEndpoints.slackRequestUrl.url,
    });
    new CfnOutput(this, 'PagerDutyWebhookUrl', {
      description:
        'PagerDuty webhook (v3) subscription URL, for incident.acknowledged and incident.resolved; put its ' +
        'signing secret in the vendor credentials secret as PAGERDUTY_WEBHOOK_SECRET',
      value: this.inboundEndpoints.pagerDutyWebhookUrl.url,
    });
    new CfnOutput(this, 'VendorCredentialsSecretArn', {
      description:
        'PagerDuty and Slack credentials, created as a placeholder with every key empty (= not configured: ' +
        'pages and Slack calls are refused, with the reason on the incident timeline). After the first deploy, ' +
        `overwrite its whole value with JSON holding ${VENDOR_CREDENTIAL_KEYS.join(', ')} ` +
        '(aws secretsmanager put-secret-value --secret-id <arn> --secret-string file://vendor.json)',
      value: this.vendorCredentials.secret.secretArn,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Point CloudWatch alarm actions of model SLOs here',
      value: this.alertIntake.alarmTopic.topic.topicArn,
    });
    new CfnOutput(this, 'PipelineAlarmTopicArn', {
      description: 'Subscribe operators here: alarms on Firebreak itself',
      value: this.pipelineAlarms.topic.topic.topicArn,
    });
    new CfnOutput(this, 'IncidentTableName', { value: this.incidentTable.tableName });
    new CfnOutput(this, 'RespondStateMachineArn', { value: this.respondWorkflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'WeeklyReviewStateMachineArn', {
      description: 'The weekly-review workflow, started weekly by EventBridge Scheduler (by hand: {"week":"2026-W47"})',
      value: this.weeklyReviewWorkflow.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'ResolveStateMachineArn', { value: this.resolveWorkflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'AcknowledgeStateMachineArn', {
      value: this.acknowledgeWorkflow.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'RollbackStateMachineArn', {
      description: 'The rollback workflow, started from Slack by an approved rollback',
      value: this.rollbackWorkflow.stateMachine.stateMachineArn,
    });
  }
}
