import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { WorkflowStartError } from '../core/errors';
import type { LifecycleOrigin, WorkflowStart, WorkflowStarter } from '../core/ports';
import type { Signal } from '../core/signal';

/**
 * `WorkflowStarter` on Step Functions. The execution name is the signal id,
 * so a redelivered alert cannot start `respond` twice: Step Functions treats
 * a StartExecution with an existing name and the same input as the same
 * execution (and the embedded target's local API does too).
 *
 * @example
 * const starter = new StepFunctionsWorkflowStarter(new SFNClient({}), process.env.RESPOND_STATE_MACHINE_ARN!);
 */
export class StepFunctionsWorkflowStarter implements WorkflowStarter {
  constructor(
    private readonly sfn: SFNClient,
    /** State machine ARNs by workflow; a workflow without one fails to start with a clear error. */
    private readonly arns: { readonly respond?: string; readonly resolve?: string; readonly acknowledge?: string; readonly rollback?: string },
  ) {}

  startRespond(signal: Signal): Promise<WorkflowStart> {
    return this.start('respond', signal.id, { signal });
  }

  startResolve(origin: LifecycleOrigin): Promise<WorkflowStart> {
    return this.start('resolve', `resolve-${origin.incidentId}`, origin);
  }

  startAcknowledge(origin: LifecycleOrigin): Promise<WorkflowStart> {
    return this.start('acknowledge', `acknowledge-${origin.incidentId}`, origin);
  }

  startRollback(origin: LifecycleOrigin & { readonly version?: string; readonly requestId: string }): Promise<WorkflowStart> {
    const { requestId, ...input } = origin;
    // Execution names allow 80 characters of [A-Za-z0-9_-].
    const suffix = requestId.replace(/[^A-Za-z0-9_-]/g, '_').slice(-40);
    return this.start('rollback', `rollback-${origin.incidentId}-${suffix}`, input);
  }

  private async start(workflow: 'respond' | 'resolve' | 'acknowledge' | 'rollback', name: string, input: unknown): Promise<WorkflowStart> {
    const stateMachineArn = this.arns[workflow];
    if (stateMachineArn === undefined || stateMachineArn === '') {
      throw new WorkflowStartError(`no state machine ARN configured for ${workflow} (${workflow.toUpperCase()}_STATE_MACHINE_ARN)`);
    }
    try {
      const out = await this.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      return { executionId: out.executionArn ?? name, alreadyStarted: false };
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') {
        return { executionId: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`, alreadyStarted: true };
      }
      throw new WorkflowStartError(`StartExecution of ${workflow} ${name} failed`, { cause: error });
    }
  }
}
