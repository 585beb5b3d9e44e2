import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { FirebreakStack } from './firebreak-stack';
import { PROJECT_ROOT } from './project-root';

/** One resource of a synthesized CloudFormation template. */
export interface CloudFormationResource {
  /** Resource type, e.g. `AWS::Lambda::Function`. */
  readonly Type: string;
  /** Resource properties, with intrinsic functions (`Ref`, `Fn::GetAtt`, `Fn::Join`) unresolved. */
  readonly Properties?: Readonly<Record<string, unknown>>;
  /** Resource metadata, e.g. `firebreak:handler` or `firebreak:workflow`. */
  readonly Metadata?: Readonly<Record<string, unknown>>;
  /** Other resource attributes (`DependsOn`, `DeletionPolicy`, ...). */
  readonly [attribute: string]: unknown;
}

/** A synthesized CloudFormation template (the parts Firebreak reads). */
export interface CloudFormationTemplate {
  /** Resources by logical id. */
  readonly Resources: Readonly<Record<string, CloudFormationResource>>;
  /** Outputs by name. */
  readonly Outputs?: Readonly<Record<string, { readonly Value: unknown; readonly Description?: string }>>;
  /** Other template sections (`Parameters`, `Rules`, `Conditions`, ...). */
  readonly [section: string]: unknown;
}

/** Options of {@link synthesizeFirebreak}. */
export interface SynthesizeFirebreakOptions {
  /**
   * Whether to bundle the Lambda handlers with esbuild. Without bundling the
   * template is the same except for asset hashes; the embedded target and
   * most tests do not need the bundles.
   *
   * @default false
   */
  readonly bundle?: boolean;

  /**
   * Whether to run the cdk-nag AwsSolutions checks (synthesis then throws on
   * any unacknowledged finding). cdk-nag is a devDependency and is loaded
   * only when this is true.
   *
   * @default false
   */
  readonly nag?: boolean;

  /**
   * CDK context in addition to the feature flags of `cdk.json`, as
   * `cdk synth -c key=value` would give it (e.g. `controlPlane`,
   * `responders`).
   *
   * @default - none
   */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** What {@link synthesizeFirebreak} returns. */
export interface SynthesizedFirebreak {
  /** The stack's CloudFormation template. */
  readonly template: CloudFormationTemplate;
  /** The stack, for `Template.fromStack` and construct-tree inspection. */
  readonly stack: FirebreakStack;
}

/**
 * Synthesizes the Firebreak stack in a fresh CDK app, with the feature flags
 * of `cdk.json` (so the template is the one `cdk synth` produces), and returns
 * its CloudFormation template.
 *
 * The embedded target calls this at start-up: it reads the
 * `AWS::StepFunctions::StateMachine` resources tagged with `firebreak:workflow`
 * metadata and maps `AWS::Lambda::Function` logical ids to their
 * `firebreak:handler` metadata.
 *
 * @param options - see {@link SynthesizeFirebreakOptions}
 * @returns the template and the stack
 *
 * @example
 * const { template } = synthesizeFirebreak();
 * const workflows = Object.entries(template.Resources)
 *   .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && r.Metadata?.['firebreak:workflow']);
 */
export function synthesizeFirebreak(options: SynthesizeFirebreakOptions = {}): SynthesizedFirebreak {
  const context: Record<string, unknown> = { ...readCdkJsonContext(), ...options.context };
  if (options.bundle !== true) {
    context['aws:cdk:bundling-stacks'] = [];
  }
  const app = new App({ context });
  const stack = new FirebreakStack(app, 'Firebreak');
  if (options.nag === true) {
    // Loaded lazily: cdk-nag is a devDependency and the embedded target
    // synthesizes without it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { AwsSolutionsChecks } = require('cdk-nag') as typeof import('cdk-nag');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  const template = app.synth().getStackByName(stack.stackName).template as CloudFormationTemplate;
  return { template, stack };
}

/** The `context` of the project's `cdk.json` (feature flags), or none if it has none. */
function readCdkJsonContext(): Record<string, unknown> {
  const file = path.join(PROJECT_ROOT, 'cdk.json');
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { context?: Record<string, unknown> };
  return parsed.context ?? {};
}
