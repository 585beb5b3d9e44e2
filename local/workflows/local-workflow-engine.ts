import '../polyfills';
import { EventEmitter } from 'node:events';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine, type RunOptions } from 'aws-local-stepfunctions';
import { loadTaskHandler, type TemplateWorkflow } from './template-workflows';

/** Status values as Step Functions reports them. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One local execution, shaped after DescribeExecution. */
export interface LocalExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: Date;
  status: ExecutionStatus;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  readonly events: { timestamp: number; type: string; stateName?: string; detail?: unknown }[];
  readonly done: Promise<void>;
}

/** A Step Functions-style error the local API maps to a 400 with this `__type`. */
export class LocalStepFunctionsError extends Error {
  constructor(
    readonly type: 'ExecutionAlreadyExists' | 'StateMachineDoesNotExist' | 'ExecutionDoesNotExist' | 'InvalidName',
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/** Options that shorten time in tests and drills; the definition itself is never changed. */
export interface EngineOptions {
  readonly projectRoot: string;
  /** Wait state name → milliseconds (aws-local-stepfunctions `waitTimeOverrides`). */
  readonly waitTimeOverrides?: Record<string, number>;
  /** Retryable state name → milliseconds between retries. */
  readonly retryIntervalOverrides?: Record<string, number>;
  /** Completed executions kept for Describe/History (oldest evicted first). */
  readonly maxRetainedExecutions?: number;
  /** Called when an execution finishes, whatever its status. */
  readonly onSettled?: (workflow: string, execution: LocalExecution) => void;
}

const NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * Runs the synthesized state machines in-process with aws-local-stepfunctions,
 * each Lambda task bound to its handler. Keeps Step Functions' naming rule:
 * a name is unique per state machine; starting a running execution again
 * with the same input returns it, anything else is `ExecutionAlreadyExists`.
 */
export class LocalWorkflowEngine {
  /**
   * Emits `state` with `(workflowName, executionName, event)` for every history
   * event as it happens (e.g. benchmarks wait for a task's `StateExited`).
   */
  readonly history = new EventEmitter();
  private readonly machines = new Map<string, { workflow: TemplateWorkflow; machine: StateMachine; overrides: RunOptions['overrides'] }>();
  private readonly executions = new Map<string, LocalExecution>();

  constructor(
    workflows: readonly TemplateWorkflow[],
    private readonly options: EngineOptions,
  ) {
    for (const workflow of workflows) {
      const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
      for (const task of workflow.tasks) {
        const invoke = loadTaskHandler(options.projectRoot, task);
        // lambda:invoke gets {FunctionName, Payload} and answers like the Invoke API.
        taskResourceLocalHandlers[task.stateName] = async (input) => {
          const payload = (input as { Payload?: unknown } | null)?.Payload ?? input;
          return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: await invoke(payload) };
        };
      }
      for (const stateName of workflow.startExecutionStates) {
        // The Step Functions service integration: start another workflow, answer like the API does.
        taskResourceLocalHandlers[stateName] = async (input) => {
          const { StateMachineArn, Name, Input } = (input ?? {}) as { StateMachineArn?: string; Name?: string; Input?: unknown };
          try {
            const started = this.start(String(StateMachineArn), Name ?? crypto.randomUUID(), typeof Input === 'string' ? Input : JSON.stringify(Input ?? {}));
            return { ExecutionArn: started.executionArn, StartDate: started.startDate.toISOString() };
          } catch (error) {
            if (error instanceof LocalStepFunctionsError) {
              const failure = new Error(error.message);
              failure.name = `StepFunctions.${error.type}Exception`;
              throw failure;
            }
            throw error;
          }
        };
      }
      const machine = new StateMachine(workflow.definition, { validationOptions: { noValidate: true } });
      this.machines.set(workflow.arn, {
        workflow,
        machine,
        overrides: {
          taskResourceLocalHandlers: taskResourceLocalHandlers as NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers'],
          waitTimeOverrides: options.waitTimeOverrides,
          retryIntervalOverrides: options.retryIntervalOverrides,
        },
      });
    }
  }

  /** ARN of the workflow with this `firebreak:workflow` name. */
  arnOf(name: string): string | undefined {
    for (const { workflow } of this.machines.values()) if (workflow.name === name) return workflow.arn;
    return undefined;
  }

  /** StartExecution. */
  start(stateMachineArn: string, name: string, input: string): LocalExecution {
    const entry = this.machines.get(stateMachineArn);
    if (entry === undefined) throw new LocalStepFunctionsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    if (!NAME_PATTERN.test(name)) throw new LocalStepFunctionsError('InvalidName', `Invalid Name: '${name}'`);
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing !== undefined) {
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw new LocalStepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const parsedInput = JSON.parse(input) as Parameters<StateMachine['run']>[0];
    const startDate = new Date();
    const run = entry.machine.run(parsedInput, {
      overrides: entry.overrides,
      context: { Execution: { Id: executionArn, Name: name, Input: parsedInput, StartTime: startDate.toISOString() } },
    });
    const events: LocalExecution['events'] = [];
    const execution: LocalExecution = {
      executionArn,
      stateMachineArn,
      name,
      input,
      startDate,
      status: 'RUNNING',
      events,
      done: this.follow(run, events, () => execution, entry.workflow.name).then(() => this.options.onSettled?.(entry.workflow.name, execution)),
    };
    this.executions.set(executionArn, execution);
    this.evict();
    return execution;
  }

  describe(executionArn: string): LocalExecution {
    const execution = this.executions.get(executionArn);
    if (execution === undefined) throw new LocalStepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return execution;
  }

  list(stateMachineArn: string): LocalExecution[] {
    return [...this.executions.values()].filter((e) => e.stateMachineArn === stateMachineArn);
  }

  /** Resolves when no execution is running (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
      if (running.length === 0) return;
      await Promise.all(running.map((e) => e.done));
    }
  }

  private async follow(run: ReturnType<StateMachine['run']>, events: LocalExecution['events'], self: () => LocalExecution, workflowName: string): Promise<void> {
    const logging = (async () => {
      for await (const event of run.eventLogs) {
        const stateName = 'state' in event ? event.state.name : undefined;
        const detail = 'Error' in event ? { error: event.Error, cause: event.Cause } : undefined;
        const entry = { timestamp: event.timestamp, type: event.type, ...(stateName === undefined ? {} : { stateName }), ...(detail === undefined ? {} : { detail }) };
        events.push(entry);
        if (this.history.listenerCount('state') > 0) this.history.emit('state', workflowName, self().name, entry);
      }
    })();
    try {
      const output = await run.result;
      Object.assign(self(), { status: 'SUCCEEDED', output: JSON.stringify(output ?? null) });
    } catch (error) {
      const status: ExecutionStatus = error instanceof ExecutionTimeoutError ? 'TIMED_OUT' : error instanceof ExecutionAbortedError ? 'ABORTED' : 'FAILED';
      const cause = error instanceof ExecutionError ? (error.cause as { name?: string; message?: string } | undefined) : undefined;
      Object.assign(self(), {
        status,
        error: cause?.name ?? (error as Error).name,
        cause: cause?.message ?? (error as Error).message,
      });
    }
    self().stopDate = new Date();
    try {
      await logging;
    } catch (error) {
      // The history is a diagnostic copy; its failure must not change the execution's outcome, so it is recorded in it.
      events.push({ timestamp: Date.now(), type: 'HistoryIncomplete', detail: { error: (error as Error).message } });
    }
  }

  private evict(): void {
    const max = this.options.maxRetainedExecutions ?? 10_000;
    if (this.executions.size <= max) return;
    for (const [arn, execution] of this.executions) {
      if (this.executions.size <= max) break;
      if (execution.status !== 'RUNNING') this.executions.delete(arn);
    }
  }
}
