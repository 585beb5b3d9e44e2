import { Match, Template } from 'aws-cdk-lib/assertions';
import { localLambdaArn } from '../../lib/resolve-definition';
import type { CloudFormationTemplate } from '../../lib/synth';
import { testTemplate } from '../support/template';
import {
  HANDLERS,
  TemplateView,
  WORKFLOWS,
  actionsOf,
  arnOf,
  ref,
  resourcesOf,
  statementsOf,
  type HandlerName,
} from './template-view';

const TRANSIENT_ERRORS = [
  'IncidentVersionConflictError',
  'IncidentStoreError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

let raw: CloudFormationTemplate;
let template: Template;
let view: TemplateView;

beforeAll(() => {
  // Synthesized once per jest run by test/support/global-setup.ts.
  raw = testTemplate();
  template = Template.fromJSON(raw);
  view = new TemplateView(raw);
});

function resourcesOfType(type: string): ReturnType<TemplateView['resourcesOfType']> {
  return view.resourcesOfType(type);
}

function functionId(handler: HandlerName): string {
  return view.functionId(handler);
}

function functionProperties(handler: HandlerName): Record<string, unknown> {
  return view.functionProperties(handler);
}

function environmentOf(handler: HandlerName): Record<string, unknown> {
  return view.environmentOf(handler);
}

function roleIdOf(handler: HandlerName): string {
  return view.roleIdOf(handler);
}

function stateMachineId(): string {
  return view.stateMachineId('respond');
}

function respondDefinition(): ReturnType<TemplateView['definition']> {
  return view.definition('respond');
}

function queueIds(): string[] {
  return resourcesOfType('AWS::SQS::Queue').map(([id]) => id);
}

describe('incident table', () => {
  test('keys items by PK and SK, billed on demand, with point-in-time recovery, encryption and retention', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'PK', KeyType: 'HASH' },
          { AttributeName: 'SK', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      }),
    });
  });

  test('indexes open items on GSI1 and incidents by week on GSI2, projecting all attributes', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: Match.arrayWith(
        ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK'].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      ),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'GSI1',
          KeySchema: [
            { AttributeName: 'GSI1PK', KeyType: 'HASH' },
            { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'GSI2',
          KeySchema: [
            { AttributeName: 'GSI2PK', KeyType: 'HASH' },
            { AttributeName: 'GSI2SK', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });
});

describe('functions', () => {
  test('defines exactly the seventeen handlers, each tagged with its firebreak:handler entry', () => {
    const handlers = resourcesOfType('AWS::Lambda::Function').map(([, resource]) => resource.Metadata?.['firebreak:handler']);
    expect(handlers.sort()).toEqual(HANDLERS.map((name) => `lambdas/handlers/${name}.ts#handler`));
  });

  test.each(HANDLERS)('runs %s on nodejs22.x arm64 with active tracing and 512 MB', (handler) => {
    expect(functionProperties(handler)).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      TracingConfig: { Mode: 'Active' },
    });
    expect(environmentOf(handler)).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'firebreak',
      NODE_OPTIONS: '--enable-source-maps',
      FIREBREAK_POLICY_FILE: '/var/task/slos.yaml',
      TABLE_NAME: ref(resourcesOfType('AWS::DynamoDB::Table')[0][0]),
    });
  });

  test.each(HANDLERS.filter((handler) => handler !== 'slack-events'))('gives %s a 30-second timeout', (handler) => {
    expect(functionProperties(handler).Timeout).toBe(30);
  });

  test('gives slack-events a 10-second timeout: Slack wants an answer within 3 seconds', () => {
    expect(functionProperties('slack-events').Timeout).toBe(10);
  });

  test.each(HANDLERS)('writes %s logs to a log group of its own with a retention', (handler) => {
    const logGroup = (functionProperties(handler).LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(raw.Resources[logGroup]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: expect.any(Number) },
    });
    const usedBy = resourcesOfType('AWS::Lambda::Function').filter(
      ([, resource]) => (resource.Properties?.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref === logGroup,
    );
    expect(usedBy).toHaveLength(1);
  });

  test.each(HANDLERS)('gives %s an explicit role without AWS managed policies', (handler) => {
    expect(raw.Resources[roleIdOf(handler)].Properties).not.toHaveProperty('ManagedPolicyArns');
  });

  test('gives both intake functions the respond state machine ARN', () => {
    for (const handler of ['alertmanager-intake', 'cloudwatch-intake'] as const) {
      expect(environmentOf(handler).RESPOND_STATE_MACHINE_ARN).toEqual(ref(stateMachineId()));
    }
  });
});

describe('respond workflow', () => {
  test('runs as a STANDARD state machine tagged respond, with logging level ALL and tracing', () => {
    template.hasResource('AWS::StepFunctions::StateMachine', {
      Metadata: Match.objectLike({ 'firebreak:workflow': 'respond' }),
      Properties: Match.objectLike({
        StateMachineType: 'STANDARD',
        LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
        TracingConfiguration: { Enabled: true },
      }),
    });
  });

  test('is written in JSONPath with a one-hour execution timeout', () => {
    const definition = respondDefinition();
    expect(definition.QueryLanguage).toBe('JSONPath');
    expect(definition.TimeoutSeconds).toBe(3600);
    for (const state of Object.values(definition.States)) {
      expect(state).not.toHaveProperty('Assign');
      expect(state.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    }
  });

  test('gives the store-only tasks a comment, a 30-second timeout and retries of the named transient errors only', () => {
    const states = respondDefinition().States;
    for (const name of ['Record Or Join The Incident', 'Confirm The Breach', 'Record The Workflow Failure']) {
      expect(states[name].Comment).toEqual(expect.any(String));
      expect(states[name].TimeoutSeconds).toBe(30);
      expect(states[name].Retry).toEqual([
        { ErrorEquals: TRANSIENT_ERRORS, IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 4 },
      ]);
    }
  });

  test('records the signal with the whole execution input and keeps the outcome under $.record', () => {
    const definition = respondDefinition();
    expect(definition.StartAt).toBe('Record Or Join The Incident');
    expect(definition.States['Record Or Join The Incident']).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: localLambdaArn(functionId('record-signal')), 'Payload.$': '$' },
      ResultSelector: {
        'outcome.$': '$.Payload.outcome',
        'incidentId.$': '$.Payload.incidentId',
        'flapHoldUntil.$': '$.Payload.flapHoldUntil',
      },
      ResultPath: '$.record',
      Next: 'Did This Signal Open A New Incident?',
    });
  });

  test('waits out the flap hold only for a signal that opened an unconfirmed incident', () => {
    const states = respondDefinition().States;
    expect(states['Did This Signal Open A New Incident?']).toMatchObject({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.record.outcome', StringEquals: 'opened' },
            { Variable: '$.record.confirmed', BooleanEquals: true },
          ],
          Next: 'Page On-Call',
        },
        { Variable: '$.record.outcome', StringEquals: 'opened', Next: 'Wait Out The Flap Hold' },
        { Variable: '$.record.outcome', StringEquals: 'resolved', Next: 'Start The Resolve Workflow' },
        {
          Or: [
            { Variable: '$.record.outcome', StringEquals: 'joined' },
            { Variable: '$.record.outcome', StringEquals: 'alert-resolved' },
          ],
          Next: 'Tell The Incident Channel',
        },
      ],
      Default: 'Signal Recorded',
    });
    expect(states['Signal Recorded']).toMatchObject({ Type: 'Succeed' });
    expect(states['Wait Out The Flap Hold']).toMatchObject({
      Type: 'Wait',
      TimestampPath: '$.record.flapHoldUntil',
      Next: 'Confirm The Breach',
    });
  });

  test('confirms the breach for the recorded incident, then pages a confirmed breach or ends flapped', () => {
    const states = respondDefinition().States;
    expect(states['Confirm The Breach']).toMatchObject({
      Parameters: {
        FunctionName: localLambdaArn(functionId('confirm-breach')),
        Payload: { 'incidentId.$': '$.record.incidentId', 'signalId.$': '$.signal.id' },
      },
      ResultSelector: { 'confirmed.$': '$.Payload.confirmed', 'status.$': '$.Payload.status' },
      ResultPath: '$.confirmation',
      Next: 'Is The Breach Still Active?',
    });
    expect(states['Is The Breach Still Active?']).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.confirmation.confirmed', BooleanEquals: true, Next: 'Page On-Call' }],
      Default: 'Breach Flapped',
    });
    expect(states['Breach Flapped']).toMatchObject({ Type: 'Succeed' });
  });

  test('catches every error of the main tasks into the failure recorder, which then fails the execution', () => {
    const states = respondDefinition().States;
    for (const name of ['Record Or Join The Incident', 'Confirm The Breach', 'Engage Responders']) {
      expect(states[name].Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record The Workflow Failure' },
      ]);
    }
    expect(states['Record The Workflow Failure']).toMatchObject({
      Parameters: {
        FunctionName: localLambdaArn(functionId('record-workflow-failure')),
        Payload: { 'signal.$': '$.signal', 'error.$': '$.error' },
      },
      ResultPath: null,
      Next: 'Respond Failed',
    });
    expect(states['Respond Failed']).toEqual({
      Type: 'Fail',
      Comment: expect.any(String),
      Error: 'RespondWorkflowFailed',
      Cause: 'the respond workflow failed; see the incident timeline',
    });
  });
});

describe('alert intake', () => {
  test('routes CloudWatch alarm state changes to cloudwatch-intake with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
      }),
      Targets: [
        Match.objectLike({
          Arn: arnOf(functionId('cloudwatch-intake')),
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } },
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: Match.anyValue() }),
        }),
      ],
    });
  });

  test('ignores state changes of its own pipeline alarms', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['aws.cloudwatch'],
        detail: { alarmName: [{ 'anything-but': { prefix: 'firebreak-pipeline-' } }] },
      }),
    });
  });

  test('subscribes cloudwatch-intake to the KMS-encrypted, TLS-only alarm topic with a dead-letter queue', () => {
    const topicId = (raw.Outputs?.AlarmTopicArn?.Value as { Ref: string }).Ref;
    expect(raw.Resources[topicId]).toMatchObject({
      Type: 'AWS::SNS::Topic',
      Properties: { KmsMasterKeyId: arnOf(expect.any(String)) },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: ref(topicId),
      Endpoint: arnOf(functionId('cloudwatch-intake')),
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ref(topicId)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('sends asynchronous invocations of cloudwatch-intake that failed every retry to a dead-letter queue', () => {
    expect(functionProperties('cloudwatch-intake').DeadLetterConfig).toEqual({ TargetArn: arnOf(expect.any(String)) });
  });

  test('serves the Alertmanager webhook on an HTTPS Function URL whose handler checks the bearer token', () => {
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: arnOf(functionId('alertmanager-intake')),
    });
    template.hasOutput('AlertmanagerWebhookUrl', {
      Value: { 'Fn::GetAtt': [Match.anyValue(), 'FunctionUrl'] },
    });
  });

  test('keeps the webhook token in a generated secret that only the webhook function can read', () => {
    const secretId = (environmentOf('alertmanager-intake').FIREBREAK_WEBHOOK_TOKEN_SECRET_ARN as { Ref: string }).Ref;
    expect(raw.Resources[secretId].Type).toBe('AWS::SecretsManager::Secret');
    expect(raw.Resources[secretId].Properties?.GenerateSecretString).toBeDefined();
    const readers = resourcesOfType('AWS::IAM::Policy').filter(([, policy]) =>
      statementsOf(policy).some(
        (statement) =>
          actionsOf(statement).includes('secretsmanager:GetSecretValue') &&
          JSON.stringify(resourcesOf(statement)).includes(JSON.stringify(ref(secretId))),
      ),
    );
    expect(readers.map(([, policy]) => policy.Properties?.Roles)).toEqual([[ref(roleIdOf('alertmanager-intake'))]]);
  });

  test('publishes the alarm topic ARN for CloudWatch alarm actions', () => {
    template.hasOutput('AlarmTopicArn', { Value: { Ref: Match.anyValue() } });
  });

  test('makes every queue TLS-only, encrypted and kept for 14 days (the three intake dead-letter queues and the review schedule\'s)', () => {
    expect(queueIds()).toHaveLength(4);
    for (const id of queueIds()) {
      expect(raw.Resources[id].Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(id)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });
});

describe('pipeline alarms', () => {
  function pipelineTopicId(): string {
    return (raw.Outputs?.PipelineAlarmTopicArn?.Value as { Ref: string }).Ref;
  }

  test('encrypts the pipeline alarm topic with a customer-managed key', () => {
    expect(raw.Resources[pipelineTopicId()]).toMatchObject({
      Type: 'AWS::SNS::Topic',
      Properties: { KmsMasterKeyId: arnOf(expect.any(String)) },
    });
  });

  test.each(
    WORKFLOWS.flatMap((workflow) =>
      ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((metricName) => [metricName, workflow] as const),
    ),
  )(
    'alarms on %s of the %s workflow, at one in five minutes, to the pipeline topic',
    (metricName, workflow) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: Match.stringLikeRegexp(`^firebreak-pipeline-Firebreak-${workflow}-`),
        Namespace: 'AWS/States',
        MetricName: metricName,
        Dimensions: [{ Name: 'StateMachineArn', Value: ref(view.stateMachineId(workflow)) }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [ref(pipelineTopicId())],
      });
    },
  );

  test('alarms on the first visible message of each dead-letter queue', () => {
    for (const id of queueIds()) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [ref(pipelineTopicId())],
      });
    }
  });

  test.each(HANDLERS)('alarms on errors of %s', (handler) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `firebreak-pipeline-Firebreak-${handler}-errors`,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: ref(functionId(handler)) }],
      Threshold: 1,
      AlarmActions: [ref(pipelineTopicId())],
    });
  });

  test('names every alarm with the prefix the CloudWatch intake ignores', () => {
    for (const [, alarm] of resourcesOfType('AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties?.AlarmName).toMatch(/^firebreak-pipeline-/);
    }
  });

  test('forwards failed, timed-out and aborted executions of every workflow to the pipeline topic', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: WORKFLOWS.map((workflow) => ref(view.stateMachineId(workflow))),
        },
      },
      Targets: [Match.objectLike({ Arn: ref(pipelineTopicId()) })],
    });
  });
});

describe('IAM', () => {
  function starters(): { roles: unknown; resources: unknown[]; effect: string }[] {
    return resourcesOfType('AWS::IAM::Policy').flatMap(([, policy]) =>
      statementsOf(policy)
        .filter((statement) => actionsOf(statement).some((action) => /^states:(StartExecution|\*)$/.test(action) || action === '*'))
        .map((statement) => ({ roles: policy.Properties?.Roles, resources: resourcesOf(statement), effect: statement.Effect })),
    );
  }

  test('lets only the intake functions, the Slack and PagerDuty endpoints and respond start executions, each of its own workflows only', () => {
    const respond = ref(view.stateMachineId('respond'));
    const resolve = ref(view.stateMachineId('resolve'));
    const acknowledge = ref(view.stateMachineId('acknowledge'));
    const rollback = ref(view.stateMachineId('rollback'));
    const byRole = new Map<string, unknown[]>();
    for (const starter of starters()) {
      expect(starter.effect).toBe('Allow');
      const key = JSON.stringify(starter.roles);
      byRole.set(key, [...(byRole.get(key) ?? []), ...starter.resources]);
    }
    const sorted = (resources: unknown[]): string[] => resources.map((resource) => JSON.stringify(resource)).sort();
    const expected = new Map<string, unknown[]>([
      [JSON.stringify([ref(roleIdOf('alertmanager-intake'))]), [respond]],
      [JSON.stringify([ref(roleIdOf('cloudwatch-intake'))]), [respond]],
      [JSON.stringify([ref(roleIdOf('slack-events'))]), [resolve, acknowledge, rollback]],
      [JSON.stringify([ref(roleIdOf('pagerduty-webhook'))]), [resolve, acknowledge]],
      [JSON.stringify([ref(view.stateMachineRoleId('respond'))]), [resolve]],
      // EventBridge Scheduler starts the weekly review.
      [JSON.stringify([ref(scheduleRoleId())]), [ref(view.stateMachineId('weekly-review'))]],
    ]);
    expect([...byRole.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [role, resources] of expected) {
      expect({ role, resources: sorted(byRole.get(role) ?? []) }).toEqual({ role, resources: sorted(resources) });
    }
  });

  test.each([
    [
      'respond',
      [
        'check-recovery',
        'confirm-breach',
        'contain-model',
        'escalate-incident',
        'harvest-cases',
        'open-channel',
        'page-oncall',
        'record-signal',
        'record-task-failure',
        'record-workflow-failure',
        'settle-rollback-approval',
        'update-channel',
      ],
    ],
    ['resolve', ['draft-postmortem', 'harvest-cases', 'record-task-failure', 'resolve-page', 'update-channel']],
    ['acknowledge', ['acknowledge-page', 'record-task-failure', 'update-channel']],
    ['rollback', ['check-recovery', 'escalate-incident', 'record-task-failure', 'roll-back-model', 'update-channel']],
  ] as const)('lets the %s state machine invoke only its task functions', (workflow, handlers) => {
    expect(view.invokableFunctionIds(view.stateMachineRoleId(workflow))).toEqual(handlers.map(functionId).sort());
  });
});

/** The logical id of the weekly review schedule's role. */
function scheduleRoleId(): string {
  const ids = Object.entries(raw.Resources)
    .filter(([id, resource]) => resource.Type === 'AWS::IAM::Role' && id.startsWith('WeeklyReviewWorkflowScheduleRole'))
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0] ?? '';
}
