import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Finds the Firebreak project root: the nearest directory at or above `start`
 * that holds a `package.json`.
 *
 * Walking up (rather than `path.resolve(__dirname, '..', '..')`) gives the same
 * answer whether this module runs from source (`tsx`, `ts-jest`) or from
 * compiled output under `dist/`, which has no `package.json` of its own.
 *
 * @param start - directory to start from
 * @returns the absolute path of the project root
 * @throws Error when no `package.json` exists at or above `start`
 *
 * @example
 * const root = findProjectRoot(__dirname);
 * const entry = path.join(root, 'lambdas/handlers/record-signal.ts');
 */
export function findProjectRoot(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`no package.json found at or above ${start}`);
    }
    dir = parent;
  }
}

/**
 * Absolute path of the Firebreak project root (the directory holding
 * `package.json`, `lambdas/` and `runbooks/`).
 *
 * @example
 * const policyFile = path.join(PROJECT_ROOT, 'runbooks', 'slos.yaml');
 */
export const PROJECT_ROOT: string = findProjectRoot(__dirname);
