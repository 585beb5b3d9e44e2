import { localPlaceholderResolver, resolveDefinition, type StatesDefinition } from '../../lib/resolve-definition';
import type { CloudFormationResource, CloudFormationTemplate } from '../../lib/synth';

/** Every Lambda handler of the stack, by its kebab-case name (`lambdas/handlers/<name>.ts`). */
export const HANDLERS = [
  'acknowledge-page',
  'alertmanager-intake',
  'check-recovery',
  'cloudwatch-intake',
  'confirm-breach',
  'contain-model',
  'draft-postmortem',
  'escalate-incident',
  'harvest-cases',
  'open-channel',
  'page-oncall',
  'pagerduty-webhook',
  'record-signal',
  'record-task-failure',
  'record-workflow-failure',
  'resolve-page',
  'roll-back-model',
  'settle-rollback-approval',
  'slack-events',
  'update-channel',
  'weekly-review',
] as const;
export type HandlerName = (typeof HANDLERS)[number];

/** The functions that talk to PagerDuty or Slack, and only they. */
export const VENDOR_HANDLERS: readonly HandlerName[] = [
  'acknowledge-page',
  'draft-postmortem',
  'escalate-incident',
  'harvest-cases',
  'open-channel',
  'page-oncall',
  'pagerduty-webhook',
  'resolve-page',
  'settle-rollback-approval',
  'slack-events',
  'update-channel',
];

/** The functions that change a model's control state, and only they (`/incident undo` runs in slack-events). */
export const MODEL_CONTROL_HANDLERS: readonly HandlerName[] = ['contain-model', 'roll-back-model', 'slack-events'];

/** The workflows of the stack (`firebreak:workflow` metadata). */
export const WORKFLOWS = ['respond', 'resolve', 'acknowledge', 'rollback', 'weekly-review'] as const;
export type WorkflowName = (typeof WORKFLOWS)[number];

/** One state of a definition. */
export type State = Readonly<Record<string, unknown>> & {
  readonly Type?: string;
  readonly Branches?: readonly StatesDefinition[];
};

/** An IAM policy statement as synthesized. */
export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** `{ Ref: id }` */
export function ref(id: string): { Ref: string } {
  return { Ref: id };
}

/** `{ 'Fn::GetAtt': [id, 'Arn'] }` */
export function arnOf(id: string): { 'Fn::GetAtt': [string, string] } {
  return { 'Fn::GetAtt': [id, 'Arn'] };
}

/** The statements of an `AWS::IAM::Policy`. */
export function statementsOf(policy: CloudFormationResource): Statement[] {
  return (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement;
}

/** A statement's actions, always as a list. */
export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/**
 * A resolved CloudFormation value as one string: `Ref`s as `<Id>`,
 * `Fn::GetAtt`s as `<Id.Attribute>`, `Fn::Join`s joined (how cdk-nag names
 * resources in its findings).
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const record = (value ?? {}) as Record<string, unknown>;
  const join = record['Fn::Join'] as [string, unknown[]] | undefined;
  if (join !== undefined) return join[1].map(flatten).join(join[0]);
  const getAtt = record['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt !== undefined) return `<${getAtt[0]}.${getAtt[1]}>`;
  if ('Ref' in record) return `<${String(record.Ref)}>`;
  return JSON.stringify(value);
}

/** A statement's resources, always as a list. */
export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/**
 * Every state of a definition, including those inside `Parallel` branches,
 * by name. Throws on a duplicated name (Step Functions requires unique names
 * across the whole machine, and the embedded runner keys overrides by them).
 */
export function allStates(definition: StatesDefinition): Record<string, State> {
  const found: Record<string, State> = {};
  const visit = (states: StatesDefinition['States']): void => {
    for (const [name, state] of Object.entries(states) as [string, State][]) {
      if (name in found) throw new Error(`duplicate state name ${name}`);
      found[name] = state;
      for (const branch of state.Branches ?? []) visit(branch.States);
    }
  };
  visit(definition.States);
  return found;
}

/** Read helpers over a synthesized template. */
export class TemplateView {
  constructor(readonly raw: CloudFormationTemplate) {}

  resourcesOfType(type: string): [string, CloudFormationResource][] {
    return Object.entries(this.raw.Resources).filter(([, resource]) => resource.Type === type);
  }

  /** Logical id of the function whose `firebreak:handler` is `lambdas/handlers/<handler>.ts#handler`. */
  functionId(handler: HandlerName): string {
    const found = this.resourcesOfType('AWS::Lambda::Function').filter(
      ([, resource]) => resource.Metadata?.['firebreak:handler'] === `lambdas/handlers/${handler}.ts#handler`,
    );
    if (found.length !== 1) throw new Error(`expected one function for ${handler}, found ${found.length}`);
    return found[0][0];
  }

  functionProperties(handler: HandlerName): Record<string, unknown> {
    return this.raw.Resources[this.functionId(handler)].Properties ?? {};
  }

  environmentOf(handler: HandlerName): Record<string, unknown> {
    return (this.functionProperties(handler).Environment as { Variables: Record<string, unknown> }).Variables;
  }

  roleIdOf(handler: HandlerName): string {
    return (this.functionProperties(handler).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  }

  /** Logical id of the state machine tagged `firebreak:workflow` = `workflow`. */
  stateMachineId(workflow: WorkflowName): string {
    const found = this.resourcesOfType('AWS::StepFunctions::StateMachine').filter(
      ([, resource]) => resource.Metadata?.['firebreak:workflow'] === workflow,
    );
    if (found.length !== 1) throw new Error(`expected one state machine for ${workflow}, found ${found.length}`);
    return found[0][0];
  }

  /** Logical id of the execution role of a workflow's state machine. */
  stateMachineRoleId(workflow: WorkflowName): string {
    const roleArn = this.raw.Resources[this.stateMachineId(workflow)].Properties?.RoleArn as { 'Fn::GetAtt': [string, string] };
    return roleArn['Fn::GetAtt'][0];
  }

  /** The workflow's definition, with tokens resolved to the embedded target's placeholder ARNs. */
  definition(workflow: WorkflowName): StatesDefinition {
    const stateMachine = this.raw.Resources[this.stateMachineId(workflow)];
    return resolveDefinition(stateMachine.Properties?.DefinitionString, localPlaceholderResolver(this.raw));
  }

  /** Every statement of every policy attached to the role `roleId`, with the policy's id. */
  statementsOfRole(roleId: string): Statement[] {
    return this.resourcesOfType('AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([ref(roleId)]))
      .flatMap(([, policy]) => statementsOf(policy));
  }

  /** The logical ids of the functions that `lambda:InvokeFunction` statements of `roleId` name. */
  invokableFunctionIds(roleId: string): string[] {
    const invoked = this.statementsOfRole(roleId).filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction'));
    const ids = new Set(JSON.stringify(invoked).match(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g)?.map((m) => m.split('"')[3]));
    return [...ids].sort();
  }
}
