import * as fs from 'node:fs';
import * as path from 'node:path';
import { synthesizeFirebreak } from '../../lib/synth';
test('bundles', () => {
  const t0 = Date.now();
  const { stack } = synthesizeFirebreak({ bundle: true });
  const outdir = (stack.node.root as unknown as { outdir: string }).outdir;
  const assets = fs.readdirSync(outdir).filter((d) => d.startsWith('asset.'));
  for (const a of assets) expect(fs.existsSync(path.join(outdir, a, 'slos.yaml'))).toBe(true);
  console.log('bundle ms', Date.now() - t0);
});
