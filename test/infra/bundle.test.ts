import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Stage } from 'aws-cdk-lib';
import { synthesizeFirebreak } from '../../lib/synth';

// One bundling synth (esbuild, no Docker) for the whole file: ~5 s.
let assetDirs: string[];

beforeAll(() => {
  const { stack } = synthesizeFirebreak({ bundle: true });
  const outdir = (stack.node.root as Stage).outdir;
  assetDirs = fs
    .readdirSync(outdir)
    .filter((name) => name.startsWith('asset.'))
    .map((name) => path.join(outdir, name));
});

test('bundles each of the five handlers locally with esbuild', () => {
  expect(assetDirs).toHaveLength(5);
  for (const dir of assetDirs) {
    expect(fs.statSync(path.join(dir, 'index.js')).size).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dir, 'index.js.map'))).toBe(true);
  }
});

test('ships the SLO policy file next to every handler', () => {
  const policy = fs.readFileSync(path.join(__dirname, '..', '..', 'runbooks', 'slos.yaml'), 'utf8');
  for (const dir of assetDirs) {
    expect(fs.readFileSync(path.join(dir, 'slos.yaml'), 'utf8')).toBe(policy);
  }
});
