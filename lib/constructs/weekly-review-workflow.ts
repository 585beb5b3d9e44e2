import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type Node } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';
import { FirebreakFunction } from './firebreak-function';
import { FirebreakStateMachine } from './firebreak-state-machine';
import { IncidentTable } from './incident-table';
import type { RecordsAccess } from './records-access';
import type { VendorCredentials } from './vendor-credentials';
import { RECORDS_RETRY, TRANSIENT_RETRY, invokeTask } from './workflow-tasks';

/**
 * State names of the `weekly-review` workflow. The embedded runner keys its
 * task overrides by state name: renaming one is a breaking change.
 */
export const WeeklyReviewStateNames = {
  prepareWeeklyReview: 'Prepare The Weekly Review',
  weeklyReviewFailed: 'Weekly Review Failed',
  weeklyReviewReady: 'Weekly Review Ready',
} as const;

/** When the review runs unless told otherwise: Mondays at 09:00 UTC (EventBridge Scheduler cron fields). */
export const DEFAULT_WEEKLY_REVIEW_CRON = '0 9 ? * MON *';

/** Environment variable of `prepare-weekly-review` holding the review channel's Slack id. */
export const REVIEW_CHANNEL_ENV = 'FIREBREAK_REVIEW_CHANNEL';

/** When and where the weekly review is made. */
export interface WeeklyReviewSettings {
  /**
   * When the review runs, in UTC: an EventBridge Scheduler cron expression,
   * `cron(0 9 ? * MON *)` or just its six fields. CDK context key
   * `weeklyReviewSchedule`.
   *
   * @default DEFAULT_WEEKLY_REVIEW_CRON (Mondays 09:00 UTC)
   */
  readonly schedule?: string;

  /**
   * The Slack channel id (`C…` or `G…`) the summary is posted to; the bot
   * needs `chat:write`, and `channels:join` or an invitation. CDK context
   * key `reviewChannel`.
   *
   * @default - the review is committed, not posted
   */
  readonly reviewChannel?: string;
}

/** CDK context key of each {@link WeeklyReviewSettings} field. */
export const WEEKLY_REVIEW_CONTEXT_KEYS: Readonly<Record<keyof WeeklyReviewSettings, string>> = {
  schedule: 'weeklyReviewSchedule',
  reviewChannel: 'reviewChannel',
};

/**
 * Reads {@link WeeklyReviewSettings} from CDK context (`-c
 * weeklyReviewSchedule="0 8 ? * TUE *" -c reviewChannel=C0123REVIEW`).
 *
 * @throws Error when a value is not a string
 * @example
 * const settings = weeklyReviewSettingsFromContext(this.node);
 */
export function weeklyReviewSettingsFromContext(node: Node): WeeklyReviewSettings {
  const read = (key: string): string | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new Error(`CDK context ${key} must be a string`);
    return value.trim() === '' ? undefined : value.trim();
  };
  return { schedule: read(WEEKLY_REVIEW_CONTEXT_KEYS.schedule), reviewChannel: read(WEEKLY_REVIEW_CONTEXT_KEYS.reviewChannel) };
}

/**
 * The six fields of an EventBridge Scheduler cron expression, checked:
 * minutes, hours, day of month, month, day of week, year, where exactly one
 * of day of month and day of week is `?`.
 *
 * @throws Error naming the context key when the expression is not such a cron expression
 * @example
 * weeklyReviewCronFields('cron(0 9 ? * MON *)') // => '0 9 ? * MON *'
 */
export function weeklyReviewCronFields(expression: string): string {
  const inner = /^cron\((.*)\)$/.exec(expression.trim())?.[1] ?? expression;
  const fields = inner.trim().split(/\s+/);
  const problem =
    fields.length !== 6
      ? `expected six fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`
      : !fields.every((f) => /^[0-9A-Za-z*?,/#-]+$/.test(f))
        ? 'fields may hold digits, names, and * ? , / - # L W only'
        : (fields[2] === '?') === (fields[4] === '?')
          ? 'exactly one of day-of-month and day-of-week must be ?'
          : undefined;
  if (problem !== undefined) {
    throw new Error(`CDK context ${WEEKLY_REVIEW_CONTEXT_KEYS.schedule} must be a cron expression such as "cron(${DEFAULT_WEEKLY_REVIEW_CRON})" (${problem}; got ${JSON.stringify(expression)})`);
  }
  return fields.join(' ');
}

/** Properties of {@link WeeklyReviewWorkflow}. */
export interface WeeklyReviewWorkflowProps {
  /** The incident table: `prepare-weekly-review` queries its by-week and open-items indexes (read only). */
  readonly incidentTable: IncidentTable;

  /** The records repository the review is read from and committed to. */
  readonly records: RecordsAccess;

  /** The Slack bot token, read only when a review channel is set. */
  readonly vendorCredentials: VendorCredentials;

  /**
   * Schedule and review channel.
   *
   * @default - Mondays 09:00 UTC, not posted
   */
  readonly settings?: WeeklyReviewSettings;

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
 * The `weekly-review` workflow and the schedule that starts it.
 *
 * 1. `Prepare The Weekly Review` (`prepare-weekly-review`) makes the review of
 *    the last complete ISO week (or of `week` in the input): figures and SVG
 *    charts committed to `reviews/` of the records repository (a pull
 *    request on GitHub), the Block Kit summary posted to the review channel
 *    when one is set. It is given `{request: <execution input>, startedAt:
 *    $$.Execution.StartTime}`: the review is made as of `request.asOf`, else
 *    the execution's start, so a retry renders the same bytes and commits
 *    and posts nothing again. Retries the store and Lambda transient errors
 *    and `RecordsRepositoryError`. The result (`week`, `path`, `link`,
 *    `summary`, `changed`, `posted`, `skipped`, `notes`) goes to `$.review`.
 * 2. `Weekly Review Ready`. Any failure (after the retries) goes to
 *    `Weekly Review Failed`, which fails the execution with the task's error
 *    and cause, for the pipeline alarms. A summary that could not be posted
 *    (`WeeklyReviewNotPostedError`) is such a failure: start the workflow
 *    again to post it.
 *
 * The EventBridge Scheduler schedule (UTC, default Mondays 09:00) starts it
 * with `{"asOf": <scheduled time>}`, so a duplicated delivery makes the same
 * review. Its role may only start this state machine (and write to the
 * schedule's dead-letter queue, where a start that failed every retry for
 * two hours lands: alarm on it).
 *
 * STANDARD type, JSONPath, execution timeout 15 minutes, logging level ALL,
 * X-Ray tracing.
 *
 * @example
 * const weeklyReview = new WeeklyReviewWorkflow(this, 'WeeklyReviewWorkflow', {
 *   incidentTable, records, vendorCredentials, settings: weeklyReviewSettingsFromContext(this.node),
 * });
 */
export class WeeklyReviewWorkflow extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;

  /** The function behind `Prepare The Weekly Review`: `prepare-weekly-review`. */
  public readonly prepareWeeklyReview: FirebreakFunction;

  /** The EventBridge Scheduler schedule that starts the workflow. */
  public readonly schedule: scheduler.Schedule;

  /** The role the schedule starts the workflow with. */
  public readonly scheduleRole: iam.Role;

  /** Where a start the scheduler could not make lands. */
  public readonly scheduleDeadLetters: DeadLetterQueue;

  /** The execution log group. */
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WeeklyReviewWorkflowProps) {
    super(scope, id);
    const settings = props.settings ?? {};
    const cron = settings.schedule === undefined ? undefined : weeklyReviewCronFields(settings.schedule);
    const channel = settings.reviewChannel;
    if (channel !== undefined && !/^[CG][A-Z0-9]{2,}$/.test(channel)) {
      throw new Error(`CDK context ${WEEKLY_REVIEW_CONTEXT_KEYS.reviewChannel} must be a Slack channel id (C… or G…), got ${JSON.stringify(channel)}`);
    }

    this.prepareWeeklyReview = new FirebreakFunction(this, 'PrepareWeeklyReview', {
      entry: 'lambdas/handlers/weekly-review.ts',
      description: 'weekly-review: commits the weekly review with its charts to the records repository and posts the summary to Slack',
      environment: {
        TABLE_NAME: props.incidentTable.tableName,
        ...props.records.environment,
        ...(channel === undefined ? {} : { ...props.vendorCredentials.environment, [REVIEW_CHANNEL_ENV]: channel }),
      },
    });
    const tableArn = props.incidentTable.table.tableArn;
    this.prepareWeeklyReview.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListIncidents',
        actions: ['dynamodb:Query'],
        resources: [`${tableArn}/index/${IncidentTable.OPEN_ITEMS_INDEX}`, `${tableArn}/index/${IncidentTable.BY_WEEK_INDEX}`],
      }),
    );
    props.records.grant(this.prepareWeeklyReview);
    if (channel !== undefined) props.vendorCredentials.grantRead(this.prepareWeeklyReview.function);

    const failed = new sfn.Fail(this, 'WeeklyReviewFailed', {
      stateName: WeeklyReviewStateNames.weeklyReviewFailed,
      comment: 'The weekly review could not be made, committed or posted; the error and its cause are the failure of the execution.',
      errorPath: '$.error.Error',
      causePath: '$.error.Cause',
    });
    const prepare = invokeTask(this, 'PrepareWeeklyReviewTask', {
      stateName: WeeklyReviewStateNames.prepareWeeklyReview,
      comment:
        'Compute the figures and charts of the week, commit them to reviews/ of the records repository and post ' +
        'the summary to the review channel, as of the input asOf or the start of the execution.',
      lambdaFunction: this.prepareWeeklyReview,
      payload: sfn.TaskInput.fromObject({ request: sfn.JsonPath.entirePayload, startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime') }),
      resultSelector: {
        'week.$': '$.Payload.week',
        'path.$': '$.Payload.path',
        'link.$': '$.Payload.link',
        'summary.$': '$.Payload.summary',
        'changed.$': '$.Payload.changed',
        'posted.$': '$.Payload.posted',
        'skipped.$': '$.Payload.skipped',
        'notes.$': '$.Payload.notes',
      },
      resultPath: '$.review',
      retries: [TRANSIENT_RETRY, RECORDS_RETRY],
    });
    prepare.addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    const ready = new sfn.Succeed(this, 'WeeklyReviewReady', {
      stateName: WeeklyReviewStateNames.weeklyReviewReady,
      comment: 'The review of the week is in the records repository, and posted when a review channel is set.',
    });

    const workflow = new FirebreakStateMachine(this, 'Workflow', {
      workflow: 'weekly-review',
      comment: 'weekly-review: figures and charts of the last complete week, committed to the records repository and posted to the review channel',
      definition: prepare.next(ready),
      invokedFunctions: [this.prepareWeeklyReview.function],
      timeout: Duration.minutes(15),
      logExecutionData: props.logExecutionData,
      logRetention: props.logRetention,
    });
    this.stateMachine = workflow.stateMachine;
    this.logGroup = workflow.logGroup;

    this.scheduleDeadLetters = new DeadLetterQueue(this, 'ScheduleDeadLetters', {
      deadLetterFor: 'the EventBridge Scheduler target of the weekly-review workflow',
      sourceInvisibleToNag: true,
    });
    const stack = Stack.of(this);
    this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
      description: 'EventBridge Scheduler: starts the weekly-review workflow',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' }),
          },
        },
      }),
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Starts the Firebreak weekly-review workflow (UTC)',
      schedule:
        cron === undefined
          ? scheduler.ScheduleExpression.cron({ minute: '0', hour: '9', weekDay: 'MON', timeZone: TimeZone.ETC_UTC })
          : scheduler.ScheduleExpression.expression(`cron(${cron})`, TimeZone.ETC_UTC),
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        role: this.scheduleRole,
        input: scheduler.ScheduleTargetInput.fromObject({ asOf: scheduler.ContextAttribute.scheduledTime }),
        deadLetterQueue: this.scheduleDeadLetters.queue,
        maxEventAge: Duration.hours(2),
        retryAttempts: 10,
      }),
    });
  }
}
