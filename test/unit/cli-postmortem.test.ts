import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postmortemCommand } from '../../bin/commands/postmortem';

const fixtures = join(__dirname, '../fixtures/postmortems');
const dir = mkdtempSync(join(tmpdir(), 'firebreak-postmortem-cli-'));
const ID = 'inc-20261121-5f2a9c1e';

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await postmortemCommand(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) });
  return { code, stdout, stderr };
}

describe('firebreak postmortem lint', () => {
  it('exits 0 and says so for a clean postmortem', async () => {
    const file = join(fixtures, 'clean.md');
    expect(await run('lint', file)).toEqual({ code: 0, stdout: `${file}: no blaming language found\n`, stderr: '' });
  });

  it('prints file:line:col  phrase → suggestion for every finding and exits 1', async () => {
    const file = join(fixtures, 'planted-blame.md');
    const result = await run('lint', file);
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(18);
    expect(lines[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:10:37  human error → name the gap instead`));
    expect(lines[1]).toContain(':11:1  Alice caused → name the change or system as the cause, not the person');
    expect(result.stderr).toBe('18 blaming phrases found: reword them to describe systems and conditions, not people\n');
  });

  it('checks a temporary file written by hand, and several files at once', async () => {
    const blaming = join(dir, 'blaming.md');
    const clean = join(dir, 'clean.md');
    writeFileSync(blaming, '# Postmortem\n\nThe outage was human error.\n');
    writeFileSync(clean, '# Postmortem\n\nThe deploy caused the outage.\n');
    expect(await run('lint', clean)).toMatchObject({ code: 0 });
    const both = await run('lint', clean, blaming);
    expect(both.code).toBe(1);
    expect(both.stdout).toBe(`${blaming}:3:16  human error → name the gap instead, e.g. "the runbook did not cover this step" or "the tool allowed the change without a check" (describe the condition or system that allowed it, not the person)\n`);
  });

  it('exits 2 with a clear message for a missing or unreadable file', async () => {
    const missing = join(dir, 'absent.md');
    expect(await run('lint', missing)).toEqual({ code: 2, stdout: '', stderr: `firebreak postmortem lint: cannot read ${missing}: no such file\n` });
    expect(await run('lint', dir)).toEqual({ code: 2, stdout: '', stderr: `firebreak postmortem lint: cannot read ${dir}: it is a directory\n` });
  });

  it('exits 2 with the usage when FILE is missing or the subcommand is unknown', async () => {
    expect(await run('lint')).toMatchObject({ code: 2, stderr: expect.stringMatching(/^firebreak postmortem lint: expected a FILE\n\nusage: firebreak postmortem lint FILE/) });
    expect(await run('lint', '--fix', 'x.md')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown option --fix') });
    expect(await run('publish')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown subcommand "publish"') });
    expect(await run()).toMatchObject({ code: 2, stderr: expect.stringContaining('expected a subcommand') });
    expect(await run('--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: firebreak postmortem') });
  });
});

describe('firebreak postmortem draft', () => {
  let server: Server;
  let base: string;
  const requests: { method?: string; url?: string }[] = [];
  let reply: (req: IncomingMessage, res: ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push({ method: req.method, url: req.url });
      reply(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  });
  beforeEach(() => {
    requests.length = 0;
  });

  const json = (status: number, body: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  it('POSTs to /incidents/ID/postmortem and prints where the draft is and what is left to write', async () => {
    reply = json(201, { path: `postmortems/2026/${ID}.md`, link: `${base}/postmortems/2026/${ID}`, filled: ['Summary', 'Timeline'], prompts: ['What went well'], lint: [] });
    const result = await run('draft', ID, '--url', base);
    expect(requests).toEqual([{ method: 'POST', url: `/incidents/${ID}/postmortem` }]);
    expect(result).toEqual({
      code: 0,
      stdout: [
        `drafted postmortems/2026/${ID}.md`,
        `  ${base}/postmortems/2026/${ID}`,
        'filled from the record (2): Summary, Timeline',
        'left for people (1): What went well; look for ✍️ TODO',
        'blameless language: no findings',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('prints the lint findings of the draft', async () => {
    reply = json(200, { path: `postmortems/2026/${ID}.md`, filled: [], prompts: [], lint: [{ line: 40, column: 3, phrase: 'failed to', rule: 'failed-to', suggestion: 'say what happened' }] });
    const result = await run('draft', `--url=${base}/`, ID);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`blameless language: 1 finding\n  postmortems/2026/${ID}.md:40:3  failed to → say what happened\n`);
  });

  it('uses FIREBREAK_URL when --url is not given', async () => {
    reply = json(200, { path: 'p.md', filled: [], prompts: [], lint: [] });
    const saved = process.env.FIREBREAK_URL;
    process.env.FIREBREAK_URL = base;
    try {
      expect((await run('draft', ID)).code).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.FIREBREAK_URL;
      else process.env.FIREBREAK_URL = saved;
    }
    expect(requests).toHaveLength(1);
  });

  it('prints the error of a 4xx answer and exits 1', async () => {
    reply = json(409, { error: `incident ${ID} is open: resolve it before drafting its postmortem` });
    expect(await run('draft', ID, '--url', base)).toEqual({ code: 1, stdout: '', stderr: `firebreak postmortem draft: incident ${ID} is open: resolve it before drafting its postmortem (HTTP 409)\n` });
  });

  it('prints a non-JSON error answer as text', async () => {
    reply = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway');
    };
    expect(await run('draft', ID, '--url', base)).toMatchObject({ code: 1, stderr: 'firebreak postmortem draft: bad gateway (HTTP 502)\n' });
  });

  it('refuses an answer that is not a draft result', async () => {
    reply = json(200, { ok: true });
    const result = await run('draft', ID, '--url', base);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^firebreak postmortem draft: unexpected answer from .* \(HTTP 200\): path: /);
  });

  it('exits 1 with a hint when Firebreak is not running', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await run('draft', ID, '--url', url);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^firebreak postmortem draft: cannot reach Firebreak at ${url.replace(/\./g, '\\.')} \\(.+\\); start it with \`npm start\`\n$`));
  });

  it('exits 2 without asking the server for a missing or malformed incident id', async () => {
    expect(await run('draft', '--url', base)).toMatchObject({ code: 2, stderr: expect.stringContaining('expected an incident id') });
    expect(await run('draft', '../etc/passwd', '--url', base)).toMatchObject({ code: 2, stderr: expect.stringContaining('"../etc/passwd" is not an incident id (expected inc-YYYYMMDD-xxxxxxxx)') });
    expect(await run('draft', ID, 'extra', '--url', base)).toMatchObject({ code: 2, stderr: expect.stringContaining('unexpected argument "extra"') });
    expect(await run('draft', ID, '--url')).toMatchObject({ code: 2, stderr: expect.stringContaining('--url needs a value') });
    expect(requests).toEqual([]);
  });
});
