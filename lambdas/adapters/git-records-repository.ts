/**
 * The records repository as a local git repository (the embedded target and
 * the CLI), driven through the `git` command line.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { z } from 'zod';
import { ConfigurationError, FirebreakError } from '../core/errors';
import { recordPath, type CommitOptions, type RecordFile, type RecordsCommit, type RecordsRepository } from '../core/records/records-repository';

/**
 * The records repository (git, GitHub, CodeCommit) failed or refused a
 * change. `retryable` says whether trying again later may help (a lock held
 * by another writer, a branch that kept moving, throttling, a 5xx).
 *
 * @example
 * throw new RecordsRepositoryError('git', 'git update-ref failed: …', { retryable: false, cause: error });
 */
export class RecordsRepositoryError extends FirebreakError {
  readonly retryable: boolean;

  constructor(
    /** Which backend: `git`, `github`, `codecommit`. */
    readonly backend: string,
    message: string,
    options: { readonly retryable: boolean; readonly cause?: unknown },
  ) {
    super(`${backend} records repository: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
  }
}

/**
 * Checks the files of one commit: valid paths, each at most once, a message.
 * Shared by the three adapters.
 *
 * @throws RangeError for a bad path, a path given twice, or an empty message
 */
export function checkCommitInput(files: readonly RecordFile[], message: string): void {
  const seen = new Set<string>();
  for (const file of files) {
    recordPath(file.path);
    if (typeof file.content !== 'string') throw new RangeError(`records file ${file.path}: content must be a string`);
    if (seen.has(file.path)) throw new RangeError(`records path "${file.path}" is given twice in one commit`);
    seen.add(file.path);
  }
  if (message.trim() === '') throw new RangeError('a records commit needs a message');
}

/** `corpus/` or `corpus` → `corpus`; `''` → `''` (the whole repository). */
export function folderPrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? '' : recordPath(trimmed);
}

/** A branch name git accepts (a practical subset of `git check-ref-format`). */
export const BranchNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'expected a branch name of letters, digits, ".", "_", "-" and "/"')
  .refine((name) => !name.includes('..') && !name.endsWith('.lock') && !name.endsWith('.') && !name.split('/').some((s) => s.startsWith('.')), 'expected a branch name git accepts');

/**
 * Validates a branch name of `CommitOptions.branch`; returns it or throws.
 *
 * @throws RangeError saying what is wrong
 * @example
 * checkBranchName('firebreak/inc-20261121-1a2b3c4d/corpus') // => the same
 */
export function checkBranchName(branch: string): string {
  const parsed = BranchNameSchema.safeParse(branch);
  if (!parsed.success) throw new RangeError(`branch "${branch}": ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/** Options of {@link GitRecordsRepository}. */
export const GitRecordsRepositoryOptionsSchema = z.strictObject({
  /**
   * Branch of a repository this adapter creates.
   * @default 'main'
   */
  initialBranch: BranchNameSchema.optional(),
  /**
   * The `git` executable.
   * @default 'git'
   */
  gitBinary: z.string().min(1).optional(),
  /**
   * Attempts when another process holds `index.lock` or a ref lock, or moved
   * HEAD between our read and our write.
   * @default 60
   */
  lockAttempts: z.number().int().min(1).optional(),
});

/** See {@link GitRecordsRepositoryOptionsSchema}; plus the pause between attempts, for tests. */
export type GitRecordsRepositoryOptions = z.input<typeof GitRecordsRepositoryOptionsSchema> & {
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
};

/** Author and committer of every commit, set per command. */
const IDENTITY = ['-c', 'user.name=Firebreak', '-c', 'user.email=firebreak@localhost'];
const MAX_OUTPUT = 256 * 1024 * 1024;
/** Every `GIT_*` variable is dropped: an inherited `GIT_DIR`, `GIT_INDEX_FILE` or `GIT_AUTHOR_NAME` would redirect or re-sign our commands. */
const BASE_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GIT_'))),
  GIT_TERMINAL_PROMPT: '0',
  GIT_LITERAL_PATHSPECS: '1',
  // English messages: lock contention is recognised from git's stderr.
  LC_ALL: 'C',
};

/** Commits queued per repository directory in this process, so that our own writers never race each other. */
const queues = new Map<string, Promise<unknown>>();

/** A failed git command: its arguments, exit code and stderr. */
class GitCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | string | undefined,
    readonly stderr: string,
    options: { cause: unknown },
  ) {
    super(`git ${args.slice(args[0] === '-c' ? IDENTITY.length : 0).join(' ')} exited with ${String(exitCode)}: ${stderr.trim() || '(no output)'}`, options);
    this.name = 'GitCommandError';
  }
}

const LOCKED = /\.lock'?: File exists|cannot lock ref|is at [0-9a-f]+ but expected/;

/**
 * `RecordsRepository` on a local git repository, through the `git` CLI
 * (`execFile`, no shell, no library).
 *
 * - The directory is created and `git init`ed with an empty initial commit
 *   when it is not a repository yet.
 * - `read`, `list` and `readAll` read HEAD (`git ls-tree`, `git cat-file`):
 *   what is committed, not what lies in the work tree. `readAll` runs two
 *   git processes for a whole folder (`ls-tree -r`, then one `cat-file
 *   --batch` for every blob), where `read` runs two per file.
 * - `commit` writes the blobs (`hash-object -w`), then takes git's own
 *   index lock (`.git/index.lock`, created exclusively — the lock `git add`
 *   and `git commit` take), builds the tree in a private index
 *   (`GIT_INDEX_FILE`, `read-tree HEAD`, `update-index`), `write-tree`,
 *   `commit-tree`, and moves HEAD's branch with `update-ref HEAD <new> <old>`,
 *   a compare-and-swap. Then it checks the committed paths out into the work
 *   tree and a copy of the index, renames the copy over the index and drops
 *   the lock. Files whose blob equals HEAD's make no commit (`changed:
 *   false`). Staged changes of a person are neither committed nor lost;
 *   local edits of the committed paths are overwritten.
 * - Concurrency: commits of one process go one at a time (a queue per
 *   directory). Across processes the index lock decides: while another
 *   process holds it, the commit waits and retries with backoff
 *   (`lockAttempts`), then fails with a retryable error that says how to
 *   clear a stale lock. A HEAD moved by a writer that takes no index lock
 *   (update-ref) is detected by the compare-and-swap and the commit rebuilt.
 * - Commits are authored by `Firebreak <firebreak@localhost>` (`-c
 *   user.name=… -c user.email=…`), unsigned, and run no hooks except those
 *   `git checkout` runs. `CommitOptions.branch`/`title` are ignored: local
 *   git commits to the checked-out branch.
 *
 * @example
 * const records = new GitRecordsRepository('.firebreak/records');
 * await records.commit([{ path: 'corpus/case-0123.json', content: '{…}\n' }], 'corpus: 1 case from inc-20261121-1a2b3c4d');
 */
export class GitRecordsRepository implements RecordsRepository {
  readonly kind = 'git';
  /** The repository's directory, absolute. */
  readonly dir: string;
  private readonly initialBranch: string;
  private readonly gitBinary: string;
  private readonly lockAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private ready: Promise<string> | undefined;

  /**
   * @param dir - the repository's top directory (created when missing)
   * @throws ConfigurationError when the options are invalid
   */
  constructor(dir: string, options: GitRecordsRepositoryOptions = {}) {
    const { sleep, ...rest } = options;
    const parsed = GitRecordsRepositoryOptionsSchema.safeParse(rest);
    if (!parsed.success) throw new ConfigurationError(`GitRecordsRepository options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    if (dir.trim() === '') throw new ConfigurationError('GitRecordsRepository needs a directory');
    this.dir = nodePath.resolve(dir);
    this.initialBranch = parsed.data.initialBranch ?? 'main';
    this.gitBinary = parsed.data.gitBinary ?? 'git';
    this.lockAttempts = parsed.data.lockAttempts ?? 60;
    this.sleep = sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async read(path: string): Promise<string | undefined> {
    recordPath(path);
    await this.ensureRepository();
    const entry = (await this.entries('HEAD', [path])).get(path);
    if (entry === undefined) return undefined;
    if (entry.type !== 'blob') throw new RecordsRepositoryError('git', `${path} is a ${entry.type === 'tree' ? 'folder' : entry.type}, not a file`, { retryable: false });
    return this.run(['cat-file', 'blob', entry.sha]);
  }

  async list(prefix: string): Promise<string[]> {
    const folder = folderPrefix(prefix);
    await this.ensureRepository();
    const out = await this.run(['ls-tree', '-r', '-z', '--full-tree', '--name-only', 'HEAD', ...(folder === '' ? [] : ['--', folder])]);
    return out
      .split('\0')
      .filter((p) => p !== '' && (folder === '' || p.startsWith(`${folder}/`)))
      .sort();
  }

  /**
   * Every regular file under the folder in HEAD, in two git processes
   * whatever the number of files: `ls-tree -r` for the blob ids, then one
   * `cat-file --batch` fed every blob id on its standard input. Takes no
   * lock, like `read`: blobs are immutable, and the tree is HEAD's when
   * `ls-tree` ran.
   */
  async readAll(prefix: string): Promise<Map<string, string>> {
    const folder = folderPrefix(prefix);
    await this.ensureRepository();
    const out = await this.run(['ls-tree', '-r', '-z', '--full-tree', 'HEAD', ...(folder === '' ? [] : ['--', folder])]);
    const files: { path: string; sha: string }[] = [];
    for (const line of out.split('\0')) {
      const match = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(line);
      if (match === null) continue;
      const [, mode, type, sha, path] = match as unknown as [string, string, string, string, string];
      // Regular files only (not symbolic links 120000, nor submodules), and only under the folder: ls-tree also names a file called `folder`.
      if (type !== 'blob' || !REGULAR_FILE_MODES.has(mode) || (folder !== '' && !path.startsWith(`${folder}/`))) continue;
      files.push({ path, sha });
    }
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const contents = files.length === 0 ? new Map<string, string>() : await this.catFileBatch([...new Set(files.map((f) => f.sha))]);
    return new Map(files.map((f) => [f.path, contents.get(f.sha)!]));
  }

  async commit(files: readonly RecordFile[], message: string, _options?: CommitOptions): Promise<RecordsCommit> {
    checkCommitInput(files, message);
    if (files.length === 0) return { changed: false, paths: [] };
    // The queue keeps running after a failed commit; the failure itself reaches this caller through `result`.
    const previous = queues.get(this.dir) ?? Promise.resolve();
    const result = previous.then(() => this.commitNow(files, message));
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    queues.set(this.dir, tail);
    void tail.then(() => {
      if (queues.get(this.dir) === tail) queues.delete(this.dir);
    });
    return result;
  }

  link(path: string): string {
    return nodePath.join(this.dir, recordPath(path));
  }

  private async commitNow(files: readonly RecordFile[], message: string): Promise<RecordsCommit> {
    const gitDir = await this.ensureRepository();
    const blobs = await this.writeBlobs(gitDir, files);
    const lock = await this.lockIndex(gitDir);
    try {
      for (let attempt = 1; ; attempt += 1) {
        const head = (await this.run(['rev-parse', '--verify', 'HEAD'])).trim();
        const existing = await this.entries(head, files.map((f) => f.path));
        const changed: { path: string; sha: string; mode: string }[] = [];
        files.forEach((file, i) => {
          const before = existing.get(file.path);
          if (before !== undefined && before.type !== 'blob') throw new RecordsRepositoryError('git', `${file.path} is a ${before.type === 'tree' ? 'folder' : before.type} in HEAD, not a file`, { retryable: false });
          if (before?.sha !== blobs[i]) changed.push({ path: file.path, sha: blobs[i]!, mode: before?.mode ?? '100644' });
        });
        if (changed.length === 0) return { changed: false, paths: [] };

        const tree = await this.writeTree(gitDir, head, changed);
        const commit = (await this.run([...IDENTITY, 'commit-tree', '--no-gpg-sign', tree, '-p', head, '-F', '-'], { input: message })).trim();
        try {
          await this.run(['update-ref', '-m', `firebreak: ${message.split('\n')[0]}`, 'HEAD', commit, head]);
        } catch (error) {
          // HEAD moved by a writer that does not take index.lock (update-ref, a push): build the commit again on it.
          if (error instanceof RecordsRepositoryError && error.retryable && attempt < this.lockAttempts) {
            await this.sleep(backoff(attempt));
            continue;
          }
          throw error;
        }
        const paths = changed.map((c) => c.path).sort();
        await this.checkOut(gitDir, commit, paths);
        return { changed: true, revision: commit, paths };
      }
    } finally {
      await rm(lock, { force: true });
    }
  }

  /** Blob ids of the contents, written to the object store in one `hash-object` (objects are content-addressed: no lock needed). */
  private async writeBlobs(gitDir: string, files: readonly RecordFile[]): Promise<string[]> {
    const scratch = nodePath.join(gitDir, `firebreak-blobs-${randomUUID()}`);
    await mkdir(scratch);
    try {
      const paths = files.map((_, i) => nodePath.join(scratch, String(i)));
      await Promise.all(files.map((f, i) => writeFile(paths[i]!, f.content, 'utf8')));
      const out = await this.run(['hash-object', '-w', '--no-filters', '--stdin-paths'], { input: `${paths.join('\n')}\n` });
      return out.trim().split('\n');
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /**
   * Takes git's own lock of the index (`.git/index.lock`, created
   * exclusively), so that neither another Firebreak process nor a person's
   * `git add`/`git commit` changes the index between our ref update and our
   * checkout. Waits (with backoff) while someone else holds it.
   */
  private async lockIndex(gitDir: string): Promise<string> {
    const lock = nodePath.join(gitDir, 'index.lock');
    for (let attempt = 1; ; attempt += 1) {
      try {
        await (await open(lock, 'wx')).close();
        return lock;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new RecordsRepositoryError('git', `cannot create ${lock}: ${(error as Error).message}`, { retryable: false, cause: error });
        if (attempt >= this.lockAttempts) {
          throw new RecordsRepositoryError('git', `${lock} stayed in place through ${attempt} attempts: another git process is using the repository (if none is running, remove .git/index.lock)`, {
            retryable: true,
            cause: error,
          });
        }
        await this.sleep(backoff(attempt));
      }
    }
  }

  /** The tree of HEAD with the changed blobs, built in a private index. */
  private async writeTree(gitDir: string, head: string, changed: readonly { path: string; sha: string; mode: string }[]): Promise<string> {
    const indexFile = nodePath.join(gitDir, `firebreak-index-${randomUUID()}`);
    const env = { GIT_INDEX_FILE: indexFile };
    try {
      await this.run(['read-tree', head], { env });
      await this.run(['update-index', '-z', '--index-info'], { env, input: changed.map((c) => `${c.mode} ${c.sha}\t${c.path}\0`).join('') });
      return (await this.run(['write-tree'], { env })).trim();
    } finally {
      await rm(indexFile, { force: true });
    }
  }

  /**
   * Brings the committed paths into the work tree and the index while we
   * hold index.lock: a copy of the index gets them (`checkout <commit> --`,
   * which writes the files) and replaces the index by rename.
   */
  private async checkOut(gitDir: string, commit: string, paths: readonly string[]): Promise<void> {
    const index = nodePath.join(gitDir, 'index');
    const copy = nodePath.join(gitDir, `firebreak-index-${randomUUID()}`);
    const env = { GIT_INDEX_FILE: copy };
    try {
      if (existsSync(index)) await copyFile(index, copy);
      // No index yet (a repository only Firebreak wrote to): start from the commit, so that the index matches HEAD.
      else await this.run(['read-tree', commit], { env });
      await this.run(['checkout', commit, '--pathspec-from-file=-', '--pathspec-file-nul'], { env, input: paths.map((p) => `${p}\0`).join('') });
      await rename(copy, index);
    } catch (error) {
      throw new RecordsRepositoryError('git', `commit ${commit} was made, but its files could not be checked out into ${this.dir}: ${(error as Error).message}`, { retryable: false, cause: error });
    } finally {
      await rm(copy, { force: true });
    }
  }

  /** `ls-tree` entries of the given paths in a commit. */
  private async entries(commit: string, paths: readonly string[]): Promise<Map<string, { mode: string; type: string; sha: string }>> {
    const out = await this.run(['ls-tree', '-z', '--full-tree', commit, '--', ...paths]);
    const entries = new Map<string, { mode: string; type: string; sha: string }>();
    for (const line of out.split('\0')) {
      const match = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(line);
      if (match !== null) entries.set(match[4]!, { mode: match[1]!, type: match[2]!, sha: match[3]! });
    }
    return entries;
  }

  /** Creates the repository and its first commit when missing; the absolute git directory. */
  private ensureRepository(): Promise<string> {
    this.ready ??= this.initialise().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async initialise(): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    if (!existsSync(nodePath.join(this.dir, '.git'))) await this.run(['init', '-q', `--initial-branch=${this.initialBranch}`]);
    const gitDir = (await this.run(['rev-parse', '--absolute-git-dir'])).trim();
    if (await this.hasHead()) return gitDir;
    const tree = (await this.run(['mktree'], { input: '' })).trim();
    const commit = (await this.run([...IDENTITY, 'commit-tree', '--no-gpg-sign', tree, '-m', 'Firebreak records repository'])).trim();
    try {
      // An empty old value: create the branch only if no one else did.
      await this.run(['update-ref', '-m', 'firebreak: initial commit', 'HEAD', commit, '']);
    } catch (error) {
      if (!(await this.hasHead())) throw error;
    }
    return gitDir;
  }

  private async hasHead(): Promise<boolean> {
    try {
      await this.run(['rev-parse', '--verify', '--quiet', 'HEAD']);
      return true;
    } catch (error) {
      const cause = (error as RecordsRepositoryError).cause as GitCommandError | undefined;
      if (cause?.exitCode === 1 && cause.stderr.trim() === '') return false;
      throw error;
    }
  }

  /**
   * The contents of blobs, through one `git cat-file --batch --buffer`: the
   * ids go in on stdin, one a line; each object comes back as
   * `<sha> blob <size>\n<content>\n`, parsed as bytes while it streams and
   * decoded as UTF-8.
   *
   * @throws RecordsRepositoryError when git fails, or names an object missing or not a blob
   */
  private catFileBatch(shas: readonly string[]): Promise<Map<string, string>> {
    const args = ['cat-file', '--batch', '--buffer'];
    return new Promise((resolve, reject) => {
      const child = spawn(this.gitBinary, ['-C', this.dir, ...args], { env: BASE_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
      const parser = new CatFileBatchParser();
      const stderr: Buffer[] = [];
      let failure: unknown;
      child.stdout.on('data', (chunk: Buffer) => {
        if (failure !== undefined) return;
        try {
          parser.push(chunk);
        } catch (error) {
          // An answer we cannot read: stop git; the close handler reports this error.
          failure = error;
          child.kill();
        }
      });
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.stdin.on('error', () => undefined); // EPIPE when git exits before reading stdin: the exit status reports the failure.
      child.on('error', (error) => {
        failure ??= error;
      });
      child.on('close', (code, signal) => {
        const text = Buffer.concat(stderr).toString('utf8');
        if (failure instanceof RecordsRepositoryError) return reject(failure);
        if (failure !== undefined || code !== 0) {
          const error = new GitCommandError(args, (failure as { code?: string } | undefined)?.code ?? code ?? signal ?? undefined, text, { cause: failure });
          return reject(new RecordsRepositoryError('git', error.message, { retryable: false, cause: error }));
        }
        const objects = parser.finish();
        const missing = shas.filter((sha) => !objects.has(sha));
        if (missing.length > 0) return reject(new RecordsRepositoryError('git', `git cat-file --batch did not return ${missing.length} of ${shas.length} objects (first: ${missing[0]})`, { retryable: false }));
        resolve(objects);
      });
      child.stdin.end(shas.map((sha) => `${sha}\n`).join(''));
    });
  }

  /** Runs git in the repository; stdout, or a {@link RecordsRepositoryError} whose cause is the {@link GitCommandError}. */
  private run(args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        this.gitBinary,
        ['-C', this.dir, ...args],
        { env: { ...BASE_ENV, ...options.env }, maxBuffer: MAX_OUTPUT, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (error === null) {
            resolve(stdout);
            return;
          }
          const failure = new GitCommandError(args, (error as { code?: number | string }).code, stderr, { cause: error });
          reject(new RecordsRepositoryError('git', failure.message, { retryable: LOCKED.test(stderr), cause: failure }));
        },
      );
      child.stdin?.on('error', () => undefined); // EPIPE when git exits before reading stdin: the exit status reports the failure.
      child.stdin?.end(options.input ?? '');
    });
  }
}

/** Modes of regular files in a git tree (`100644`, executable `100755`, and the legacy group-writable `100664`). */
const REGULAR_FILE_MODES = new Set(['100644', '100755', '100664']);

/**
 * Reads the output of `git cat-file --batch` as it streams: each object is
 * `<sha> <type> <size>\n`, `size` bytes of content and `\n`; an object git
 * does not have is `<sha> missing\n`. Chunks are kept as they come and
 * joined only once an object's bytes are all there, so that a large blob
 * spread over many chunks is copied once.
 */
class CatFileBatchParser {
  private readonly objects = new Map<string, string>();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private object: { readonly sha: string; readonly size: number } | undefined;

  /** Takes the next chunk of output; throws a {@link RecordsRepositoryError} on an object that is missing or not a blob. */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.object === undefined) {
        const data = this.join();
        const newline = data.indexOf(0x0a);
        if (newline < 0) return;
        const header = data.toString('latin1', 0, newline);
        this.keep(data.subarray(newline + 1));
        const match = /^([0-9a-f]+) (\w+) (\d+)$/.exec(header);
        if (match === null) throw new RecordsRepositoryError('git', `git cat-file --batch: ${/ missing$/.test(header) ? `object ${header.split(' ')[0]} is missing` : `unexpected header "${header}"`}`, { retryable: false });
        if (match[2] !== 'blob') throw new RecordsRepositoryError('git', `git cat-file --batch: object ${match[1]} is a ${match[2]}, not a blob`, { retryable: false });
        this.object = { sha: match[1]!, size: Number(match[3]) };
      }
      // The content and the newline after it.
      if (this.buffered < this.object.size + 1) return;
      const data = this.join();
      this.objects.set(this.object.sha, data.toString('utf8', 0, this.object.size));
      this.keep(data.subarray(this.object.size + 1));
      this.object = undefined;
    }
  }

  /** The objects read, by id; throws when the output stopped inside an object. */
  finish(): Map<string, string> {
    if (this.object !== undefined || this.buffered > 0) throw new RecordsRepositoryError('git', 'git cat-file --batch: its output ended inside an object', { retryable: false });
    return this.objects;
  }

  private join(): Buffer {
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [data];
    return data;
  }

  private keep(rest: Buffer): void {
    this.chunks = rest.length === 0 ? [] : [rest];
    this.buffered = rest.length;
  }
}

/** 20 ms, 40 ms, … up to 500 ms, with jitter so that competing processes spread out. */
function backoff(attempt: number): number {
  return Math.min(500, 20 * 2 ** Math.min(attempt - 1, 5)) * (0.5 + Math.random() / 2);
}
