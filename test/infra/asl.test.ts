import { localPlaceholderResolver, resolveDefinition } from '../../lib/resolve-definition';
import type { CloudFormationTemplate } from '../../lib/synth';
import { testTemplate } from '../support/template';

/** asl-validator 4 ships no type declarations; this is the shape of its default export. */
type AslValidator = (
  definition: unknown,
  options?: { readonly checkPaths: boolean; readonly checkArn: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as AslValidator;

let template: CloudFormationTemplate;

beforeAll(() => {
  // Synthesized once per jest run by test/support/global-setup.ts.
  template = testTemplate();
});

function workflowNames(): unknown[] {
  return Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::StepFunctions::StateMachine')
    .map((resource) => resource.Metadata?.['firebreak:workflow']);
}

test('tags every state machine with a firebreak:workflow name: respond, resolve, acknowledge, rollback and weekly-review', () => {
  const names = workflowNames();
  expect([...names].sort()).toEqual(['acknowledge', 'resolve', 'respond', 'rollback', 'weekly-review']);
  for (const name of names) {
    expect(name).toEqual(expect.stringMatching(/^[a-z]+(-[a-z]+)*$/));
  }
});

test.each(
  // Computed at collection time from the same template the other tests use.
  Object.entries(testTemplate().Resources)
    .filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine')
    .map(([id, resource]) => [resource.Metadata?.['firebreak:workflow'], id]),
)('the synthesized definition of the %s workflow (%s) is valid Amazon States Language', (_workflow, id) => {
  const definition = resolveDefinition(template.Resources[id].Properties?.DefinitionString, localPlaceholderResolver(template));
  // The validator mutates its input (it fills in QueryLanguage): give it a copy.
  const result = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
  expect(result.errorsText('\n')).toBe('');
  expect(result.isValid).toBe(true);
});

test('validates all five workflow definitions', () => {
  expect(
    Object.values(testTemplate().Resources).filter((resource) => resource.Type === 'AWS::StepFunctions::StateMachine'),
  ).toHaveLength(5);
});
