import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { WorkflowStartError } from '../core/errors';
import type { WorkflowStarter } from '../core/ports';
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
    private readonly respondStateMachineArn: string,
  ) {}

  async startRespond(signal: Signal): Promise<{ executionId: string; alreadyStarted: boolean }> {
    try {
      const out = await this.sfn.send(
        new StartExecutionCommand({ stateMachineArn: this.respondStateMachineArn, name: signal.id, input: JSON.stringify({ signal }) }),
      );
      return { executionId: out.executionArn ?? signal.id, alreadyStarted: false };
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') {
        return { executionId: `${this.respondStateMachineArn.replace(':stateMachine:', ':execution:')}:${signal.id}`, alreadyStarted: true };
      }
      throw new WorkflowStartError(`StartExecution of respond for ${signal.id} failed`, { cause: error });
    }
  }
}
