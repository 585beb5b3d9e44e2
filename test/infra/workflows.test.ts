import { Match, Template } from 'aws-cdk-lib/assertions';
import { localLambdaArn, localStateMachineArn, type StatesDefinition } from '../../lib/resolve-definition';
import type { CloudFormationTemplate } from '../../lib/synth';
import { testTemplate } from '../support/template';
import {
  TemplateView,
  VENDOR_HANDLERS,
  WORKFLOWS,
  actionsOf,
  allStates,
  ref,
  resourcesOf,
  type HandlerName,
  type State,
  type WorkflowName,
} from './template-view';

const LAMBDA_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];
const TRANSIENT_ERRORS = ['IncidentVersionConflictError', 'IncidentStoreError', ...LAMBDA_ERRORS];
const TRANSIENT_RETRY = { ErrorEquals: TRANSIENT_ERRORS, IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 4 };
const CONTROL_PLANE_RETRY = { ErrorEquals: ['ControlPlaneConflictError'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 4 };
const CHANNEL_RETRY = { ErrorEquals: ['VendorTransientError'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 5 };

/** The recovery verification steps, in respond (after Contain The Model) and in rollback (after the channel notice). */
const VERIFY_RECOVERY_STATES = [
  'Start Verifying Recovery',
  'Wait Before Checking Recovery',
  'Check Recovery',
  'Record The Recovery Check Failure',
  'Has The Model Recovered?',
  'Recovery Verified',
  'Nothing To Verify',
  'Escalate The Incident',
  'Record The Escalation Failure',
];

const STATE_NAMES: Readonly<Record<WorkflowName, readonly string[]>> = {
  respond: [
    'Record Or Join The Incident',
    'Did This Signal Open A New Incident?',
    'Signal Recorded',
    'Start The Resolve Workflow',
    'Tell The Incident Channel',
    'Record The Channel Notice Failure',
    'Wait Out The Flap Hold',
    'Confirm The Breach',
    'Is The Breach Still Active?',
    'Breach Flapped',
    'Page On-Call',
    'Engage Responders',
    'Open The Incident Channel',
    'Record The Channel Failure',
    'Did The First Page Go Out?',
    'Page Already Sent',
    'Retry The Page',
    'Record The Page Failure',
    'Contain The Model',
    'Record The Containment Failure',
    'Does A Rollback Await Approval?',
    'Wait For The Rollback Approval',
    'Settle The Rollback Approval',
    'Record The Approval Failure',
    'Was The Rollback Approved?',
    'The Rollback Verifies Recovery',
    ...VERIFY_RECOVERY_STATES,
    'Harvest Regression Cases',
    'Record The Harvest Failure',
    'Responders Engaged',
    'Record The Workflow Failure',
    'Respond Failed',
  ],
  resolve: [
    'Close Out The Incident',
    'Resolve The Page',
    'Record The Page Resolution Failure',
    'Update The Incident Channel',
    'Record The Channel Update Failure',
    'Harvest Regression Cases',
    'Record The Harvest Failure',
    'Draft The Postmortem',
    'Record The Postmortem Draft Failure',
    'Incident Resolved',
  ],
  acknowledge: [
    'Spread The Acknowledgement',
    'Acknowledge The Page',
    'Record The Page Acknowledgement Failure',
    'Update The Incident Channel',
    'Record The Channel Update Failure',
    'Acknowledgement Spread',
  ],
  rollback: [
    'Roll Back The Model',
    'Record The Rollback Failure',
    'Rollback Failed',
    'Tell The Channel About The Rollback',
    'Record The Rollback Notice Failure',
    'Did The Rollback Change Anything?',
    ...VERIFY_RECOVERY_STATES,
    'Rollback Done',
  ],
  'weekly-review': ['Prepare The Weekly Review', 'Weekly Review Failed', 'Weekly Review Ready'],
};

/** How many branches the one Parallel of each workflow has (0: no Parallel). */
const PARALLEL_BRANCHES: Readonly<Record<WorkflowName, number>> = { respond: 4, resolve: 2, acknowledge: 2, rollback: 0, 'weekly-review': 0 };


let raw: CloudFormationTemplate;
let template: Template;
let view: TemplateView;

beforeAll(() => {
  // Synthesized once per jest run by test/support/global-setup.ts.
  raw = testTemplate();
  template = Template.fromJSON(raw);
  view = new TemplateView(raw);
});

function statesOf(workflow: WorkflowName): Record<string, State> {
  return allStates(view.definition(workflow));
}

function lambdaArn(handler: HandlerName): string {
  return localLambdaArn(view.functionId(handler));
}

/** The state names reachable from `from` (Next, Default, Choices, Catch; into Parallel branches), never entering `avoid`. */
function reachable(definition: StatesDefinition, from: string, avoid: string): Set<string> {
  const states = allStates(definition);
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (name === avoid || seen.has(name)) continue;
    seen.add(name);
    const state = states[name];
    const next: unknown[] = [
      state.Next,
      state.Default,
      ...((state.Choices as { Next: string }[] | undefined) ?? []).map((choice) => choice.Next),
      ...((state.Catch as { Next: string }[] | undefined) ?? []).map((catcher) => catcher.Next),
      ...(state.Branches ?? []).map((branch) => branch.StartAt),
    ];
    for (const target of next) if (typeof target === 'string') queue.push(target);
  }
  return seen;
}

describe.each(WORKFLOWS)('the %s workflow', (workflow) => {
  test('has exactly the documented state names, each a sentence', () => {
    const names = Object.keys(statesOf(workflow));
    expect([...names].sort()).toEqual([...STATE_NAMES[workflow]].sort());
    for (const name of names) {
      expect(name).toMatch(/^[A-Z][A-Za-z-]*( [A-Z][A-Za-z-]*)*\??$/);
    }
  });

  test('runs as a STANDARD state machine tagged with its name, logging level ALL and tracing', () => {
    expect(raw.Resources[view.stateMachineId(workflow)]).toMatchObject({
      Metadata: { 'firebreak:workflow': workflow },
      Properties: {
        StateMachineType: 'STANDARD',
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
        TracingConfiguration: { Enabled: true },
      },
    });
  });

  test('is written in JSONPath, without variables, with an execution timeout', () => {
    const definition = view.definition(workflow);
    expect(definition.QueryLanguage).toBe('JSONPath');
    expect(definition.TimeoutSeconds).toEqual(expect.any(Number));
    for (const state of Object.values(allStates(definition))) {
      expect(state).not.toHaveProperty('Assign');
      expect(state.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    }
  });

  test('gives every state a comment, and every task a 30-second timeout and explicit retries of named errors', () => {
    for (const [name, state] of Object.entries(statesOf(workflow))) {
      expect({ name, comment: state.Comment }).toEqual({ name, comment: expect.any(String) });
      if (state.Type !== 'Task') continue;
      expect({ name, timeout: state.TimeoutSeconds }).toEqual({ name, timeout: 30 });
      const retries = state.Retry as { ErrorEquals: string[] }[];
      expect(retries.length).toBeGreaterThan(0);
      for (const retry of retries) {
        expect(retry.ErrorEquals).not.toContain('States.ALL');
        expect(retry.ErrorEquals).not.toContain('States.TaskFailed');
      }
    }
  });

  test('catches every failure inside a Parallel branch so that one branch cannot fail the others', () => {
    const parallels = Object.values(statesOf(workflow)).filter((state) => state.Type === 'Parallel');
    expect(parallels).toHaveLength(PARALLEL_BRANCHES[workflow] > 0 ? 1 : 0);
    for (const parallel of parallels) {
      expect(parallel.ResultPath).toBeNull();
      expect(parallel.Branches).toHaveLength(PARALLEL_BRANCHES[workflow]);
    }
    for (const branch of parallels.flatMap((parallel) => parallel.Branches ?? [])) {
      const branchStates = branch.States as Record<string, State>;
      // Every task of a branch but the failure recorders: the branch's own step(s).
      const branchTasks = Object.entries(branchStates).filter(
        ([, state]) => state.Type === 'Task' && (state.Parameters as { FunctionName?: string }).FunctionName !== lambdaArn('record-task-failure'),
      );
      expect(branchTasks.length).toBeGreaterThan(0);
      for (const [name, task] of branchTasks) {
        const catchers = task.Catch as { ErrorEquals: string[]; ResultPath: string; Next: string }[];
        expect({ name, catchers }).toEqual({
          name,
          catchers: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: expect.any(String) }],
        });
        const recorder = branchStates[catchers[0].Next];
        expect(recorder).toMatchObject({
          Type: 'Task',
          End: true,
          ResultPath: null,
          Parameters: {
            FunctionName: lambdaArn('record-task-failure'),
            Payload: { 'incidentId.$': expect.stringMatching(/incidentId$/), task: expect.any(String), 'error.$': '$.error' },
          },
          Retry: [TRANSIENT_RETRY],
        });
      }
    }
  });
});

describe('respond: paging and the responders', () => {
  test('pages on-call for a confirmed breach before anything else goes out', () => {
    const states = statesOf('respond');
    expect(states['Is The Breach Still Active?'].Choices).toEqual([
      { Variable: '$.confirmation.confirmed', BooleanEquals: true, Next: 'Page On-Call' },
    ]);
    expect(states['Page On-Call']).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: lambdaArn('page-oncall'), Payload: { 'incidentId.$': '$.record.incidentId', mode: 'first' } },
      ResultSelector: { 'paged.$': '$.Payload.paged' },
      ResultPath: '$.page',
      Next: 'Engage Responders',
    });
  });

  test('makes no Slack call on any path that does not pass Page On-Call first', () => {
    const definition = view.definition('respond');
    const withoutPage = reachable(definition, definition.StartAt, 'Page On-Call');
    expect(withoutPage).not.toContain('Open The Incident Channel');
    expect(withoutPage).not.toContain('Engage Responders');
    expect(reachable(definition, definition.StartAt, 'none')).toContain('Open The Incident Channel');
  });

  test('makes one fast page attempt: only Lambda service errors are retried, and any failure goes on to the responders', () => {
    expect(statesOf('respond')['Page On-Call']).toMatchObject({
      Retry: [{ ErrorEquals: LAMBDA_ERRORS, IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 2 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.page', Next: 'Engage Responders' }],
    });
  });

  test('opens the channel, makes sure of the page and contains the model in parallel, then ends engaged', () => {
    const engage = statesOf('respond')['Engage Responders'];
    expect(engage).toMatchObject({ Type: 'Parallel', ResultPath: null, Next: 'Responders Engaged' });
    expect(engage.Branches?.map((branch) => branch.StartAt)).toEqual([
      'Open The Incident Channel',
      'Did The First Page Go Out?',
      'Contain The Model',
      'Harvest Regression Cases',
    ]);
    expect(engage.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record The Workflow Failure' }]);
    expect(statesOf('respond')['Responders Engaged']).toMatchObject({ Type: 'Succeed' });
  });

  test('opens the incident channel with VendorTransientError retried from 2 s, doubling, 4 times', () => {
    const states = statesOf('respond');
    expect(states['Open The Incident Channel']).toMatchObject({
      Parameters: { FunctionName: lambdaArn('open-channel'), Payload: { 'incidentId.$': '$.record.incidentId' } },
      Retry: [{ ErrorEquals: ['VendorTransientError'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 4 }, TRANSIENT_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record The Channel Failure' }],
    });
    expect(states['Record The Channel Failure'].Parameters).toEqual({
      FunctionName: lambdaArn('record-task-failure'),
      Payload: { 'incidentId.$': '$.record.incidentId', task: 'open-channel', 'error.$': '$.error' },
    });
  });

  test('retries the page only when the first one did not go out, VendorTransientError from 5 s, doubling, 5 times', () => {
    const states = statesOf('respond');
    expect(states['Did The First Page Go Out?']).toMatchObject({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.page.paged', IsPresent: true },
            { Variable: '$.page.paged', BooleanEquals: true },
          ],
          Next: 'Page Already Sent',
        },
      ],
      Default: 'Retry The Page',
    });
    expect(states['Page Already Sent']).toMatchObject({ Type: 'Pass', End: true });
    expect(states['Retry The Page']).toMatchObject({
      Parameters: { FunctionName: lambdaArn('page-oncall'), Payload: { 'incidentId.$': '$.record.incidentId', mode: 'retry' } },
      Retry: [{ ErrorEquals: ['VendorTransientError'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 5 }, TRANSIENT_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record The Page Failure' }],
    });
    expect(states['Record The Page Failure'].Parameters).toEqual({
      FunctionName: lambdaArn('record-task-failure'),
      Payload: { 'incidentId.$': '$.record.incidentId', task: 'page', 'error.$': '$.error' },
    });
  });
});

describe('respond: containing the model', () => {
  function containmentBranch(): StatesDefinition {
    const branches = statesOf('respond')['Engage Responders'].Branches ?? [];
    const found = branches.filter((branch) => branch.StartAt === 'Contain The Model');
    expect(found).toHaveLength(1);
    return found[0];
  }

  test('is a branch of Engage Responders of its own: the containment task, its failure recorder, the approval wait and the recovery verification', () => {
    expect(Object.keys(containmentBranch().States).sort()).toEqual(
      [
        'Contain The Model',
        'Record The Containment Failure',
        'Does A Rollback Await Approval?',
        'Wait For The Rollback Approval',
        'Settle The Rollback Approval',
        'Record The Approval Failure',
        'Was The Rollback Approved?',
        'The Rollback Verifies Recovery',
        ...VERIFY_RECOVERY_STATES,
      ].sort(),
    );
  });

  test('waits for a rollback approval until its deadline, then verifies recovery only when the rollback was not approved', () => {
    const states = containmentBranch().States;
    expect(states['Does A Rollback Await Approval?']).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.containment.awaitingApproval', BooleanEquals: true, Next: 'Wait For The Rollback Approval' }],
      Default: 'Start Verifying Recovery',
    });
    expect(states['Wait For The Rollback Approval']).toMatchObject({ Type: 'Wait', SecondsPath: '$.containment.approvalTimeoutSeconds', Next: 'Settle The Rollback Approval' });
    expect(states['Settle The Rollback Approval']).toMatchObject({
      Parameters: { FunctionName: lambdaArn('settle-rollback-approval'), Payload: { 'incidentId.$': '$.record.incidentId' } },
      ResultSelector: { 'outcome.$': '$.Payload.outcome' },
      ResultPath: '$.approval',
      Next: 'Was The Rollback Approved?',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record The Approval Failure' }],
    });
    expect(states['Was The Rollback Approved?']).toMatchObject({
      Type: 'Choice',
      Choices: [
        {
          Or: [
            { Variable: '$.approval.outcome', StringEquals: 'approved' },
            { Variable: '$.approval.outcome', StringEquals: 'moot' },
          ],
          Next: 'The Rollback Verifies Recovery',
        },
      ],
      Default: 'Start Verifying Recovery',
    });
    expect(states['The Rollback Verifies Recovery']).toMatchObject({ Type: 'Pass', End: true });
  });

  test('calls neither PagerDuty nor Slack before the model is contained, so a vendor outage cannot hold containment up', () => {
    const branch = containmentBranch();
    const invokedFrom = (names: Iterable<string>): (string | undefined)[] =>
      [...names].map((name) => (branch.States[name].Parameters as { FunctionName?: string } | undefined)?.FunctionName);
    // Without passing the success of Contain The Model, only the containment and its recorder run.
    const beforeContained = reachable(branch, branch.StartAt, 'Does A Rollback Await Approval?');
    expect([...beforeContained].sort()).toEqual(['Contain The Model', 'Record The Containment Failure']);
    expect([...new Set(invokedFrom(beforeContained))].sort()).toEqual([lambdaArn('contain-model'), lambdaArn('record-task-failure')].sort());
    // The branch's vendor calls come after containment: settling a rollback approval (it tells the
    // channel when a request expires) and the escalation, after verification ran out of checks.
    const vendors = new Set(VENDOR_HANDLERS.map(lambdaArn));
    const vendorStates = Object.keys(branch.States).filter((name) => vendors.has(invokedFrom([name])[0] ?? ''));
    expect(vendorStates.sort()).toEqual(['Escalate The Incident', 'Settle The Rollback Approval']);
  });

  test('contains the recorded incident, keeping whether a rollback awaits approval and its deadline, with a 30-second timeout', () => {
    expect(statesOf('respond')['Contain The Model']).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Comment: expect.any(String),
      Parameters: { FunctionName: lambdaArn('contain-model'), Payload: { 'incidentId.$': '$.record.incidentId' } },
      ResultSelector: { 'awaitingApproval.$': '$.Payload.awaitingApproval', 'approvalTimeoutSeconds.$': '$.Payload.approvalTimeoutSeconds' },
      ResultPath: '$.containment',
      TimeoutSeconds: 30,
      Next: 'Does A Rollback Await Approval?',
    });
  });

  test('retries ControlPlaneConflictError from 1 s, doubling, 4 times, then the store and Lambda transient errors', () => {
    expect(statesOf('respond')['Contain The Model'].Retry).toEqual([CONTROL_PLANE_RETRY, TRANSIENT_RETRY]);
  });

  test('catches every failure into its own recorder, task contain, so that it never fails the page or the channel', () => {
    const states = statesOf('respond');
    expect(states['Contain The Model'].Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record The Containment Failure' },
    ]);
    expect(states['Record The Containment Failure']).toMatchObject({
      Type: 'Task',
      Parameters: {
        FunctionName: lambdaArn('record-task-failure'),
        Payload: { 'incidentId.$': '$.record.incidentId', task: 'contain', 'error.$': '$.error' },
      },
      ResultPath: null,
      Retry: [TRANSIENT_RETRY],
      End: true,
    });
  });

  test('is reached only after a confirmed breach was paged (or the page failed)', () => {
    const definition = view.definition('respond');
    expect(reachable(definition, definition.StartAt, 'Page On-Call')).not.toContain('Contain The Model');
    expect(reachable(definition, definition.StartAt, 'Wait Out The Flap Hold')).toContain('Contain The Model');
  });
});

describe('respond: starting resolve', () => {
  test('starts the resolve workflow natively, named after the incident, for a signal that resolved its incident', () => {
    expect(statesOf('respond')['Start The Resolve Workflow']).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::states:startExecution',
      Parameters: {
        StateMachineArn: localStateMachineArn(view.stateMachineId('resolve')),
        'Name.$': "States.Format('resolve-{}', $.record.incidentId)",
        Input: { 'incidentId.$': '$.record.incidentId', via: 'alert', 'by.$': '$.signal.alert.source' },
      },
      ResultPath: null,
      TimeoutSeconds: 30,
      Next: 'Signal Recorded',
    });
  });

  test('retries the start on named transient errors only, treats an existing execution as started, records anything else', () => {
    const start = statesOf('respond')['Start The Resolve Workflow'];
    expect(start.Retry).toEqual([
      {
        ErrorEquals: ['StepFunctions.ExecutionLimitExceeded', 'StepFunctions.AWSStepFunctionsException', 'StepFunctions.SdkClientException'],
        IntervalSeconds: 1,
        BackoffRate: 2,
        MaxAttempts: 4,
      },
    ]);
    expect(start.Catch).toEqual([
      {
        ErrorEquals: ['StepFunctions.ExecutionAlreadyExists', 'StepFunctions.ExecutionAlreadyExistsException'],
        ResultPath: '$.error',
        Next: 'Signal Recorded',
      },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record The Workflow Failure' },
    ]);
  });

  test('lets the respond role start executions of the resolve state machine only, without run-job permissions', () => {
    const statements = view.statementsOfRole(view.stateMachineRoleId('respond'));
    const states = statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('states:')));
    expect(states).toEqual([{ Effect: 'Allow', Action: 'states:StartExecution', Resource: ref(view.stateMachineId('resolve')) }]);
    const actions = statements.flatMap(actionsOf);
    expect(actions).not.toContain('states:DescribeExecution');
    expect(actions).not.toContain('states:StopExecution');
    expect(actions.filter((action) => action.startsWith('events:'))).toEqual([]);
  });
});

describe.each([
  ['resolve', 'Close Out The Incident', 'Resolve The Page', 'resolve-page', 'Record The Page Resolution Failure', 'resolved', 'Incident Resolved', 'Harvest Regression Cases'],
  ['acknowledge', 'Spread The Acknowledgement', 'Acknowledge The Page', 'acknowledge-page', 'Record The Page Acknowledgement Failure', 'acknowledged', 'Acknowledgement Spread', 'Acknowledgement Spread'],
] as const)('the %s workflow', (workflow, parallelName, pageTask, pageHandler, pageFailure, event, succeeded, afterParallel) => {
  test(`runs "${pageTask}" and "Update The Incident Channel" in parallel, then goes on to "${afterParallel}"`, () => {
    const definition = view.definition(workflow);
    expect(definition.StartAt).toBe(parallelName);
    const states = statesOf(workflow);
    expect(states[parallelName]).toMatchObject({ Type: 'Parallel', ResultPath: null, Next: afterParallel });
    expect(states[parallelName].Branches?.map((branch) => branch.StartAt)).toEqual([pageTask, 'Update The Incident Channel']);
    expect(states[succeeded]).toMatchObject({ Type: 'Succeed' });
  });

  test('passes the workflow input to the page task and the lifecycle event to the channel', () => {
    const states = statesOf(workflow);
    expect(states[pageTask].Parameters).toEqual({ FunctionName: lambdaArn(pageHandler), 'Payload.$': '$' });
    expect(states['Update The Incident Channel'].Parameters).toEqual({
      FunctionName: lambdaArn('update-channel'),
      Payload: { 'incidentId.$': '$.incidentId', event, 'by.$': '$.by', 'via.$': '$.via' },
    });
  });

  test('retries VendorTransientError from 2 s, doubling, 5 times, and records each branch failure under its task name', () => {
    const states = statesOf(workflow);
    for (const [task, recorder, taskName] of [
      [pageTask, pageFailure, pageHandler],
      ['Update The Incident Channel', 'Record The Channel Update Failure', 'update-channel'],
    ] as const) {
      expect(states[task]).toMatchObject({
        Retry: [{ ErrorEquals: ['VendorTransientError'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 5 }, TRANSIENT_RETRY],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: recorder }],
      });
      expect(states[recorder].Parameters).toEqual({
        FunctionName: lambdaArn('record-task-failure'),
        Payload: { 'incidentId.$': '$.incidentId', task: taskName, 'error.$': '$.error' },
      });
    }
  });

  test('publishes its state machine ARN', () => {
    const output = workflow === 'resolve' ? 'ResolveStateMachineArn' : 'AcknowledgeStateMachineArn';
    template.hasOutput(output, { Value: ref(view.stateMachineId(workflow)) });
  });
});

describe('the rollback workflow', () => {
  test('starts by rolling back the model with the whole input, keeping changed and detail under $.rollback', () => {
    const definition = view.definition('rollback');
    expect(definition.StartAt).toBe('Roll Back The Model');
    expect(definition.TimeoutSeconds).toBe(30 * 60);
    expect(statesOf('rollback')['Roll Back The Model']).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: lambdaArn('roll-back-model'), 'Payload.$': '$' },
      ResultSelector: { 'changed.$': '$.Payload.changed', 'detail.$': '$.Payload.detail' },
      ResultPath: '$.rollback',
      TimeoutSeconds: 30,
      Next: 'Tell The Channel About The Rollback',
    });
  });

  test('retries ControlPlaneConflictError, then the store and Lambda transient errors', () => {
    expect(statesOf('rollback')['Roll Back The Model'].Retry).toEqual([CONTROL_PLANE_RETRY, TRANSIENT_RETRY]);
  });

  test('records a rollback that failed after its retries under task rollback, then fails', () => {
    const states = statesOf('rollback');
    expect(states['Roll Back The Model'].Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record The Rollback Failure' },
    ]);
    expect(states['Record The Rollback Failure']).toMatchObject({
      Parameters: {
        FunctionName: lambdaArn('record-task-failure'),
        Payload: { 'incidentId.$': '$.incidentId', task: 'rollback', 'error.$': '$.error' },
      },
      ResultPath: null,
      Retry: [TRANSIENT_RETRY],
      Next: 'Rollback Failed',
    });
    expect(states['Rollback Failed']).toEqual({
      Type: 'Fail',
      Comment: expect.any(String),
      Error: 'RollbackWorkflowFailed',
      Cause: 'the rollback workflow failed; see the incident timeline',
    });
  });

  test('tells the channel about the rollback with its detail, VendorTransientError retried from 2 s, doubling, 5 times', () => {
    expect(statesOf('rollback')['Tell The Channel About The Rollback']).toMatchObject({
      Parameters: {
        FunctionName: lambdaArn('update-channel'),
        Payload: { 'incidentId.$': '$.incidentId', event: 'rollback', 'via.$': '$.via', 'by.$': '$.by', 'detail.$': '$.rollback.detail' },
      },
      ResultPath: null,
      Retry: [CHANNEL_RETRY, TRANSIENT_RETRY],
      Next: 'Did The Rollback Change Anything?',
    });
  });

  test('records a failed channel notice under task update-channel and still goes on: the rollback stands', () => {
    const states = statesOf('rollback');
    expect(states['Tell The Channel About The Rollback'].Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record The Rollback Notice Failure' },
    ]);
    expect(states['Record The Rollback Notice Failure']).toMatchObject({
      Parameters: {
        FunctionName: lambdaArn('record-task-failure'),
        Payload: { 'incidentId.$': '$.incidentId', task: 'update-channel', 'error.$': '$.error' },
      },
      ResultPath: null,
      Next: 'Did The Rollback Change Anything?',
    });
    expect(states['Rollback Done']).toMatchObject({ Type: 'Succeed' });
  });

  test('publishes its state machine ARN', () => {
    template.hasOutput('RollbackStateMachineArn', { Value: ref(view.stateMachineId('rollback')) });
  });
});

describe('state machine roles', () => {
  test.each(WORKFLOWS)('gives the %s role no wildcard resource outside the log-delivery and X-Ray policy', (workflow) => {
    const roleId = view.stateMachineRoleId(workflow);
    const defaultPolicy = view
      .resourcesOfType('AWS::IAM::Policy')
      .filter(([id, policy]) => id.includes('DefaultPolicy') && JSON.stringify(policy.Properties?.Roles) === JSON.stringify([ref(roleId)]));
    expect(defaultPolicy).toHaveLength(1);
    const statements = (defaultPolicy[0][1].Properties?.PolicyDocument as { Statement: Parameters<typeof resourcesOf>[0][] }).Statement;
    for (const statement of statements) {
      expect(resourcesOf(statement)).not.toContain('*');
    }
  });

  test('names the state machines respond, resolve, acknowledge, rollback and weekly-review', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 5);
    for (const workflow of WORKFLOWS) {
      template.hasResource('AWS::StepFunctions::StateMachine', { Metadata: Match.objectLike({ 'firebreak:workflow': workflow }) });
    }
  });
});

describe('respond: harvesting regression cases', () => {
  test('harvests in a branch of Engage Responders of its own, its failure recorded without stopping the others', () => {
    const branch = (statesOf('respond')['Engage Responders'].Branches ?? []).find((b) => b.StartAt === 'Harvest Regression Cases');
    expect(Object.keys(branch?.States ?? {}).sort()).toEqual(['Harvest Regression Cases', 'Record The Harvest Failure']);
    expect(branch?.States['Harvest Regression Cases']).toMatchObject({
      Type: 'Task',
      Parameters: { FunctionName: lambdaArn('harvest-cases'), Payload: { 'incidentId.$': '$.record.incidentId' } },
      ResultPath: null,
      End: true,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record The Harvest Failure' }],
    });
    expect(branch?.States['Record The Harvest Failure'].Parameters).toEqual({
      FunctionName: lambdaArn('record-task-failure'),
      Payload: { 'incidentId.$': '$.record.incidentId', task: 'harvest-cases', 'error.$': '$.error' },
    });
  });
});
