import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { AcknowledgeWorkflow, AcknowledgeStateNames } from '../../lib/constructs/acknowledge-workflow';
import { CorpusHarvest } from '../../lib/constructs/corpus-harvest';
import { EngagementFunctions } from '../../lib/constructs/engagement-functions';
import { IncidentTable } from '../../lib/constructs/incident-table';
import { RecordsAccess } from '../../lib/constructs/records-access';
import { DEPLOYED_POSTMORTEM_TEMPLATE, ResolveStateNames, ResolveWorkflow } from '../../lib/constructs/resolve-workflow';
import { VendorCredentials } from '../../lib/constructs/vendor-credentials';
import { localLambdaArn, localPlaceholderResolver, resolveDefinition, type StatesDefinition } from '../../lib/resolve-definition';
import type { CloudFormationTemplate } from '../../lib/synth';
import { actionsOf, allStates, ref, type State, type Statement } from './template-view';

/*
 * The resolve workflow on its own: a stack with only what it needs (and the
 * acknowledge workflow, which shares FollowUpWorkflow), so these tests do not
 * depend on how the whole Firebreak stack wires it.
 */

const LAMBDA_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];
const TRANSIENT_RETRY = { ErrorEquals: ['IncidentVersionConflictError', 'IncidentStoreError', ...LAMBDA_ERRORS], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 4 };
const VENDOR_RETRY = { ErrorEquals: ['VendorTransientError'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 5 };
const RECORDS_RETRY = { ErrorEquals: ['RecordsRepositoryError'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 3 };

let template: CloudFormationTemplate;
let outdir: string;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'ResolveOnly');
  const incidentTable = new IncidentTable(stack, 'IncidentTable');
  const vendorCredentials = new VendorCredentials(stack, 'VendorCredentials');
  const engagement = new EngagementFunctions(stack, 'Engagement', { incidentTable, vendorCredentials });
  const records = new RecordsAccess(stack, 'Records');
  const harvest = new CorpusHarvest(stack, 'CorpusHarvest', { incidentTable, records, vendorCredentials });
  new ResolveWorkflow(stack, 'ResolveWorkflow', { engagement, harvestCases: harvest.harvestCases, incidentTable, vendorCredentials, records });
  new AcknowledgeWorkflow(stack, 'AcknowledgeWorkflow', { engagement });
  const assembly = app.synth();
  outdir = assembly.directory;
  template = assembly.getStackByName(stack.stackName).template as CloudFormationTemplate;
});

function resourcesOfType(type: string): [string, CloudFormationTemplate['Resources'][string]][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

function functionId(handler: string): string {
  const found = resourcesOfType('AWS::Lambda::Function').filter(([, r]) => r.Metadata?.['firebreak:handler'] === `lambdas/handlers/${handler}.ts#handler`);
  if (found.length !== 1) throw new Error(`expected one function for ${handler}, found ${found.length}`);
  return found[0][0];
}

function stateMachineId(workflow: string): string {
  const found = resourcesOfType('AWS::StepFunctions::StateMachine').filter(([, r]) => r.Metadata?.['firebreak:workflow'] === workflow);
  if (found.length !== 1) throw new Error(`expected one state machine for ${workflow}, found ${found.length}`);
  return found[0][0];
}

function definitionOf(workflow: string): StatesDefinition {
  return resolveDefinition(template.Resources[stateMachineId(workflow)].Properties?.DefinitionString, localPlaceholderResolver(template));
}

function statesOf(workflow: string): Record<string, State> {
  return allStates(definitionOf(workflow));
}

function statementsOfRole(roleId: string): Statement[] {
  return resourcesOfType('AWS::IAM::Policy')
    .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([ref(roleId)]))
    .flatMap(([, policy]) => (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
}

function roleIdOf(resource: CloudFormationTemplate['Resources'][string], property: 'Role' | 'RoleArn'): string {
  return (resource.Properties?.[property] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

const lambdaArn = (handler: string): string => localLambdaArn(functionId(handler));

describe('the resolve workflow', () => {
  test('has exactly its documented state names', () => {
    expect(Object.keys(statesOf('resolve')).sort()).toEqual(Object.values(ResolveStateNames).sort());
  });

  test('closes out the page and the channel, then harvests the cases, then drafts the postmortem, then succeeds', () => {
    const definition = definitionOf('resolve');
    const states = statesOf('resolve');
    expect(definition.StartAt).toBe('Close Out The Incident');
    expect(states['Close Out The Incident']).toMatchObject({ Type: 'Parallel', ResultPath: null, Next: 'Harvest Regression Cases' });
    expect(states['Harvest Regression Cases']).toMatchObject({ Type: 'Task', Next: 'Draft The Postmortem' });
    expect(states['Draft The Postmortem']).toMatchObject({ Type: 'Task', Next: 'Incident Resolved' });
    expect(states['Incident Resolved']).toMatchObject({ Type: 'Succeed' });
  });

  test('ends every path of the top level at Incident Resolved, failures included', () => {
    const topLevel = definitionOf('resolve').States as Record<string, State>;
    for (const [name, state] of Object.entries(topLevel)) {
      if (name === 'Incident Resolved') continue;
      expect({ name, end: state.End }).toEqual({ name, end: undefined });
      expect({ name, next: state.Next }).toEqual({ name, next: expect.any(String) });
    }
  });

  test('harvests with the incident id only, keeping the counts and case ids under $.harvest', () => {
    expect(statesOf('resolve')['Harvest Regression Cases']).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: lambdaArn('harvest-cases'), Payload: { 'incidentId.$': '$.incidentId' } },
      ResultSelector: { 'created.$': '$.Payload.created', 'merged.$': '$.Payload.merged', 'skipped.$': '$.Payload.skipped', 'caseIds.$': '$.Payload.caseIds' },
      ResultPath: '$.harvest',
      TimeoutSeconds: 30,
    });
  });

  test('drafts the postmortem with the incident id only, keeping path, link, existing and closed under $.postmortem', () => {
    expect(statesOf('resolve')['Draft The Postmortem']).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: lambdaArn('draft-postmortem'), Payload: { 'incidentId.$': '$.incidentId' } },
      ResultSelector: { 'path.$': '$.Payload.path', 'link.$': '$.Payload.link', 'existing.$': '$.Payload.existing', 'closed.$': '$.Payload.closed' },
      ResultPath: '$.postmortem',
      TimeoutSeconds: 30,
    });
  });

  test.each(['Harvest Regression Cases', 'Draft The Postmortem'])('retries VendorTransientError (2 s ×5), RecordsRepositoryError (5 s ×3) and the transient errors in "%s"', (name) => {
    expect(statesOf('resolve')[name].Retry).toEqual([VENDOR_RETRY, RECORDS_RETRY, TRANSIENT_RETRY]);
  });

  test.each([
    ['Harvest Regression Cases', 'Record The Harvest Failure', 'harvest-cases', 'Draft The Postmortem'],
    ['Draft The Postmortem', 'Record The Postmortem Draft Failure', 'draft-postmortem', 'Incident Resolved'],
  ])('catches every failure of "%s" into "%s" (task %s), then goes on to "%s"', (task, recorder, taskName, next) => {
    const states = statesOf('resolve');
    expect(states[task].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: recorder }]);
    expect(states[recorder]).toMatchObject({
      Type: 'Task',
      Parameters: { FunctionName: lambdaArn('record-task-failure'), Payload: { 'incidentId.$': '$.incidentId', task: taskName, 'error.$': '$.error' } },
      ResultPath: null,
      Retry: [TRANSIENT_RETRY],
      Next: next,
    });
  });

  test('lets its state machine invoke exactly its five task functions (and their versions)', () => {
    const roleId = roleIdOf(template.Resources[stateMachineId('resolve')], 'RoleArn');
    const invoked = statementsOfRole(roleId).filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction'));
    const ids = new Set(JSON.stringify(invoked).match(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g)?.map((m) => m.split('"')[3]));
    expect([...ids].sort()).toEqual(['draft-postmortem', 'harvest-cases', 'record-task-failure', 'resolve-page', 'update-channel'].map(functionId).sort());
  });

  test('says in its comments that it harvests the cases and drafts the postmortem', () => {
    expect(definitionOf('resolve').Comment).toBe(
      'resolve: resolve the PagerDuty incident and update the Slack incident channel, then harvest the regression cases and draft the postmortem, which closes the incident',
    );
    expect(statesOf('resolve')['Incident Resolved'].Comment).toContain('draft the postmortem');
  });
});

describe('the draft-postmortem function', () => {
  const environment = (handler: string): Record<string, unknown> =>
    (template.Resources[functionId(handler)].Properties?.Environment as { Variables: Record<string, unknown> }).Variables;

  test('gets the table, the vendor secret, the records repository and the deployed template path', () => {
    expect(environment('draft-postmortem')).toMatchObject({
      TABLE_NAME: ref(resourcesOfType('AWS::DynamoDB::Table')[0][0]),
      FIREBREAK_VENDOR_SECRET_ARN: ref(resourcesOfType('AWS::SecretsManager::Secret')[0][0]),
      FIREBREAK_RECORDS_REPO: { 'Fn::Join': ['', ['codecommit://', { 'Fn::GetAtt': [resourcesOfType('AWS::CodeCommit::Repository')[0][0], 'Name'] }]] },
      FIREBREAK_POSTMORTEM_TEMPLATE: DEPLOYED_POSTMORTEM_TEMPLATE,
    });
  });

  test('has the environment of harvest-cases plus the template path', () => {
    expect(environment('draft-postmortem')).toEqual({ ...environment('harvest-cases'), FIREBREAK_POSTMORTEM_TEMPLATE: DEPLOYED_POSTMORTEM_TEMPLATE });
  });

  test('may write the table, read the vendor secret and commit to the records repository', () => {
    const statements = statementsOfRole(roleIdOf(template.Resources[functionId('draft-postmortem')], 'Role'));
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'secretsmanager:GetSecretValue', 'codecommit:CreateCommit', 'codecommit:GetFile']));
    expect(actions.filter((action) => action.startsWith('lambda:') || action.startsWith('states:'))).toEqual([]);
  });

  test('runs with the postmortem template layer, which holds exactly runbooks/postmortem-template.md', () => {
    const layers = resourcesOfType('AWS::Lambda::LayerVersion');
    expect(layers).toHaveLength(1);
    const [layerId, layer] = layers[0];
    expect(template.Resources[functionId('draft-postmortem')].Properties?.Layers).toEqual([ref(layerId)]);
    const key = (layer.Properties?.Content as { S3Key: string }).S3Key.replace(/\.zip$/, '');
    const dir = path.join(outdir, `asset.${key}`);
    expect(fs.readdirSync(dir)).toEqual(['postmortem-template.md']);
    expect(fs.readFileSync(path.join(dir, 'postmortem-template.md'), 'utf8')).toBe(
      fs.readFileSync(path.join(__dirname, '..', '..', 'runbooks', 'postmortem-template.md'), 'utf8'),
    );
    expect(DEPLOYED_POSTMORTEM_TEMPLATE).toBe('/opt/postmortem-template.md');
  });

  test('is the only function with the layer: harvest-cases and the others run without it', () => {
    const withLayers = resourcesOfType('AWS::Lambda::Function').filter(([, r]) => r.Properties?.Layers !== undefined).map(([id]) => id);
    expect(withLayers).toEqual([functionId('draft-postmortem')]);
  });
});

describe('the acknowledge workflow, which shares FollowUpWorkflow', () => {
  test('keeps its own states only, the Parallel going straight to its Succeed', () => {
    const states = statesOf('acknowledge');
    expect(Object.keys(states).sort()).toEqual(Object.values(AcknowledgeStateNames).sort());
    expect(states['Spread The Acknowledgement']).toMatchObject({ Type: 'Parallel', Next: 'Acknowledgement Spread' });
    expect(definitionOf('acknowledge').Comment).toBe('acknowledge: acknowledge the PagerDuty incident and update the Slack incident channel');
  });

  test('may invoke only acknowledge-page, update-channel and record-task-failure', () => {
    const roleId = roleIdOf(template.Resources[stateMachineId('acknowledge')], 'RoleArn');
    const invoked = statementsOfRole(roleId).filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction'));
    const ids = new Set(JSON.stringify(invoked).match(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g)?.map((m) => m.split('"')[3]));
    expect([...ids].sort()).toEqual(['acknowledge-page', 'record-task-failure', 'update-channel'].map(functionId).sort());
  });
});
