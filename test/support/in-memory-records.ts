import { recordPath, type CommitOptions, type RecordFile, type RecordsCommit, type RecordsRepository } from '../../lambdas/core/records/records-repository';

/** One commit an {@link InMemoryRecordsRepository} made. */
export interface RecordedCommit {
  readonly revision: string;
  readonly files: readonly RecordFile[];
  readonly message: string;
  readonly options: CommitOptions;
}

/** Options of {@link InMemoryRecordsRepository}. */
export interface InMemoryRecordsOptions {
  /**
   * `direct` (local git): every commit lands on the branch `read` and `list`
   * see. `propose` (GitHub): a commit with a `branch` lands on that branch
   * only, and is seen once {@link InMemoryRecordsRepository.merge} merges it.
   *
   * @default 'direct'
   */
  readonly mode?: 'direct' | 'propose';
  /**
   * Whether a commit answers with a `url` (a commit or pull-request link);
   * false answers none, as local git does.
   *
   * @default true
   */
  readonly commitLinks?: boolean;
}

/**
 * `RecordsRepository` in memory, with the adapters' semantics: paths are
 * checked, committing content that is already there makes no commit
 * (`changed: false`), and in `propose` mode a branch's commits stay off the
 * base branch until merged (as a pull request does). Every commit is kept in
 * {@link commits}; {@link failNextCommit} makes the next one throw.
 *
 * @example
 * const records = new InMemoryRecordsRepository({ 'corpus/case-0123456789abcdef.json': text });
 * await records.commit([{ path: 'postmortems/2026/inc-1.md', content: '# …' }], 'postmortem: draft');
 */
export class InMemoryRecordsRepository implements RecordsRepository {
  readonly kind = 'memory';
  readonly commits: RecordedCommit[] = [];
  private readonly base = new Map<string, string>();
  private readonly branches = new Map<string, Map<string, string>>();
  private readonly failures: Error[] = [];
  private readonly mode: 'direct' | 'propose';
  private readonly commitLinks: boolean;

  constructor(files: Readonly<Record<string, string>> = {}, options: InMemoryRecordsOptions = {}) {
    for (const [path, content] of Object.entries(files)) this.base.set(recordPath(path), content);
    this.mode = options.mode ?? 'direct';
    this.commitLinks = options.commitLinks ?? true;
  }

  async read(path: string): Promise<string | undefined> {
    return this.base.get(recordPath(path));
  }

  async list(prefix: string): Promise<string[]> {
    const folder = prefix.replace(/\/+$/, '');
    return [...this.base.keys()].filter((p) => folder === '' || p.startsWith(`${folder}/`)).sort();
  }

  /** The base branch's files under the folder, in path order (a copy: later commits do not change it). */
  async readAll(prefix: string): Promise<Map<string, string>> {
    const paths = await this.list(prefix);
    return new Map(paths.map((p) => [p, this.base.get(p)!]));
  }

  async commit(files: readonly RecordFile[], message: string, options: CommitOptions = {}): Promise<RecordsCommit> {
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    const proposing = this.mode === 'propose' && options.branch !== undefined;
    const target = proposing ? this.branchFiles(options.branch ?? '') : this.base;
    const changed = files.filter((f) => target.get(recordPath(f.path)) !== f.content);
    const url = !this.commitLinks ? undefined : proposing ? `memory://pulls/${options.branch}` : undefined;
    if (changed.length === 0) return { changed: false, paths: [], ...(url === undefined ? {} : { url }) };
    const revision = `rev-${this.commits.length + 1}`;
    for (const f of changed) target.set(f.path, f.content);
    this.commits.push({ revision, files: changed, message, options });
    const link = url ?? (this.commitLinks ? `memory://commits/${revision}` : undefined);
    return { changed: true, revision, paths: changed.map((f) => f.path).sort(), ...(link === undefined ? {} : { url: link }) };
  }

  link(path: string): string {
    return `memory://records/${recordPath(path)}`;
  }

  /** Makes the next `commit` throw `error` (once). */
  failNextCommit(error: Error): void {
    this.failures.push(error);
  }

  /** Merges a proposed branch into the base branch (`propose` mode), as merging its pull request does. */
  merge(branch: string): void {
    for (const [path, content] of this.branchFiles(branch)) this.base.set(path, content);
    this.branches.delete(branch);
  }

  /** A file as a proposed branch has it (`propose` mode). */
  readBranch(branch: string, path: string): string | undefined {
    return this.branches.get(branch)?.get(recordPath(path));
  }

  private branchFiles(branch: string): Map<string, string> {
    const files = this.branches.get(branch) ?? new Map([...this.base]);
    this.branches.set(branch, files);
    return files;
  }
}
