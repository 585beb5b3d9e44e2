import * as fs from 'node:fs';
import type { CloudFormationTemplate } from '../../lib/synth';
import { synthesizeFirebreak } from '../../lib/synth';

let cached: CloudFormationTemplate | undefined;

/** The synthesized template of the CDK app (once per run, see global-setup). */
export function testTemplate(): CloudFormationTemplate {
  if (cached !== undefined) return cached;
  const file = process.env.FIREBREAK_TEST_TEMPLATE;
  cached = file !== undefined && fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as CloudFormationTemplate) : synthesizeFirebreak().template;
  return cached;
}

/** Logical id and properties of the incident table in the template. */
export function tableOf(template: CloudFormationTemplate): { logicalId: string; properties: Record<string, unknown> } {
  const entry = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::DynamoDB::Table');
  if (entry === undefined) throw new Error('no table in the template');
  return { logicalId: entry[0], properties: entry[1].Properties ?? {} };
}
