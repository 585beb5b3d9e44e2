#!/usr/bin/env node
// The `firebreak` command: runs the TypeScript CLI through tsx, so a clone works without a build step.
require('tsx/cjs');
require('./firebreak.ts').run(process.argv.slice(2));
