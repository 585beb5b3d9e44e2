#!/usr/bin/env node
// Import-boundary check (run by `npm test` and by test/unit/import-boundaries.test.ts):
// - nothing under lambdas/ imports aws-cdk-lib or constructs (Lambda code has no CDK dependency);
// - lambdas/core/ imports no SDK, vendor client, git library or adapter: it stays pure TypeScript.
const fs = require('node:fs');
const path = require('node:path');

const RULES = [
  { dir: 'lambdas', forbidden: [/^aws-cdk-lib(\/|$)/, /^constructs$/], why: 'Lambda code must not depend on the CDK' },
  {
    dir: 'lambdas/core',
    forbidden: [/^@aws-sdk\//, /^@smithy\//, /^aws-sdk$/, /^@slack\//, /^@pagerduty\//, /^@octokit\//, /^octokit$/, /^(simple-git|isomorphic-git|nodegit)$/, /^@aws-lambda-powertools\//, /^dynalite$/, /^aws-local-stepfunctions$/, /^node:(http|https|net|child_process|fs)$/, /^(http|https|net|child_process|fs)$/, /\/adapters\//, /\/handlers\//],
    why: 'lambdas/core is the pure domain: put I/O behind a port and an adapter',
  },
];

const IMPORT = /(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\W)(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function* files(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (/\.(ts|js|mjs|cjs)$/.test(entry.name)) yield full;
  }
}

/** Returns the violations under `root` as strings. */
function check(root) {
  const violations = [];
  for (const rule of RULES) {
    for (const file of files(path.join(root, rule.dir))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const match of text.matchAll(IMPORT)) {
        const spec = match[1] ?? match[2] ?? match[3];
        if (rule.forbidden.some((re) => re.test(spec))) {
          violations.push(`${path.relative(root, file)} imports ${spec}: ${rule.why}`);
        }
      }
    }
  }
  return violations;
}

module.exports = { check };

if (require.main === module) {
  const violations = check(path.resolve(__dirname, '..'));
  if (violations.length > 0) {
    process.stderr.write(`import boundaries violated:\n${violations.map((v) => `  ${v}`).join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write('import boundaries: ok (lambdas/ has no CDK; lambdas/core imports no SDK, vendor client or adapter)\n');
}
