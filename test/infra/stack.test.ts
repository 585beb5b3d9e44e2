import { Match, Template } from 'aws-cdk-lib/assertions';
import { localLambdaArn, localPlaceholderResolver, resolveDefinition, type StatesDefinition } from '../../lib/resolve-definition';
import type { CloudFormationResource, CloudFormationTemplate } from '../../lib/synth';
import { testTemplate } from '../support/template';

const HANDLERS = [
  'alertmanager-intake',
  'cloudwatch-intake',
  'confirm-breach',
  'record-signal',
  'record-workflow-failure',
] as const;
type HandlerName = (typeof HANDLERS)[number];

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

beforeAll(() => {
  // Synthesized once per jest run by test/support/global-setup.ts.
  raw = testTemplate();
  template = Template.fromJSON(raw);
});

function resourcesOfType(type: string): [string, CloudFormationResource][] {
  return Object.entries(raw.Resources).filter(([, resource]) => resource.Type === type);
}

function onlyResourceOfType(type: string): [string, CloudFormationResource] {
  const found = resourcesOfType(type);
  expect(found).toHaveLength(1);
  return found[0];
}

function functionId(handler: HandlerName): string {
  const found = resourcesOfType('AWS::Lambda::Function').filter(
    ([, resource]) => resource.Metadata?.['firebreak:handler'] === `lambdas/handlers/${handler}.ts#handler`,
  );
  expect(found).toHaveLength(1);
  return found[0][0];
}

function functionProperties(handler: HandlerName): Record<string, unknown> {
  return raw.Resources[functionId(handler)].Properties ?? {};
}

function environmentOf(handler: HandlerName): Record<string, unknown> {
  const environment = functionProperties(handler).Environment as { Variables: Record<string, unknown> };
  return environment.Variables;
}

function roleIdOf(handler: HandlerName): string {
  return (functionProperties(handler).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

function stateMachineId(): string {
  return onlyResourceOfType('AWS::StepFunctions::StateMachine')[0];
}

function respondDefinition(): StatesDefinition {
  const [, stateMachine] = onlyResourceOfType('AWS::StepFunctions::StateMachine');
  return resolveDefinition(stateMachine.Properties?.DefinitionString, localPlaceholderResolver(raw));
}

function queueIds(): string[] {
  return resourcesOfType('AWS::SQS::Queue').map(([id]) => id);
}

function ref(id: string): { Ref: string } {
  return { Ref: id };
}

function arnOf(id: string): { 'Fn::GetAtt': [string, string] } {
  return { 'Fn::GetAtt': [id, 'Arn'] };
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
  test('defines exactly the five handlers, each tagged with its firebreak:handler entry', () => {
    const handlers = resourcesOfType('AWS::Lambda::Function').map(([, resource]) => resource.Metadata?.['firebreak:handler']);
    expect(handlers.sort()).toEqual(HANDLERS.map((name) => `lambdas/handlers/${name}.ts#handler`));
  });

  test.each(HANDLERS)('runs %s on nodejs22.x arm64 with active tracing, 512 MB and 30 s', (handler) => {
    expect(functionProperties(handler)).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 30,
      TracingConfig: { Mode: 'Active' },
    });
    expect(environmentOf(handler)).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'firebreak',
      NODE_OPTIONS: '--enable-source-maps',
      FIREBREAK_POLICY_FILE: '/var/task/slos.yaml',
      TABLE_NAME: ref(onlyResourceOfType('AWS::DynamoDB::Table')[0]),
    });
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

  test('has exactly the documented state names', () => {
    expect(Object.keys(respondDefinition().States).sort()).toEqual(
      [
        'Breach Confirmed',
        'Breach Flapped',
        'Confirm The Breach',
        'Did This Signal Open A New Incident?',
        'Is The Breach Still Active?',
        'Record Or Join The Incident',
        'Record The Workflow Failure',
        'Respond Failed',
        'Signal Recorded',
        'Wait Out The Flap Hold',
      ].sort(),
    );
  });

  test('gives every task a comment, a 30-second timeout and retries of the named transient errors only', () => {
    const tasks = Object.values(respondDefinition().States).filter((state) => state.Type === 'Task');
    expect(tasks).toHaveLength(3);
    for (const task of tasks) {
      expect(task.Comment).toEqual(expect.any(String));
      expect(task.TimeoutSeconds).toBe(30);
      expect(task.Retry).toEqual([
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

  test('waits out the flap hold only for a signal that opened an incident', () => {
    const states = respondDefinition().States;
    expect(states['Did This Signal Open A New Incident?']).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.record.outcome', StringEquals: 'opened', Next: 'Wait Out The Flap Hold' }],
      Default: 'Signal Recorded',
    });
    expect(states['Signal Recorded']).toMatchObject({ Type: 'Succeed' });
    expect(states['Wait Out The Flap Hold']).toMatchObject({
      Type: 'Wait',
      TimestampPath: '$.record.flapHoldUntil',
      Next: 'Confirm The Breach',
    });
  });

  test('confirms the breach for the recorded incident and ends confirmed or flapped', () => {
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
      Choices: [{ Variable: '$.confirmation.confirmed', BooleanEquals: true, Next: 'Breach Confirmed' }],
      Default: 'Breach Flapped',
    });
    expect(states['Breach Confirmed']).toMatchObject({ Type: 'Succeed' });
    expect(states['Breach Flapped']).toMatchObject({ Type: 'Succeed' });
  });

  test('catches every error of the main tasks into the failure recorder, which then fails the execution', () => {
    const states = respondDefinition().States;
    for (const name of ['Record Or Join The Incident', 'Confirm The Breach']) {
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
    const [secretId, secret] = onlyResourceOfType('AWS::SecretsManager::Secret');
    expect(secret.Properties?.GenerateSecretString).toBeDefined();
    expect(environmentOf('alertmanager-intake').FIREBREAK_WEBHOOK_TOKEN_SECRET_ARN).toEqual(ref(secretId));
    const readers = resourcesOfType('AWS::IAM::Policy').filter(([, policy]) =>
      statementsOf(policy).some((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue')),
    );
    expect(readers.map(([, policy]) => policy.Properties?.Roles)).toEqual([[ref(roleIdOf('alertmanager-intake'))]]);
  });

  test('publishes the alarm topic ARN for CloudWatch alarm actions', () => {
    template.hasOutput('AlarmTopicArn', { Value: { Ref: Match.anyValue() } });
  });

  test('makes every queue TLS-only, encrypted and kept for 14 days', () => {
    expect(queueIds()).toHaveLength(3);
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

  test.each(['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'])(
    'alarms on %s of the respond workflow, at one in five minutes, to the pipeline topic',
    (metricName) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metricName,
        Dimensions: [{ Name: 'StateMachineArn', Value: ref(stateMachineId()) }],
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

  test('forwards failed, timed-out and aborted respond executions to the pipeline topic', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [ref(stateMachineId())] },
      },
      Targets: [Match.objectLike({ Arn: ref(pipelineTopicId()) })],
    });
  });
});

describe('IAM', () => {
  test('lets only the two intake functions start executions, and only of the respond state machine', () => {
    const starters = resourcesOfType('AWS::IAM::Policy').flatMap(([, policy]) =>
      statementsOf(policy)
        .filter((statement) => actionsOf(statement).some((action) => /^states:(StartExecution|\*)$/.test(action) || action === '*'))
        .map((statement) => ({ roles: policy.Properties?.Roles, resource: statement.Resource, effect: statement.Effect })),
    );
    expect(starters).toEqual(
      expect.arrayContaining([
        { roles: [ref(roleIdOf('alertmanager-intake'))], resource: ref(stateMachineId()), effect: 'Allow' },
        { roles: [ref(roleIdOf('cloudwatch-intake'))], resource: ref(stateMachineId()), effect: 'Allow' },
      ]),
    );
    expect(starters).toHaveLength(2);
  });

  test('lets the state machine invoke only its three task functions', () => {
    const stateMachineRole = (raw.Resources[stateMachineId()].Properties?.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const invoked = resourcesOfType('AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([ref(stateMachineRole)]))
      .flatMap(([, policy]) => statementsOf(policy))
      .filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction'));
    const functionIds = new Set(JSON.stringify(invoked).match(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g)?.map((m) => m.split('"')[3]));
    expect([...functionIds].sort()).toEqual(
      (['confirm-breach', 'record-signal', 'record-workflow-failure'] as const).map(functionId).sort(),
    );
  });
});

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

function statementsOf(policy: CloudFormationResource): Statement[] {
  return (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement;
}

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}
