import type { CommitOptions, RecordFile, RecordsCommit, RecordsRepository } from '../../lambdas/core/records/records-repository';
import { recordPath } from '../../lambdas/core/records/records-repository';
import type { ReviewChannel } from '../../lambdas/core/review/review-channel';

/** One commit an {@link InMemoryRecordsRepository} made. */
export interface RecordedCommit {
  readonly message: string;
  readonly branch?: string;
  /** Paths written (the files whose content changed). */
  readonly paths: readonly string[];
}

/**
 * `RecordsRepository` in memory, with the port's semantics: one branch of
 * files; `commit` writes the files whose content differs and makes no commit
 * (`changed: false`) when none does; `list` gives the paths under a folder,
 * sorted. Every read and commit is recorded; links look like a hosted
 * repository's (`https://records.example/…`).
 *
 * @example
 * const records = new InMemoryRecordsRepository({ 'corpus/case-0123456789abcdef.json': text });
 * await records.commit([{ path: 'reviews/2026-W47.md', content: '# Weekly review' }], 'review: weekly review 2026-W47');
 * records.commits; // => [{ message: 'review: weekly review 2026-W47', paths: ['reviews/2026-W47.md'] }]
 */
export class InMemoryRecordsRepository implements RecordsRepository {
  readonly kind = 'memory';
  /** Paths read by `read`, in order. */
  readonly reads: string[] = [];
  /** Folders read by `readAll`, in order. */
  readonly readAllPrefixes: string[] = [];
  /** Commits made (not the calls that changed nothing). */
  readonly commits: RecordedCommit[] = [];
  private readonly files = new Map<string, string>();

  constructor(files: Readonly<Record<string, string>> = {}) {
    for (const [path, content] of Object.entries(files)) this.files.set(recordPath(path), content);
  }

  /** The current content of a file (not recorded as a read). */
  file(path: string): string | undefined {
    return this.files.get(path);
  }

  /** Writes a file without a commit (test setup). */
  put(path: string, content: string): void {
    this.files.set(recordPath(path), content);
  }

  async read(path: string): Promise<string | undefined> {
    this.reads.push(recordPath(path));
    return this.files.get(path);
  }

  async list(prefix: string): Promise<string[]> {
    const folder = prefix.replace(/\/+$/, '');
    return [...this.files.keys()].filter((p) => folder === '' || p.startsWith(`${folder}/`)).sort();
  }

  /** The files under the folder, in path order; the prefix is recorded in {@link readAllPrefixes} (its files are not added to {@link reads}). */
  async readAll(prefix: string): Promise<Map<string, string>> {
    this.readAllPrefixes.push(prefix);
    const paths = await this.list(prefix);
    return new Map(paths.map((p) => [p, this.files.get(p)!]));
  }

  async commit(files: readonly RecordFile[], message: string, options: CommitOptions = {}): Promise<RecordsCommit> {
    const changed = files.filter((f) => this.files.get(recordPath(f.path)) !== f.content);
    if (changed.length === 0) return { changed: false, paths: [] };
    for (const f of changed) this.files.set(f.path, f.content);
    const paths = changed.map((f) => f.path).sort();
    this.commits.push({ message, ...(options.branch === undefined ? {} : { branch: options.branch }), paths });
    const revision = `rev-${this.commits.length}`;
    return { changed: true, revision, paths, url: `https://records.example/commit/${revision}` };
  }

  link(path: string): string {
    return `https://records.example/blob/main/${recordPath(path)}`;
  }
}

/** One message a {@link RecordingReviewChannel} received. */
export interface RecordedPost {
  readonly text: string;
  readonly blocks: unknown[];
}

/**
 * A `ReviewChannel` that records what it is asked to post; `failNext`
 * makes the next post throw instead.
 *
 * @example
 * const channel = new RecordingReviewChannel();
 * channel.failNext(new VendorTransientError('slack', 'chat.postMessage failed: HTTP 503'));
 */
export class RecordingReviewChannel implements ReviewChannel {
  readonly posts: RecordedPost[] = [];
  private readonly failures: unknown[] = [];

  failNext(error: unknown): void {
    this.failures.push(error);
  }

  async post(text: string, blocks: unknown[]): Promise<void> {
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    this.posts.push({ text, blocks: structuredClone(blocks) });
  }
}
