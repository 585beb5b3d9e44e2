#!/usr/bin/env node
// The `firebreak` command: runs the TypeScript CLI through tsx, so a clone works without a build step.
// Node 20 is this project's floor for the embedded target (Lambda runs 22); the SDK's notice about its
// future Node 22 requirement is not actionable at every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('./firebreak.ts').run(process.argv.slice(2));
