/**
 * The records repository on GitHub: commits through the git data API and
 * changes proposed as pull requests.
 */
import { createHash } from 'node:crypto';
import { types } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Octokit } from '@octokit/rest';
import { z } from 'zod';
import { ConfigurationError } from '../core/errors';
import { recordPath, type CommitOptions, type RecordFile, type RecordsCommit, type RecordsRepository } from '../core/records/records-repository';
import { BranchNameSchema, checkBranchName, checkCommitInput, folderPrefix, RecordsRepositoryError } from './git-records-repository';
import { readTar } from './tar-reader';

/** Options of {@link GitHubRecordsRepository}. */
export const GitHubRecordsRepositoryOptionsSchema = z.strictObject({
  owner: z.string().min(1),
  repo: z.string().min(1),
  /**
   * The branch changes are proposed to and read from.
   * @default the repository's default branch
   */
  baseBranch: BranchNameSchema.optional(),
  /**
   * Web address of GitHub, for `link`.
   * @default 'https://github.com'
   */
  webUrl: z.url().optional(),
});
/** See {@link GitHubRecordsRepositoryOptionsSchema}. */
export type GitHubRecordsRepositoryOptions = z.input<typeof GitHubRecordsRepositoryOptionsSchema>;

const ATTEMPTS = 3;

/** A ref as `GET …/git/ref/{ref}` returns it (the fields used). */
const RefSchema = z.object({ object: z.object({ sha: z.string() }) });
/** The contents API's answer (the fields used): a file, something else, or a folder's entries. */
const ContentSchema = z.union([
  z.array(z.object({ path: z.string(), type: z.string() })),
  z.object({ type: z.string(), sha: z.string(), size: z.number(), encoding: z.string().optional(), content: z.string().optional() }),
]);

/**
 * The body of a tarball download as Octokit hands it over: an ArrayBuffer
 * (binary content types), or a typed array. Checked by internal slot, not
 * `instanceof`, because Node's fetch may build it in another realm.
 */
const ArchiveBodySchema = z.custom<ArrayBuffer | ArrayBufferView>((value) => types.isAnyArrayBuffer(value) || ArrayBuffer.isView(value), 'expected the archive as binary data');

/** Validates an answer of a route Octokit has no types for (`{+path}` templates). */
function parseResponse<T extends z.ZodType>(schema: T, data: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new RecordsRepositoryError('github', `unexpected answer for ${what}: ${parsed.error.issues[0]!.message}`, { retryable: false });
  return parsed.data;
}

/** The git blob id of a text (what GitHub computes for the same content). */
function blobSha(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/**
 * `RecordsRepository` on a GitHub repository, through Octokit (inject one
 * built with the token and, for GitHub Enterprise or a test, `baseUrl`).
 *
 * `commit(files, message, { branch, title })`:
 * 1. the branch is `branch` when given (created from the base branch's head
 *    when missing), otherwise the base branch itself (a direct commit, no
 *    pull request);
 * 2. files whose blob id equals the branch head's are unchanged; when all
 *    are, nothing is written (`changed: false`) — an open pull request of the
 *    branch is still reported (and opened if a previous call stopped between
 *    the commit and the pull request);
 * 3. otherwise blobs, a tree on top of the head's tree, and a commit are
 *    created (git data API), and the branch ref is created or moved
 *    fast-forward only; a branch that moved meanwhile (HTTP 422) is retried
 *    from step 2 up to three times;
 * 4. a pull request from the branch to the base branch is opened with
 *    `title` (default: the message's first line), or the open one reused.
 *
 * `read` and `list` read the base branch (contents API; recursive tree).
 * `readAll` reads a whole folder in one download: the tarball of the base
 * branch's head commit (`GET /repos/{owner}/{repo}/tarball/{sha}`, which
 * GitHub answers with a redirect to its archive host that Octokit follows),
 * gunzipped and read with {@link readTar}. The archive is `git archive`'s,
 * so files the repository's `.gitattributes` marks `export-ignore` are not
 * in it, and `export-subst` files come with their placeholders expanded.
 * Errors are {@link RecordsRepositoryError}s: 429, 5xx, a rate-limited 403
 * and network errors are retryable; 401, 403, 404 and 422 are not.
 *
 * Token: contents read/write and pull requests read/write on the repository
 * (contents read covers the archive download).
 *
 * @example
 * const records = new GitHubRecordsRepository(new Octokit({ auth: token }), { owner: 'acme', repo: 'firebreak-records' });
 * const { url } = await records.commit(files, 'corpus: 3 cases from inc-20261121-1a2b3c4d', { branch: 'firebreak/inc-20261121-1a2b3c4d/corpus' });
 */
export class GitHubRecordsRepository implements RecordsRepository {
  readonly kind = 'github';
  private readonly owner: string;
  private readonly repo: string;
  private readonly webUrl: string;
  private baseBranch: string | undefined;

  /** @throws ConfigurationError when the options are invalid */
  constructor(
    private readonly octokit: Octokit,
    options: GitHubRecordsRepositoryOptions,
  ) {
    const parsed = GitHubRecordsRepositoryOptionsSchema.safeParse(options);
    if (!parsed.success) throw new ConfigurationError(`GitHubRecordsRepository options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.owner = parsed.data.owner;
    this.repo = parsed.data.repo;
    this.baseBranch = parsed.data.baseBranch;
    this.webUrl = (parsed.data.webUrl ?? 'https://github.com').replace(/\/+$/, '');
  }

  async read(path: string): Promise<string | undefined> {
    recordPath(path);
    const ref = await this.base();
    const data = await this.call(`read ${path}`, () => this.content(path, ref));
    if (data === undefined) return undefined;
    if (Array.isArray(data) || data.type !== 'file') {
      throw new RecordsRepositoryError('github', `${path} is a ${Array.isArray(data) ? 'folder' : data.type}, not a file`, { retryable: false });
    }
    // Files over 1 MB come without content: read their blob.
    const base64 = data.encoding === 'base64' && data.content !== undefined && (data.content !== '' || data.size === 0) ? data.content : await this.blob(data.sha);
    return Buffer.from(base64, 'base64').toString('utf8');
  }

  async list(prefix: string): Promise<string[]> {
    const folder = folderPrefix(prefix);
    const head = await this.head(await this.base());
    if (head === undefined) throw new RecordsRepositoryError('github', `base branch ${this.baseBranch} does not exist`, { retryable: false });
    const tree = await this.tree(await this.treeOf(head));
    if (tree.truncated) throw new RecordsRepositoryError('github', 'the repository has too many files to list through the trees API', { retryable: false });
    return [...tree.blobs.keys()].filter((p) => folder === '' || p.startsWith(`${folder}/`)).sort();
  }

  /**
   * The base branch's files under the folder, from one tarball download (plus
   * the read of the branch head, and of the default branch once when no base
   * branch is configured): three API calls at most, whatever the number of
   * files. The archive holds the whole branch, whatever the folder: memory
   * and transfer grow with the repository, not with the folder.
   *
   * @throws RecordsRepositoryError when the base branch does not exist, the download fails, or the archive cannot be read
   */
  async readAll(prefix: string): Promise<Map<string, string>> {
    const folder = folderPrefix(prefix);
    const base = await this.base();
    // The head commit, so that the archive is of one known commit (and a missing branch is said plainly).
    const head = await this.head(base);
    if (head === undefined) throw new RecordsRepositoryError('github', `base branch ${base} does not exist`, { retryable: false });
    const body = await this.call(`download the archive of ${base} at ${head}`, async () => (await this.octokit.rest.repos.downloadTarballArchive({ owner: this.owner, repo: this.repo, ref: head })).data as unknown);
    const archive = parseResponse(ArchiveBodySchema, body, `the archive of ${base}`);
    const bytes = types.isAnyArrayBuffer(archive) ? Buffer.from(archive) : Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
    let entries;
    try {
      entries = readTar(await gunzipAsync(bytes));
    } catch (error) {
      throw new RecordsRepositoryError('github', `the archive of ${base} at ${head} cannot be read: ${(error as Error).message}`, { retryable: false, cause: error });
    }
    const files: [string, string][] = [];
    for (const entry of entries) {
      // Every path starts with the archive's own folder, `<owner>-<repo>-<short sha>/`.
      const slash = entry.path.indexOf('/');
      const path = slash < 0 ? '' : entry.path.slice(slash + 1);
      if (path === '' || (folder !== '' && !path.startsWith(`${folder}/`))) continue;
      files.push([path, entry.content.toString('utf8')]);
    }
    return new Map(files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  async commit(files: readonly RecordFile[], message: string, options: CommitOptions = {}): Promise<RecordsCommit> {
    checkCommitInput(files, message);
    const requested = options.branch === undefined ? undefined : checkBranchName(options.branch);
    if (files.length === 0) return { changed: false, paths: [] };
    const base = await this.base();
    const branch = requested ?? base;
    const proposing = branch !== base;
    const title = options.title ?? message.split('\n')[0]!;
    for (let attempt = 1; ; attempt += 1) {
      const branchHead = await this.head(branch);
      const parent = branchHead ?? (await this.head(base));
      if (parent === undefined) throw new RecordsRepositoryError('github', `base branch ${base} does not exist`, { retryable: false });
      const parentTree = await this.treeOf(parent);
      const changed = await this.changedFiles(parent, parentTree, files);
      if (changed.length === 0) {
        const url = proposing && branchHead !== undefined ? await this.ensurePullRequest(branch, base, title, message) : undefined;
        return { changed: false, paths: [], ...(url === undefined ? {} : { url }) };
      }

      const commit = await this.call('create the commit', async () => {
        const entries = [];
        for (const file of changed) {
          const blob = await this.octokit.rest.git.createBlob({ owner: this.owner, repo: this.repo, content: Buffer.from(file.content, 'utf8').toString('base64'), encoding: 'base64' });
          entries.push({ path: file.path, mode: '100644' as const, type: 'blob' as const, sha: blob.data.sha });
        }
        const tree = await this.octokit.rest.git.createTree({ owner: this.owner, repo: this.repo, base_tree: parentTree, tree: entries });
        return (await this.octokit.rest.git.createCommit({ owner: this.owner, repo: this.repo, message, tree: tree.data.sha, parents: [parent] })).data;
      });

      const moved = await this.call(`move ${branch}`, async () => {
        try {
          if (branchHead === undefined) await this.octokit.rest.git.createRef({ owner: this.owner, repo: this.repo, ref: `refs/heads/${branch}`, sha: commit.sha });
          else await this.octokit.request('PATCH /repos/{owner}/{repo}/git/refs/{+ref}', { owner: this.owner, repo: this.repo, ref: `heads/${branch}`, sha: commit.sha, force: false });
          return true;
        } catch (error) {
          // The branch was created or moved by someone else since we read it: build the commit again on its new head.
          if (statusOf(error) !== 422 || !/already exists|not a fast.forward/i.test(errorText(error))) throw error;
          if (attempt < ATTEMPTS) return false;
          throw new RecordsRepositoryError('github', `${branch} kept moving while committing; gave up after ${ATTEMPTS} attempts`, { retryable: true, cause: error });
        }
      });
      if (!moved) continue;
      const paths = changed.map((f) => f.path).sort();
      const url = proposing ? await this.ensurePullRequest(branch, base, title, message) : commit.html_url;
      return { changed: true, revision: commit.sha, paths, ...(url === undefined ? {} : { url }) };
    }
  }

  link(path: string): string {
    return `${this.webUrl}/${this.owner}/${this.repo}/blob/${this.baseBranch ?? 'HEAD'}/${recordPath(path).split('/').map(encodeURIComponent).join('/')}`;
  }

  /** The base branch: configured, or the repository's default (asked once). */
  private async base(): Promise<string> {
    if (this.baseBranch === undefined) {
      const { data } = await this.call('read the repository', () => this.octokit.rest.repos.get({ owner: this.owner, repo: this.repo }));
      this.baseBranch = data.default_branch;
    }
    return this.baseBranch;
  }

  /** The commit a branch points at, or undefined when the branch does not exist. */
  private head(branch: string): Promise<string | undefined> {
    return this.call(`read branch ${branch}`, async () => {
      try {
        const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/git/ref/{+ref}', { owner: this.owner, repo: this.repo, ref: `heads/${branch}` });
        return parseResponse(RefSchema, data, `ref heads/${branch}`).object.sha;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    });
  }

  private async treeOf(commit: string): Promise<string> {
    return (await this.call(`read commit ${commit}`, () => this.octokit.rest.git.getCommit({ owner: this.owner, repo: this.repo, commit_sha: commit }))).data.tree.sha;
  }

  private async tree(treeSha: string): Promise<{ blobs: Map<string, string>; truncated: boolean }> {
    const { data } = await this.call(`read tree ${treeSha}`, () => this.octokit.rest.git.getTree({ owner: this.owner, repo: this.repo, tree_sha: treeSha, recursive: 'true' }));
    const blobs = new Map<string, string>();
    for (const entry of data.tree) if (entry.type === 'blob' && entry.path !== undefined && entry.sha !== undefined) blobs.set(entry.path, entry.sha);
    return { blobs, truncated: data.truncated };
  }

  private async blob(sha: string): Promise<string> {
    return (await this.call(`read blob ${sha}`, () => this.octokit.rest.git.getBlob({ owner: this.owner, repo: this.repo, file_sha: sha }))).data.content;
  }

  /** Files whose content differs from the commit's; per file through the contents API when the tree is too large to read at once. */
  private async changedFiles(commit: string, treeSha: string, files: readonly RecordFile[]): Promise<RecordFile[]> {
    const tree = await this.tree(treeSha);
    const existing = async (path: string): Promise<string | undefined> => {
      if (!tree.truncated) return tree.blobs.get(path);
      const data = await this.call(`read ${path}`, () => this.content(path, commit));
      return data === undefined || Array.isArray(data) ? undefined : data.sha;
    };
    const changed: RecordFile[] = [];
    for (const file of files) if ((await existing(file.path)) !== blobSha(file.content)) changed.push(file);
    return changed;
  }

  /**
   * The contents API's answer for a path at a ref; undefined when there is
   * nothing there. The path goes into the URL with its slashes as they are
   * (`{+path}`, each segment percent-encoded): GitHub answers 404 to an
   * encoded `%2F` for some tokens (octokit/octokit.js#2422).
   */
  private async content(path: string, ref: string): Promise<z.infer<typeof ContentSchema> | undefined> {
    try {
      const { data } = await this.octokit.request('GET /repos/{owner}/{repo}/contents/{+path}', { owner: this.owner, repo: this.repo, path: path.split('/').map(encodeURIComponent).join('/'), ref });
      return parseResponse(ContentSchema, data, `contents of ${path}`);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** The open pull request of the branch, opened when there is none; undefined when the branch has nothing to propose. */
  private async ensurePullRequest(branch: string, base: string, title: string, message: string): Promise<string | undefined> {
    const findOpen = async (): Promise<string | undefined> =>
      (await this.octokit.rest.pulls.list({ owner: this.owner, repo: this.repo, head: `${this.owner}:${branch}`, base, state: 'open', per_page: 1 })).data[0]?.html_url;
    return this.call(`open a pull request for ${branch}`, async () => {
      const open = await findOpen();
      if (open !== undefined) return open;
      const body = `${message.split('\n').slice(1).join('\n').trim()}\n\nProposed by Firebreak.`.trim();
      try {
        return (await this.octokit.rest.pulls.create({ owner: this.owner, repo: this.repo, title, head: branch, base, body })).data.html_url;
      } catch (error) {
        if (statusOf(error) !== 422) throw error;
        // 422: opened by a concurrent call, or nothing left to propose (the branch was merged).
        const raced = await findOpen();
        if (raced !== undefined) return raced;
        if (/no commits between/i.test(errorText(error))) return undefined;
        throw error;
      }
    });
  }

  /** Runs an Octokit call; its failure becomes a {@link RecordsRepositoryError}. */
  private async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof RecordsRepositoryError) throw error;
      const status = statusOf(error);
      const rateLimited = status === 429 || (status === 403 && /rate limit/i.test(errorText(error)));
      const retryable = rateLimited || status === undefined || status >= 500;
      const hint = status === 401 ? ' (bad credentials)' : status === 404 ? ` (no repository ${this.owner}/${this.repo}, or the token may not see it)` : '';
      throw new RecordsRepositoryError('github', `${doing}: ${status === undefined ? '' : `HTTP ${status} `}${errorText(error)}${hint}`, { retryable, cause: error });
    }
  }
}

/** zlib's gunzip off the event loop. */
function gunzipAsync(bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => gunzip(bytes, (error, out) => (error === null ? resolve(out) : reject(error))));
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** GitHub's own message and its validation errors, when it said more than the status. */
function errorText(error: unknown): string {
  const data = (error as { response?: { data?: { message?: unknown; errors?: unknown } } } | undefined)?.response?.data;
  const parts = [error instanceof Error ? error.message : String(error)];
  if (Array.isArray(data?.errors)) parts.push(...data.errors.map((e: unknown) => (typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : JSON.stringify(e))));
  return parts.join('; ');
}
