#!/usr/bin/env node
// Runs a TypeScript file (benchmarks, scripts) through tsx: `node bin/run-ts.js FILE [args]`.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
const path = require('node:path');
const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bin/run-ts.js FILE.ts [args]\n');
  process.exit(2);
}
process.argv.splice(1, 2, path.resolve(file));
require(path.resolve(file));
