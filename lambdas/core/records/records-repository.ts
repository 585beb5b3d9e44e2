/**
 * The records repository: a git repository that receives Firebreak's durable
 * documents — `corpus/` (regression cases), `postmortems/<yyyy>/<incident>.md`
 * and `reviews/<yyyy>-W<ww>.md`. Local git in the embedded target; GitHub
 * (branch + commit + pull request) or CodeCommit on AWS.
 */

/** One file to write, by its path inside the repository (forward slashes, no `..`). */
export interface RecordFile {
  readonly path: string;
  readonly content: string;
}

/** Options of a commit. */
export interface CommitOptions {
  /**
   * A branch name for hosted repositories that take changes through pull
   * requests (`firebreak/inc-20261121-1a2b3c4d/corpus`). Local git commits
   * to its checked-out branch and ignores it.
   */
  readonly branch?: string;
  /** Pull-request title (hosted repositories); defaults to the message's first line. */
  readonly title?: string;
}

/** What a commit did. */
export interface RecordsCommit {
  /** False when every file already had that content: nothing was committed. */
  readonly changed: boolean;
  /** The commit id, when one was made. */
  readonly revision?: string;
  /** Paths written by this commit (empty when unchanged). */
  readonly paths: readonly string[];
  /** A link people can open: the pull request, or the commit. */
  readonly url?: string;
}

/**
 * Port: reads and commits files of the records repository. Implementations
 * are idempotent: committing files whose content is already there makes no
 * commit and returns `changed: false`.
 */
export interface RecordsRepository {
  /** Short name of the backend for logs and start-up output (`git`, `github`, `codecommit`). */
  readonly kind: string;
  /** The file's content on the default branch, or undefined when it does not exist. */
  read(path: string): Promise<string | undefined>;
  /** Paths of files under a folder (recursively), sorted. */
  list(prefix: string): Promise<string[]>;
  /**
   * Every file under a folder (recursively) on the default branch, read at
   * once: path → content (UTF-8). Use it instead of `list` + one `read` per
   * file when reading a whole folder such as `corpus/`: each adapter reads
   * the folder in as few round trips as its backend allows (local git: two
   * processes; GitHub: one archive download; CodeCommit, which has no bulk
   * read: one GetFile per file, several at a time).
   *
   * @param prefix - the folder (`corpus` or `corpus/`); `''` reads the whole repository
   * @returns path → content, in path order; an empty map when the folder does not exist.
   *   Regular files only: symbolic links and submodules are left out.
   * @throws RangeError when the prefix is not a valid records path
   * @example
   * const cases = await records.readAll('corpus');
   * cases.get('corpus/case-0123456789abcdef.json'); // => '{"schema_version":…}\n'
   */
  readAll(prefix: string): Promise<Map<string, string>>;
  /** Writes the files and commits them with the message, in one commit. */
  commit(files: readonly RecordFile[], message: string, options?: CommitOptions): Promise<RecordsCommit>;
  /** A link or path people can open for a file of the repository. */
  link(path: string): string;
}

/**
 * Validates a path inside the records repository: relative, forward slashes,
 * no `.`/`..` segments, no empty segments. Returns it unchanged or throws.
 *
 * @example
 * recordPath('corpus/case-0123.json') // => 'corpus/case-0123.json'
 * recordPath('../etc/passwd')         // throws RangeError
 */
export function recordPath(path: string): string {
  const segments = path.split('/');
  if (path.length === 0 || path.startsWith('/') || path.includes('\\') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new RangeError(`records path "${path}" must be relative, with forward slashes and no "." or ".." segments`);
  }
  return path;
}
