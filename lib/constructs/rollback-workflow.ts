import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { EngagementFunctions } from './engagement-functions';
import { FirebreakFunction } from './firebreak-function';
import { FirebreakStateMachine } from './firebreak-state-machine';
import type { IncidentTable } from './incident-table';
import type { ModelControlAccess } from './model-control-access';
import { VerifyRecoverySteps, VerifyRecoveryStateNames } from './verify-recovery-steps';
import { CONTROL_PLANE_RETRY, TRANSIENT_RETRY, invokeTask, recordTaskFailureTask, vendorRetry } from './workflow-tasks';

/**
 * State names of the `rollback` workflow. The embedded runner keys its task
 * overrides by state name: renaming one is a breaking change.
 */
export const RollbackStateNames = {
  rollBackTheModel: 'Roll Back The Model',
  recordRollbackFailure: 'Record The Rollback Failure',
  rollbackFailed: 'Rollback Failed',
  tellChannelAboutRollback: 'Tell The Channel About The Rollback',
  recordRollbackNoticeFailure: 'Record The Rollback Notice Failure',
  didTheRollbackChangeAnything: 'Did The Rollback Change Anything?',
  ...VerifyRecoveryStateNames,
  rollbackDone: 'Rollback Done',
} as const;

/** Properties of {@link RollbackWorkflow}. */
export interface RollbackWorkflowProps {
  /** The incident table `roll-back-model` reads and writes (audit entries, the pending approval). */
  readonly incidentTable: IncidentTable;

  /** The channel, escalation and failure functions (`update-channel`, `escalate-incident`, `record-task-failure`). */
  readonly engagement: EngagementFunctions;

  /** `check-recovery` (see `RecoveryVerification`): verifies recovery after the rollback. */
  readonly checkRecovery: FirebreakFunction;

  /** The model control plane settings and permissions `roll-back-model` gets. */
  readonly modelControl: ModelControlAccess;

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
 * The `rollback` workflow: runs once per approved rollback (the Approve
 * rollback button or `/incident rollback` in Slack). Input
 * `{incidentId, via, by, version?}`; without `version`, the model goes back
 * to the newest known-good version older than the breached one.
 *
 * 1. `Roll Back The Model` (`roll-back-model`) serves that version through
 *    the model control plane, writes the audit entry (before → after) and
 *    clears the pending approval; it keeps `{changed, detail}` under
 *    `$.rollback`. It retries `ControlPlaneConflictError` (a concurrent
 *    change of the model's control state), store and Lambda transient
 *    errors; anything else is written to the timeline and the execution
 *    fails (`Rollback Failed`), which the pipeline alarms report.
 * 2. `Tell The Channel About The Rollback` (`update-channel`, event
 *    `rollback`) posts the outcome to the incident channel. Best effort: the
 *    rollback is done, so a Slack failure (after `VendorTransientError`
 *    retries) is written to the timeline and the workflow still succeeds.
 * 3. `Did The Rollback Change Anything?`: when the rollback changed the
 *    served version (`$.rollback.changed`), recovery is verified against the
 *    SLO (`VerifyRecoverySteps`: every 60 s, `Check Recovery` reads the SLI
 *    until it is within its objective for enough checks in a row, which
 *    mitigates the incident, or the checks run out, which escalates the
 *    page); otherwise there is nothing to verify.
 * 4. `Rollback Done`, whatever the verification found (its outcome, or its
 *    failure, is on the timeline; an escalation is not a workflow failure).
 *
 * STANDARD type, JSONPath, execution timeout 30 minutes, logging level ALL,
 * X-Ray tracing.
 *
 * @example
 * const rollback = new RollbackWorkflow(this, 'RollbackWorkflow', {
 *   incidentTable, engagement, modelControl, checkRecovery: recovery.checkRecovery,
 * });
 * rollback.stateMachine.grantStartExecution(slackEvents.function);
 */
export class RollbackWorkflow extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;

  /** The function behind `Roll Back The Model`: `roll-back-model`. */
  public readonly rollBackModel: FirebreakFunction;

  /** The execution log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RollbackWorkflowProps) {
    super(scope, id);
    const { engagement, incidentTable: table } = props;

    this.rollBackModel = new FirebreakFunction(this, 'RollBackModel', {
      entry: 'lambdas/handlers/roll-back-model.ts',
      description: 'rollback: serves the requested or last known-good model version through the control plane',
      environment: { TABLE_NAME: table.tableName, ...props.modelControl.environment },
    });
    table.grantReadWriteData(this.rollBackModel.function);
    props.modelControl.grant(this.rollBackModel);

    const rollbackFailed = new sfn.Fail(this, 'RollbackFailed', {
      stateName: RollbackStateNames.rollbackFailed,
      comment: 'The model was not rolled back; the error is on the incident timeline.',
      error: 'RollbackWorkflowFailed',
      cause: 'the rollback workflow failed; see the incident timeline',
    });
    const rollBack = invokeTask(this, 'RollBackTheModelTask', {
      stateName: RollbackStateNames.rollBackTheModel,
      comment:
        'Serve the requested (or the newest known-good) version through the model control plane, audit the ' +
        'change on the timeline and clear the pending approval.',
      lambdaFunction: this.rollBackModel,
      payload: sfn.TaskInput.fromJsonPathAt('$'),
      resultSelector: { 'changed.$': '$.Payload.changed', 'detail.$': '$.Payload.detail' },
      resultPath: '$.rollback',
      retries: [CONTROL_PLANE_RETRY, TRANSIENT_RETRY],
    });
    rollBack.addCatch(
      recordTaskFailureTask(this, 'RecordRollbackFailureTask', {
        stateName: RollbackStateNames.recordRollbackFailure,
        comment: 'Write the failure of the rollback (after its retries) to the incident timeline, then fail.',
        lambdaFunction: engagement.recordTaskFailure,
        incidentIdPath: '$.incidentId',
        task: 'rollback',
        errorPath: '$.error',
      }).next(rollbackFailed),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );

    const tellChannel = invokeTask(this, 'TellChannelAboutRollbackTask', {
      stateName: RollbackStateNames.tellChannelAboutRollback,
      comment: 'Post the outcome of the rollback (what changed, or why nothing did) to the incident channel.',
      lambdaFunction: engagement.updateChannel,
      payload: sfn.TaskInput.fromObject({
        incidentId: sfn.JsonPath.stringAt('$.incidentId'),
        event: 'rollback',
        via: sfn.JsonPath.stringAt('$.via'),
        by: sfn.JsonPath.stringAt('$.by'),
        detail: sfn.JsonPath.stringAt('$.rollback.detail'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
      retries: [vendorRetry(Duration.seconds(2), 5), TRANSIENT_RETRY],
    });
    const recordNoticeFailure = recordTaskFailureTask(this, 'RecordRollbackNoticeFailureTask', {
      stateName: RollbackStateNames.recordRollbackNoticeFailure,
      comment: 'Write the failure of the channel notice (after its retries) to the incident timeline; the rollback stands.',
      lambdaFunction: engagement.recordTaskFailure,
      incidentIdPath: '$.incidentId',
      task: 'update-channel',
      errorPath: '$.error',
    });
    tellChannel.addCatch(recordNoticeFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    // Both ends of the channel notice continue at `afterNotice`: recovery is
    // verified against the SLO when the rollback changed the served version.
    const rollbackDone = new sfn.Succeed(this, 'RollbackDone', {
      stateName: RollbackStateNames.rollbackDone,
      comment:
        'The rollback ran (or nothing needed rolling back), the channel was told and recovery was verified or ' +
        'escalated (or each failure is on the timeline).',
    });
    const verifyRecovery = new VerifyRecoverySteps(this, 'VerifyRecovery', {
      checkRecovery: props.checkRecovery,
      escalateIncident: engagement.escalateIncident,
      recordTaskFailure: engagement.recordTaskFailure,
      incidentIdPath: '$.incidentId',
    });
    const afterNotice = new sfn.Choice(this, 'DidTheRollbackChangeAnything', {
      stateName: RollbackStateNames.didTheRollbackChangeAnything,
      comment: 'A rollback that changed the served version is verified against the SLO; otherwise there is nothing to verify.',
    })
      .when(sfn.Condition.booleanEquals('$.rollback.changed', true), verifyRecovery.chain.next(rollbackDone))
      .otherwise(rollbackDone);
    tellChannel.next(afterNotice);
    recordNoticeFailure.next(afterNotice);

    const workflow = new FirebreakStateMachine(this, 'Workflow', {
      workflow: 'rollback',
      comment:
        'rollback: serve the requested or last known-good model version through the control plane, tell the ' +
        'incident channel, then verify recovery against the SLO',
      definition: rollBack.next(tellChannel),
      invokedFunctions: [
        this.rollBackModel,
        engagement.updateChannel,
        engagement.recordTaskFailure,
        props.checkRecovery,
        engagement.escalateIncident,
      ].map((fn) => fn.function),
      timeout: Duration.minutes(30),
      logExecutionData: props.logExecutionData,
      logRetention: props.logRetention,
    });
    this.stateMachine = workflow.stateMachine;
    this.logGroup = workflow.logGroup;
  }
}
