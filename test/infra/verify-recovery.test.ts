import { localLambdaArn, type StatesDefinition } from '../../lib/resolve-definition';
import { synthesizeFirebreak, type CloudFormationTemplate } from '../../lib/synth';
import { testTemplate } from '../support/template';
import { HANDLERS, TemplateView, actionsOf, allStates, ref, resourcesOf, statementsOf, type HandlerName, type State } from './template-view';

const LAMBDA_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];
const TRANSIENT_RETRY = {
  ErrorEquals: ['IncidentVersionConflictError', 'IncidentStoreError', ...LAMBDA_ERRORS],
  IntervalSeconds: 1,
  BackoffRate: 2,
  MaxAttempts: 4,
};
const SLI_SOURCE_RETRY = { ErrorEquals: ['SliSourceError'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 3 };
const ESCALATION_RETRY = { ErrorEquals: ['VendorTransientError'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 5 };

/** The four decisions of check-recovery, and where each one goes. */
const DECISIONS: readonly (readonly [string, string])[] = [
  ['recovered', 'Recovery Verified'],
  ['stop', 'Nothing To Verify'],
  ['escalate', 'Escalate The Incident'],
  ['keep-checking', 'Wait Before Checking Recovery'],
];

let view: TemplateView;

beforeAll(() => {
  // Synthesized once per jest run by test/support/global-setup.ts.
  view = new TemplateView(testTemplate());
});

function lambdaArn(handler: HandlerName): string {
  return localLambdaArn(view.functionId(handler));
}

/**
 * Where a JSONPath Choice state sends `input`. Supports what the definitions
 * use: `StringEquals` and `BooleanEquals` on a `$.a.b` path.
 */
function choose(choice: State, input: Record<string, unknown>): string {
  const read = (path: string): unknown =>
    path
      .replace(/^\$\./, '')
      .split('.')
      .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], input);
  for (const rule of choice.Choices as Record<string, unknown>[]) {
    const value = read(rule.Variable as string);
    if ('StringEquals' in rule && value === rule.StringEquals) return rule.Next as string;
    if ('BooleanEquals' in rule && value === rule.BooleanEquals) return rule.Next as string;
    if (!('StringEquals' in rule) && !('BooleanEquals' in rule)) throw new Error(`unsupported rule ${JSON.stringify(rule)}`);
  }
  return choice.Default as string;
}

/** The verification chain of each workflow: where its states live, the incident id path and how it ends. */
const CHAINS = [
  {
    workflow: 'respond',
    incidentIdPath: '$.record.incidentId',
    /** The containment branch of Engage Responders. */
    states: (): Record<string, State> => {
      const branches = allStates(view.definition('respond'))['Engage Responders'].Branches ?? [];
      const branch = branches.find((candidate) => candidate.StartAt === 'Contain The Model') as StatesDefinition;
      return branch.States as Record<string, State>;
    },
    ending: { End: true },
  },
  {
    workflow: 'rollback',
    incidentIdPath: '$.incidentId',
    states: (): Record<string, State> => allStates(view.definition('rollback')),
    ending: { Next: 'Rollback Done' },
  },
] as const;

describe.each(CHAINS)('verifying recovery in the $workflow workflow', ({ incidentIdPath, states, ending }) => {
  test('starts counting at $.recovery with no good reading and no check, then waits', () => {
    expect(states()['Start Verifying Recovery']).toEqual({
      Type: 'Pass',
      Comment: expect.any(String),
      Result: { consecutiveGood: 0, checks: 0 },
      ResultPath: '$.recovery',
      Next: 'Wait Before Checking Recovery',
    });
  });

  test('waits the real interval, 60 seconds, in the definition (only tests and drills shorten it, by state name)', () => {
    expect(states()['Wait Before Checking Recovery']).toEqual({
      Type: 'Wait',
      Comment: expect.any(String),
      Seconds: 60,
      Next: 'Check Recovery',
    });
  });

  test('checks recovery with the incident and the progress so far, keeping decision, progress and value at $.recovery', () => {
    expect(states()['Check Recovery']).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Comment: expect.any(String),
      TimeoutSeconds: 30,
      Parameters: {
        FunctionName: lambdaArn('check-recovery'),
        Payload: {
          'incidentId.$': incidentIdPath,
          'consecutiveGood.$': '$.recovery.consecutiveGood',
          'checks.$': '$.recovery.checks',
        },
      },
      ResultSelector: {
        'decision.$': '$.Payload.decision',
        'consecutiveGood.$': '$.Payload.consecutiveGood',
        'checks.$': '$.Payload.checks',
        'value.$': '$.Payload.value',
      },
      ResultPath: '$.recovery',
      Next: 'Has The Model Recovered?',
    });
  });

  test('retries SliSourceError from 5 s, doubling, 3 times, then the store and Lambda transient errors', () => {
    expect(states()['Check Recovery'].Retry).toEqual([SLI_SOURCE_RETRY, TRANSIENT_RETRY]);
  });

  test('records a check that failed after its retries under task verify-recovery', () => {
    const all = states();
    expect(all['Check Recovery'].Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record The Recovery Check Failure' },
    ]);
    expect(all['Record The Recovery Check Failure']).toMatchObject({
      Type: 'Task',
      TimeoutSeconds: 30,
      Parameters: {
        FunctionName: lambdaArn('record-task-failure'),
        Payload: { 'incidentId.$': incidentIdPath, task: 'verify-recovery', 'error.$': '$.error' },
      },
      ResultPath: null,
      Retry: [TRANSIENT_RETRY],
      ...ending,
    });
  });

  test('decides on $.recovery.decision: recovered, stop and escalate by name, anything else waits and checks again', () => {
    const choice = states()['Has The Model Recovered?'];
    expect(choice).toEqual({
      Type: 'Choice',
      Comment: expect.any(String),
      Choices: [
        { Variable: '$.recovery.decision', StringEquals: 'recovered', Next: 'Recovery Verified' },
        { Variable: '$.recovery.decision', StringEquals: 'stop', Next: 'Nothing To Verify' },
        { Variable: '$.recovery.decision', StringEquals: 'escalate', Next: 'Escalate The Incident' },
      ],
      Default: 'Wait Before Checking Recovery',
    });
  });

  test.each(DECISIONS)('sends the decision %s to %s', (decision, next) => {
    expect(choose(states()['Has The Model Recovered?'], { recovery: { decision, consecutiveGood: 1, checks: 2, value: 0.99 } })).toBe(next);
  });

  test('loops: keep-checking goes back to the wait, which checks again', () => {
    const all = states();
    const path: string[] = [];
    let name = 'Wait Before Checking Recovery';
    for (let step = 0; step < 3; step += 1) {
      path.push(name);
      const state = all[name];
      name = state.Type === 'Choice' ? choose(state, { recovery: { decision: 'keep-checking' } }) : (state.Next as string);
    }
    expect(path).toEqual(['Wait Before Checking Recovery', 'Check Recovery', 'Has The Model Recovered?']);
    expect(name).toBe('Wait Before Checking Recovery');
  });

  test('ends the verification on recovered and stop', () => {
    const all = states();
    for (const name of ['Recovery Verified', 'Nothing To Verify']) {
      expect(all[name]).toEqual({ Type: 'Pass', Comment: expect.any(String), ...ending });
    }
  });

  test('escalates through escalate-incident, VendorTransientError retried from 5 s, doubling, 5 times, then ends', () => {
    expect(states()['Escalate The Incident']).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Comment: expect.any(String),
      TimeoutSeconds: 30,
      Parameters: { FunctionName: lambdaArn('escalate-incident'), Payload: { 'incidentId.$': incidentIdPath } },
      ResultPath: null,
      Retry: [ESCALATION_RETRY, TRANSIENT_RETRY],
      ...ending,
    });
  });

  test('records an escalation that failed after its retries under task escalate', () => {
    const all = states();
    expect(all['Escalate The Incident'].Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record The Escalation Failure' },
    ]);
    expect(all['Record The Escalation Failure']).toMatchObject({
      Type: 'Task',
      Parameters: {
        FunctionName: lambdaArn('record-task-failure'),
        Payload: { 'incidentId.$': incidentIdPath, task: 'escalate', 'error.$': '$.error' },
      },
      ResultPath: null,
      Retry: [TRANSIENT_RETRY],
      ...ending,
    });
  });
});

describe('where recovery is verified', () => {
  test('respond: after Contain The Model succeeds, inside its branch, unless an approved rollback verifies it (a containment failure ends the branch)', () => {
    const [respond] = CHAINS;
    const branch = respond.states();
    expect(branch['Contain The Model'].Next).toBe('Does A Rollback Await Approval?');
    expect(branch['Does A Rollback Await Approval?'].Default).toBe('Start Verifying Recovery');
    expect(branch['Was The Rollback Approved?'].Default).toBe('Start Verifying Recovery');
    expect(branch['Record The Containment Failure'].End).toBe(true);
  });

  test('rollback: after the channel notice, only when the rollback changed the served version', () => {
    const states = allStates(view.definition('rollback'));
    expect(states['Tell The Channel About The Rollback'].Next).toBe('Did The Rollback Change Anything?');
    expect(states['Record The Rollback Notice Failure'].Next).toBe('Did The Rollback Change Anything?');
    const choice = states['Did The Rollback Change Anything?'];
    expect(choice).toEqual({
      Type: 'Choice',
      Comment: expect.any(String),
      Choices: [{ Variable: '$.rollback.changed', BooleanEquals: true, Next: 'Start Verifying Recovery' }],
      Default: 'Rollback Done',
    });
    expect(choose(choice, { rollback: { changed: true } })).toBe('Start Verifying Recovery');
    expect(choose(choice, { rollback: { changed: false } })).toBe('Rollback Done');
  });
});

describe('check-recovery', () => {
  function ownPolicies(template: TemplateView, handler: HandlerName): [string, ReturnType<TemplateView['resourcesOfType']>[number][1]][] {
    return template
      .resourcesOfType('AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([ref(template.roleIdOf(handler))]));
  }

  function metricStatements(template: TemplateView): ReturnType<typeof statementsOf> {
    return template
      .resourcesOfType('AWS::IAM::Policy')
      .flatMap(([, policy]) => statementsOf(policy))
      .filter((statement) => actionsOf(statement).some((action) => action.startsWith('cloudwatch:') || action === '*'));
  }

  test('reads CloudWatch by default: FIREBREAK_SLI_SOURCE=cloudwatch, the table, no Prometheus URL, no vendor secret', () => {
    const environment = view.environmentOf('check-recovery');
    expect(environment).toMatchObject({
      FIREBREAK_SLI_SOURCE: 'cloudwatch',
      TABLE_NAME: ref(view.resourcesOfType('AWS::DynamoDB::Table')[0][0]),
    });
    expect(environment).not.toHaveProperty('FIREBREAK_PROMETHEUS_URL');
    expect(environment).not.toHaveProperty('FIREBREAK_VENDOR_SECRET_ARN');
  });

  test('gets cloudwatch:GetMetricData on "*" (the action has no resource-level permissions) in a policy of its own, before it runs', () => {
    const policies = ownPolicies(view, 'check-recovery').filter(([id]) => id.includes('MetricReadPolicy'));
    expect(policies).toHaveLength(1);
    const [[policyId, policy]] = policies;
    expect(statementsOf(policy)).toEqual([{ Sid: 'ReadSliMetrics', Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' }]);
    expect(view.raw.Resources[view.functionId('check-recovery')].DependsOn).toContain(policyId);
  });

  test('is the only function with a CloudWatch action', () => {
    const roles = view
      .resourcesOfType('AWS::IAM::Policy')
      .filter(([, policy]) => statementsOf(policy).some((statement) => actionsOf(statement).some((action) => action.startsWith('cloudwatch:'))))
      .map(([, policy]) => policy.Properties?.Roles);
    expect(roles).toEqual([[ref(view.roleIdOf('check-recovery'))]]);
    expect(metricStatements(view).flatMap(actionsOf)).toEqual(['cloudwatch:GetMetricData']);
  });

  test('has no vendor, control plane or workflow permissions', () => {
    const actions = view.statementsOfRole(view.roleIdOf('check-recovery')).flatMap(actionsOf);
    expect(actions.filter((action) => /^(secretsmanager|ssm|sagemaker|states|lambda):/.test(action))).toEqual([]);
  });

  test('reads Prometheus with sliSource=prometheus: the URL in the environment, no CloudWatch grant, nag-clean', () => {
    let nagError: unknown;
    let template: CloudFormationTemplate;
    const context = { sliSource: 'prometheus', prometheusUrl: 'https://prometheus.example.com/' };
    try {
      template = synthesizeFirebreak({ nag: true, context }).template;
    } catch (error) {
      nagError = error;
      template = synthesizeFirebreak({ context }).template;
    }
    expect(nagError).toBeUndefined();
    const withPrometheus = new TemplateView(template);
    expect(withPrometheus.environmentOf('check-recovery')).toMatchObject({
      FIREBREAK_SLI_SOURCE: 'prometheus',
      FIREBREAK_PROMETHEUS_URL: 'https://prometheus.example.com',
    });
    expect(metricStatements(withPrometheus)).toEqual([]);
    for (const handler of HANDLERS.filter((name) => name !== 'check-recovery')) {
      expect(withPrometheus.environmentOf(handler)).not.toHaveProperty('FIREBREAK_SLI_SOURCE');
      expect(withPrometheus.environmentOf(handler)).not.toHaveProperty('FIREBREAK_PROMETHEUS_URL');
    }
  });

  test('ignores prometheusUrl with the cloudwatch source', () => {
    const template = new TemplateView(synthesizeFirebreak({ context: { prometheusUrl: 'https://prometheus.example.com' } }).template);
    expect(template.environmentOf('check-recovery').FIREBREAK_SLI_SOURCE).toBe('cloudwatch');
    expect(template.environmentOf('check-recovery')).not.toHaveProperty('FIREBREAK_PROMETHEUS_URL');
  });

  test.each([
    [{ sliSource: 'prometheus' }, /prometheusUrl is required when sliSource=prometheus/],
    [{ sliSource: 'datadog' }, /sliSource must be one of prometheus, cloudwatch \(got "datadog"\)/],
    [{ sliSource: 'prometheus', prometheusUrl: 'prometheus:9090' }, /prometheusUrl must be an http or https URL/],
    [{ sliSource: 'prometheus', prometheusUrl: 'ftp://prometheus.example.com' }, /prometheusUrl must be an http or https URL/],
    [{ sliSource: 'prometheus', prometheusUrl: 'https://user:secret@prometheus.example.com' }, /prometheusUrl must not carry credentials/],
    [{ sliSource: 'prometheus', prometheusUrl: 'https://prometheus.example.com/api/v1/query?query=up' }, /without a query or fragment/],
    [{ sliSource: 42 }, /sliSource must be a string/],
  ] as const)('fails synthesis with a clear message for %j', (context, message) => {
    expect(() => synthesizeFirebreak({ context })).toThrow(message);
  });
});

describe('escalate-incident', () => {
  test('is a vendor function: the table and the vendor secret, read-only', () => {
    const environment = view.environmentOf('escalate-incident');
    const secretId = (view.raw.Outputs?.VendorCredentialsSecretArn?.Value as { Ref: string }).Ref;
    expect(environment).toMatchObject({
      TABLE_NAME: ref(view.resourcesOfType('AWS::DynamoDB::Table')[0][0]),
      FIREBREAK_VENDOR_SECRET_ARN: ref(secretId),
    });
    const statements = view.statementsOfRole(view.roleIdOf('escalate-incident'));
    const secretActions = statements
      .filter((statement) => JSON.stringify(resourcesOf(statement)).includes(JSON.stringify(ref(secretId))))
      .flatMap(actionsOf);
    expect([...new Set(secretActions)].sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(environment).not.toHaveProperty('FIREBREAK_SLI_SOURCE');
  });
});
