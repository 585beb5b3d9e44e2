import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The same check `npm test` runs as its own step (scripts/check-import-boundaries.js).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { check } = require('../../scripts/check-import-boundaries.js') as { check: (root: string) => string[] };

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'boundaries-'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

describe('import boundaries', () => {
  it('finds no violation in this repository', () => {
    expect(check(path.resolve(__dirname, '..', '..'))).toEqual([]);
  });

  it('flags lambdas/ code that imports aws-cdk-lib', () => {
    const root = tree({ 'lambdas/handlers/x.ts': "import { Stack } from 'aws-cdk-lib';\n" });
    expect(check(root)).toEqual([expect.stringContaining('lambdas/handlers/x.ts imports aws-cdk-lib')]);
  });

  it('flags lambdas/core code that imports an SDK, a vendor client or an adapter', () => {
    const root = tree({
      'lambdas/core/a.ts': "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\n",
      'lambdas/core/b.ts': "const bolt = require('@slack/bolt');\n",
      'lambdas/core/c.ts': "export { x } from '../adapters/dynamodb-incident-store';\n",
      'lambdas/core/d.ts': "import { event } from '@pagerduty/pdjs';\n",
    });
    expect(check(root)).toHaveLength(4);
  });

  it('allows lambdas/core to import zod and node:crypto', () => {
    const root = tree({ 'lambdas/core/ok.ts': "import { z } from 'zod';\nimport { createHash } from 'node:crypto';\n" });
    expect(check(root)).toEqual([]);
  });
});
