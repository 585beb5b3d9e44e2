import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { EngagementFunctions } from './engagement-functions';
import type { FirebreakFunction } from './firebreak-function';
import { FirebreakStateMachine } from './firebreak-state-machine';
import { TRANSIENT_RETRY, invokeTask, recordTaskFailureTask, vendorRetry } from './workflow-tasks';

/**
 * State names of the channel branch, the same in every follow-up workflow.
 * The embedded runner keys its task overrides by state name: renaming one is
 * a breaking change.
 */
export const FollowUpChannelStateNames = {
  updateIncidentChannel: 'Update The Incident Channel',
  recordChannelUpdateFailure: 'Record The Channel Update Failure',
} as const;

/** The state names that differ from one follow-up workflow to the next. */
export interface FollowUpStateNames {
  /** The `Parallel` of the page branch and the channel branch (`Close Out The Incident`). */
  readonly followUp: string;
  /** The task that acts on the PagerDuty incident (`Resolve The Page`). */
  readonly pageAction: string;
  /** The task that writes the page action's failure to the timeline (`Record The Page Resolution Failure`). */
  readonly recordPageActionFailure: string;
  /** The final `Succeed` (`Incident Resolved`). */
  readonly done: string;
}

/** The event the channel branch posts, as `update-channel` takes it. */
export type FollowUpEvent = 'resolved' | 'acknowledged';

/** Properties every follow-up workflow takes from its caller. */
export interface FollowUpWorkflowOptions {
  /** The paging and channel functions (the page action's, `update-channel`, `record-task-failure`). */
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

/** Properties of {@link FollowUpWorkflow}. */
export interface FollowUpWorkflowProps extends FollowUpWorkflowOptions {
  /**
   * Workflow name, which is also the verb of the page action (`resolve`,
   * `acknowledge`): the `firebreak:workflow` metadata, part of the log group
   * name, and the subject of the generated comments. The page action's
   * failure is recorded on the timeline as task `<workflow>-page`.
   */
  readonly workflow: string;

  /** The function that acts on the PagerDuty incident (`resolve-page`, `acknowledge-page`). */
  readonly pageFunction: FirebreakFunction;

  /** The event the channel branch posts to the incident channel. */
  readonly event: FollowUpEvent;

  /** The workflow's own state names (the channel branch uses {@link FollowUpChannelStateNames}). */
  readonly stateNames: FollowUpStateNames;

  /** The `Comment` of the channel update task: what it posts and how it changes the pinned summary. */
  readonly channelUpdateComment: string;

  /**
   * Steps that run after the `Parallel` and before the final `Succeed`
   * (`resolve`: harvest the regression cases, draft the postmortem).
   *
   * @default - none: the `Parallel` goes straight to the `Succeed`
   */
  readonly after?: FollowUpAfterSteps;
}

/** What {@link FollowUpAfterSteps.build} made. */
export interface FollowUpSteps {
  /** The first of the steps. */
  readonly start: sfn.IChainable;
  /** The functions the steps invoke: the state machine may invoke them too (and no others). */
  readonly invokedFunctions: readonly FirebreakFunction[];
}

/** Steps a follow-up workflow runs after its `Parallel`. */
export interface FollowUpAfterSteps {
  /**
   * What the steps do, as a phrase that completes "…, then": added to the
   * state machine's comment and to the final `Succeed`'s comment.
   */
  readonly summary: string;

  /**
   * Builds the steps. Called once, while the workflow is constructed, with
   * the workflow itself as `scope` (so the steps' constructs, and the
   * functions made for them, live under it) and the final `Succeed` as
   * `done`: every path of the steps, failure paths included, must end there.
   */
  build(scope: Construct, done: sfn.State): FollowUpSteps;
}

/**
 * A follow-up workflow: runs once per incident lifecycle event (resolution,
 * acknowledgement) that follows the page, whichever side it started from.
 * Execution name `<workflow>-<incident id>`; input `{incidentId, via, by}`.
 *
 * In parallel, it acts on the PagerDuty incident with the page function and
 * posts the event to the Slack channel (updating the pinned summary). Each
 * branch retries `VendorTransientError` with backoff; a failure that survives
 * its retries is written to the incident timeline and does not stop the
 * other branch.
 *
 * Then, when given ({@link FollowUpWorkflowProps.after}), further steps
 * run before the final `Succeed`.
 *
 * STANDARD type, JSONPath, execution timeout 30 minutes, logging level ALL,
 * X-Ray tracing. `ResolveWorkflow` and `AcknowledgeWorkflow` are its two
 * instances; subclass it (rather than wrapping it) so that the state
 * machine's construct path, and so its logical ids, stay those of the
 * subclass.
 *
 * @example
 * class ResolveWorkflow extends FollowUpWorkflow {
 *   constructor(scope: Construct, id: string, props: FollowUpWorkflowOptions) {
 *     super(scope, id, { ...props, workflow: 'resolve', pageFunction: props.engagement.resolvePage, event: 'resolved', ... });
 *   }
 * }
 */
export class FollowUpWorkflow extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;

  /** The execution log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FollowUpWorkflowProps) {
    super(scope, id);
    const { engagement, workflow, stateNames } = props;
    const verb = workflow.charAt(0).toUpperCase() + workflow.slice(1);

    const pageAction = vendorBranch(this, 'PageAction', {
      stateName: stateNames.pageAction,
      comment: `${verb} the PagerDuty incident (same dedup key as the trigger).`,
      lambdaFunction: props.pageFunction,
      payload: sfn.TaskInput.fromJsonPathAt('$'),
      task: `${workflow}-page`,
      failureStateName: stateNames.recordPageActionFailure,
      recordTaskFailure: engagement.recordTaskFailure,
    });
    const updateChannel = vendorBranch(this, 'UpdateIncidentChannel', {
      stateName: FollowUpChannelStateNames.updateIncidentChannel,
      comment: props.channelUpdateComment,
      lambdaFunction: engagement.updateChannel,
      payload: sfn.TaskInput.fromObject({
        incidentId: sfn.JsonPath.stringAt('$.incidentId'),
        event: props.event,
        by: sfn.JsonPath.stringAt('$.by'),
        via: sfn.JsonPath.stringAt('$.via'),
      }),
      task: 'update-channel',
      failureStateName: FollowUpChannelStateNames.recordChannelUpdateFailure,
      recordTaskFailure: engagement.recordTaskFailure,
    });

    const followUp = new sfn.Parallel(this, 'FollowUp', {
      stateName: stateNames.followUp,
      comment:
        `${verb} the page and update the channel independently: each branch writes its own failure to the ` +
        'timeline, so a PagerDuty failure never blocks Slack and the other way round.',
      resultPath: sfn.JsonPath.DISCARD,
    })
      .branch(pageAction)
      .branch(updateChannel);

    const then = props.after === undefined ? '' : `, then ${props.after.summary}`;
    const done = new sfn.Succeed(this, 'Done', {
      stateName: stateNames.done,
      comment: `The page is ${props.event} and the channel updated${then} (or each failure is on the timeline).`,
    });
    const after = props.after?.build(this, done);

    const stateMachine = new FirebreakStateMachine(this, 'Workflow', {
      workflow,
      comment: `${workflow}: ${workflow} the PagerDuty incident and update the Slack incident channel${then}`,
      definition: followUp.next(after?.start ?? done),
      invokedFunctions: [props.pageFunction, engagement.updateChannel, engagement.recordTaskFailure, ...(after?.invokedFunctions ?? [])].map((fn) => fn.function),
      timeout: Duration.minutes(30),
      logExecutionData: props.logExecutionData,
      logRetention: props.logRetention,
    });
    this.stateMachine = stateMachine.stateMachine;
    this.logGroup = stateMachine.logGroup;
  }
}

/** Options of {@link vendorBranch}. */
interface VendorBranchOptions {
  /** The state name of the vendor task. */
  readonly stateName: string;
  /** What the vendor task does, as its `Comment`. */
  readonly comment: string;
  /** The function the vendor task invokes. */
  readonly lambdaFunction: FirebreakFunction;
  /** The `Payload` of the invocation; the result is discarded. */
  readonly payload: sfn.TaskInput;
  /** The vendor task's name on the incident timeline when it fails (`update-channel`). */
  readonly task: string;
  /** The state name of the task that records the failure. */
  readonly failureStateName: string;
  /** The `record-task-failure` function. */
  readonly recordTaskFailure: FirebreakFunction;
}

/**
 * One branch of the follow-up `Parallel`: a vendor task that retries
 * `VendorTransientError` (2 s, doubling, 5 attempts) and the standard
 * transient errors, and catches whatever survives them into a
 * `record-task-failure` task, so the branch ends quietly on the timeline.
 *
 * @param scope - the construct the tasks belong to
 * @param id - stem of the construct ids (`<id>Task`, `Record<id>FailureTask`)
 * @param options - see {@link VendorBranchOptions}
 * @returns the vendor task, its catch attached
 */
function vendorBranch(scope: Construct, id: string, options: VendorBranchOptions): sfn.TaskStateBase {
  return invokeTask(scope, `${id}Task`, {
    stateName: options.stateName,
    comment: options.comment,
    lambdaFunction: options.lambdaFunction,
    payload: options.payload,
    resultPath: sfn.JsonPath.DISCARD,
    retries: [vendorRetry(Duration.seconds(2), 5), TRANSIENT_RETRY],
  }).addCatch(
    recordTaskFailureTask(scope, `Record${id}FailureTask`, {
      stateName: options.failureStateName,
      lambdaFunction: options.recordTaskFailure,
      incidentIdPath: '$.incidentId',
      task: options.task,
      errorPath: '$.error',
    }),
    { errors: [sfn.Errors.ALL], resultPath: '$.error' },
  );
}
