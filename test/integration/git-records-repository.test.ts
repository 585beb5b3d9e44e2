import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GitRecordsRepository, RecordsRepositoryError } from '../../lambdas/adapters/git-records-repository';

/** git in the repository, as a person would run it, without the environment of the test runner. */
function git(dir: string, ...args: string[]): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: { ...env, LC_ALL: 'C' } });
}

/**
 * A `git` that writes each command's arguments (after `-C <dir>`) to `log`,
 * one line a call, then runs the real git — or fails, for the subcommand
 * named `fail`, as git does on a damaged repository.
 */
function countingGit(base: string, fail?: string): { binary: string; calls: () => string[] } {
  const log = path.join(base, 'git-calls.log');
  const binary = path.join(base, 'counting-git');
  writeFileSync(log, '');
  writeFileSync(
    binary,
    ['#!/bin/sh', `echo "$3 $4" >> '${log}'`, ...(fail === undefined ? [] : [`if [ "$3" = '${fail}' ]; then echo 'fatal: object store is damaged' >&2; exit 128; fi`]), 'exec git "$@"', ''].join('\n'),
  );
  chmodSync(binary, 0o755);
  return { binary, calls: () => readFileSync(log, 'utf8').trim().split('\n').filter((l) => l !== '') };
}

describe('GitRecordsRepository with real git in a temporary directory', () => {
  let base: string;
  let dir: string;
  let records: GitRecordsRepository;

  beforeEach(() => {
    base = mkdtempSync(path.join(tmpdir(), 'firebreak-records-'));
    dir = path.join(base, 'records');
    records = new GitRecordsRepository(dir);
  });
  afterEach(() => {
    rmSync(base, { recursive: true, force: true });
  });

  it('creates the repository with an initial commit by Firebreak on main', async () => {
    expect(await records.list('')).toEqual([]);
    expect(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe('main');
    expect(git(dir, 'log', '--format=%an <%ae>|%s').trim()).toBe('Firebreak <firebreak@localhost>|Firebreak records repository');
  });

  it('commits files in one commit, into HEAD and the work tree, and reads them back', async () => {
    const result = await records.commit(
      [
        { path: 'corpus/case-0002.json', content: '{"id":"case-0002"}\n' },
        { path: 'corpus/case-0001.json', content: '{"id":"case-0001"}\n' },
        { path: 'postmortems/2026/inc-20261121-1a2b3c4d.md', content: '# Postmortem\n' },
      ],
      'corpus: 2 cases from inc-20261121-1a2b3c4d\n\nHarvested from the adversarial probes.',
    );
    expect(result).toEqual({ changed: true, revision: expect.stringMatching(/^[0-9a-f]{40}$/), paths: ['corpus/case-0001.json', 'corpus/case-0002.json', 'postmortems/2026/inc-20261121-1a2b3c4d.md'] });
    expect(git(dir, 'rev-parse', 'HEAD').trim()).toBe(result.revision);
    expect(git(dir, 'log', '-1', '--format=%an <%ae>|%cn|%B').trim()).toBe('Firebreak <firebreak@localhost>|Firebreak|corpus: 2 cases from inc-20261121-1a2b3c4d\n\nHarvested from the adversarial probes.');
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(readFileSync(path.join(dir, 'corpus', 'case-0001.json'), 'utf8')).toBe('{"id":"case-0001"}\n');
    expect(await records.read('corpus/case-0002.json')).toBe('{"id":"case-0002"}\n');
    expect(await records.read('corpus/case-9999.json')).toBeUndefined();
    expect(await records.list('corpus')).toEqual(['corpus/case-0001.json', 'corpus/case-0002.json']);
    expect(await records.list('corpus/')).toEqual(['corpus/case-0001.json', 'corpus/case-0002.json']);
    expect(await records.list('')).toEqual(['corpus/case-0001.json', 'corpus/case-0002.json', 'postmortems/2026/inc-20261121-1a2b3c4d.md']);
    expect(await records.list('reviews')).toEqual([]);
  });

  it('makes no commit when every file already has its content, and commits only the changed ones otherwise', async () => {
    const files = [
      { path: 'corpus/a.json', content: 'a\n' },
      { path: 'corpus/b.json', content: 'b\n' },
    ];
    const first = await records.commit(files, 'corpus: a and b');
    const again = await records.commit(files, 'corpus: a and b');
    expect(again).toEqual({ changed: false, paths: [] });
    expect(git(dir, 'rev-parse', 'HEAD').trim()).toBe(first.revision);

    const partly = await records.commit([files[0]!, { path: 'corpus/b.json', content: 'b2\n' }], 'corpus: b changed');
    expect(partly.paths).toEqual(['corpus/b.json']);
    expect(git(dir, 'rev-list', '--count', 'HEAD').trim()).toBe('3');
  });

  it('lands every commit of concurrent callers', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => records.commit([{ path: `corpus/case-${String(i).padStart(2, '0')}.json`, content: `${i}\n` }], `corpus: case ${i}`)));
    expect(results.every((r) => r.changed)).toBe(true);
    expect(new Set(results.map((r) => r.revision)).size).toBe(12);
    expect(await records.list('corpus')).toHaveLength(12);
    expect(git(dir, 'rev-list', '--count', 'HEAD').trim()).toBe('13');
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('lands every commit of two instances on the same directory', async () => {
    const other = new GitRecordsRepository(dir);
    await records.list('');
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => records.commit([{ path: `a/${i}.md`, content: `${i}\n` }], `a ${i}`)),
      ...Array.from({ length: 5 }, (_, i) => other.commit([{ path: `b/${i}.md`, content: `${i}\n` }], `b ${i}`)),
    ]);
    expect(await records.list('')).toHaveLength(10);
  });

  it('lands its commits while another process commits to the same repository', async () => {
    await records.list('');
    // Another writer: a shell loop committing through the index, as a person's git would, trying again while the index is locked.
    const script = [
      'for i in 1 2 3 4 5 6 7 8; do',
      '  echo $i > other-$i.txt; n=0',
      '  until git add other-$i.txt 2>/dev/null && git -c user.name=Other -c user.email=o@x commit -q -m "other $i" 2>/dev/null; do',
      '    n=$((n+1)); [ $n -gt 500 ] && exit 1; sleep 0.02',
      '  done',
      'done',
    ].join('\n');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
    const child = spawn('sh', ['-c', script], { cwd: dir, env, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const ours = await Promise.all(Array.from({ length: 8 }, (_, i) => records.commit([{ path: `corpus/${i}.json`, content: `${i}\n` }], `corpus ${i}`)));
    expect(await exited).toBe(0);
    expect(ours.every((r) => r.changed)).toBe(true);
    const committed = git(dir, 'ls-tree', '-r', '--name-only', 'HEAD').trim().split('\n');
    expect(committed.filter((p) => p.startsWith('corpus/'))).toHaveLength(8);
    expect(committed.filter((p) => p.startsWith('other-'))).toHaveLength(8);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('waits for an index.lock held by another process, then checks out its commit', async () => {
    const sleeps: number[] = [];
    const lock = path.join(dir, '.git', 'index.lock');
    const waiting = new GitRecordsRepository(dir, {
      sleep: async (ms) => {
        sleeps.push(ms);
        // The other process finishes after a few attempts.
        if (sleeps.length === 3) rmSync(lock);
      },
    });
    await waiting.list('');
    writeFileSync(lock, '');
    const result = await waiting.commit([{ path: 'reviews/2026-W47.md', content: '# Week 47\n' }], 'review: 2026-W47');
    expect(result.changed).toBe(true);
    expect(sleeps).toHaveLength(3);
    expect(existsSync(lock)).toBe(false);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('gives up on an index.lock that stays, without committing, saying how to recover', async () => {
    const stuck = new GitRecordsRepository(dir, { lockAttempts: 2, sleep: async () => undefined });
    await stuck.list('');
    writeFileSync(path.join(dir, '.git', 'index.lock'), '');
    const error = await stuck.commit([{ path: 'corpus/x.json', content: 'x\n' }], 'corpus: x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecordsRepositoryError);
    expect((error as RecordsRepositoryError).retryable).toBe(true);
    expect((error as Error).message).toContain('remove .git/index.lock');
    expect(git(dir, 'rev-list', '--count', 'HEAD').trim()).toBe('1');
  });

  it('leaves staged changes and other files of a person alone', async () => {
    await records.commit([{ path: 'corpus/a.json', content: 'a\n' }], 'corpus: a');
    writeFileSync(path.join(dir, 'notes.md'), 'draft\n');
    git(dir, 'add', 'notes.md');
    await records.commit([{ path: 'corpus/b.json', content: 'b\n' }], 'corpus: b');
    expect(git(dir, 'status', '--porcelain')).toBe('A  notes.md\n');
    expect(readFileSync(path.join(dir, 'corpus', 'b.json'), 'utf8')).toBe('b\n');
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD').trim()).toBe('corpus/b.json');
  });

  it('uses an existing repository and its checked-out branch', async () => {
    const existing = path.join(base, 'existing');
    execFileSync('git', ['init', '-q', '--initial-branch=trunk', existing]);
    git(existing, '-c', 'user.name=P', '-c', 'user.email=p@x', 'commit', '-q', '--allow-empty', '-m', 'start');
    const repo = new GitRecordsRepository(existing);
    await repo.commit([{ path: 'corpus/a.json', content: 'a\n' }], 'corpus: a');
    expect(git(existing, 'log', '--format=%s', 'trunk').trim().split('\n')).toEqual(['corpus: a', 'start']);
  });

  it('refuses paths that leave the repository and a path given twice', async () => {
    await expect(records.commit([{ path: '../escape.md', content: 'x' }], 'x')).rejects.toThrow(RangeError);
    await expect(records.commit([{ path: '/etc/passwd', content: 'x' }], 'x')).rejects.toThrow(RangeError);
    await expect(records.read('corpus/../../x')).rejects.toThrow(RangeError);
    await expect(
      records.commit(
        [
          { path: 'a.md', content: '1' },
          { path: 'a.md', content: '2' },
        ],
        'x',
      ),
    ).rejects.toThrow('given twice');
  });

  it('refuses to read a folder as a file', async () => {
    await records.commit([{ path: 'corpus/a.json', content: 'a\n' }], 'corpus: a');
    await expect(records.read('corpus')).rejects.toThrow('corpus is a folder, not a file');
  });

  it('reads all 1,000 files of a folder with one ls-tree and one cat-file, whatever their number', async () => {
    const files = Array.from({ length: 1000 }, (_, i) => ({ path: `corpus/case-${String(i).padStart(4, '0')}.json`, content: `{"id":"case-${i}","text":"café — ${'x'.repeat(i % 50)}"}\n` }));
    await records.commit([...files, { path: 'postmortems/2026/inc-1.md', content: '# PM\n' }], 'corpus: 1,000 cases');
    const git = countingGit(base);
    const counted = new GitRecordsRepository(dir, { gitBinary: git.binary });

    const all = await counted.readAll('corpus');
    expect([...all.keys()]).toEqual(files.map((f) => f.path));
    expect(Object.fromEntries(all)).toEqual(Object.fromEntries(files.map((f) => [f.path, f.content])));
    // Finding the repository (rev-parse twice), then one ls-tree and one cat-file for the 1,000 files.
    expect(git.calls()).toEqual(['rev-parse --absolute-git-dir', 'rev-parse --verify', 'ls-tree -r', 'cat-file --batch']);
  });

  it('reads what a file-by-file read gives: empty files, shared contents, multi-byte text, lines without a final newline', async () => {
    const files = [
      { path: 'corpus/a.json', content: '' },
      { path: 'corpus/b.json', content: 'same\n' },
      { path: 'corpus/c.json', content: 'same\n' },
      { path: 'corpus/deep/er/d.json', content: '日本語 — ✓\r\nno final newline' },
      { path: 'corpus/e.json', content: '\n\n' },
      { path: 'corpus-other/f.json', content: 'not under corpus/\n' },
      { path: 'corpusx.json', content: 'nor this\n' },
    ];
    await records.commit(files, 'corpus: edge cases');
    const all = await records.readAll('corpus/');
    expect([...all.keys()]).toEqual(['corpus/a.json', 'corpus/b.json', 'corpus/c.json', 'corpus/deep/er/d.json', 'corpus/e.json']);
    for (const [file, content] of all) expect(content).toBe(await records.read(file));
    expect((await records.readAll('')).size).toBe(files.length);
    expect([...(await records.readAll('corpus/deep')).keys()]).toEqual(['corpus/deep/er/d.json']);
  });

  it('reads an empty map for a folder that does not exist, a file, or a fresh repository', async () => {
    expect(await records.readAll('')).toEqual(new Map());
    await records.commit([{ path: 'corpus/a.json', content: 'a\n' }], 'corpus: a');
    expect(await records.readAll('reviews')).toEqual(new Map());
    expect(await records.readAll('corpus/a.json')).toEqual(new Map());
    await expect(records.readAll('../corpus')).rejects.toThrow(RangeError);
  });

  it('reads the committed files, not the work tree, and leaves out symbolic links', async () => {
    await records.commit([{ path: 'corpus/a.json', content: 'a\n' }], 'corpus: a');
    writeFileSync(path.join(dir, 'corpus', 'a.json'), 'edited, not committed\n');
    writeFileSync(path.join(dir, 'corpus', 'new.json'), 'untracked\n');
    symlinkSync('a.json', path.join(dir, 'corpus', 'link.json'));
    git(dir, 'add', 'corpus/link.json');
    git(dir, '-c', 'user.name=P', '-c', 'user.email=p@x', 'commit', '-q', '-m', 'a link');
    expect(await records.readAll('corpus')).toEqual(new Map([['corpus/a.json', 'a\n']]));
  });

  it('reports a failing cat-file as a permanent error with what git said', async () => {
    await records.commit([{ path: 'corpus/a.json', content: 'a\n' }], 'corpus: a');
    const broken = new GitRecordsRepository(dir, { gitBinary: countingGit(base, 'cat-file').binary });
    const error = await broken.readAll('corpus').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecordsRepositoryError);
    expect((error as RecordsRepositoryError).retryable).toBe(false);
    expect((error as Error).message).toContain('git cat-file --batch --buffer exited with 128: fatal: object store is damaged');
  });

  it('links a file to its path in the work tree', () => {
    expect(records.link('corpus/case-0001.json')).toBe(path.join(dir, 'corpus', 'case-0001.json'));
  });
});
