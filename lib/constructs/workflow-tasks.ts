import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { FirebreakFunction } from './firebreak-function';

/**
 * Transient errors of the Lambda service itself (the function did not run, or
 * its result was lost). Safe to retry for every Firebreak task: handlers are
 * idempotent.
 */
export const LAMBDA_TRANSIENT_ERRORS: readonly string[] = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/**
 * Transient errors of the incident store that handlers let through: a lost
 * optimistic-locking race and a store outage.
 */
export const STORE_TRANSIENT_ERRORS: readonly string[] = ['IncidentVersionConflictError', 'IncidentStoreError'];

/**
 * Errors every task of a Firebreak workflow retries: the domain's transient
 * errors (a lost optimistic-locking race, a store outage) and the Lambda
 * service's transient errors. Anything else is not retried.
 */
export const TRANSIENT_TASK_ERRORS: readonly string[] = [...STORE_TRANSIENT_ERRORS, ...LAMBDA_TRANSIENT_ERRORS];

/**
 * The error a vendor adapter throws for a failure that may succeed later
 * (HTTP 429, 5xx, a timeout, a network error). Workflows retry it with
 * backoff; a `VendorRejectedError` (HTTP 400, Slack `ok:false` with a
 * permanent error) is never retried.
 */
export const VENDOR_TRANSIENT_ERROR = 'VendorTransientError';

/**
 * The error a model control plane adapter throws when the model's control
 * state changed between its read and its conditional write (a lost race
 * with another change). Retrying re-reads the state and tries again.
 */
export const CONTROL_PLANE_CONFLICT_ERROR = 'ControlPlaneConflictError';

/** How long one task may run before Step Functions fails it with `States.Timeout`. */
export const TASK_TIMEOUT = Duration.seconds(30);

/** The standard retry of {@link TRANSIENT_TASK_ERRORS}: 1 s, doubling, 4 attempts. */
export const TRANSIENT_RETRY: sfn.RetryProps = {
  errors: [...TRANSIENT_TASK_ERRORS],
  interval: Duration.seconds(1),
  backoffRate: 2,
  maxAttempts: 4,
};

/**
 * The error the records repository adapters throw (`RecordsRepositoryError`):
 * GitHub or CodeCommit throttled or unavailable, or a branch that moved
 * during a commit. The records tasks are idempotent, so it is retried a few
 * times whether or not the adapter deemed it retryable (a refused token fails
 * the same way each time, and is then recorded or fails the execution).
 */
export const RECORDS_REPOSITORY_ERROR = 'RecordsRepositoryError';

/** The retry of {@link RECORDS_REPOSITORY_ERROR} every task that reads or commits the records repository uses: 5 s, doubling, 3 attempts. */
export const RECORDS_RETRY: sfn.RetryProps = {
  errors: [RECORDS_REPOSITORY_ERROR],
  interval: Duration.seconds(5),
  backoffRate: 2,
  maxAttempts: 3,
};

/**
 * The retry of {@link CONTROL_PLANE_CONFLICT_ERROR} every task that changes a
 * model's control state uses (before {@link TRANSIENT_RETRY}): 1 s, doubling,
 * 4 attempts.
 */
export const CONTROL_PLANE_RETRY: sfn.RetryProps = {
  errors: [CONTROL_PLANE_CONFLICT_ERROR],
  interval: Duration.seconds(1),
  backoffRate: 2,
  maxAttempts: 4,
};

/**
 * A retry of {@link VENDOR_TRANSIENT_ERROR} with exponential backoff (rate 2).
 *
 * @param interval - the wait before the first retry
 * @param maxAttempts - how many retries at most
 * @returns the retry
 *
 * @example
 * invokeTask(this, 'OpenChannel', { ..., retries: [vendorRetry(Duration.seconds(2), 4), TRANSIENT_RETRY] });
 */
export function vendorRetry(interval: Duration, maxAttempts: number): sfn.RetryProps {
  return { errors: [VENDOR_TRANSIENT_ERROR], interval, backoffRate: 2, maxAttempts };
}

/** Options of {@link invokeTask}. */
export interface InvokeTaskOptions {
  /** The state name, a sentence (`Open The Incident Channel`). */
  readonly stateName: string;
  /** What the task does, as the state's `Comment`. */
  readonly comment: string;
  /** The function to invoke. */
  readonly lambdaFunction: FirebreakFunction;
  /** The `Payload` of the invocation. */
  readonly payload: sfn.TaskInput;
  /**
   * Selects the fields of the invocation result to keep.
   *
   * @default - the whole Invoke response
   */
  readonly resultSelector?: Record<string, unknown>;
  /** Where the (selected) result goes in the state's output; `JsonPath.DISCARD` to drop it. */
  readonly resultPath: string;
  /**
   * The task's retriers, in order (Step Functions uses the first that names the error).
   *
   * @default [TRANSIENT_RETRY]
   */
  readonly retries?: readonly sfn.RetryProps[];
}

/**
 * A synchronous Lambda task with the conventions every Firebreak task
 * follows: a comment, a timeout ({@link TASK_TIMEOUT}), and retries that name
 * the errors they retry. CDK's default blanket retry on Lambda service
 * exceptions is turned off so that the list is explicit and complete in one
 * place.
 *
 * @param scope - the construct the task belongs to
 * @param id - construct id of the task
 * @param options - see {@link InvokeTaskOptions}
 * @returns the task, ready for `addCatch` and `next`
 *
 * @example
 * const confirm = invokeTask(this, 'ConfirmBreachTask', {
 *   stateName: 'Confirm The Breach',
 *   comment: 'After the flap hold, check whether the breach is still active.',
 *   lambdaFunction: confirmBreach,
 *   payload: sfn.TaskInput.fromJsonPathAt('$'),
 *   resultPath: '$.confirmation',
 * });
 */
export function invokeTask(scope: Construct, id: string, options: InvokeTaskOptions): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, id, {
    stateName: options.stateName,
    comment: options.comment,
    lambdaFunction: options.lambdaFunction.function,
    payload: options.payload,
    resultSelector: options.resultSelector,
    resultPath: options.resultPath,
    retryOnServiceExceptions: false,
    taskTimeout: sfn.Timeout.duration(TASK_TIMEOUT),
  });
  for (const retry of options.retries ?? [TRANSIENT_RETRY]) {
    task.addRetry({ ...retry, errors: [...(retry.errors ?? [])] });
  }
  return task;
}

/** Options of {@link recordTaskFailureTask}. */
export interface RecordTaskFailureOptions {
  /** The state name, e.g. `Record The Channel Failure`. */
  readonly stateName: string;
  /** The `record-task-failure` function. */
  readonly lambdaFunction: FirebreakFunction;
  /** Path of the incident id in the state input, e.g. `$.record.incidentId`. */
  readonly incidentIdPath: string;
  /** The name of the task that failed, as the timeline shows it (`open-channel`, `page`, ...). */
  readonly task: string;
  /** Path of the caught error (`{Error, Cause}`) in the state input. */
  readonly errorPath: string;
  /**
   * The state's `Comment`.
   *
   * @default - says the failure goes to the timeline and the other branches go on
   */
  readonly comment?: string;
}

/**
 * A task that writes a vendor task's failure (after its retries) to the
 * incident timeline, so that one failed branch of a `Parallel` ends quietly
 * on the record instead of failing its sibling branches. It retries the
 * standard transient errors; if it still fails, the error propagates (a store
 * outage is never swallowed).
 *
 * @param scope - the construct the task belongs to
 * @param id - construct id of the task
 * @param options - see {@link RecordTaskFailureOptions}
 * @returns the task (its result is discarded)
 *
 * @example
 * openChannel.addCatch(recordTaskFailureTask(this, 'RecordChannelFailure', {
 *   stateName: 'Record The Channel Failure', lambdaFunction: recordTaskFailure,
 *   incidentIdPath: '$.record.incidentId', task: 'open-channel', errorPath: '$.error',
 * }), { resultPath: '$.error' });
 */
export function recordTaskFailureTask(scope: Construct, id: string, options: RecordTaskFailureOptions): tasks.LambdaInvoke {
  return invokeTask(scope, id, {
    stateName: options.stateName,
    comment:
      options.comment ??
      `Write the failure of ${options.task} (after its retries) to the incident timeline; the other branches go on.`,
    lambdaFunction: options.lambdaFunction,
    payload: sfn.TaskInput.fromObject({
      incidentId: sfn.JsonPath.stringAt(options.incidentIdPath),
      task: options.task,
      error: sfn.JsonPath.objectAt(options.errorPath),
    }),
    resultPath: sfn.JsonPath.DISCARD,
  });
}
