import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { EngagementFunctions } from './engagement-functions';
import { FirebreakStateMachine } from './firebreak-state-machine';
import { TRANSIENT_RETRY, invokeTask, recordTaskFailureTask, vendorRetry } from './workflow-tasks';

/**
 * State names of the `resolve` workflow. The embedded runner keys its task
 * overrides by state name: renaming one is a breaking change.
 */
export const ResolveStateNames = {
  closeOutIncident: 'Close Out The Incident',
  resolveThePage: 'Resolve The Page',
  recordPageResolutionFailure: 'Record The Page Resolution Failure',
  updateIncidentChannel: 'Update The Incident Channel',
  recordChannelUpdateFailure: 'Record The Channel Update Failure',
  incidentResolved: 'Incident Resolved',
} as const;

/** Properties of {@link ResolveWorkflow}. */
export interface ResolveWorkflowProps {
  /** The paging and channel functions (`resolve-page`, `update-channel`, `record-task-failure`). */
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
 * The `resolve` workflow: runs once per incident resolution, whichever side
 * it started from (`/incident resolve` or the Resolve button in Slack, a
 * PagerDuty webhook, or every alert of the incident resolved). Execution name
 * `resolve-<incident id>`; input `{incidentId, via, by}`.
 *
 * In parallel, it resolves the PagerDuty incident and posts the resolution to
 * the Slack channel (updating the pinned summary). Each branch retries
 * `VendorTransientError` with backoff; a failure that survives its retries is
 * written to the incident timeline and does not stop the other branch.
 * (Postmortem and corpus steps arrive with later issues.)
 *
 * STANDARD type, JSONPath, execution timeout 30 minutes, logging level ALL,
 * X-Ray tracing.
 *
 * @example
 * const resolve = new ResolveWorkflow(this, 'ResolveWorkflow', { engagement });
 * resolve.stateMachine.grantStartExecution(slackEvents.function);
 */
export class ResolveWorkflow extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;

  /** The execution log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ResolveWorkflowProps) {
    super(scope, id);
    const engagement = props.engagement;
    const vendorRetries = [vendorRetry(Duration.seconds(2), 5), TRANSIENT_RETRY];

    const resolvePage = invokeTask(this, 'ResolveThePageTask', {
      stateName: ResolveStateNames.resolveThePage,
      comment: 'Resolve the PagerDuty incident (same dedup key as the trigger).',
      lambdaFunction: engagement.resolvePage,
      payload: sfn.TaskInput.fromJsonPathAt('$'),
      resultPath: sfn.JsonPath.DISCARD,
      retries: vendorRetries,
    });
    resolvePage.addCatch(
      recordTaskFailureTask(this, 'RecordPageResolutionFailureTask', {
        stateName: ResolveStateNames.recordPageResolutionFailure,
        lambdaFunction: engagement.recordTaskFailure,
        incidentIdPath: '$.incidentId',
        task: 'resolve-page',
        errorPath: '$.error',
      }),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );

    const updateChannel = invokeTask(this, 'UpdateIncidentChannelTask', {
      stateName: ResolveStateNames.updateIncidentChannel,
      comment: 'Post the resolution to the incident channel and mark the pinned summary resolved.',
      lambdaFunction: engagement.updateChannel,
      payload: sfn.TaskInput.fromObject({
        incidentId: sfn.JsonPath.stringAt('$.incidentId'),
        event: 'resolved',
        by: sfn.JsonPath.stringAt('$.by'),
        via: sfn.JsonPath.stringAt('$.via'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
      retries: vendorRetries,
    });
    updateChannel.addCatch(
      recordTaskFailureTask(this, 'RecordChannelUpdateFailureTask', {
        stateName: ResolveStateNames.recordChannelUpdateFailure,
        lambdaFunction: engagement.recordTaskFailure,
        incidentIdPath: '$.incidentId',
        task: 'update-channel',
        errorPath: '$.error',
      }),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );

    const closeOut = new sfn.Parallel(this, 'CloseOutIncident', {
      stateName: ResolveStateNames.closeOutIncident,
      comment:
        'Resolve the page and update the channel independently: each branch writes its own failure to the ' +
        'timeline, so a PagerDuty failure never blocks Slack and the other way round.',
      resultPath: sfn.JsonPath.DISCARD,
    })
      .branch(resolvePage)
      .branch(updateChannel);

    const workflow = new FirebreakStateMachine(this, 'Workflow', {
      workflow: 'resolve',
      comment: 'resolve: resolve the PagerDuty incident and update the Slack incident channel',
      definition: closeOut.next(
        new sfn.Succeed(this, 'IncidentResolved', {
          stateName: ResolveStateNames.incidentResolved,
          comment: 'The page is resolved and the channel updated (or each failure is on the timeline).',
        }),
      ),
      invokedFunctions: [engagement.resolvePage, engagement.updateChannel, engagement.recordTaskFailure].map((fn) => fn.function),
      timeout: Duration.minutes(30),
      logExecutionData: props.logExecutionData,
      logRetention: props.logRetention,
    });
    this.stateMachine = workflow.stateMachine;
    this.logGroup = workflow.logGroup;
  }
}
