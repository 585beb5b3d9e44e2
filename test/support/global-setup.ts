import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Synthesizes the CDK app once per jest run (the first synth costs seconds)
 * and hands the template to every test file through a temporary file.
 */
export default async function globalSetup(): Promise<void> {
  // Loaded here, not at the top: jest transpiles this file before ts paths are set up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { synthesizeFirebreak } = require('../../lib/synth') as typeof import('../../lib/synth');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'firebreak-template-')), 'template.json');
  fs.writeFileSync(file, JSON.stringify(synthesizeFirebreak().template));
  process.env.FIREBREAK_TEST_TEMPLATE = file;
}
