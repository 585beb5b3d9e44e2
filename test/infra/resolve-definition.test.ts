import {
  DefinitionResolutionError,
  localLambdaArn,
  localPlaceholderResolver,
  localStateMachineArn,
  resolveDefinition,
} from '../../lib/resolve-definition';
import type { CloudFormationTemplate } from '../../lib/synth';

const template: CloudFormationTemplate = {
  Resources: {
    RecordFn: { Type: 'AWS::Lambda::Function' },
    Respond: { Type: 'AWS::StepFunctions::StateMachine' },
    Table: { Type: 'AWS::DynamoDB::Table' },
  },
};
const resolver = localPlaceholderResolver(template);

test('parses a DefinitionString that is plain JSON', () => {
  expect(resolveDefinition('{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}', resolver)).toEqual({
    StartAt: 'A',
    States: { A: { Type: 'Succeed' } },
  });
});

test('replaces Fn::GetAtt, Ref and pseudo parameters inside an Fn::Join', () => {
  const definition = resolveDefinition(
    {
      'Fn::Join': [
        '',
        [
          '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:',
          { Ref: 'AWS::Partition' },
          ':states:::lambda:invoke","Parameters":{"FunctionName":"',
          { 'Fn::GetAtt': ['RecordFn', 'Arn'] },
          '","Machine":"',
          { Ref: 'Respond' },
          '","Table":"',
          { Ref: 'Table' },
          '"},"End":true}}}',
        ],
      ],
    },
    resolver,
  );
  expect(definition.States.A).toEqual({
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: localLambdaArn('RecordFn'), Machine: localStateMachineArn('Respond'), Table: 'Table' },
    End: true,
  });
});

test('uses the placeholder ARN convention of the embedded target', () => {
  expect(resolver({ 'Fn::GetAtt': ['RecordFn', 'Arn'] })).toBe('arn:aws:lambda:local:000000000000:function:RecordFn');
  expect(resolver({ 'Fn::GetAtt': ['Respond', 'Arn'] })).toBe('arn:aws:states:local:000000000000:stateMachine:Respond');
  expect(resolver({ Ref: 'Respond' })).toBe('arn:aws:states:local:000000000000:stateMachine:Respond');
  expect(resolver({ Ref: 'Table' })).toBe('Table');
});

test('escapes a resolved value that is spliced into a JSON string', () => {
  const definition = resolveDefinition(
    { 'Fn::Join': ['', ['{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"', { Ref: 'Quoted' }, '","End":true}}}']] },
    () => 'say "hi"\\',
  );
  expect(definition.States.A.Result).toBe('say "hi"\\');
});

test('refuses a Fn::GetAtt that has no local placeholder', () => {
  expect(() => resolver({ 'Fn::GetAtt': ['Table', 'StreamArn'] })).toThrow(DefinitionResolutionError);
});

test('refuses an intrinsic function other than Ref, Fn::GetAtt and Fn::Join', () => {
  expect(() => resolveDefinition({ 'Fn::Sub': '{"StartAt":"A"}' }, resolver)).toThrow(/unsupported intrinsic function Fn::Sub/);
});

test('refuses text that is not a state machine definition', () => {
  expect(() => resolveDefinition('{"not":"asl"}', resolver)).toThrow(/no StartAt and States/);
  expect(() => resolveDefinition('{', resolver)).toThrow(/not JSON/);
});
