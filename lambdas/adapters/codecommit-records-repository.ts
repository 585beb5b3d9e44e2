/**
 * The records repository on AWS CodeCommit.
 */
import {
  CreateBranchCommand,
  CreateCommitCommand,
  GetBranchCommand,
  GetFileCommand,
  GetFolderCommand,
  GetRepositoryCommand,
  type CodeCommitClient,
  type CreateCommitOutput,
} from '@aws-sdk/client-codecommit';
import { z } from 'zod';
import { ConfigurationError } from '../core/errors';
import { recordPath, type CommitOptions, type RecordFile, type RecordsCommit, type RecordsRepository } from '../core/records/records-repository';
import { BranchNameSchema, checkBranchName, checkCommitInput, folderPrefix, RecordsRepositoryError } from './git-records-repository';

/** Options of {@link CodeCommitRecordsRepository}. */
export const CodeCommitRecordsRepositoryOptionsSchema = z.strictObject({
  repositoryName: z.string().regex(/^[\w.-]{1,100}$/, 'expected a CodeCommit repository name'),
  /** Region of the repository, for console links. */
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'expected an AWS region such as eu-west-1'),
  /**
   * The branch that is read and that new branches start from.
   * @default the repository's default branch (`main` for an empty repository)
   */
  baseBranch: BranchNameSchema.optional(),
});
/** See {@link CodeCommitRecordsRepositoryOptionsSchema}. */
export type CodeCommitRecordsRepositoryOptions = z.input<typeof CodeCommitRecordsRepositoryOptionsSchema>;

const ATTEMPTS = 3;
const AUTHOR = { authorName: 'Firebreak', email: 'firebreak@localhost' } as const;
const UTF8 = new TextDecoder('utf-8');
/** GetFile requests in flight at once in `readAll`. */
const READ_CONCURRENCY = 16;

/**
 * `RecordsRepository` on a CodeCommit repository.
 *
 * `commit(files, message, { branch })` makes one `CreateCommit` with
 * `putFiles` on `branch` (created from the base branch's head when missing)
 * or, without a branch, on the base branch. `NoChangeException` (every file
 * already has that content) is `changed: false`; a branch that moved between
 * GetBranch and CreateCommit (`ParentCommitIdOutdatedException`) is retried
 * up to three times. No pull request is opened; `url` is the commit in the
 * console. CodeCommit's limits apply: 6 MB per file, 7 MB per commit, 100
 * files per commit — over them, CreateCommit's error is reported.
 *
 * `read` is GetFile on the base branch (`FileDoesNotExistException` →
 * undefined); `list` walks GetFolder (a missing folder lists nothing);
 * `readAll` walks GetFolder and reads every file with GetFile, 16 at a
 * time, since CodeCommit has no bulk read.
 * Errors are {@link RecordsRepositoryError}s; throttling, 5xx and network
 * errors are retryable.
 *
 * IAM: `codecommit:GetRepository`, `GetBranch`, `CreateBranch`,
 * `CreateCommit`, `GetFile`, `GetFolder` on the repository.
 *
 * @example
 * const records = new CodeCommitRecordsRepository(new CodeCommitClient({}), { repositoryName: 'firebreak-records', region: 'eu-west-1' });
 */
export class CodeCommitRecordsRepository implements RecordsRepository {
  readonly kind = 'codecommit';
  private readonly repositoryName: string;
  private readonly region: string;
  private baseBranch: string | undefined;

  /** @throws ConfigurationError when the options are invalid */
  constructor(
    private readonly client: CodeCommitClient,
    options: CodeCommitRecordsRepositoryOptions,
  ) {
    const parsed = CodeCommitRecordsRepositoryOptionsSchema.safeParse(options);
    if (!parsed.success) throw new ConfigurationError(`CodeCommitRecordsRepository options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.repositoryName = parsed.data.repositoryName;
    this.region = parsed.data.region;
    this.baseBranch = parsed.data.baseBranch;
  }

  async read(path: string): Promise<string | undefined> {
    recordPath(path);
    const commitSpecifier = await this.base();
    try {
      const { fileContent } = await this.client.send(new GetFileCommand({ repositoryName: this.repositoryName, commitSpecifier, filePath: path }));
      return UTF8.decode(fileContent ?? new Uint8Array());
    } catch (error) {
      if (nameOf(error) === 'FileDoesNotExistException') return undefined;
      throw this.failure(`read ${path}`, error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const folder = folderPrefix(prefix);
    return (await this.walk(folder, await this.base())).sort();
  }

  /**
   * CodeCommit has no bulk read (no archive, no batch of file contents): the
   * folder is walked with GetFolder at the base branch's head commit, then
   * each file is read with GetFile at that same commit, {@link READ_CONCURRENCY}
   * at a time — one request per file, all of one commit even if the branch
   * moves meanwhile. A base branch with no commit yet (an empty repository)
   * reads as empty.
   */
  async readAll(prefix: string): Promise<Map<string, string>> {
    const folder = folderPrefix(prefix);
    const head = await this.head(await this.base());
    if (head === undefined) return new Map();
    const paths = (await this.walk(folder, head)).sort();
    const contents = await mapConcurrently(paths, READ_CONCURRENCY, async (filePath) => {
      try {
        const { fileContent } = await this.client.send(new GetFileCommand({ repositoryName: this.repositoryName, commitSpecifier: head, filePath }));
        return UTF8.decode(fileContent ?? new Uint8Array());
      } catch (error) {
        throw this.failure(`read ${filePath} at ${head}`, error);
      }
    });
    return new Map(paths.map((path, i) => [path, contents[i]!]));
  }

  async commit(files: readonly RecordFile[], message: string, options: CommitOptions = {}): Promise<RecordsCommit> {
    checkCommitInput(files, message);
    const requested = options.branch === undefined ? undefined : checkBranchName(options.branch);
    if (files.length === 0) return { changed: false, paths: [] };
    const base = await this.base();
    const branch = requested ?? base;
    for (let attempt = 1; ; attempt += 1) {
      let parent = await this.head(branch);
      if (parent === undefined && branch !== base) {
        parent = await this.head(base);
        // An empty repository has no base to branch from: the commit below creates the branch.
        if (parent !== undefined && !(await this.createBranch(branch, parent))) continue;
      }
      let out: CreateCommitOutput;
      try {
        out = await this.client.send(
          new CreateCommitCommand({
            repositoryName: this.repositoryName,
            branchName: branch,
            ...(parent === undefined ? {} : { parentCommitId: parent }),
            ...AUTHOR,
            commitMessage: message,
            putFiles: files.map((f) => ({ filePath: f.path, fileMode: 'NORMAL', fileContent: new TextEncoder().encode(f.content) })),
          }),
        );
      } catch (error) {
        const name = nameOf(error);
        if (name === 'NoChangeException') return { changed: false, paths: [] };
        // Someone else committed to the branch (or created it) since we read its head.
        if ((name === 'ParentCommitIdOutdatedException' || name === 'ParentCommitIdRequiredException') && attempt < ATTEMPTS) continue;
        if (name === 'ParentCommitIdOutdatedException' || name === 'ParentCommitIdRequiredException') {
          throw new RecordsRepositoryError('codecommit', `${branch} kept moving while committing; gave up after ${ATTEMPTS} attempts`, { retryable: true, cause: error });
        }
        throw this.failure(`commit to ${branch}`, error);
      }
      const paths = [...(out.filesAdded ?? []), ...(out.filesUpdated ?? [])].flatMap((f) => (f.absolutePath === undefined ? [] : [stripSlash(f.absolutePath)])).sort();
      const revision = out.commitId;
      return {
        changed: true,
        paths,
        ...(revision === undefined ? {} : { revision, url: `${this.console()}/commit/${revision}?region=${this.region}` }),
      };
    }
  }

  link(path: string): string {
    const at = this.baseBranch === undefined ? '' : `refs/heads/${this.baseBranch}/`;
    return `${this.console()}/browse/${at}--/${recordPath(path).split('/').map(encodeURIComponent).join('/')}?region=${this.region}`;
  }

  private console(): string {
    return `https://${this.region}.console.aws.amazon.com/codesuite/codecommit/repositories/${encodeURIComponent(this.repositoryName)}`;
  }

  /** Paths of the files under a folder (`''`: the whole repository) at a branch or commit, walking GetFolder; none when the folder does not exist. */
  private async walk(folder: string, commitSpecifier: string): Promise<string[]> {
    const found: string[] = [];
    const pending = [folder === '' ? '/' : folder];
    while (pending.length > 0) {
      const folderPath = pending.shift()!;
      let out;
      try {
        out = await this.client.send(new GetFolderCommand({ repositoryName: this.repositoryName, commitSpecifier, folderPath }));
      } catch (error) {
        if (nameOf(error) === 'FolderDoesNotExistException') continue;
        throw this.failure(`list ${folderPath}`, error);
      }
      for (const file of out.files ?? []) if (file.absolutePath !== undefined) found.push(stripSlash(file.absolutePath));
      for (const sub of out.subFolders ?? []) if (sub.absolutePath !== undefined) pending.push(stripSlash(sub.absolutePath));
    }
    return found;
  }

  /** The base branch: configured, or the repository's default (asked once). */
  private async base(): Promise<string> {
    if (this.baseBranch === undefined) {
      try {
        const { repositoryMetadata } = await this.client.send(new GetRepositoryCommand({ repositoryName: this.repositoryName }));
        // An empty repository has no default branch yet; its first commit creates `main`.
        this.baseBranch = repositoryMetadata?.defaultBranch ?? 'main';
      } catch (error) {
        throw this.failure('read the repository', error);
      }
    }
    return this.baseBranch;
  }

  /** The commit a branch points at, or undefined when it does not exist. */
  private async head(branch: string): Promise<string | undefined> {
    try {
      return (await this.client.send(new GetBranchCommand({ repositoryName: this.repositoryName, branchName: branch }))).branch?.commitId;
    } catch (error) {
      if (nameOf(error) === 'BranchDoesNotExistException') return undefined;
      throw this.failure(`read branch ${branch}`, error);
    }
  }

  /** Creates a branch; false when someone else created it first. */
  private async createBranch(branch: string, commitId: string): Promise<boolean> {
    try {
      await this.client.send(new CreateBranchCommand({ repositoryName: this.repositoryName, branchName: branch, commitId }));
      return true;
    } catch (error) {
      if (nameOf(error) === 'BranchNameExistsException') return false;
      throw this.failure(`create branch ${branch}`, error);
    }
  }

  private failure(doing: string, error: unknown): RecordsRepositoryError {
    const name = nameOf(error);
    const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
    const retryable = name === 'ThrottlingException' || name === 'TooManyRequestsException' || status === 429 || status === undefined || status >= 500;
    return new RecordsRepositoryError('codecommit', `${doing} in ${this.repositoryName}: ${name}: ${error instanceof Error ? error.message : String(error)}`, { retryable, cause: error });
  }
}

/** `fn` over `items` with at most `limit` calls in flight, results in order; the first failure rejects, and no further call starts after it. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next;
      next += 1;
      try {
        results[i] = await fn(items[i]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

function stripSlash(path: string): string {
  return path.replace(/^\/+/, '');
}
