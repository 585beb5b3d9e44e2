import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { FirebreakFunction } from './firebreak-function';
import { FirebreakStateMachine } from './firebreak-state-machine';
import type { IncidentTable } from './incident-table';

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
  breachConfirmed: 'Breach Confirmed',
  breachFlapped: 'Breach Flapped',
  recordWorkflowFailure: 'Record The Workflow Failure',
  respondFailed: 'Respond Failed',
} as const;

/**
 * Errors every task of a Firebreak workflow retries: the domain's transient
 * errors (a lost optimistic-locking race, a store outage) and the Lambda
 * service's transient errors. Anything else is not retried.
 */
export const TRANSIENT_TASK_ERRORS: readonly string[] = [
  'IncidentVersionConflictError',
  'IncidentStoreError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** How long one task may run before Step Functions fails it with `States.Timeout`. */
export const TASK_TIMEOUT = Duration.seconds(30);

/** Properties of {@link RespondWorkflow}. */
export interface RespondWorkflowProps {
  /** The incident table the workflow's functions read and write. */
  readonly incidentTable: IncidentTable;

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
 * (opening a new incident or joining an open one); for a new incident it waits
 * out the flap hold, then confirms the breach is still active. Any task error
 * that survives its retries is recorded on the incident timeline and the
 * execution fails.
 *
 * STANDARD type, JSONPath (the embedded interpreter does not run JSONata or
 * variables), execution timeout one hour, logging level ALL, X-Ray tracing.
 *
 * @example
 * const respond = new RespondWorkflow(this, 'Respond', { incidentTable });
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

  /** The execution log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RespondWorkflowProps) {
    super(scope, id);
    const table = props.incidentTable;
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
    for (const fn of [this.recordSignal, this.confirmBreach, this.recordWorkflowFailure]) {
      table.grantReadWriteData(fn.function);
    }

    // Failure path: one state records the error on the timeline, then fail.
    const respondFailed = new sfn.Fail(this, 'RespondFailed', {
      stateName: RespondStateNames.respondFailed,
      comment: 'The workflow could not complete; the error is on the incident timeline.',
      error: 'RespondWorkflowFailed',
      cause: 'the respond workflow failed; see the incident timeline',
    });
    const recordFailure = this.invoke('RecordWorkflowFailureTask', {
      stateName: RespondStateNames.recordWorkflowFailure,
      comment: 'Write the error that stopped the workflow to the incident timeline.',
      lambdaFunction: this.recordWorkflowFailure,
      payload: sfn.TaskInput.fromObject({
        signal: sfn.JsonPath.objectAt('$.signal'),
        error: sfn.JsonPath.objectAt('$.error'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    }).next(respondFailed);
    const catchInto = (task: tasks.LambdaInvoke): tasks.LambdaInvoke => {
      task.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
      return task;
    };

    // Main path.
    const recordSignal = catchInto(
      this.invoke('RecordSignalTask', {
        stateName: RespondStateNames.recordSignal,
        comment: 'Record the signal: open a new incident for its key, or append it to the open incident.',
        lambdaFunction: this.recordSignal,
        payload: sfn.TaskInput.fromJsonPathAt('$'),
        resultSelector: {
          'outcome.$': '$.Payload.outcome',
          'incidentId.$': '$.Payload.incidentId',
          'flapHoldUntil.$': '$.Payload.flapHoldUntil',
        },
        resultPath: '$.record',
      }),
    );
    const confirmBreach = catchInto(
      this.invoke('ConfirmBreachTask', {
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
    // The paging issue inserts its states between this choice and "Breach Confirmed".
    const isBreachStillActive = new sfn.Choice(this, 'IsBreachStillActive', {
      stateName: RespondStateNames.isBreachStillActive,
      comment: 'Confirmed breaches go on to the response; flaps end here.',
    })
      .when(
        sfn.Condition.booleanEquals('$.confirmation.confirmed', true),
        new sfn.Succeed(this, 'BreachConfirmed', {
          stateName: RespondStateNames.breachConfirmed,
          comment: 'The breach outlasted the flap hold.',
        }),
      )
      .otherwise(
        new sfn.Succeed(this, 'BreachFlapped', {
          stateName: RespondStateNames.breachFlapped,
          comment: 'The breach cleared during the flap hold.',
        }),
      );
    const didSignalOpenIncident = new sfn.Choice(this, 'DidSignalOpenIncident', {
      stateName: RespondStateNames.didSignalOpenIncident,
      comment: 'Only a signal that opened a new incident starts a response; others were appended to the timeline.',
    })
      .when(
        sfn.Condition.stringEquals('$.record.outcome', 'opened'),
        waitOutFlapHold.next(confirmBreach).next(isBreachStillActive),
      )
      .otherwise(
        new sfn.Succeed(this, 'SignalRecorded', {
          stateName: RespondStateNames.signalRecorded,
          comment: 'The signal joined an open incident or was otherwise recorded; nothing more to do.',
        }),
      );

    const workflow = new FirebreakStateMachine(this, 'Workflow', {
      workflow: 'respond',
      comment: 'respond: record a breach signal; for a new incident, wait out the flap hold and confirm the breach',
      definition: recordSignal.next(didSignalOpenIncident),
      invokedFunctions: [this.recordSignal, this.confirmBreach, this.recordWorkflowFailure].map((fn) => fn.function),
      timeout: Duration.hours(1),
      logExecutionData: props.logExecutionData,
      logRetention: props.logRetention,
    });
    this.stateMachine = workflow.stateMachine;
    this.logGroup = workflow.logGroup;
  }

  /**
   * A synchronous Lambda task with the conventions every Firebreak task
   * follows: a comment, a timeout, and retries that name the transient errors
   * (the default blanket retry on service exceptions is turned off so that the
   * list is explicit).
   */
  private invoke(
    id: string,
    options: {
      readonly stateName: string;
      readonly comment: string;
      readonly lambdaFunction: FirebreakFunction;
      readonly payload: sfn.TaskInput;
      readonly resultSelector?: Record<string, unknown>;
      readonly resultPath: string;
    },
  ): tasks.LambdaInvoke {
    const task = new tasks.LambdaInvoke(this, id, {
      stateName: options.stateName,
      comment: options.comment,
      lambdaFunction: options.lambdaFunction.function,
      payload: options.payload,
      resultSelector: options.resultSelector,
      resultPath: options.resultPath,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(TASK_TIMEOUT),
    });
    task.addRetry({
      errors: [...TRANSIENT_TASK_ERRORS],
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 4,
    });
    return task;
  }
}
