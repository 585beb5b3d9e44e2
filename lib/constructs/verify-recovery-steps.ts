import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { FirebreakFunction } from './firebreak-function';
import { TRANSIENT_RETRY, invokeTask, recordTaskFailureTask, vendorRetry } from './workflow-tasks';

/**
 * State names of the recovery verification steps, the same in every
 * workflow that verifies recovery (`respond`, `rollback`). The embedded
 * target and the drills shorten `Wait Before Checking Recovery` with a wait
 * override keyed by its name: renaming a state is a breaking change.
 */
export const VerifyRecoveryStateNames = {
  startVerifyingRecovery: 'Start Verifying Recovery',
  waitBeforeCheckingRecovery: 'Wait Before Checking Recovery',
  checkRecovery: 'Check Recovery',
  recordRecoveryCheckFailure: 'Record The Recovery Check Failure',
  hasTheModelRecovered: 'Has The Model Recovered?',
  recoveryVerified: 'Recovery Verified',
  nothingToVerify: 'Nothing To Verify',
  escalateTheIncident: 'Escalate The Incident',
  recordEscalationFailure: 'Record The Escalation Failure',
} as const;

/**
 * How long `Wait Before Checking Recovery` waits before each check: the real
 * duration, in the definition. Only tests and drills shorten it (embedded
 * target wait overrides).
 */
export const RECOVERY_CHECK_INTERVAL = Duration.seconds(60);

/** The error an SLI source adapter throws when the backend fails or the SLO cannot be read from it. */
export const SLI_SOURCE_ERROR = 'SliSourceError';

/**
 * The retry of {@link SLI_SOURCE_ERROR} of `Check Recovery` (before
 * `TRANSIENT_RETRY`): 5 s, doubling, 3 attempts. A metrics backend that is
 * still down after that fails the check, which is written to the timeline.
 */
export const SLI_SOURCE_RETRY: sfn.RetryProps = {
  errors: [SLI_SOURCE_ERROR],
  interval: Duration.seconds(5),
  backoffRate: 2,
  maxAttempts: 3,
};

/** The decisions of `check-recovery` (`lambdas/core/containment/verify-recovery.ts`). */
export const RecoveryDecisions = {
  recovered: 'recovered',
  keepChecking: 'keep-checking',
  escalate: 'escalate',
  stop: 'stop',
} as const;

/** Properties of {@link VerifyRecoverySteps}. */
export interface VerifyRecoveryStepsProps {
  /** `check-recovery`: one SLI reading per check. */
  readonly checkRecovery: FirebreakFunction;

  /** `escalate-incident`: raises the page to critical when recovery was not verified. */
  readonly escalateIncident: FirebreakFunction;

  /** `record-task-failure`: writes a check or escalation that failed after its retries to the timeline. */
  readonly recordTaskFailure: FirebreakFunction;

  /** Path of the incident id in the state input (`$.record.incidentId` in respond, `$.incidentId` in rollback). */
  readonly incidentIdPath: string;
}

/**
 * The steps that verify recovery after containment or a rollback, as a
 * chain to put in a workflow definition (once per definition: state names
 * are unique within one).
 *
 * 1. `Start Verifying Recovery` (Pass) puts `{consecutiveGood: 0, checks: 0}`
 *    at `$.recovery`.
 * 2. `Wait Before Checking Recovery` waits {@link RECOVERY_CHECK_INTERVAL}
 *    (`Seconds: 60`), giving the change time to show in the SLI.
 * 3. `Check Recovery` (`check-recovery`) reads the SLI once and keeps
 *    `{decision, consecutiveGood, checks, value}` at `$.recovery`. Retries
 *    `SliSourceError` (5 s, doubling, 3 times), then the store and Lambda
 *    transient errors; a check that still fails is written to the timeline
 *    (`Record The Recovery Check Failure`, task `verify-recovery`).
 * 4. `Has The Model Recovered?`: `recovered` (the incident is mitigated) →
 *    `Recovery Verified`; `stop` (nothing to verify: the incident is no
 *    longer active or has no SLO) → `Nothing To Verify`; `escalate` (out of
 *    checks) → `Escalate The Incident` (`escalate-incident`, PagerDuty:
 *    `VendorTransientError` retried from 5 s, doubling, 5 times; a failure
 *    is written to the timeline, task `escalate`); anything else
 *    (`keep-checking`) → back to the wait.
 *
 * The chain ends in `Recovery Verified`, `Nothing To Verify`,
 * `Escalate The Incident` and the two failure recorders: left open, they end
 * a `Parallel` branch; `next()` continues all of them at one state.
 *
 * @example
 * const verify = new VerifyRecoverySteps(this, 'VerifyRecovery', {
 *   checkRecovery, escalateIncident: engagement.escalateIncident,
 *   recordTaskFailure: engagement.recordTaskFailure, incidentIdPath: '$.incidentId',
 * });
 * choice.when(sfn.Condition.booleanEquals('$.rollback.changed', true), verify.chain.next(rollbackDone));
 */
export class VerifyRecoverySteps extends Construct {
  /** From `Start Verifying Recovery` to the end states (see the class comment). */
  public readonly chain: sfn.Chain;

  /** The functions the steps invoke (for the state machine's invoke acknowledgements). */
  public readonly invokedFunctions: readonly FirebreakFunction[];

  constructor(scope: Construct, id: string, props: VerifyRecoveryStepsProps) {
    super(scope, id);
    const names = VerifyRecoveryStateNames;
    const incidentId = sfn.JsonPath.stringAt(props.incidentIdPath);

    const start = new sfn.Pass(this, 'StartVerifyingRecovery', {
      stateName: names.startVerifyingRecovery,
      comment: 'Start counting: no good SLI reading yet, no check made.',
      result: sfn.Result.fromObject({ consecutiveGood: 0, checks: 0 }),
      resultPath: '$.recovery',
    });
    const wait = new sfn.Wait(this, 'WaitBeforeCheckingRecovery', {
      stateName: names.waitBeforeCheckingRecovery,
      comment:
        'Give the change time to show in the SLI before reading it (the real interval; tests and drills shorten ' +
        'this state by name).',
      time: sfn.WaitTime.duration(RECOVERY_CHECK_INTERVAL),
    });

    const check = invokeTask(this, 'CheckRecoveryTask', {
      stateName: names.checkRecovery,
      comment:
        "Read the SLO's SLI once and write the reading to the timeline; enough good readings in a row mark the " +
        'incident mitigated, too many checks without them ask for escalation.',
      lambdaFunction: props.checkRecovery,
      payload: sfn.TaskInput.fromObject({
        incidentId,
        consecutiveGood: sfn.JsonPath.numberAt('$.recovery.consecutiveGood'),
        checks: sfn.JsonPath.numberAt('$.recovery.checks'),
      }),
      resultSelector: {
        'decision.$': '$.Payload.decision',
        'consecutiveGood.$': '$.Payload.consecutiveGood',
        'checks.$': '$.Payload.checks',
        'value.$': '$.Payload.value',
      },
      resultPath: '$.recovery',
      retries: [SLI_SOURCE_RETRY, TRANSIENT_RETRY],
    });
    const recordCheckFailure = recordTaskFailureTask(this, 'RecordRecoveryCheckFailureTask', {
      stateName: names.recordRecoveryCheckFailure,
      comment:
        'Write the failure of the recovery check (after its retries) to the incident timeline: recovery is then ' +
        'verified by the responders.',
      lambdaFunction: props.recordTaskFailure,
      incidentIdPath: props.incidentIdPath,
      task: 'verify-recovery',
      errorPath: '$.error',
    });
    check.addCatch(recordCheckFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const escalate = invokeTask(this, 'EscalateTheIncidentTask', {
      stateName: names.escalateTheIncident,
      comment:
        'Recovery was not verified within the checks: raise the PagerDuty page to critical (same dedup key) and ' +
        'write the escalation to the timeline.',
      lambdaFunction: props.escalateIncident,
      payload: sfn.TaskInput.fromObject({ incidentId }),
      resultPath: sfn.JsonPath.DISCARD,
      retries: [vendorRetry(Duration.seconds(5), 5), TRANSIENT_RETRY],
    });
    const recordEscalationFailure = recordTaskFailureTask(this, 'RecordEscalationFailureTask', {
      stateName: names.recordEscalationFailure,
      comment: 'Write the failure of the escalation (after its retries) to the incident timeline.',
      lambdaFunction: props.recordTaskFailure,
      incidentIdPath: props.incidentIdPath,
      task: 'escalate',
      errorPath: '$.error',
    });
    escalate.addCatch(recordEscalationFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const recoveryVerified = new sfn.Pass(this, 'RecoveryVerified', {
      stateName: names.recoveryVerified,
      comment: 'The SLI is back within its objective for enough checks in a row: the incident is mitigated.',
    });
    const nothingToVerify = new sfn.Pass(this, 'NothingToVerify', {
      stateName: names.nothingToVerify,
      comment: 'The incident is no longer active, or no SLO maps to it (the timeline says which): nothing to verify.',
    });
    const decision = '$.recovery.decision';
    const hasRecovered = new sfn.Choice(this, 'HasTheModelRecovered', {
      stateName: names.hasTheModelRecovered,
      comment: 'Recovered ends the verification, stop ends it with nothing to verify, escalate raises the page; otherwise check again.',
    })
      .when(sfn.Condition.stringEquals(decision, RecoveryDecisions.recovered), recoveryVerified)
      .when(sfn.Condition.stringEquals(decision, RecoveryDecisions.stop), nothingToVerify)
      .when(sfn.Condition.stringEquals(decision, RecoveryDecisions.escalate), escalate)
      // keep-checking: back to the wait. check-recovery counts the checks and answers escalate after its maximum.
      .otherwise(wait);

    start.next(wait).next(check).next(hasRecovered);
    this.chain = sfn.Chain.custom(start, [recoveryVerified, nothingToVerify, escalate, recordCheckFailure, recordEscalationFailure], hasRecovered);
    this.invokedFunctions = [props.checkRecovery, props.escalateIncident, props.recordTaskFailure];
  }
}
