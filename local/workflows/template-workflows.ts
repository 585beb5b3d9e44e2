import * as path from 'node:path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { localPlaceholderResolver, resolveDefinition } from '../../lib/resolve-definition';
import type { CloudFormationTemplate } from '../../lib/synth';

/** A Lambda-backed task of a workflow, bound to the handler code its function runs on AWS. */
export interface TaskBinding {
  readonly stateName: string;
  readonly functionLogicalId: string;
  /** Module path relative to the project root, e.g. `lambdas/handlers/record-signal.ts`. */
  readonly module: string;
  readonly exportName: string;
}

/** One state machine of the synthesized template, ready to run locally. */
export interface TemplateWorkflow {
  /** `firebreak:workflow` metadata, e.g. `respond`. */
  readonly name: string;
  readonly logicalId: string;
  readonly arn: string;
  readonly definition: StateMachineDefinition;
  readonly tasks: readonly TaskBinding[];
  /** States that start another workflow (`arn:aws:states:::states:startExecution`), run by the local engine itself. */
  readonly startExecutionStates: readonly string[];
}

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

interface StateLike {
  Type?: string;
  Resource?: string;
  Parameters?: { FunctionName?: string };
  Branches?: { States: Record<string, StateLike> }[];
  ItemProcessor?: { States: Record<string, StateLike> };
  Iterator?: { States: Record<string, StateLike> };
}

const START_EXECUTION = 'arn:aws:states:::states:startExecution';

function* startExecutionTasks(states: Record<string, StateLike>): Generator<string> {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task' && state.Resource === START_EXECUTION) yield name;
    for (const branch of state.Branches ?? []) yield* startExecutionTasks(branch.States);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner !== undefined) yield* startExecutionTasks(inner.States);
  }
}

function* lambdaTasks(states: Record<string, StateLike>): Generator<[string, string]> {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') {
      if (state.Resource === LAMBDA_INVOKE && typeof state.Parameters?.FunctionName === 'string') yield [name, state.Parameters.FunctionName];
      else if (state.Resource?.startsWith('arn:aws:lambda:')) yield [name, state.Resource];
    }
    for (const branch of state.Branches ?? []) yield* lambdaTasks(branch.States);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner !== undefined) yield* lambdaTasks(inner.States);
  }
}

/**
 * Reads every state machine (`firebreak:workflow` metadata) out of the
 * synthesized CDK template and binds each Lambda task to the handler that
 * its function's `firebreak:handler` metadata names. Throws when a task
 * points at a function without one: then the local run would not be the
 * deployed workflow.
 */
export function workflowsFromTemplate(template: CloudFormationTemplate): TemplateWorkflow[] {
  const resources = template.Resources;
  const resolver = localPlaceholderResolver(template);
  const functionByArn = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::Lambda::Function') {
      functionByArn.set(resolver({ 'Fn::GetAtt': [logicalId, 'Arn'] }), logicalId);
    }
  }
  const workflows: TemplateWorkflow[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    const name = resource.Metadata?.['firebreak:workflow'];
    if (resource.Type !== 'AWS::StepFunctions::StateMachine' || typeof name !== 'string') continue;
    const definition = resolveDefinition(resource.Properties?.DefinitionString, resolver) as unknown as StateMachineDefinition;
    const tasks: TaskBinding[] = [];
    for (const [stateName, functionArn] of lambdaTasks(definition.States as Record<string, StateLike>)) {
      const fnId = functionByArn.get(functionArn.replace(/:\$LATEST$/, ''));
      const handlerRef = fnId === undefined ? undefined : resources[fnId]?.Metadata?.['firebreak:handler'];
      if (fnId === undefined || typeof handlerRef !== 'string') {
        throw new Error(`workflow ${name}: task "${stateName}" invokes ${functionArn}, which has no firebreak:handler metadata`);
      }
      const [module, exportName = 'handler'] = handlerRef.split('#');
      tasks.push({ stateName, functionLogicalId: fnId, module: module ?? '', exportName });
    }
    const startExecutionStates = [...startExecutionTasks(definition.States as Record<string, StateLike>)];
    workflows.push({ name, logicalId, arn: resolver({ Ref: logicalId }), definition, tasks, startExecutionStates });
  }
  return workflows;
}

/** Loads the handler function a task is bound to (TypeScript through tsx or ts-jest). */
export function loadTaskHandler(projectRoot: string, task: TaskBinding): (event: unknown) => Promise<unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- handlers are located at run time from template metadata
  const mod = require(path.join(projectRoot, task.module)) as Record<string, unknown>;
  const fn = mod[task.exportName];
  if (typeof fn !== 'function') throw new Error(`${task.module} does not export a function ${task.exportName}`);
  return fn as (event: unknown) => Promise<unknown>;
}
