import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { EngagementFunctions } from './engagement-functions';
import { FirebreakFunction } from './firebreak-function';
import { FirebreakStateMachine } from './firebreak-state-machine';
import type { IncidentTable } from './incident-table';
import type { ModelControlAccess } from './model-control-access';
import { VerifyRecoverySteps, VerifyRecoveryStateNames } from './verify-recovery-steps';
import {
  CONTROL_PLANE_RETRY,
  LAMBDA_TRANSIENT_ERRORS,
  RECORDS_RETRY,
  TASK_TIMEOUT,
  TRANSIENT_RETRY,
  invokeTask,
  recordTaskFailureTask,
  vendorRetry,
} from './workflow-tasks';

export { TASK_TIMEOUT, TRANSIENT_TASK_ERRORS } from './workflow-tasks';

/**
 * State names of the `respond` workflow. The embedded runner (its task
 * overrides are keyed by state name) and later workflow changes depend on
 * them: renaming one is a breaking change.
 */
export const RespondStateNames = {
  recordSignal: 'Record Or Join The Incident',
  didSignalOpenIncident: 'Did This Signal Open A New Incident?',
  signalRecorded: 'Signal Recorded',
  waitOutFlapHold: 'Wait Out The Flap Hold',
  confirmBreach: 'Confirm The Breach',
  isBreachStillActive: 'Is The Breach Still Active?',
  breachFlapped: 'Breach Flapped',
  pageOnCall: 'Page On-Call',
  engageResponders: 'Engage Responders',
  openIncidentChannel: 'Open The Incident Channel',
  recordChannelFailure: 'Record The Channel Failure',
  didFirstPageGoOut: 'Did The First Page Go Out?',
  pageAlreadySent: 'Page Already Sent',
  retryThePage: 'Retry The Page',
  recordPageFailure: 'Record The Page Failure',
  containTheModel: 'Contain The Model',
  recordContainmentFailure: 'Record The Containment Failure',
  harvestRegressionCases: 'Harvest Regression Cases',
  recordHarvestFailure: 'Record The Harvest Failure',
  doesRollbackAwaitApproval: 'Does A Rollback Await Approval?',
  waitForRollbackApproval: 'Wait For The Rollback Approval',
  settleRollbackApproval: 'Settle The Rollback Approval',
  recordApprovalFailure: 'Record The Approval Failure',
  wasRollbackApproved: 'Was The Rollback Approved?',
  rollbackVerifiesRecovery: 'The Rollback Verifies Recovery',
  ...VerifyRecoveryStateNames,
  respondersEngaged: 'Responders Engaged',
  startResolveWorkflow: 'Start The Resolve Workflow',
  tellIncidentChannel: 'Tell The Incident Channel',
  recordChannelNoticeFailure: 'Record The Channel Notice Failure',
  recordWorkflowFailure: 'Record The Workflow Failure',
  respondFailed: 'Respond Failed',
} as const;

/**
 * Error names the optimized `states:startExecution` integration reports when
 * an execution with the requested name already exists. AWS's Step Functions
 * guide prefixes the StartExecution API error code with `StepFunctions.`
 * (its example retries `StepFunctions.ExecutionLimitExceeded`), which makes
 * `StepFunctions.ExecutionAlreadyExists`; SDK-style names add `Exception`.
 * Both are matched so that a duplicate start is never mistaken for a failure.
 */
export const EXECUTION_ALREADY_EXISTS_ERRORS: readonly string[] = [
  'StepFunctions.ExecutionAlreadyExists',
  'StepFunctions.ExecutionAlreadyExistsException',
];

/**
 * Transient errors of the `states:startExecution` integration: the account's
 * running-execution limit, and service-side or client-side failures of the
 * call. A retried start is safe: the execution name makes it idempotent.
 */
export const START_EXECUTION_TRANSIENT_ERRORS: readonly string[] = [
  'StepFunctions.ExecutionLimitExceeded',
  'StepFunctions.AWSStepFunctionsException',
  'StepFunctions.SdkClientException',
];

/** Properties of {@link RespondWorkflow}. */
export interface RespondWorkflowProps {
  /** The incident table the workflow's functions read and write. */
  readonly incidentTable: IncidentTable;

  /**
   * The paging and channel functions (`page-oncall`, `open-channel`,
   * `update-channel`, `escalate-incident`, `record-task-failure`).
   */
  readonly engagement: EngagementFunctions;

  /** `check-recovery` (see `RecoveryVerification`): verifies recovery after containment. */
  readonly checkRecovery: FirebreakFunction;

  /**
   * `harvest-cases`: turns the incident's failing prompts into regression
   * cases in the records repository (shared with `resolve`, which harvests
   * what arrived during the incident).
   */
  readonly harvestCases: FirebreakFunction;

  /**
   * The model control plane settings and permissions `contain-model` gets
   * (environment and IAM).
   */
  readonly modelControl: ModelControlAccess;

  /**
   * The `resolve` workflow, started when a signal resolves its incident (every
   * alert of the incident resolved). The state machine role may start it and
   * nothing else.
   */
  readonly resolveStateMachine: sfn.IStateMachine;

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
 * The `respond` workflow: runs once per breach signal. It records the signal
 * (opening a new incident or joining an open one).
 *
 * - For a new incident it waits out the flap hold and confirms the breach is
 *   still active. A confirmed breach is paged first, in one fast attempt
 *   (`Page On-Call`), before any Slack call; whatever the page did, three
 *   branches then run in parallel (`Engage Responders`): the Slack incident
 *   channel is opened; the page is retried with backoff if the first attempt
 *   did not go out; and the model is contained (`Contain The Model`: the
 *   SLO's `action_on_breach`, in order, through the model control plane; a
 *   rollback that needs approval is requested, and run later by the
 *   `rollback` workflow). Once contained, the same branch verifies recovery
 *   (`VerifyRecoverySteps`: every 60 s, `Check Recovery` reads the SLI until
 *   it is within its objective for enough checks in a row, which mitigates
 *   the incident, or the checks run out, which escalates the page). A
 *   failure of any branch, after its retries, is written to the timeline and
 *   does not stop the others: a PagerDuty or Slack outage never blocks
 *   containment, and a containment failure never blocks the page or the
 *   channel.
 * - A signal that resolved its incident starts the `resolve` workflow (the
 *   execution is named `resolve-<incident id>`, so a resolution already
 *   started from Slack or PagerDuty is not started twice).
 *
 * Any other task error that survives its retries is recorded on the incident
 * timeline and the execution fails.
 *
 * STANDARD type, JSONPath (the embedded interpreter does not run JSONata or
 * variables), execution timeout one hour, logging level ALL, X-Ray tracing.
 *
 * @example
 * const respond = new RespondWorkflow(this, 'Respond', {
 *   incidentTable, engagement, modelControl, checkRecovery: recovery.checkRecovery, resolveStateMachine,
 * });
 * respond.stateMachine.grantStartExecution(intakeFunction);
 */
export class RespondWorkflow extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;

  /** The function behind `Record Or Join The Incident`. */
  public readonly recordSignal: FirebreakFunction;

  /** The function behind `Confirm The Breach`. */
  public readonly confirmBreach: FirebreakFunction;

  /** The function behind `Record The Workflow Failure`. */
  public readonly recordWorkflowFailure: FirebreakFunction;

  /** The function behind `Contain The Model`: `contain-model`. */
  public readonly containModel: FirebreakFunction;

  /** The execution log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RespondWorkflowProps) {
    super(scope, id);
    const table = props.incidentTable;
    const engagement = props.engagement;
    const environment = { TABLE_NAME: table.tableName };

    this.recordSignal = new FirebreakFunction(this, 'RecordSignal', {
      entry: 'lambdas/handlers/record-signal.ts',
      description: 'respond: records a breach signal, opening a new incident or joining the open one',
      environment,
    });
    this.confirmBreach = new FirebreakFunction(this, 'ConfirmBreach', {
      entry: 'lambdas/handlers/confirm-breach.ts',
      description: 'respond: after the flap hold, checks whether the breach is still active',
      environment,
    });
    this.recordWorkflowFailure = new FirebreakFunction(this, 'RecordWorkflowFailure', {
      entry: 'lambdas/handlers/record-workflow-failure.ts',
      description: 'respond: writes a workflow failure to the incident timeline',
      environment,
    });
    this.containModel = new FirebreakFunction(this, 'ContainModel', {
      entry: 'lambdas/handlers/contain-model.ts',
      description: "respond: takes the SLO's action_on_breach on the model through the control plane",
      environment: { ...environment, ...props.modelControl.environment },
    });
    props.modelControl.grant(this.containModel);
    for (const fn of [this.recordSignal, this.confirmBreach, this.recordWorkflowFailure, this.containModel]) {
      table.grantReadWriteData(fn.function);
    }

    // Failure path: one state records the error on the timeline, then fail.
    const respondFailed = new sfn.Fail(this, 'RespondFailed', {
      stateName: RespondStateNames.respondFailed,
      comment: 'The workflow could not complete; the error is on the incident timeline.',
      error: 'RespondWorkflowFailed',
      cause: 'the respond workflow failed; see the incident timeline',
    });
    const recordFailure = invokeTask(this, 'RecordWorkflowFailureTask', {
      stateName: RespondStateNames.recordWorkflowFailure,
      comment: 'Write the error that stopped the workflow to the incident timeline.',
      lambdaFunction: this.recordWorkflowFailure,
      payload: sfn.TaskInput.fromObject({
        signal: sfn.JsonPath.objectAt('$.signal'),
        error: sfn.JsonPath.objectAt('$.error'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    }).next(respondFailed);
    const catchInto = <T extends sfn.TaskStateBase | sfn.Parallel>(state: T): T => {
      state.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
      return state;
    };

    // Main path.
    const recordSignal = catchInto(
      invokeTask(this, 'RecordSignalTask', {
        stateName: RespondStateNames.recordSignal,
        comment: 'Record the signal: open a new incident for its key, or append it to the open incident.',
        lambdaFunction: this.recordSignal,
        payload: sfn.TaskInput.fromJsonPathAt('$'),
        resultSelector: {
          'outcome.$': '$.Payload.outcome',
          'incidentId.$': '$.Payload.incidentId',
          'flapHoldUntil.$': '$.Payload.flapHoldUntil',
          'confirmed.$': '$.Payload.confirmed',
        },
        resultPath: '$.record',
      }),
    );
    const confirmBreach = catchInto(
      invokeTask(this, 'ConfirmBreachTask', {
        stateName: RespondStateNames.confirmBreach,
        comment: 'After the flap hold, check whether the breach is still active.',
        lambdaFunction: this.confirmBreach,
        payload: sfn.TaskInput.fromObject({
          incidentId: sfn.JsonPath.stringAt('$.record.incidentId'),
          signalId: sfn.JsonPath.stringAt('$.signal.id'),
        }),
        resultSelector: {
          'confirmed.$': '$.Payload.confirmed',
          'status.$': '$.Payload.status',
        },
        resultPath: '$.confirmation',
      }),
    );
    const waitOutFlapHold = new sfn.Wait(this, 'WaitOutFlapHold', {
      stateName: RespondStateNames.waitOutFlapHold,
      comment: 'Give a flapping alert time to clear before anyone is paged.',
      time: sfn.WaitTime.timestampPath('$.record.flapHoldUntil'),
    });

    const verifyRecovery = new VerifyRecoverySteps(this, 'VerifyRecovery', {
      checkRecovery: props.checkRecovery,
      escalateIncident: engagement.escalateIncident,
      recordTaskFailure: engagement.recordTaskFailure,
      incidentIdPath: '$.record.incidentId',
    });
    const { chain: engageResponders, parallel: engageRespondersParallel } = this.engageResponders(
      engagement,
      this.containModel,
      verifyRecovery.chain,
      props.harvestCases,
    );
    const isBreachStillActive = new sfn.Choice(this, 'IsBreachStillActive', {
      stateName: RespondStateNames.isBreachStillActive,
      comment: 'Confirmed breaches go on to the response; flaps end here.',
    })
      .when(sfn.Condition.booleanEquals('$.confirmation.confirmed', true), engageResponders)
      .otherwise(
        new sfn.Succeed(this, 'BreachFlapped', {
          stateName: RespondStateNames.breachFlapped,
          comment: 'The breach cleared during the flap hold.',
        }),
      );
    catchInto(engageRespondersParallel);

    const signalRecorded = new sfn.Succeed(this, 'SignalRecorded', {
      stateName: RespondStateNames.signalRecorded,
      comment: 'The signal joined an open incident or was otherwise recorded; nothing more to do.',
    });
    const startResolve = new tasks.StepFunctionsStartExecution(this, 'StartResolveWorkflow', {
      stateName: RespondStateNames.startResolveWorkflow,
      comment:
        'The signal resolved its incident: start the resolve workflow, named after the incident so that a ' +
        'resolution already started from Slack or PagerDuty is not started twice.',
      stateMachine: props.resolveStateMachine,
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      name: sfn.JsonPath.format('resolve-{}', sfn.JsonPath.stringAt('$.record.incidentId')),
      input: sfn.TaskInput.fromObject({
        incidentId: sfn.JsonPath.stringAt('$.record.incidentId'),
        via: 'alert',
        by: sfn.JsonPath.stringAt('$.signal.alert.source'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(TASK_TIMEOUT),
    });
    startResolve.addRetry({
      errors: [...START_EXECUTION_TRANSIENT_ERRORS],
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 4,
    });
    // A resolve execution of that name exists: the resolution is already under way (or done).
    startResolve.addCatch(signalRecorded, { errors: [...EXECUTION_ALREADY_EXISTS_ERRORS], resultPath: '$.error' });
    // Anything else leaves a resolved incident open: record it and fail (the pipeline alarms fire).
    catchInto(startResolve);
    startResolve.next(signalRecorded);

    // An alert joining or leaving an incident goes to the channel's thread. Best effort: the signal is
    // recorded already, so a Slack failure (after its retries) is written to the timeline and ends here.
    const tellChannel = invokeTask(this, 'TellIncidentChannelTask', {
      stateName: RespondStateNames.tellIncidentChannel,
      comment: 'Post the alert that joined or left the incident to the incident channel thread (no alert text, names only).',
      lambdaFunction: engagement.updateChannel,
      payload: sfn.TaskInput.fromObject({
        incidentId: sfn.JsonPath.stringAt('$.record.incidentId'),
        event: 'signal',
        via: 'alert',
        by: sfn.JsonPath.stringAt('$.signal.alert.source'),
        alert: { name: sfn.JsonPath.stringAt('$.signal.alert.name'), status: sfn.JsonPath.stringAt('$.signal.alert.status') },
      }),
      resultPath: sfn.JsonPath.DISCARD,
      retries: [vendorRetry(Duration.seconds(2), 3), TRANSIENT_RETRY],
    });
    tellChannel.addCatch(
      recordTaskFailureTask(this, 'RecordChannelNoticeFailureTask', {
        stateName: RespondStateNames.recordChannelNoticeFailure,
        lambdaFunction: engagement.recordTaskFailure,
        incidentIdPath: '$.record.incidentId',
        task: 'tell-channel',
        errorPath: '$.error',
      }),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );
    tellChannel.next(signalRecorded);

    const didSignalOpenIncident = new sfn.Choice(this, 'DidSignalOpenIncident', {
      stateName: RespondStateNames.didSignalOpenIncident,
      comment:
        'A signal that opened a new incident starts a response, one that resolved its incident starts the ' +
        'resolution; others were appended to the timeline.',
    })
      // Opened already confirmed (no flap hold, or a breach older than it): nothing to wait for.
      .when(
        sfn.Condition.and(sfn.Condition.stringEquals('$.record.outcome', 'opened'), sfn.Condition.booleanEquals('$.record.confirmed', true)),
        engageResponders,
      )
      .when(
        sfn.Condition.stringEquals('$.record.outcome', 'opened'),
        waitOutFlapHold.next(confirmBreach).next(isBreachStillActive),
      )
      .when(sfn.Condition.stringEquals('$.record.outcome', 'resolved'), startResolve)
      .when(
        sfn.Condition.or(sfn.Condition.stringEquals('$.record.outcome', 'joined'), sfn.Condition.stringEquals('$.record.outcome', 'alert-resolved')),
        tellChannel,
      )
      .otherwise(signalRecorded);

    const invoked = [
      this.recordSignal,
      this.confirmBreach,
      this.recordWorkflowFailure,
      engagement.pageOnCall,
      engagement.openChannel,
      engagement.recordTaskFailure,
      engagement.updateChannel,
      this.containModel,
      props.checkRecovery,
      engagement.escalateIncident,
      engagement.settleRollbackApproval,
      props.harvestCases,
    ];
    const workflow = new FirebreakStateMachine(this, 'Workflow', {
      workflow: 'respond',
      comment:
        'respond: record a breach signal; for a new incident, wait out the flap hold, confirm the breach, page ' +
        'on-call, then independently open the incident channel, retry the page if needed and contain the model ' +
        'and verify its recovery; start resolve when the incident resolves',
      definition: recordSignal.next(didSignalOpenIncident),
      invokedFunctions: invoked.map((fn) => fn.function),
      timeout: Duration.hours(1),
      logExecutionData: props.logExecutionData,
      logRetention: props.logRetention,
    });
    this.stateMachine = workflow.stateMachine;
    this.logGroup = workflow.logGroup;
  }

  /**
   * After containment: when a rollback waits for approval, wait until the
   * approval deadline (the SLO's `rollback.approval_timeout`), then settle
   * the request. An approved rollback runs in the `rollback` workflow, which
   * verifies recovery itself; a rejected or expired one (or no rollback
   * request at all) leaves recovery to be verified on containment alone, so
   * exactly one recovery loop runs per incident.
   */
  private awaitRollbackApproval(engagement: EngagementFunctions, verifyRecovery: sfn.Chain): sfn.Choice {
    const settle = invokeTask(this, 'SettleRollbackApprovalTask', {
      stateName: RespondStateNames.settleRollbackApproval,
      comment: 'The approval deadline passed: report how the rollback request ended; expire it (timeline and channel) if nobody decided.',
      lambdaFunction: engagement.settleRollbackApproval,
      payload: sfn.TaskInput.fromObject({ incidentId: sfn.JsonPath.stringAt('$.record.incidentId') }),
      resultSelector: { 'outcome.$': '$.Payload.outcome' },
      resultPath: '$.approval',
      retries: [vendorRetry(Duration.seconds(2), 3), TRANSIENT_RETRY],
    });
    settle.addCatch(
      recordTaskFailureTask(this, 'RecordApprovalFailureTask', {
        stateName: RespondStateNames.recordApprovalFailure,
        lambdaFunction: engagement.recordTaskFailure,
        incidentIdPath: '$.record.incidentId',
        task: 'settle-rollback-approval',
        errorPath: '$.error',
      }),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );
    const wasApproved = new sfn.Choice(this, 'WasRollbackApproved', {
      stateName: RespondStateNames.wasRollbackApproved,
      comment: 'An approved rollback verifies recovery in its own workflow; a resolved incident needs none; otherwise verify containment.',
    })
      .when(
        sfn.Condition.or(sfn.Condition.stringEquals('$.approval.outcome', 'approved'), sfn.Condition.stringEquals('$.approval.outcome', 'moot')),
        new sfn.Pass(this, 'RollbackVerifiesRecovery', {
          stateName: RespondStateNames.rollbackVerifiesRecovery,
          comment: 'The rollback workflow (started by the approval) verifies recovery, or the incident is no longer active.',
        }),
      )
      .otherwise(verifyRecovery);
    const wait = new sfn.Wait(this, 'WaitForRollbackApproval', {
      stateName: RespondStateNames.waitForRollbackApproval,
      comment: 'Give people until the approval deadline to approve or reject the rollback in Slack.',
      time: sfn.WaitTime.secondsPath('$.containment.approvalTimeoutSeconds'),
    });
    return new sfn.Choice(this, 'DoesRollbackAwaitApproval', {
      stateName: RespondStateNames.doesRollbackAwaitApproval,
      comment: 'A rollback waiting for approval decides who verifies recovery; without one, verify it now.',
    })
      .when(sfn.Condition.booleanEquals('$.containment.awaitingApproval', true), wait.next(settle).next(wasApproved))
      .otherwise(verifyRecovery);
  }

  /**
   * `Page On-Call`, then the `Engage Responders` parallel (channel, page
   * retry, containment followed by `verifyRecovery`), then `Responders Engaged`. Returns the chain
   * (entered at the page) and the parallel, which the caller catches into
   * the workflow failure path (only a failure to record a branch failure,
   * i.e. a store outage, gets there).
   */
  private engageResponders(
    engagement: EngagementFunctions,
    containModel: FirebreakFunction,
    verifyRecovery: sfn.Chain,
    harvestCases: FirebreakFunction,
  ): { readonly chain: sfn.Chain; readonly parallel: sfn.Parallel } {
    const incidentId = sfn.JsonPath.stringAt('$.record.incidentId');

    // One fast attempt: only the Lambda service's own errors are retried. The
    // handler answers {paged: false} when PagerDuty fails and throws only for
    // store errors; either way the channel is opened next.
    const pageOnCall = invokeTask(this, 'PageOnCallTask', {
      stateName: RespondStateNames.pageOnCall,
      comment: 'Page on-call through PagerDuty, once and fast: the page is the first outbound call of an incident.',
      lambdaFunction: engagement.pageOnCall,
      payload: sfn.TaskInput.fromObject({ incidentId, mode: 'first' }),
      resultSelector: { 'paged.$': '$.Payload.paged' },
      resultPath: '$.page',
      retries: [{ errors: [...LAMBDA_TRANSIENT_ERRORS], interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 2 }],
    });

    const openChannel = invokeTask(this, 'OpenIncidentChannelTask', {
      stateName: RespondStateNames.openIncidentChannel,
      comment: 'Open the Slack incident channel, invite on-call and the responders, and pin the incident summary.',
      lambdaFunction: engagement.openChannel,
      payload: sfn.TaskInput.fromObject({ incidentId }),
      resultPath: sfn.JsonPath.DISCARD,
      retries: [vendorRetry(Duration.seconds(2), 4), TRANSIENT_RETRY],
    });
    openChannel.addCatch(
      recordTaskFailureTask(this, 'RecordChannelFailureTask', {
        stateName: RespondStateNames.recordChannelFailure,
        lambdaFunction: engagement.recordTaskFailure,
        incidentIdPath: '$.record.incidentId',
        task: 'open-channel',
        errorPath: '$.error',
      }),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );

    const retryThePage = invokeTask(this, 'RetryThePageTask', {
      stateName: RespondStateNames.retryThePage,
      comment: 'The first page did not go out: page again, backing off on PagerDuty rate limits and outages.',
      lambdaFunction: engagement.pageOnCall,
      payload: sfn.TaskInput.fromObject({ incidentId, mode: 'retry' }),
      resultPath: sfn.JsonPath.DISCARD,
      retries: [vendorRetry(Duration.seconds(5), 5), TRANSIENT_RETRY],
    });
    retryThePage.addCatch(
      recordTaskFailureTask(this, 'RecordPageFailureTask', {
        stateName: RespondStateNames.recordPageFailure,
        lambdaFunction: engagement.recordTaskFailure,
        incidentIdPath: '$.record.incidentId',
        task: 'page',
        errorPath: '$.error',
      }),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );
    const didFirstPageGoOut = new sfn.Choice(this, 'DidFirstPageGoOut', {
      stateName: RespondStateNames.didFirstPageGoOut,
      comment: 'Retry the page only if the first attempt failed or could not tell.',
    })
      .when(
        sfn.Condition.and(sfn.Condition.isPresent('$.page.paged'), sfn.Condition.booleanEquals('$.page.paged', true)),
        new sfn.Pass(this, 'PageAlreadySent', {
          stateName: RespondStateNames.pageAlreadySent,
          comment: 'PagerDuty accepted the first page; nothing to retry.',
        }),
      )
      .otherwise(retryThePage);

    // Containment itself talks to neither PagerDuty nor Slack: it retries a lost
    // race on the model's control state and the standard transient errors, and
    // writes whatever survives them to the timeline. Only once the model is
    // contained does the branch go on to verify recovery, whose escalation is
    // the branch's one PagerDuty call (caught into the timeline as well).
    const containTheModel = invokeTask(this, 'ContainTheModelTask', {
      stateName: RespondStateNames.containTheModel,
      comment:
        "Contain the model: take the SLO's action_on_breach in order through the model control plane (a " +
        'rollback that needs approval is requested in the channel), each change audited on the timeline.',
      lambdaFunction: containModel,
      payload: sfn.TaskInput.fromObject({ incidentId }),
      resultSelector: {
        'awaitingApproval.$': '$.Payload.awaitingApproval',
        'approvalTimeoutSeconds.$': '$.Payload.approvalTimeoutSeconds',
      },
      resultPath: '$.containment',
      retries: [CONTROL_PLANE_RETRY, TRANSIENT_RETRY],
    });
    containTheModel.addCatch(
      recordTaskFailureTask(this, 'RecordContainmentFailureTask', {
        stateName: RespondStateNames.recordContainmentFailure,
        lambdaFunction: engagement.recordTaskFailure,
        incidentIdPath: '$.record.incidentId',
        task: 'contain',
        errorPath: '$.error',
      }),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );
    containTheModel.next(this.awaitRollbackApproval(engagement, verifyRecovery));

    // The failing prompts become regression cases as soon as the breach is confirmed (the evidence is
    // there already); a harvest failure goes to the timeline and stops nothing else.
    const harvest = invokeTask(this, 'HarvestRegressionCasesTask', {
      stateName: RespondStateNames.harvestRegressionCases,
      comment:
        "Harvest the breach's failing prompts into regression cases: fetch the evidence, redact, classify, " +
        'deduplicate, and commit them to corpus/ of the records repository (case ids only in the channel).',
      lambdaFunction: harvestCases,
      payload: sfn.TaskInput.fromObject({ incidentId }),
      resultPath: sfn.JsonPath.DISCARD,
      retries: [vendorRetry(Duration.seconds(2), 3), RECORDS_RETRY, TRANSIENT_RETRY],
    });
    harvest.addCatch(
      recordTaskFailureTask(this, 'RecordHarvestFailureTask', {
        stateName: RespondStateNames.recordHarvestFailure,
        lambdaFunction: engagement.recordTaskFailure,
        incidentIdPath: '$.record.incidentId',
        task: 'harvest-cases',
        errorPath: '$.error',
      }),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );

    const parallel = new sfn.Parallel(this, 'EngageResponders', {
      stateName: RespondStateNames.engageResponders,
      comment:
        'Open the channel, make sure the page went out and contain the model (then verify its recovery), ' +
        'independently: each branch writes its own failure to the timeline, so Slack never blocks the page, ' +
        'PagerDuty never blocks the channel, and neither blocks containment (nor a containment failure either ' +
        'of them).',
      resultPath: sfn.JsonPath.DISCARD,
    })
      .branch(openChannel)
      .branch(didFirstPageGoOut)
      .branch(containTheModel)
      .branch(harvest);

    // A PagerDuty outage (or the handler's store error) never blocks the channel.
    pageOnCall.addCatch(parallel, { errors: [sfn.Errors.ALL], resultPath: '$.page' });

    const chain = pageOnCall.next(parallel).next(
      new sfn.Succeed(this, 'RespondersEngaged', {
        stateName: RespondStateNames.respondersEngaged,
        comment:
          'On-call was paged, the incident channel opened, the model contained and its recovery verified or ' +
          'escalated (or each failure is on the timeline).',
      }),
    );
    return { chain, parallel };
  }
}
