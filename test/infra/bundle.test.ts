import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Stage } from 'aws-cdk-lib';
import { synthesizeFirebreak, type CloudFormationTemplate } from '../../lib/synth';
import { HANDLERS, TemplateView } from './template-view';

// One bundling synth (esbuild, no Docker) for the whole file: ~5 s.
let outdir: string;
let view: TemplateView;

beforeAll(() => {
  const { stack, template } = synthesizeFirebreak({ bundle: true });
  outdir = (stack.node.root as Stage).outdir;
  view = new TemplateView(template as CloudFormationTemplate);
});

/** The asset directory of a handler's bundle (`asset.<hash>`, the hash being the S3 key of its code). */
function assetDirOf(handler: (typeof HANDLERS)[number]): string {
  const code = view.functionProperties(handler).Code as { S3Key: string };
  return path.join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
}

test('bundles every handler entry locally with esbuild, one asset each (plus the postmortem template layer)', () => {
  const dirs = fs.readdirSync(outdir).filter((name) => name.startsWith('asset.'));
  expect(dirs).toHaveLength(HANDLERS.length + 1);
});

test.each(HANDLERS)('bundles lambdas/handlers/%s.ts into index.js with a source map', (handler) => {
  const dir = assetDirOf(handler);
  expect(fs.statSync(path.join(dir, 'index.js')).size).toBeGreaterThan(0);
  expect(fs.existsSync(path.join(dir, 'index.js.map'))).toBe(true);
});

test.each(HANDLERS)('ships the SLO policy file next to the %s handler', (handler) => {
  const policy = fs.readFileSync(path.join(__dirname, '..', '..', 'runbooks', 'slos.yaml'), 'utf8');
  expect(fs.readFileSync(path.join(assetDirOf(handler), 'slos.yaml'), 'utf8')).toBe(policy);
});
