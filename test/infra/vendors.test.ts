import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { vendorSettingsEnvironment, vendorSettingsFromContext } from '../../lib/constructs/vendor-credentials';
import { FirebreakStack } from '../../lib/firebreak-stack';
import type { CloudFormationTemplate } from '../../lib/synth';
import { testTemplate } from '../support/template';
import {
  HANDLERS,
  TemplateView,
  VENDOR_HANDLERS,
  actionsOf,
  ref,
  resourcesOf,
  statementsOf,
  type HandlerName,
} from './template-view';

const SETTINGS_VARIABLES = ['PAGERDUTY_SERVER', 'SLACK_API_URL', 'FIREBREAK_RESPONDERS', 'FIREBREAK_PUBLIC_URL'];

let raw: CloudFormationTemplate;
let template: Template;
let view: TemplateView;

beforeAll(() => {
  // Synthesized once per jest run by test/support/global-setup.ts.
  raw = testTemplate();
  template = Template.fromJSON(raw);
  view = new TemplateView(raw);
});

function vendorSecretId(): string {
  const value = raw.Outputs?.VendorCredentialsSecretArn?.Value as { Ref: string };
  return value.Ref;
}

function secretReaders(secretId: string): unknown[] {
  return view
    .resourcesOfType('AWS::IAM::Policy')
    .filter(([, policy]) =>
      statementsOf(policy).some(
        (statement) =>
          actionsOf(statement).some((action) => action.startsWith('secretsmanager:') || action === '*') &&
          JSON.stringify(resourcesOf(statement)).includes(JSON.stringify(ref(secretId))),
      ),
    )
    .map(([, policy]) => policy.Properties?.Roles);
}

describe('vendor credentials', () => {
  test('keep the PagerDuty and Slack credentials in one secret, created from an empty placeholder template', () => {
    const secret = raw.Resources[vendorSecretId()];
    expect(secret.Type).toBe('AWS::SecretsManager::Secret');
    const generate = secret.Properties?.GenerateSecretString as { SecretStringTemplate: string; GenerateStringKey: string };
    expect(JSON.parse(generate.SecretStringTemplate)).toEqual({
      PAGERDUTY_ROUTING_KEY: '',
      PAGERDUTY_API_TOKEN: '',
      PAGERDUTY_WEBHOOK_SECRET: '',
      SLACK_BOT_TOKEN: '',
      SLACK_SIGNING_SECRET: '',
    });
    expect(generate.GenerateStringKey).toBe('placeholder');
  });

  test('tell the operator in the output to overwrite the placeholder', () => {
    const output = raw.Outputs?.VendorCredentialsSecretArn;
    expect(output?.Description).toMatch(/placeholder/);
    expect(output?.Description).toMatch(/overwrite/);
    for (const key of ['PAGERDUTY_ROUTING_KEY', 'PAGERDUTY_API_TOKEN', 'PAGERDUTY_WEBHOOK_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']) {
      expect(output?.Description).toContain(key);
    }
  });

  test.each(VENDOR_HANDLERS)('give %s the secret ARN', (handler) => {
    expect(view.environmentOf(handler).FIREBREAK_VENDOR_SECRET_ARN).toEqual(ref(vendorSecretId()));
  });

  test.each(HANDLERS.filter((handler) => !VENDOR_HANDLERS.includes(handler)))('give %s neither the secret ARN nor vendor settings', (handler) => {
    const environment = view.environmentOf(handler);
    expect(environment).not.toHaveProperty('FIREBREAK_VENDOR_SECRET_ARN');
    for (const variable of SETTINGS_VARIABLES) expect(environment).not.toHaveProperty(variable);
  });

  test('let exactly the eight vendor functions read the secret (least privilege: not record-signal, not record-task-failure)', () => {
    const readers = secretReaders(vendorSecretId()).map((roles) => JSON.stringify(roles)).sort();
    expect(readers).toEqual(VENDOR_HANDLERS.map((handler) => JSON.stringify([ref(view.roleIdOf(handler))])).sort());
    expect(readers).not.toContain(JSON.stringify([ref(view.roleIdOf('record-signal'))]));
    expect(readers).not.toContain(JSON.stringify([ref(view.roleIdOf('record-task-failure'))]));
  });

  test('grant reading the value only, not changing it', () => {
    const actions = view
      .resourcesOfType('AWS::IAM::Policy')
      .flatMap(([, policy]) => statementsOf(policy))
      .filter((statement) => JSON.stringify(resourcesOf(statement)).includes(JSON.stringify(ref(vendorSecretId()))))
      .flatMap(actionsOf);
    expect([...new Set(actions)].sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
  });

  test('leave the optional settings out when the context has none', () => {
    for (const handler of VENDOR_HANDLERS) {
      for (const variable of SETTINGS_VARIABLES) expect(view.environmentOf(handler)).not.toHaveProperty(variable);
    }
  });
});

describe('vendor settings', () => {
  test('are read from CDK context and passed to every vendor function only', () => {
    const app = new App({
      context: {
        'aws:cdk:bundling-stacks': [],
        pagerDutyServer: 'events.pagerduty.example:8443',
        slackApiUrl: 'https://slack.example/api/',
        responders: ['U0123ABCD', 'U0456EFGH'],
        publicUrl: 'https://firebreak.example.com',
      },
    });
    const stack = new FirebreakStack(app, 'Firebreak');
    const withContext = new TemplateView(Template.fromStack(stack).toJSON() as CloudFormationTemplate);
    for (const handler of VENDOR_HANDLERS) {
      expect(withContext.environmentOf(handler)).toMatchObject({
        PAGERDUTY_SERVER: 'events.pagerduty.example:8443',
        SLACK_API_URL: 'https://slack.example/api/',
        FIREBREAK_RESPONDERS: 'U0123ABCD,U0456EFGH',
        FIREBREAK_PUBLIC_URL: 'https://firebreak.example.com',
      });
    }
    for (const handler of ['record-signal', 'record-task-failure', 'alertmanager-intake'] as HandlerName[]) {
      for (const variable of SETTINGS_VARIABLES) expect(withContext.environmentOf(handler)).not.toHaveProperty(variable);
    }
  });

  test('turn only the settings that are set into environment variables', () => {
    expect(vendorSettingsEnvironment({})).toEqual({});
    expect(vendorSettingsEnvironment({ slackApiUrl: ' https://slack.example/api/ ', publicUrl: '' })).toEqual({
      SLACK_API_URL: 'https://slack.example/api/',
    });
    expect(vendorSettingsEnvironment({ responders: 'S0GROUP' })).toEqual({ FIREBREAK_RESPONDERS: 'S0GROUP' });
  });

  test('refuse a context value of the wrong type', () => {
    const app = new App({ context: { publicUrl: 42 } });
    expect(() => vendorSettingsFromContext(app.node)).toThrow(/publicUrl must be a string/);
  });
});

describe('inbound endpoints', () => {
  test.each([
    ['slack-events', 'SlackRequestUrl'],
    ['pagerduty-webhook', 'PagerDutyWebhookUrl'],
  ] as const)('serve %s on an HTTPS Function URL without IAM auth (the handler verifies the vendor signature), as %s', (handler, output) => {
    const urls = view
      .resourcesOfType('AWS::Lambda::Url')
      .filter(([, url]) => JSON.stringify(url.Properties?.TargetFunctionArn) === JSON.stringify({ 'Fn::GetAtt': [view.functionId(handler), 'Arn'] }));
    expect(urls).toHaveLength(1);
    expect(urls[0][1].Properties).toMatchObject({ AuthType: 'NONE' });
    template.hasOutput(output, { Value: { 'Fn::GetAtt': [urls[0][0], 'FunctionUrl'] } });
  });

  test('say that the Slack URL serves both the slash command and interactivity', () => {
    expect(raw.Outputs?.SlackRequestUrl?.Description).toMatch(/slash command/);
    expect(raw.Outputs?.SlackRequestUrl?.Description).toMatch(/Interactivity/i);
  });

  test.each(['slack-events', 'pagerduty-webhook'] as const)('give %s the table and the resolve and acknowledge state machines', (handler) => {
    expect(view.environmentOf(handler)).toMatchObject({
      TABLE_NAME: ref(view.resourcesOfType('AWS::DynamoDB::Table')[0][0]),
      RESOLVE_STATE_MACHINE_ARN: ref(view.stateMachineId('resolve')),
      ACKNOWLEDGE_STATE_MACHINE_ARN: ref(view.stateMachineId('acknowledge')),
    });
    expect(view.environmentOf(handler)).not.toHaveProperty('RESPOND_STATE_MACHINE_ARN');
  });

  test('serve no other function on a Function URL than the three webhooks', () => {
    const targets = view
      .resourcesOfType('AWS::Lambda::Url')
      .map(([, url]) => (url.Properties?.TargetFunctionArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0])
      .sort();
    expect(targets).toEqual((['alertmanager-intake', 'pagerduty-webhook', 'slack-events'] as const).map((h) => view.functionId(h)).sort());
  });
});

describe('task functions', () => {
  const TASK_FUNCTIONS = [
    'page-oncall',
    'open-channel',
    'resolve-page',
    'acknowledge-page',
    'update-channel',
    'escalate-incident',
    'record-task-failure',
    'contain-model',
    'roll-back-model',
    'check-recovery',
    'settle-rollback-approval',
  ] as const;

  test.each(TASK_FUNCTIONS)(
    'give %s the table name and item read/write on the table and its named indexes only',
    (handler) => {
      const tableId = view.resourcesOfType('AWS::DynamoDB::Table')[0][0];
      expect(view.environmentOf(handler).TABLE_NAME).toEqual(ref(tableId));
      const dynamo = view.statementsOfRole(view.roleIdOf(handler)).filter((statement) => actionsOf(statement).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo).toHaveLength(1);
      expect(actionsOf(dynamo[0])).not.toContain('dynamodb:Scan');
      expect(JSON.stringify(dynamo[0].Resource)).not.toContain('/index/*');
    },
  );

  test.each(['page-oncall', 'open-channel'] as const)('give %s the SLO policy file', (handler) => {
    expect(view.environmentOf(handler).FIREBREAK_POLICY_FILE).toBe('/var/task/slos.yaml');
  });

  test('do not let the task functions start workflows', () => {
    for (const handler of TASK_FUNCTIONS) {
      const actions = view.statementsOfRole(view.roleIdOf(handler)).flatMap(actionsOf);
      expect(actions.filter((action) => action.startsWith('states:'))).toEqual([]);
    }
  });

  test('give no function role a wildcard resource outside its X-Ray policy (and the metric read policy of check-recovery)', () => {
    for (const handler of HANDLERS) {
      const statements = view
        .resourcesOfType('AWS::IAM::Policy')
        .filter(([id]) => !id.includes('XRayWritePolicy'))
        // cloudwatch:GetMetricData has no resource-level permissions; verify-recovery.test.ts pins that policy down.
        .filter(([id]) => !(handler === 'check-recovery' && id.includes('MetricReadPolicy')))
        .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([ref(view.roleIdOf(handler))]))
        .flatMap(([, policy]) => statementsOf(policy));
      for (const statement of statements) {
        expect({ handler, resources: resourcesOf(statement) }).toEqual({ handler, resources: expect.not.arrayContaining(['*']) });
      }
    }
  });
});
