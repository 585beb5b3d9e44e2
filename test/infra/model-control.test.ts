import type { CloudFormationTemplate } from '../../lib/synth';
import { synthesizeFirebreak } from '../../lib/synth';
import { testTemplate } from '../support/template';
import {
  HANDLERS,
  MODEL_CONTROL_HANDLERS,
  TemplateView,
  actionsOf,
  flatten,
  ref,
  resourcesOf,
  statementsOf,
  type Statement,
} from './template-view';

const CONTROL_PLANE_VARIABLES = ['FIREBREAK_CONTROL_PLANE', 'FIREBREAK_CONTROL_PLANE_SSM_PREFIX'];
const CONTROL_PLANE_ACTION = /^(ssm|sagemaker|lambda):/;
const CONTROL_ACTIONS = [
  'ssm:GetParameter',
  'ssm:PutParameter',
  'sagemaker:DescribeEndpoint',
  'sagemaker:UpdateEndpointWeightsAndCapacities',
  'lambda:GetAlias',
  'lambda:UpdateAlias',
  'lambda:ListVersionsByFunction',
];

/** Every statement that names a control plane action (anything but lambda:InvokeFunction), with the roles of its policy. */
function controlStatements(view: TemplateView): { policyId: string; roles: unknown; statement: Statement }[] {
  return view.resourcesOfType('AWS::IAM::Policy').flatMap(([policyId, policy]) =>
    statementsOf(policy)
      .filter((statement) =>
        actionsOf(statement).some((action) => action === '*' || (CONTROL_PLANE_ACTION.test(action) && action !== 'lambda:InvokeFunction')),
      )
      .map((statement) => ({ policyId, roles: policy.Properties?.Roles, statement })),
  );
}

function rolesOf(view: TemplateView, handlers: readonly (typeof HANDLERS)[number][]): string[] {
  return handlers.map((handler) => JSON.stringify([ref(view.roleIdOf(handler))])).sort();
}

/** Synthesizes with extra CDK context and the AwsSolutions checks; keeps the error of a nag failure. */
function synthesizeWith(context: Record<string, unknown>): { view: TemplateView; nagError: unknown } {
  try {
    return { view: new TemplateView(synthesizeFirebreak({ nag: true, context }).template), nagError: undefined };
  } catch (error) {
    return { view: new TemplateView(synthesizeFirebreak({ context }).template), nagError: error };
  }
}

describe('model control plane (default: SSM Parameter Store)', () => {
  let view: TemplateView;

  beforeAll(() => {
    // Synthesized once per jest run by test/support/global-setup.ts.
    view = new TemplateView(testTemplate() as CloudFormationTemplate);
  });

  test.each(MODEL_CONTROL_HANDLERS)('gives %s the ssm control plane under /firebreak/models', (handler) => {
    expect(view.environmentOf(handler)).toMatchObject({
      FIREBREAK_CONTROL_PLANE: 'ssm',
      FIREBREAK_CONTROL_PLANE_SSM_PREFIX: '/firebreak/models',
    });
  });

  test.each(HANDLERS.filter((handler) => !MODEL_CONTROL_HANDLERS.includes(handler)))('gives %s no control plane settings', (handler) => {
    for (const variable of CONTROL_PLANE_VARIABLES) expect(view.environmentOf(handler)).not.toHaveProperty(variable);
  });

  test('lets only contain-model, roll-back-model and slack-events touch the model parameters', () => {
    const statements = controlStatements(view);
    expect(statements.map(({ roles }) => JSON.stringify(roles)).sort()).toEqual(rolesOf(view, MODEL_CONTROL_HANDLERS));
  });

  test('allows ssm:GetParameter and ssm:PutParameter only, on the parameters under the prefix only', () => {
    for (const { statement } of controlStatements(view)) {
      expect(statement.Effect).toBe('Allow');
      expect([...actionsOf(statement)].sort()).toEqual(['ssm:GetParameter', 'ssm:PutParameter']);
      expect(resourcesOf(statement).map(flatten)).toEqual([
        'arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/firebreak/models/*',
      ]);
    }
  });

  test('keeps the control plane statement in a policy of its own that the function waits for', () => {
    for (const handler of MODEL_CONTROL_HANDLERS) {
      const own = controlStatements(view).filter(({ roles }) => JSON.stringify(roles) === JSON.stringify([ref(view.roleIdOf(handler))]));
      expect(own).toHaveLength(1);
      const [{ policyId }] = own;
      expect(policyId).toContain('ModelControlPolicy');
      expect(statementsOf(view.raw.Resources[policyId])).toHaveLength(1);
      expect(view.raw.Resources[view.functionId(handler)].DependsOn).toContain(policyId);
    }
  });

  test('gives no state machine role a control plane action', () => {
    const stateMachineRoles = (['respond', 'resolve', 'acknowledge', 'rollback'] as const).map((workflow) =>
      JSON.stringify([ref(view.stateMachineRoleId(workflow))]),
    );
    for (const { roles } of controlStatements(view)) expect(stateMachineRoles).not.toContain(JSON.stringify(roles));
  });

  test('gives slack-events the rollback state machine, and pagerduty-webhook neither it nor the control plane', () => {
    expect(view.environmentOf('slack-events').ROLLBACK_STATE_MACHINE_ARN).toEqual(ref(view.stateMachineId('rollback')));
    expect(view.environmentOf('pagerduty-webhook')).not.toHaveProperty('ROLLBACK_STATE_MACHINE_ARN');
    const webhookActions = view.statementsOfRole(view.roleIdOf('pagerduty-webhook')).flatMap(actionsOf);
    for (const action of CONTROL_ACTIONS) expect(webhookActions).not.toContain(action);
  });

  test('lets slack-events start the rollback workflow and nothing else does', () => {
    const rollback = JSON.stringify(ref(view.stateMachineId('rollback')));
    const starters = view
      .resourcesOfType('AWS::IAM::Policy')
      .filter(([, policy]) =>
        statementsOf(policy).some(
          (statement) => actionsOf(statement).includes('states:StartExecution') && resourcesOf(statement).some((r) => JSON.stringify(r) === rollback),
        ),
      )
      .map(([, policy]) => JSON.stringify(policy.Properties?.Roles));
    expect(starters).toEqual(rolesOf(view, ['slack-events']));
  });
});

describe('model control plane from CDK context', () => {
  test('follows controlPlaneSsmPrefix, trailing slash dropped, in the environment and the grant', () => {
    const { view, nagError } = synthesizeWith({ controlPlaneSsmPrefix: '/teams/ml/models/' });
    expect(nagError).toBeUndefined();
    for (const handler of MODEL_CONTROL_HANDLERS) {
      expect(view.environmentOf(handler).FIREBREAK_CONTROL_PLANE_SSM_PREFIX).toBe('/teams/ml/models');
    }
    for (const { statement } of controlStatements(view)) {
      expect(resourcesOf(statement).map(flatten)).toEqual([
        'arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/teams/ml/models/*',
      ]);
    }
  });

  const SSM_DOCUMENTS = 'arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/firebreak/models/*';

  test('grants sagemaker:DescribeEndpoint and UpdateEndpointWeightsAndCapacities on the listed endpoints only, and the control documents, nag-clean', () => {
    const { view, nagError } = synthesizeWith({
      controlPlane: 'sagemaker',
      controlPlaneSageMakerEndpoints: 'Chat-Prod, arn:aws:sagemaker:eu-west-1:123456789012:endpoint/chat-canary',
      controlPlaneModelTargets: 'support-llm=Chat-Prod',
    });
    expect(nagError).toBeUndefined();
    for (const handler of MODEL_CONTROL_HANDLERS) {
      expect(view.environmentOf(handler)).toMatchObject({
        FIREBREAK_CONTROL_PLANE: 'sagemaker',
        FIREBREAK_CONTROL_PLANE_SSM_PREFIX: '/firebreak/models',
        FIREBREAK_MODEL_TARGETS: 'support-llm=Chat-Prod',
      });
    }
    const statements = controlStatements(view);
    const traffic = statements.filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('sagemaker:')));
    expect(traffic.map(({ roles }) => JSON.stringify(roles)).sort()).toEqual(rolesOf(view, MODEL_CONTROL_HANDLERS));
    for (const { statement } of traffic) {
      expect([...actionsOf(statement)].sort()).toEqual(['sagemaker:DescribeEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities']);
      expect(resourcesOf(statement).map(flatten).sort()).toEqual([
        'arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:endpoint/chat-prod',
        'arn:aws:sagemaker:eu-west-1:123456789012:endpoint/chat-canary',
      ]);
    }
    const documents = statements.filter(({ statement }) => !traffic.some((t) => t.statement === statement));
    expect(documents.map(({ roles }) => JSON.stringify(roles)).sort()).toEqual(rolesOf(view, MODEL_CONTROL_HANDLERS));
    for (const { statement } of documents) {
      expect([...actionsOf(statement)].sort()).toEqual(['ssm:GetParameter', 'ssm:PutParameter']);
      expect(resourcesOf(statement).map(flatten)).toEqual([SSM_DOCUMENTS]);
    }
  });

  test('grants lambda:GetAlias, UpdateAlias and ListVersionsByFunction on the listed functions only, and the control documents, nag-clean', () => {
    const { view, nagError } = synthesizeWith({
      controlPlane: 'lambda-alias',
      controlPlaneLambdaFunctions: ['chat-model', 'arn:aws:lambda:us-east-1:123456789012:function:chat-model-b'],
    });
    expect(nagError).toBeUndefined();
    for (const handler of MODEL_CONTROL_HANDLERS) {
      expect(view.environmentOf(handler).FIREBREAK_CONTROL_PLANE).toBe('lambda-alias');
      expect(view.environmentOf(handler)).not.toHaveProperty('FIREBREAK_MODEL_TARGETS');
    }
    const statements = controlStatements(view);
    const traffic = statements.filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('lambda:')));
    expect(traffic.map(({ roles }) => JSON.stringify(roles)).sort()).toEqual(rolesOf(view, MODEL_CONTROL_HANDLERS));
    for (const { statement } of traffic) {
      expect([...actionsOf(statement)].sort()).toEqual(['lambda:GetAlias', 'lambda:ListVersionsByFunction', 'lambda:UpdateAlias']);
      expect(resourcesOf(statement).map(flatten).sort()).toEqual([
        'arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:chat-model',
        'arn:aws:lambda:us-east-1:123456789012:function:chat-model-b',
      ]);
    }
    expect(statements.length).toBe(2 * MODEL_CONTROL_HANDLERS.length);
  });

  test.each([
    [{ controlPlane: 'sagemaker' }, /controlPlaneSageMakerEndpoints is required when controlPlane=sagemaker/],
    [{ controlPlane: 'lambda-alias' }, /controlPlaneLambdaFunctions is required when controlPlane=lambda-alias/],
    [{ controlPlane: 'dynamodb' }, /controlPlane must be one of ssm, sagemaker, lambda-alias \(got "dynamodb"\)/],
    [{ controlPlaneSsmPrefix: 'firebreak' }, /controlPlaneSsmPrefix must be a parameter path/],
    [{ controlPlaneSsmPrefix: '/' }, /controlPlaneSsmPrefix must be a parameter path/],
    [{ controlPlaneSsmPrefix: '/firebreak/*' }, /controlPlaneSsmPrefix must be a parameter path/],
    [{ controlPlaneSsmPrefix: '/aws/models' }, /cannot start with aws or ssm/],
    [{ controlPlane: 'sagemaker', controlPlaneSageMakerEndpoints: ['chat-*'] }, /"chat-\*" is neither a SageMaker endpoint name nor an endpoint ARN/],
    [
      { controlPlane: 'lambda-alias', controlPlaneLambdaFunctions: 'arn:aws:lambda:us-east-1:123456789012:function:chat:live' },
      /neither a function name nor an unqualified function ARN/,
    ],
    [{ controlPlane: 'lambda-alias', controlPlaneLambdaFunctions: 42 }, /controlPlaneLambdaFunctions must be a list of strings/],
    [{ controlPlane: 'sagemaker', controlPlaneSageMakerEndpoints: 'chat', controlPlaneModelTargets: 'support-llm' }, /controlPlaneModelTargets must list model=endpoint-or-function pairs/],
  ] as const)('fails synthesis with a clear message for %j', (context, message) => {
    expect(() => synthesizeFirebreak({ context })).toThrow(message);
  });
});
