import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { EngagementFunctions } from './engagement-functions';
import { FirebreakStateMachine } from './firebreak-state-machine';
import { TRANSIENT_RETRY, invokeTask, recordTaskFailureTask, vendorRetry } from './workflow-tasks';

/**
 * State names of the `acknowledge` workflow. The embedded runner keys its
 * task overrides by state name: renaming one is a breaking change.
 */
export const AcknowledgeStateNames = {
  spreadAcknowledgement: 'Spread The Acknowledgement',
  acknowledgeThePage: 'Acknowledge The Page',
  recordPageAcknowledgementFailure: 'Record The Page Acknowledgement Failure',
  updateIncidentChannel: 'Update The Incident Channel',
  recordChannelUpdateFailure: 'Record The Channel Update Failure',
  acknowledgementSpread: 'Acknowledgement Spread',
} as const;

/** Properties of {@link AcknowledgeWorkflow}. */
export interface AcknowledgeWorkflowProps {
  /** The paging and channel functions (`acknowledge-page`, `update-channel`, `record-task-failure`). */
  readonly engagement: EngagementFunctions;

  /**
   * Whether the execution log includes each state's input and output (see
   * `FirebreakStateMachineProps.logExecutionData`).
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
 * The `acknowledge` workflow: runs once per incident acknowledgement,
 * whichever side it started from (`/incident ack` or the Acknowledge button
 * in Slack, or a PagerDuty webhook). Execution name
 * `acknowledge-<incident id>`; input `{incidentId, via, by}`.
 *
 * In parallel, it acknowledges the PagerDuty incident and posts the
 * acknowledgement to the Slack channel (updating the pinned summary). Each
 * branch retries `VendorTransientError` with backoff; a failure that
 * survives its retries is written to the incident timeline and does not
 * stop the other branch.
 *
 * STANDARD type, JSONPath, execution timeout 30 minutes, logging level ALL,
 * X-Ray tracing.
 *
 * @example
 * const acknowledge = new AcknowledgeWorkflow(this, 'AcknowledgeWorkflow', { engagement });
 * acknowledge.stateMachine.grantStartExecution(slackEvents.function);
 */
export class AcknowledgeWorkflow extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;

  /** The execution log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AcknowledgeWorkflowProps) {
    super(scope, id);
    const engagement = props.engagement;
    const vendorRetries = [vendorRetry(Duration.seconds(2), 5), TRANSIENT_RETRY];

    const acknowledgePage = invokeTask(this, 'AcknowledgeThePageTask', {
      stateName: AcknowledgeStateNames.acknowledgeThePage,
      comment: 'Acknowledge the PagerDuty incident (same dedup key as the trigger).',
      lambdaFunction: engagement.acknowledgePage,
      payload: sfn.TaskInput.fromJsonPathAt('$'),
      resultPath: sfn.JsonPath.DISCARD,
      retries: vendorRetries,
    });
    acknowledgePage.addCatch(
      recordTaskFailureTask(this, 'RecordPageAcknowledgementFailureTask', {
        stateName: AcknowledgeStateNames.recordPageAcknowledgementFailure,
        lambdaFunction: engagement.recordTaskFailure,
        incidentIdPath: '$.incidentId',
        task: 'acknowledge-page',
        errorPath: '$.error',
      }),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );

    const updateChannel = invokeTask(this, 'UpdateIncidentChannelTask', {
      stateName: AcknowledgeStateNames.updateIncidentChannel,
      comment: 'Post the acknowledgement to the incident channel and update the pinned summary.',
      lambdaFunction: engagement.updateChannel,
      payload: sfn.TaskInput.fromObject({
        incidentId: sfn.JsonPath.stringAt('$.incidentId'),
        event: 'acknowledged',
        by: sfn.JsonPath.stringAt('$.by'),
        via: sfn.JsonPath.stringAt('$.via'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
      retries: vendorRetries,
    });
    updateChannel.addCatch(
      recordTaskFailureTask(this, 'RecordChannelUpdateFailureTask', {
        stateName: AcknowledgeStateNames.recordChannelUpdateFailure,
        lambdaFunction: engagement.recordTaskFailure,
        incidentIdPath: '$.incidentId',
        task: 'update-channel',
        errorPath: '$.error',
      }),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );

    const spread = new sfn.Parallel(this, 'SpreadAcknowledgement', {
      stateName: AcknowledgeStateNames.spreadAcknowledgement,
      comment:
        'Acknowledge the page and update the channel independently: each branch writes its own failure to the ' +
        'timeline, so a PagerDuty failure never blocks Slack and the other way round.',
      resultPath: sfn.JsonPath.DISCARD,
    })
      .branch(acknowledgePage)
      .branch(updateChannel);

    const workflow = new FirebreakStateMachine(this, 'Workflow', {
      workflow: 'acknowledge',
      comment: 'acknowledge: acknowledge the PagerDuty incident and update the Slack incident channel',
      definition: spread.next(
        new sfn.Succeed(this, 'AcknowledgementSpread', {
          stateName: AcknowledgeStateNames.acknowledgementSpread,
          comment: 'The page is acknowledged and the channel updated (or each failure is on the timeline).',
        }),
      ),
      invokedFunctions: [engagement.acknowledgePage, engagement.updateChannel, engagement.recordTaskFailure].map((fn) => fn.function),
      timeout: Duration.minutes(30),
      logExecutionData: props.logExecutionData,
      logRetention: props.logRetention,
    });
    this.stateMachine = workflow.stateMachine;
    this.logGroup = workflow.logGroup;
  }
}
