/**
 * `firebreak slo ...`: work with the SLO policy file.
 */
import { loadPolicyFile } from '../../lambdas/adapters/file-policy-source';
import { PolicyError } from '../../lambdas/core/errors';

/**
 * Where the command writes, one line per call (no trailing newline).
 *
 * @example
 * const io: CommandIo = { stdout: (s) => process.stdout.write(`${s}\n`), stderr: (s) => process.stderr.write(`${s}\n`) };
 */
export interface CommandIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const DEFAULT_FILE = 'runbooks/slos.yaml';
const USAGE = [
  'usage: firebreak slo check [--file PATH]',
  '',
  '  check   validate the SLO policy file and list its SLOs',
  '',
  'The file is --file PATH, else $FIREBREAK_POLICY_FILE, else runbooks/slos.yaml',
  '(relative paths are relative to the current directory). Only `check` is available.',
].join('\n');

/**
 * Runs `firebreak slo <subcommand>`.
 *
 * @param args - the arguments after `slo`, e.g. `['check', '--file', 'slos.yaml']`
 * @returns the exit code: 0 valid, 1 invalid policy (every issue printed as `file: path: message`), 2 usage error
 *
 * @example
 * const code = await sloCommand(['check'], io);
 * // stdout: ok: 5 SLOs (adversarial-refusal-rate, ...) + default policy
 */
export async function sloCommand(args: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (sub !== 'check') {
    io.stderr(sub === undefined ? USAGE : `unknown subcommand: slo ${sub}\n${USAGE}`);
    return 2;
  }
  const parsed = parseCheckArgs(rest);
  if (typeof parsed !== 'string') {
    io.stderr(`${parsed.error}\n${USAGE}`);
    return 2;
  }
  return check(parsed, io);
}

function parseCheckArgs(args: string[]): string | { error: string } {
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--file' || arg === '-f') {
      file = args[++i];
      if (file === undefined || file === '') return { error: `${arg} needs a PATH` };
    } else if (arg.startsWith('--file=')) {
      file = arg.slice('--file='.length);
      if (file === '') return { error: '--file needs a PATH' };
    } else {
      return { error: `unexpected argument: ${arg}` };
    }
  }
  return file ?? (process.env.FIREBREAK_POLICY_FILE || DEFAULT_FILE);
}

function check(file: string, io: CommandIo): number {
  try {
    const policy = loadPolicyFile(file);
    const ids = policy.slos.map((s) => s.id);
    io.stdout(`ok: ${ids.length} SLO${ids.length === 1 ? '' : 's'} (${ids.join(', ')}) + default policy`);
    return 0;
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    for (const issue of error.issues) io.stderr(issue.path ? `${error.file}: ${issue.path}: ${issue.message}` : `${error.file}: ${issue.message}`);
    return 1;
  }
}
