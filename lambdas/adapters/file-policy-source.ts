/**
 * Reads the SLO policy from a file, re-parsing only when the file changes.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { PolicyError } from '../core/errors';
import { parsePolicy } from '../core/policy/load';
import type { Policy } from '../core/policy/schema';

interface CacheEntry {
  readonly mtimeMs: number;
  readonly size: number;
  readonly policy: Policy;
}

/** Keyed by absolute path; an entry is valid while mtime and size are unchanged. Failures are not cached. */
const cache = new Map<string, CacheEntry>();

/**
 * Loads and validates a policy file. Cheap to call per request: the parsed
 * policy is cached by path and modification time, so an edited file is
 * picked up on the next call.
 *
 * @param file - path of the YAML file, relative to the working directory or absolute; used as-is in errors
 * @throws PolicyError when the file is missing, unreadable or invalid
 *
 * @example
 * const policy = loadPolicyFile('runbooks/slos.yaml');
 */
export function loadPolicyFile(file: string): Policy {
  const absolute = resolve(file);
  let stat;
  try {
    stat = statSync(absolute);
  } catch (cause) {
    throw readError(file, absolute, cause);
  }
  const cached = cache.get(absolute);
  if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.policy;

  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (cause) {
    throw readError(file, absolute, cause);
  }
  const policy = parsePolicy(text, file);
  cache.set(absolute, { mtimeMs: stat.mtimeMs, size: stat.size, policy });
  return policy;
}

/**
 * Forgets every cached policy (tests, or a caller that knows the file changed
 * within the file system's mtime resolution).
 *
 * @example
 * clearPolicyFileCache();
 */
export function clearPolicyFileCache(): void {
  cache.clear();
}

function readError(file: string, absolute: string, cause: unknown): PolicyError {
  const code = (cause as NodeJS.ErrnoException).code;
  const message =
    code === 'ENOENT'
      ? `policy file not found (looked for ${absolute}; set --file or FIREBREAK_POLICY_FILE)`
      : code === 'EISDIR'
        ? `expected a policy file, got a directory (${absolute})`
        : `cannot read policy file ${absolute}: ${(cause as Error).message}`;
  return new PolicyError(file, [{ path: '', message }], { cause });
}
