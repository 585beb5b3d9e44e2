import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** `firebreak up` in a child process, as a user runs it. */
export interface ChildTarget {
  readonly url: string;
  readonly child: ChildProcess;
  readonly output: () => string;
}

/**
 * Runs `node bin/firebreak.js up --port 0` with `env` and resolves with the
 * URL it prints once it listens.
 */
export function startChildTarget(dataDir: string, env: Record<string, string> = {}): Promise<ChildTarget> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'firebreak.js'), 'up', '--port', '0', '--data-dir', dataDir], {
    cwd: ROOT,
    env: { ...process.env, ...env, FIREBREAK_TEST_TEMPLATE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`firebreak up did not start in time:\n${out}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      // The banner ends with the "Post alerts to" line: wait for all of it.
      if (match !== null && out.includes('Post alerts to')) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`firebreak up exited with ${code}:\n${out}`));
    });
  });
}

/** kill -9, and wait until the process is gone. */
export function killHard(target: ChildTarget): Promise<void> {
  return new Promise((resolve) => {
    if (target.child.exitCode !== null || target.child.signalCode !== null) {
      resolve();
      return;
    }
    target.child.removeAllListeners('exit');
    target.child.once('exit', () => resolve());
    target.child.kill('SIGKILL');
  });
}

/** Polls `check` every 50 ms until it returns a value or `ms` pass. */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
