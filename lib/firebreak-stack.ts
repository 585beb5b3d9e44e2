import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AlertIntake } from './constructs/alert-intake';
import { IncidentTable } from './constructs/incident-table';
import { PipelineAlarms } from './constructs/pipeline-alarms';
import { RespondWorkflow } from './constructs/respond-workflow';

/** Properties of {@link FirebreakStack}. */
export type FirebreakStackProps = StackProps;

/**
 * The whole Firebreak deployment: the incident table, the `respond` workflow,
 * the alert intake (Alertmanager webhook, CloudWatch rule and topic) and the
 * alarms on the pipeline itself.
 *
 * Outputs: `AlertmanagerWebhookUrl`, `AlarmTopicArn`, `PipelineAlarmTopicArn`,
 * `IncidentTableName`, `RespondStateMachineArn`.
 *
 * @example
 * const app = new App();
 * new FirebreakStack(app, 'Firebreak', {
 *   env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
 * });
 */
export class FirebreakStack extends Stack {
  /** Incidents, timelines and pending signals. */
  public readonly incidentTable: IncidentTable;

  /** The `respond` workflow. */
  public readonly respondWorkflow: RespondWorkflow;

  /** Where alerts come in. */
  public readonly alertIntake: AlertIntake;

  /** Alarms on the pipeline itself. */
  public readonly pipelineAlarms: PipelineAlarms;

  constructor(scope: Construct, id: string, props?: FirebreakStackProps) {
    super(scope, id, {
      description: 'Firebreak: incident response for AI model services',
      ...props,
    });

    this.incidentTable = new IncidentTable(this, 'IncidentTable');
    this.respondWorkflow = new RespondWorkflow(this, 'RespondWorkflow', {
      incidentTable: this.incidentTable,
    });
    this.alertIntake = new AlertIntake(this, 'AlertIntake', {
      incidentTable: this.incidentTable,
      respondStateMachine: this.respondWorkflow.stateMachine,
    });

    const functions = {
      'record-signal': this.respondWorkflow.recordSignal,
      'confirm-breach': this.respondWorkflow.confirmBreach,
      'record-workflow-failure': this.respondWorkflow.recordWorkflowFailure,
      'alertmanager-intake': this.alertIntake.alertmanagerIntake,
      'cloudwatch-intake': this.alertIntake.cloudwatchIntake,
    };
    this.pipelineAlarms = new PipelineAlarms(this, 'PipelineAlarms', {
      workflows: { respond: this.respondWorkflow.stateMachine },
      deadLetterQueues: Object.fromEntries(
        Object.entries(this.alertIntake.deadLetterQueues).map(([name, dlq]) => [name, dlq.queue]),
      ),
      functions: Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, fn.function])),
    });

    new CfnOutput(this, 'AlertmanagerWebhookUrl', {
      description: 'Alertmanager webhook URL (send Authorization: Bearer <WebhookToken secret>)',
      value: this.alertIntake.webhookUrl.url,
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
  }
}
