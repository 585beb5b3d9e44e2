import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sloCommand } from '../../bin/commands/slo';

const shippedText = readFileSync(join(__dirname, '../../runbooks/slos.yaml'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'firebreak-slo-cmd-'));

async function run(...args: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await sloCommand(args, { stdout: (s) => stdout.push(s), stderr: (s) => stderr.push(s) });
  return { code, stdout, stderr };
}

describe('firebreak slo', () => {
  const savedEnv = process.env.FIREBREAK_POLICY_FILE;
  beforeEach(() => {
    delete process.env.FIREBREAK_POLICY_FILE;
  });
  afterAll(() => {
    if (savedEnv === undefined) delete process.env.FIREBREAK_POLICY_FILE;
    else process.env.FIREBREAK_POLICY_FILE = savedEnv;
  });

  it('check validates runbooks/slos.yaml in the working directory by default and exits 0', async () => {
    const result = await run('check');
    expect(result).toEqual({
      code: 0,
      stdout: ['ok: 5 SLOs (adversarial-refusal-rate, prompt-injection-never-event, ttft-p95, ood-recall, calibration-ece) + default policy'],
      stderr: [],
    });
  });

  it('check reads the file named by FIREBREAK_POLICY_FILE', async () => {
    const file = join(dir, 'env.yaml');
    writeFileSync(file, shippedText.replace(/\n {2}# --- Latency[\s\S]*$/, '\n'));
    process.env.FIREBREAK_POLICY_FILE = file;
    const result = await run('check');
    expect(result.code).toBe(0);
    expect(result.stdout).toEqual(['ok: 2 SLOs (adversarial-refusal-rate, prompt-injection-never-event) + default policy']);
  });

  it('check prints every issue as file: path: message and exits 1', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, shippedText.replace('target: 500', 'target: "500ms"').replace('window: 7d', 'window: 7days'));
    const result = await run('check', '--file', file);
    expect(result.code).toBe(1);
    expect(result.stdout).toEqual([]);
    expect(result.stderr).toEqual([
      expect.stringMatching(new RegExp(`^${file}: slos\\[2\\]\\.objective\\.target: expected a number, got string \\(line \\d+:\\d+\\)$`)),
      expect.stringMatching(new RegExp(`^${file}: slos\\[3\\]\\.window: expected a duration: .*got "7days"`)),
    ]);
  });

  it('check accepts --file=PATH and reports a missing file, exiting 1', async () => {
    const result = await run('check', `--file=${join(dir, 'absent.yaml')}`);
    expect(result.code).toBe(1);
    expect(result.stderr).toEqual([expect.stringContaining(`${join(dir, 'absent.yaml')}: policy file not found`)]);
  });

  it('check reports a YAML syntax error with line and column, exiting 1', async () => {
    const file = join(dir, 'syntax.yaml');
    writeFileSync(file, 'version: 1\nslos: [\n');
    const result = await run('check', '--file', file);
    expect(result.code).toBe(1);
    expect(result.stderr[0]).toMatch(new RegExp(`^${file}: \\d+:\\d+: invalid YAML: `));
  });

  it.each([
    ['an unknown subcommand', ['rules'], /unknown subcommand: slo rules/],
    ['no subcommand', [], /^usage: firebreak slo check/],
    ['an unexpected argument', ['check', '--format', 'prometheus'], /unexpected argument: --format/],
    ['--file without a path', ['check', '--file'], /--file needs a PATH/],
  ])('prints usage naming only check and exits 2 for %s', async (_name, args, message) => {
    const result = await run(...args);
    expect(result.code).toBe(2);
    expect(result.stdout).toEqual([]);
    expect(result.stderr.join('\n')).toMatch(message);
    expect(result.stderr.join('\n')).toContain('Only `check` is available.');
  });

  it('prints usage to stdout and exits 0 for --help', async () => {
    const result = await run('--help');
    expect(result.code).toBe(0);
    expect(result.stdout.join('\n')).toContain('usage: firebreak slo check [--file PATH]');
  });
});
