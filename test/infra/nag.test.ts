import { CfnResource, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { FirebreakStack } from '../../lib/firebreak-stack';
import { synthesizeFirebreak } from '../../lib/synth';

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

interface Finding {
  readonly rule: string;
  readonly paths: readonly string[];
}

let synthError: unknown;
let stack: FirebreakStack;

beforeAll(() => {
  try {
    stack = synthesizeFirebreak({ bundle: false, nag: true }).stack;
  } catch (error) {
    synthError = error;
    // Keep a stack for the tests that read findings directly.
    stack = synthesizeFirebreak({ bundle: false }).stack;
  }
});

/** Runs the AwsSolutions pack over the stack; optionally as if nothing were acknowledged. */
function findings(options: { ignoreAcknowledgements: boolean }): Finding[] {
  const pack = new AwsSolutionsChecks();
  if (options.ignoreAcknowledgements) {
    // cdk-nag 3.0.2 consults this private method for every finding.
    (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  }
  return pack.validateScope(stack).violations.map((violation) => ({
    rule: violation.ruleName,
    paths: violation.violatingResources.map((resource) => resource.constructPath ?? ''),
  }));
}

function acknowledgements(): Acknowledgement[] {
  return stack.node.findAll().flatMap((construct: IConstruct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

test('synthesizes with the AwsSolutions checks without throwing', () => {
  expect(synthError).toBeUndefined();
});

test('leaves no unacknowledged AwsSolutions finding', () => {
  expect(findings({ ignoreAcknowledgements: false })).toEqual([]);
});

test('gives every acknowledgement a reason a reviewer can read', () => {
  const all = acknowledgements();
  expect(all.length).toBeGreaterThan(0);
  for (const acknowledgement of all) {
    expect(acknowledgement.reason.trim().length).toBeGreaterThanOrEqual(40);
  }
});

test('acknowledges findings on the CloudFormation resource that has them, not on a parent', () => {
  const byPath = new Map(stack.node.findAll().map((construct) => [construct.node.path, construct]));
  for (const acknowledgement of acknowledgements()) {
    expect({ ...acknowledgement, isResource: CfnResource.isCfnResource(byPath.get(acknowledgement.path)) }).toMatchObject({
      isResource: true,
    });
  }
});

test('acknowledges only findings that exist', () => {
  const unacknowledged = findings({ ignoreAcknowledgements: true });
  const stale = acknowledgements().filter(
    (acknowledgement) =>
      !unacknowledged.some((finding) => finding.rule === acknowledgement.id && finding.paths.includes(acknowledgement.path)),
  );
  expect(stale).toEqual([]);
});
