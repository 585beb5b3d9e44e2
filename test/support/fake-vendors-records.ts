import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { FakeJson11, LoopbackFake, type AwsErrorReply, type RecordedRequest, type Reply } from './loopback-fake';

/*
 * Loopback fakes of the services the evidence sources and the hosted records
 * repositories call, speaking the real wire protocols so that the real
 * clients (the AWS SDK, Octokit) run against them:
 *
 * - S3: REST-XML, path-style — `GET /{bucket}?list-type=2&prefix=&continuation-token=`
 *   (ListObjectsV2) and `GET /{bucket}/{key}` (GetObject); errors are XML
 *   `<Error><Code>NoSuchKey</Code>…` with the HTTP status of the error.
 * - CloudWatch Logs and CodeCommit: AWS JSON 1.1 (`X-Amz-Target:
 *   Logs_20140328.StartQuery`, `CodeCommit_20150413.CreateCommit`); blobs are
 *   base64 in JSON.
 * - GitHub: the REST API routes Octokit's git data, contents, repos and
 *   pulls methods call, with git objects hashed as git does (so an unchanged
 *   tree has the same sha, as on GitHub), and the tarball download (a 302 to
 *   an archive URL on the same server, serving a real tar.gz).
 *
 * They share the loopback server of test/support/loopback-fake.ts with
 * test/support/fake-aws.ts: every request is recorded; `failNext` injects an
 * error into the next call of an operation.
 */

// ---------------------------------------------------------------- S3

const xmlEscape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * S3: ListObjectsV2 (paged, `pageSize` keys per page whatever `MaxKeys`
 * asks) and GetObject, path-style. Unknown bucket → `NoSuchBucket`, unknown
 * key → `NoSuchKey` (404).
 *
 * @example
 * const s3 = await FakeS3.start();
 * s3.putObject('evidence', 'support-bot/a.jsonl', '{"prompt":["hi"]}\n');
 * const client = new S3Client({ ...FAKE_AWS_CLIENT_CONFIG, endpoint: s3.endpoint, forcePathStyle: true });
 */
export class FakeS3 extends LoopbackFake {
  readonly buckets = new Map<string, Map<string, Buffer>>();
  /** Keys per ListObjectsV2 page. */
  pageSize = 1000;

  static start(): Promise<FakeS3> {
    return new FakeS3().listen();
  }

  putObject(bucket: string, key: string, body: string | Buffer): void {
    const objects = this.buckets.get(bucket) ?? new Map<string, Buffer>();
    objects.set(key, Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'));
    this.buckets.set(bucket, objects);
  }

  protected operationOf(method: string, url: URL): string | undefined {
    const [bucket = '', ...key] = url.pathname.slice(1).split('/');
    if (method !== 'GET' || bucket === '') return undefined;
    if (key.length === 0 || (key.length === 1 && key[0] === '')) return url.searchParams.get('list-type') === '2' ? 'ListObjectsV2' : undefined;
    return 'GetObject';
  }

  protected handle(request: RecordedRequest): Reply {
    const [bucket = '', ...rest] = request.path.slice(1).split('/');
    const objects = this.buckets.get(bucket);
    if (objects === undefined) return this.errorReply({ status: 404, type: 'NoSuchBucket', message: 'The specified bucket does not exist' });
    if (request.operation === 'GetObject') {
      const key = rest.map(decodeURIComponent).join('/');
      const body = objects.get(key);
      if (body === undefined) return this.errorReply({ status: 404, type: 'NoSuchKey', message: 'The specified key does not exist.' });
      return {
        status: 200,
        contentType: 'application/octet-stream',
        body,
        headers: { etag: `"${createHash('md5').update(body).digest('hex')}"`, 'last-modified': new Date('2026-11-21T09:00:00Z').toUTCString() },
      };
    }
    const prefix = request.query.prefix ?? '';
    const start = Number(request.query['continuation-token'] ?? '0');
    const keys = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const page = keys.slice(start, start + this.pageSize);
    const next = start + this.pageSize < keys.length ? String(start + this.pageSize) : undefined;
    const contents = page
      .map((k) => `<Contents><Key>${xmlEscape(k)}</Key><LastModified>2026-11-21T09:00:00.000Z</LastModified><ETag>&quot;x&quot;</ETag><Size>${objects.get(k)!.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`)
      .join('');
    const xml =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>` +
      `<KeyCount>${page.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>${next !== undefined}</IsTruncated>${contents}` +
      `${next === undefined ? '' : `<NextContinuationToken>${next}</NextContinuationToken>`}</ListBucketResult>`;
    return { status: 200, contentType: 'application/xml', body: xml };
  }

  protected errorReply(error: AwsErrorReply): Reply {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(error.type)}</Code><Message>${xmlEscape(error.message)}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
    return { status: error.status, contentType: 'application/xml', body: xml };
  }
}

/** How a fake Logs Insights query behaves. */
export interface FakeQueryScript {
  /** GetQueryResults answers `Running` this many times before the final status. @default 0 */
  readonly runningPolls?: number;
  /** @default 'Complete' */
  readonly finalStatus?: 'Complete' | 'Failed' | 'Cancelled' | 'Timeout';
  /** The rows: each a list of field/value pairs. */
  readonly results?: readonly (readonly { field: string; value: string }[])[];
  /** Rows per GetQueryResults page once complete (`nextToken` beyond). @default all */
  readonly pageSize?: number;
}

interface FakeQuery {
  readonly script: FakeQueryScript;
  polls: number;
  stopped: boolean;
}

/**
 * CloudWatch Logs Insights: StartQuery (unknown log group →
 * `ResourceNotFoundException`), GetQueryResults (scripted: `Running` for
 * `runningPolls` calls, then the final status and paged results), StopQuery
 * (the query becomes `Cancelled`).
 *
 * @example
 * const logs = await FakeCloudWatchLogs.start();
 * logs.logGroups.add('/aws/lambda/support-bot');
 * logs.script = { runningPolls: 2, results: [[{ field: '@message', value: '{"prompt":["hi"]}' }]] };
 */
export class FakeCloudWatchLogs extends FakeJson11 {
  protected readonly targetPrefix = 'Logs_20140328';
  readonly logGroups = new Set<string>();
  /** How the next started query behaves. */
  script: FakeQueryScript = {};
  readonly queries = new Map<string, FakeQuery>();

  static start(): Promise<FakeCloudWatchLogs> {
    return new FakeCloudWatchLogs().listen();
  }

  protected handle(request: RecordedRequest): Reply {
    const body = request.body ?? {};
    switch (request.operation) {
      case 'StartQuery': {
        if (!this.logGroups.has(String(body.logGroupName))) return this.fail('ResourceNotFoundException', 'The specified log group does not exist.');
        if (typeof body.queryString !== 'string' || typeof body.startTime !== 'number' || typeof body.endTime !== 'number') return this.fail('InvalidParameterException', 'queryString, startTime and endTime are required');
        const queryId = randomUUID();
        this.queries.set(queryId, { script: this.script, polls: 0, stopped: false });
        return this.ok({ queryId });
      }
      case 'GetQueryResults': {
        const query = this.queries.get(String(body.queryId));
        if (query === undefined) return this.fail('ResourceNotFoundException', 'Query does not exist.');
        if (query.stopped) return this.ok({ status: 'Cancelled', results: [], statistics: {} });
        if (query.polls < (query.script.runningPolls ?? 0)) {
          query.polls += 1;
          return this.ok({ status: 'Running', results: [], statistics: { recordsMatched: 0, recordsScanned: 0, bytesScanned: 0 } });
        }
        const status = query.script.finalStatus ?? 'Complete';
        const rows = status === 'Complete' ? (query.script.results ?? []) : [];
        const start = Number(body.nextToken ?? '0');
        const size = query.script.pageSize ?? Math.max(rows.length, 1);
        const next = start + size < rows.length ? String(start + size) : undefined;
        return this.ok({
          status,
          results: rows.slice(start, start + size),
          statistics: { recordsMatched: rows.length, recordsScanned: rows.length * 10, bytesScanned: 1024 },
          ...(next === undefined ? {} : { nextToken: next }),
        });
      }
      case 'StopQuery': {
        const query = this.queries.get(String(body.queryId));
        if (query === undefined) return this.fail('ResourceNotFoundException', 'Query does not exist.');
        query.stopped = true;
        return this.ok({ success: true });
      }
      default:
        return this.fail('UnknownOperationException', `${request.operation} is not modelled by FakeCloudWatchLogs`);
    }
  }
}

// ---------------------------------------------------------------- git objects

/** The git blob id of some content. */
export function gitBlobSha(content: string | Buffer): string {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

function gitObjectSha(type: string, body: Buffer): string {
  return createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest('hex');
}

// ---------------------------------------------------------------- CodeCommit

interface FakeCodeCommitCommit {
  readonly parent: string | undefined;
  readonly files: ReadonlyMap<string, Buffer>;
  readonly message: string;
  readonly author: string;
}

/** A fake CodeCommit repository, as a test sets it up and inspects it. */
export interface FakeCodeCommitRepository {
  defaultBranch: string | undefined;
  readonly branches: Map<string, string>;
  readonly commits: Map<string, FakeCodeCommitCommit>;
}

/**
 * CodeCommit: GetRepository, GetBranch, CreateBranch, CreateCommit (parent
 * checks, `NoChangeException`, added/updated files), GetFile and GetFolder,
 * over snapshots of files per commit.
 *
 * @example
 * const cc = await FakeCodeCommit.start();
 * cc.createRepository('records', { 'README.md': '# records\n' });
 */
export class FakeCodeCommit extends FakeJson11 {
  protected readonly targetPrefix = 'CodeCommit_20150413';
  readonly repositories = new Map<string, FakeCodeCommitRepository>();
  /** Runs when a CreateCommit arrives, before its parent is checked: a test commits there to have another writer land first. */
  beforeCreateCommit: ((repositoryName: string, branch: string) => void) | undefined;

  static start(): Promise<FakeCodeCommit> {
    return new FakeCodeCommit().listen();
  }

  /** A repository with one commit of `files` on `main`, or an empty one when `files` is undefined. */
  createRepository(name: string, files?: Readonly<Record<string, string>>): FakeCodeCommitRepository {
    const repository: FakeCodeCommitRepository = { defaultBranch: undefined, branches: new Map(), commits: new Map() };
    this.repositories.set(name, repository);
    if (files !== undefined) this.commitOutOfBand(name, 'main', files, 'initial commit');
    return repository;
  }

  /** A commit by someone else (the console, a git push), straight into the store. */
  commitOutOfBand(name: string, branch: string, files: Readonly<Record<string, string>>, message = 'out of band'): string {
    const repository = this.repositories.get(name)!;
    const parent = repository.branches.get(branch);
    const snapshot = new Map(parent === undefined ? [] : repository.commits.get(parent)!.files);
    for (const [path, content] of Object.entries(files)) snapshot.set(path, Buffer.from(content, 'utf8'));
    return this.addCommit(repository, branch, parent, snapshot, message, 'someone else');
  }

  /** The files on a branch, as text. */
  filesOn(name: string, branch: string): Record<string, string> {
    const repository = this.repositories.get(name)!;
    const head = repository.branches.get(branch);
    if (head === undefined) return {};
    return Object.fromEntries([...repository.commits.get(head)!.files].map(([p, b]) => [p, b.toString('utf8')]));
  }

  private addCommit(repository: FakeCodeCommitRepository, branch: string, parent: string | undefined, files: Map<string, Buffer>, message: string, author: string): string {
    const id = createHash('sha1').update(`${parent ?? ''}\n${message}\n${randomUUID()}`).digest('hex');
    repository.commits.set(id, { parent, files, message, author });
    repository.branches.set(branch, id);
    repository.defaultBranch ??= branch;
    return id;
  }

  /** A branch name or a commit id, to the commit's files. */
  private resolve(repository: FakeCodeCommitRepository, specifier: string): FakeCodeCommitCommit | undefined {
    const id = repository.branches.get(specifier) ?? (repository.commits.has(specifier) ? specifier : undefined);
    return id === undefined ? undefined : repository.commits.get(id);
  }

  protected handle(request: RecordedRequest): Reply {
    const body = request.body ?? {};
    const name = String(body.repositoryName);
    const repository = this.repositories.get(name);
    if (repository === undefined) return this.fail('RepositoryDoesNotExistException', `${name} does not exist`);
    switch (request.operation) {
      case 'GetRepository':
        return this.ok({
          repositoryMetadata: {
            repositoryName: name,
            repositoryId: '0f0e0d0c-0000-4000-8000-000000000000',
            accountId: '123456789012',
            Arn: `arn:aws:codecommit:us-east-1:123456789012:${name}`,
            ...(repository.defaultBranch === undefined ? {} : { defaultBranch: repository.defaultBranch }),
          },
        });
      case 'GetBranch': {
        const branchName = String(body.branchName);
        const commitId = repository.branches.get(branchName);
        if (commitId === undefined) return this.fail('BranchDoesNotExistException', `Branch ${branchName} does not exist`);
        return this.ok({ branch: { branchName, commitId } });
      }
      case 'CreateBranch': {
        const branchName = String(body.branchName);
        if (repository.branches.has(branchName)) return this.fail('BranchNameExistsException', `Branch ${branchName} already exists`);
        if (!repository.commits.has(String(body.commitId))) return this.fail('CommitDoesNotExistException', 'The specified commit does not exist');
        repository.branches.set(branchName, String(body.commitId));
        return this.ok({});
      }
      case 'CreateCommit':
        return this.createCommit(repository, name, body);
      case 'GetFile': {
        const commit = this.resolve(repository, String(body.commitSpecifier));
        if (commit === undefined) return this.fail('CommitDoesNotExistException', `${String(body.commitSpecifier)} does not exist`);
        const filePath = String(body.filePath).replace(/^\/+/, '');
        const content = commit.files.get(filePath);
        if (content === undefined) return this.fail('FileDoesNotExistException', `${filePath} does not exist`);
        return this.ok({ commitId: 'c', blobId: gitBlobSha(content), filePath, fileMode: 'NORMAL', fileSize: content.length, fileContent: content.toString('base64') });
      }
      case 'GetFolder': {
        const commit = this.resolve(repository, String(body.commitSpecifier));
        if (commit === undefined) return this.fail('CommitDoesNotExistException', `${String(body.commitSpecifier)} does not exist`);
        const folder = String(body.folderPath).replace(/^\/+|\/+$/g, '');
        const under = [...commit.files.keys()].filter((p) => folder === '' || p.startsWith(`${folder}/`)).map((p) => (folder === '' ? p : p.slice(folder.length + 1)));
        if (folder !== '' && under.length === 0) return this.fail('FolderDoesNotExistException', `${folder} does not exist`);
        const join = (name: string): string => (folder === '' ? name : `${folder}/${name}`);
        const files = under.filter((p) => !p.includes('/'));
        const subFolders = [...new Set(under.filter((p) => p.includes('/')).map((p) => p.split('/')[0]!))];
        return this.ok({
          commitId: 'c',
          folderPath: folder,
          files: files.map((f) => ({ absolutePath: join(f), relativePath: f, blobId: gitBlobSha(commit.files.get(join(f))!), fileMode: 'NORMAL' })),
          subFolders: subFolders.map((f) => ({ absolutePath: join(f), relativePath: f, treeId: 't' })),
        });
      }
      default:
        return this.fail('UnknownOperationException', `${request.operation} is not modelled by FakeCodeCommit`);
    }
  }

  private createCommit(repository: FakeCodeCommitRepository, name: string, body: Record<string, unknown>): Reply {
    const branch = String(body.branchName);
    this.beforeCreateCommit?.(name, branch);
    const head = repository.branches.get(branch);
    const parent = typeof body.parentCommitId === 'string' ? body.parentCommitId : undefined;
    if (head === undefined && repository.branches.size > 0) return this.fail('BranchDoesNotExistException', `Branch ${branch} does not exist`);
    if (head !== undefined && parent === undefined) return this.fail('ParentCommitIdRequiredException', 'A parent commit ID is required.');
    if (head !== undefined && parent !== head) return this.fail('ParentCommitIdOutdatedException', `${parent} is not the tip of ${branch}`);
    const putFiles = (body.putFiles ?? []) as { filePath: string; fileMode?: string; fileContent?: string }[];
    if (putFiles.length === 0) return this.fail('FileEntryRequiredException', 'No files specified');
    if (new Set(putFiles.map((f) => f.filePath)).size !== putFiles.length) return this.fail('SamePathRequestException', 'The same path appears twice');
    const snapshot = new Map(head === undefined ? [] : repository.commits.get(head)!.files);
    const added: string[] = [];
    const updated: string[] = [];
    for (const file of putFiles) {
      const content = Buffer.from(file.fileContent ?? '', 'base64');
      const before = snapshot.get(file.filePath);
      if (before !== undefined && before.equals(content)) continue;
      (before === undefined ? added : updated).push(file.filePath);
      snapshot.set(file.filePath, content);
    }
    if (added.length + updated.length === 0) return this.fail('NoChangeException', 'The commit cannot be created because no changes will be made to the repository as a result of this commit.');
    const commitId = this.addCommit(repository, branch, head, snapshot, String(body.commitMessage ?? ''), `${String(body.authorName)} <${String(body.email)}>`);
    const meta = (p: string): object => ({ absolutePath: p, blobId: gitBlobSha(snapshot.get(p)!), fileMode: 'NORMAL' });
    return this.ok({ commitId, treeId: 't', filesAdded: added.map(meta), filesUpdated: updated.map(meta), filesDeleted: [] });
  }
}

// ---------------------------------------------------------------- tar

/** One entry of a tar archive {@link writeTar} writes. */
export interface TarEntrySpec {
  /** Its path in the archive (a folder's without the trailing slash). */
  readonly path: string;
  /** @default 'file' */
  readonly type?: 'file' | 'folder' | 'symlink';
  /** A file's bytes (default: none). */
  readonly content?: Buffer;
  /** A symbolic link's target. */
  readonly linkTarget?: string;
  /** Permission bits. @default 0o644 for a file, 0o755 for a folder, 0o777 for a link */
  readonly mode?: number;
}

/** Options of {@link writeTar}. */
export interface TarWriteOptions {
  /**
   * How a path longer than the 100-byte name field is written: `git` as
   * `git archive` does (split into the ustar prefix and name fields when it
   * can, otherwise a pax extended header), `pax` always a pax extended
   * header, `gnu` a GNU `L` long-name entry (with GNU's magic).
   *
   * @default 'git'
   */
  readonly longNames?: 'git' | 'pax' | 'gnu';
  /** A pax global header first with this comment, as `git archive` writes the commit id. */
  readonly globalComment?: string;
  /** @default 1763700000 */
  readonly mtime?: number;
}

const TAR_BLOCK = 512;

/** A pax record `<length> <key>=<value>\n`, whose length counts itself. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(body);
  let length = bytes + 1;
  while (String(length).length + bytes !== length) length = String(length).length + bytes;
  return Buffer.from(`${length}${body}`, 'utf8');
}

function tarHeader(fields: { name: string; prefix?: string; mode: number; size: number; mtime: number; type: string; linkname?: string; gnu?: boolean }): Buffer {
  const header = Buffer.alloc(TAR_BLOCK);
  const put = (value: string, offset: number, length: number): void => {
    const bytes = Buffer.from(value, 'utf8');
    if (bytes.length > length) throw new RangeError(`tar field "${value}" is longer than ${length} bytes`);
    bytes.copy(header, offset);
  };
  const octal = (value: number, offset: number, length: number): void => put(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length);
  put(fields.name, 0, 100);
  octal(fields.mode, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(fields.size, 124, 12);
  octal(fields.mtime, 136, 12);
  header.fill(0x20, 148, 156);
  put(fields.type, 156, 1);
  put(fields.linkname ?? '', 157, 100);
  if (fields.gnu === true) put('ustar  \0', 257, 8);
  else {
    put('ustar\0', 257, 6);
    put('00', 263, 2);
  }
  put('root', 265, 32);
  put('root', 297, 32);
  put(fields.prefix ?? '', 345, 155);
  const sum = header.reduce((total, byte) => total + byte, 0);
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return header;
}

/** An entry's header and its content padded to whole blocks. */
function tarEntry(header: Parameters<typeof tarHeader>[0], content: Buffer): Buffer[] {
  const padding = (TAR_BLOCK - (content.length % TAR_BLOCK)) % TAR_BLOCK;
  return [tarHeader(header), content, Buffer.alloc(padding)];
}

/**
 * A tar archive of the entries, as `git archive` writes one (and so GitHub's
 * tarballs): an optional pax global header, ustar headers, long paths in the
 * prefix field or a pax extended header (or GNU `L` entries, see
 * {@link TarWriteOptions.longNames}), two zero blocks, padded to 10 KiB.
 *
 * @example
 * gzipSync(writeTar([{ path: 'root', type: 'folder' }, { path: 'root/a.md', content: Buffer.from('# A\n') }]));
 */
export function writeTar(entries: readonly TarEntrySpec[], options: TarWriteOptions = {}): Buffer {
  const mtime = options.mtime ?? 1_763_700_000;
  const longNames = options.longNames ?? 'git';
  const gnu = longNames === 'gnu';
  const parts: Buffer[] = [];
  if (options.globalComment !== undefined) {
    const records = paxRecord('comment', options.globalComment);
    parts.push(...tarEntry({ name: 'pax_global_header', mode: 0o666, size: records.length, mtime, type: 'g' }, records));
  }
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const content = type === 'file' ? (entry.content ?? Buffer.alloc(0)) : Buffer.alloc(0);
    const path = type === 'folder' ? `${entry.path}/` : entry.path;
    const fields = {
      mode: entry.mode ?? (type === 'file' ? 0o644 : type === 'folder' ? 0o755 : 0o777),
      size: content.length,
      mtime,
      type: type === 'file' ? '0' : type === 'folder' ? '5' : '2',
      linkname: entry.linkTarget ?? '',
      gnu,
    };
    let name = path;
    let prefix = '';
    if (Buffer.byteLength(path) > 100) {
      // git archive: the prefix field when the path splits at a slash into ≤155 + ≤100 bytes.
      const split = path.lastIndexOf('/', path.length - 2);
      const fits = split > 0 && Buffer.byteLength(path.slice(0, split)) <= 155 && Buffer.byteLength(path.slice(split + 1)) <= 100;
      if (longNames === 'git' && fits) {
        prefix = path.slice(0, split);
        name = path.slice(split + 1);
      } else if (longNames === 'gnu') {
        const long = Buffer.from(`${path}\0`, 'utf8');
        parts.push(...tarEntry({ name: '././@LongLink', mode: 0o644, size: long.length, mtime, type: 'L', gnu }, long));
        name = Buffer.from(path, 'utf8').subarray(0, 100).toString('latin1').replace(/[^\x20-\x7e]/g, '_');
      } else {
        const records = paxRecord('path', path);
        parts.push(...tarEntry({ name: 'pax-header', mode: 0o644, size: records.length, mtime, type: 'x' }, records));
        name = `${gitBlobSha(content)}.data`;
      }
    }
    parts.push(...tarEntry({ ...fields, name, prefix }, content));
  }
  parts.push(Buffer.alloc(2 * TAR_BLOCK));
  const archive = Buffer.concat(parts);
  // tar's default record of 20 blocks.
  return Buffer.concat([archive, Buffer.alloc((10240 - (archive.length % 10240)) % 10240)]);
}

// ---------------------------------------------------------------- GitHub

interface TreeEntry {
  readonly name: string;
  readonly mode: string;
  readonly type: 'blob' | 'tree';
  readonly sha: string;
}

interface FakeGitCommit {
  readonly tree: string;
  readonly parents: readonly string[];
  readonly message: string;
}

/** A pull request of the fake. */
export interface FakePullRequest {
  readonly number: number;
  readonly title: string;
  readonly body: string;
  readonly head: string;
  readonly base: string;
  state: 'open' | 'closed';
  readonly html_url: string;
}

type Route = { operation: string; method: string; pattern: RegExp };

const REPO = '/repos/([^/]+)/([^/]+)';
const GITHUB_ROUTES: readonly Route[] = [
  { operation: 'repos.get', method: 'GET', pattern: new RegExp(`^${REPO}$`) },
  { operation: 'repos.getContent', method: 'GET', pattern: new RegExp(`^${REPO}/contents/(.+)$`) },
  { operation: 'git.getRef', method: 'GET', pattern: new RegExp(`^${REPO}/git/ref/(.+)$`) },
  { operation: 'git.createRef', method: 'POST', pattern: new RegExp(`^${REPO}/git/refs$`) },
  { operation: 'git.updateRef', method: 'PATCH', pattern: new RegExp(`^${REPO}/git/refs/(.+)$`) },
  { operation: 'git.getCommit', method: 'GET', pattern: new RegExp(`^${REPO}/git/commits/([0-9a-f]{40})$`) },
  { operation: 'git.createCommit', method: 'POST', pattern: new RegExp(`^${REPO}/git/commits$`) },
  { operation: 'git.getBlob', method: 'GET', pattern: new RegExp(`^${REPO}/git/blobs/([0-9a-f]{40})$`) },
  { operation: 'git.createBlob', method: 'POST', pattern: new RegExp(`^${REPO}/git/blobs$`) },
  { operation: 'git.getTree', method: 'GET', pattern: new RegExp(`^${REPO}/git/trees/([0-9a-f]{40})$`) },
  { operation: 'git.createTree', method: 'POST', pattern: new RegExp(`^${REPO}/git/trees$`) },
  { operation: 'pulls.list', method: 'GET', pattern: new RegExp(`^${REPO}/pulls$`) },
  { operation: 'pulls.create', method: 'POST', pattern: new RegExp(`^${REPO}/pulls$`) },
  { operation: 'repos.downloadTarballArchive', method: 'GET', pattern: new RegExp(`^${REPO}/tarball/(.+)$`) },
  // Where the tarball route redirects, as GitHub sends it to codeload.github.com with a short-lived token in the query.
  { operation: 'codeload.tarball', method: 'GET', pattern: /^\/_codeload\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/([0-9a-f]{40})$/ },
];

/**
 * GitHub's REST API for one repository, in memory: repos.get, contents
 * (files and folders, base64), refs, commits, blobs, trees (with
 * `base_tree`, recursive reads) and pull requests (list by head/base/state;
 * create refuses a duplicate open one and a branch with no commits beyond
 * the base, with 422 as GitHub does), and the tarball of a ref: a 302 to
 * `/_codeload/{owner}/{repo}/legacy.tar.gz/{sha}?token=…` on the same
 * server, which answers a gzipped tar laid out as GitHub's (a pax global
 * header with the commit id, everything under `<owner>-<repo>-<short sha>/`,
 * long paths as `git archive` writes them). Requests need `authorization:
 * token <token>`, except the archive URL, which needs its token.
 *
 * @example
 * const gh = await FakeGitHub.start('acme', 'records', 'test-token');
 * gh.seed({ 'README.md': '# records\n' });
 * const octokit = new Octokit({ auth: 'test-token', baseUrl: gh.endpoint });
 */
export class FakeGitHub extends LoopbackFake {
  readonly refs = new Map<string, string>();
  readonly blobs = new Map<string, Buffer>();
  readonly trees = new Map<string, TreeEntry[]>();
  readonly commits = new Map<string, FakeGitCommit>();
  readonly pulls: FakePullRequest[] = [];
  defaultBranch = 'main';
  /** Contents answers carry no content (`encoding: none`) for files larger than this, as GitHub does over 1 MB. */
  contentLimitBytes = 1024 * 1024;
  /** Recursive tree reads say `truncated: true` (and list nothing) when set, as GitHub does for huge trees. */
  truncateTrees = false;
  /** Tokens of the archive URLs the tarball route handed out. */
  readonly archiveTokens = new Set<string>();
  /** When set, the archive URL answers these bytes instead of the commit's tar.gz (a damaged download). */
  archiveOverride: ((commitSha: string) => Buffer) | undefined;
  /** Runs when an updateRef arrives, before the fast-forward check: a test moves the branch there. */
  beforeUpdateRef: ((branch: string) => void) | undefined;
  private clock = 1_763_700_000;

  private constructor(
    readonly owner: string,
    readonly repo: string,
    private readonly token: string,
  ) {
    super();
  }

  static start(owner: string, repo: string, token: string): Promise<FakeGitHub> {
    return new FakeGitHub(owner, repo, token).listen();
  }

  /** A first commit of `files` on the default branch. */
  seed(files: Readonly<Record<string, string>>): string {
    return this.commitOutOfBand(this.defaultBranch, files, 'initial commit');
  }

  /** A commit by someone else (a push), straight into the store. */
  commitOutOfBand(branch: string, files: Readonly<Record<string, string>>, message = 'out of band'): string {
    const head = this.refs.get(`heads/${branch}`);
    const flat = head === undefined ? new Map<string, { mode: string; sha: string }>() : this.flatten(this.commits.get(head)!.tree);
    for (const [path, content] of Object.entries(files)) flat.set(path, { mode: '100644', sha: this.putBlob(Buffer.from(content, 'utf8')) });
    const sha = this.putCommit(this.build(flat), head === undefined ? [] : [head], message);
    this.refs.set(`heads/${branch}`, sha);
    return sha;
  }

  /** The files on a branch, as text. */
  filesOn(branch: string): Record<string, string> {
    const head = this.refs.get(`heads/${branch}`);
    if (head === undefined) return {};
    return Object.fromEntries([...this.flatten(this.commits.get(head)!.tree)].map(([p, e]) => [p, this.blobs.get(e.sha)!.toString('utf8')]));
  }

  /** Merges a pull request: a merge commit on the base, the pull request closed. */
  merge(number: number): void {
    const pull = this.pulls.find((p) => p.number === number)!;
    const head = this.refs.get(`heads/${pull.head}`)!;
    const base = this.refs.get(`heads/${pull.base}`)!;
    this.refs.set(`heads/${pull.base}`, this.putCommit(this.commits.get(head)!.tree, [base, head], `Merge pull request #${number}`));
    pull.state = 'closed';
  }

  private putBlob(content: Buffer): string {
    const sha = gitBlobSha(content);
    this.blobs.set(sha, content);
    return sha;
  }

  private putCommit(tree: string, parents: readonly string[], message: string): string {
    this.clock += 1;
    const text = [`tree ${tree}`, ...parents.map((p) => `parent ${p}`), `author Fake <fake@example.com> ${this.clock} +0000`, `committer Fake <fake@example.com> ${this.clock} +0000`, '', message].join('\n');
    const sha = gitObjectSha('commit', Buffer.from(text, 'utf8'));
    this.commits.set(sha, { tree, parents, message });
    return sha;
  }

  /** path → blob of a tree, recursively. */
  private flatten(treeSha: string, prefix = ''): Map<string, { mode: string; sha: string }> {
    const flat = new Map<string, { mode: string; sha: string }>();
    for (const entry of this.trees.get(treeSha) ?? []) {
      if (entry.type === 'tree') for (const [p, e] of this.flatten(entry.sha, `${prefix}${entry.name}/`)) flat.set(p, e);
      else flat.set(`${prefix}${entry.name}`, { mode: entry.mode, sha: entry.sha });
    }
    return flat;
  }

  /** Trees for a flat path → blob map, hashed as git does; the root tree's sha. */
  private build(flat: ReadonlyMap<string, { mode: string; sha: string }>): string {
    const files = new Map<string, { mode: string; sha: string }>();
    const folders = new Map<string, Map<string, { mode: string; sha: string }>>();
    for (const [path, entry] of flat) {
      const slash = path.indexOf('/');
      if (slash < 0) files.set(path, entry);
      else {
        const folder = folders.get(path.slice(0, slash)) ?? new Map();
        folder.set(path.slice(slash + 1), entry);
        folders.set(path.slice(0, slash), folder);
      }
    }
    const entries: TreeEntry[] = [
      ...[...files].map(([name, e]) => ({ name, mode: e.mode, type: 'blob' as const, sha: e.sha })),
      ...[...folders].map(([name, sub]) => ({ name, mode: '040000', type: 'tree' as const, sha: this.build(sub) })),
    ];
    // git orders tree entries by name, a folder's name compared as if it ended with "/".
    const key = (e: TreeEntry): Buffer => Buffer.from(e.type === 'tree' ? `${e.name}/` : e.name);
    entries.sort((a, b) => Buffer.compare(key(a), key(b)));
    const body = Buffer.concat(entries.map((e) => Buffer.concat([Buffer.from(`${e.mode === '040000' ? '40000' : e.mode} ${e.name}\0`), Buffer.from(e.sha, 'hex')])));
    const sha = gitObjectSha('tree', body);
    this.trees.set(sha, entries);
    return sha;
  }

  private resolveRef(ref: string): string | undefined {
    return this.refs.get(`heads/${ref}`) ?? (this.commits.has(ref) ? ref : undefined);
  }

  private isAncestor(ancestor: string, of: string): boolean {
    const pending = [of];
    const seen = new Set<string>();
    while (pending.length > 0) {
      const sha = pending.pop()!;
      if (sha === ancestor) return true;
      if (seen.has(sha)) continue;
      seen.add(sha);
      pending.push(...(this.commits.get(sha)?.parents ?? []));
    }
    return false;
  }

  protected operationOf(method: string, url: URL): string | undefined {
    return GITHUB_ROUTES.find((r) => r.method === method && r.pattern.test(url.pathname))?.operation;
  }

  protected errorReply(error: AwsErrorReply): Reply {
    return this.json(error.status, { message: error.message, documentation_url: 'https://docs.github.com/rest' });
  }

  private json(status: number, body: unknown): Reply {
    return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
  }

  private notFound(): Reply {
    return this.json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
  }

  private invalid(message: string, errors: readonly object[] = []): Reply {
    return this.json(422, { message, errors, documentation_url: 'https://docs.github.com/rest', status: '422' });
  }

  /** The gzipped tarball of a commit, laid out as GitHub's: folders and files in tree order under `<owner>-<repo>-<short sha>/`. */
  archive(commitSha: string): Buffer {
    const root = `${this.owner}-${this.repo}-${commitSha.slice(0, 7)}`;
    const entries: TarEntrySpec[] = [{ path: root, type: 'folder' }];
    const walk = (treeSha: string, prefix: string): void => {
      for (const entry of this.trees.get(treeSha) ?? []) {
        const path = `${prefix}/${entry.name}`;
        if (entry.type === 'tree') {
          entries.push({ path, type: 'folder' });
          walk(entry.sha, path);
        } else if (entry.mode === '120000') entries.push({ path, type: 'symlink', linkTarget: this.blobs.get(entry.sha)!.toString('utf8') });
        else entries.push({ path, content: this.blobs.get(entry.sha)!, mode: entry.mode === '100755' ? 0o755 : 0o644 });
      }
    };
    walk(this.commits.get(commitSha)!.tree, root);
    return gzipSync(writeTar(entries, { globalComment: commitSha }));
  }

  /** The archive URL: its own token instead of the API's credentials, as codeload.github.com. */
  private codeload(request: RecordedRequest): Reply {
    const [, owner, repo, sha] = /^\/_codeload\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/([0-9a-f]{40})$/.exec(request.path)!;
    if (owner !== this.owner || repo !== this.repo || !this.archiveTokens.has(request.query.token ?? '') || !this.commits.has(sha!)) {
      return { status: 404, contentType: 'text/plain; charset=utf-8', body: '404: Not Found' };
    }
    return {
      status: 200,
      contentType: 'application/x-gzip',
      headers: { 'content-disposition': `attachment; filename=${this.owner}-${this.repo}-${sha!.slice(0, 7)}.tar.gz` },
      body: this.archiveOverride?.(sha!) ?? this.archive(sha!),
    };
  }

  protected handle(request: RecordedRequest): Reply {
    if (request.operation === 'codeload.tarball') return this.codeload(request);
    if (request.headers.authorization !== `token ${this.token}`) return this.json(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    const route = GITHUB_ROUTES.find((r) => r.operation === request.operation)!;
    const [, owner, repo, param = ''] = route.pattern.exec(request.path)!;
    if (owner !== this.owner || repo !== this.repo) return this.notFound();
    const arg = decodeURIComponent(param);
    const body = request.body ?? {};
    const web = `https://github.com/${this.owner}/${this.repo}`;
    switch (request.operation) {
      case 'repos.get':
        return this.json(200, { id: 1, name: this.repo, full_name: `${this.owner}/${this.repo}`, default_branch: this.defaultBranch, html_url: web, private: true });
      case 'repos.getContent': {
        const head = this.resolveRef(request.query.ref ?? this.defaultBranch);
        if (head === undefined) return this.notFound();
        const flat = this.flatten(this.commits.get(head)!.tree);
        const file = flat.get(arg);
        if (file !== undefined) {
          const content = this.blobs.get(file.sha)!;
          const inline = content.length <= this.contentLimitBytes;
          return this.json(200, {
            type: 'file',
            name: arg.split('/').at(-1),
            path: arg,
            sha: file.sha,
            size: content.length,
            encoding: inline ? 'base64' : 'none',
            // GitHub wraps base64 content at 60 characters.
            content: inline ? (content.toString('base64').match(/.{1,60}/g) ?? []).join('\n') : '',
            url: `${this.endpoint}${request.path}`,
            html_url: `${web}/blob/${head}/${arg}`,
            git_url: null,
            download_url: null,
            _links: { self: '', git: null, html: null },
          });
        }
        const under = [...flat.keys()].filter((p) => p.startsWith(`${arg}/`));
        if (under.length === 0) return this.notFound();
        const names = [...new Set(under.map((p) => p.slice(arg.length + 1).split('/')[0]!))];
        return this.json(
          200,
          names.map((name) => ({ type: flat.has(`${arg}/${name}`) ? 'file' : 'dir', name, path: `${arg}/${name}`, sha: flat.get(`${arg}/${name}`)?.sha ?? '0'.repeat(40) })),
        );
      }
      case 'git.getRef': {
        const sha = this.refs.get(arg);
        if (sha === undefined) return this.notFound();
        return this.json(200, { ref: `refs/${arg}`, object: { type: 'commit', sha } });
      }
      case 'git.createRef': {
        const ref = String(body.ref).replace(/^refs\//, '');
        if (this.refs.has(ref)) return this.invalid('Reference already exists');
        if (!this.commits.has(String(body.sha))) return this.invalid('Object does not exist');
        this.refs.set(ref, String(body.sha));
        return this.json(201, { ref: `refs/${ref}`, object: { type: 'commit', sha: body.sha } });
      }
      case 'git.updateRef': {
        this.beforeUpdateRef?.(arg.replace(/^heads\//, ''));
        const current = this.refs.get(arg);
        if (current === undefined) return this.invalid('Reference does not exist');
        const next = String(body.sha);
        if (!this.commits.has(next)) return this.invalid('Object does not exist');
        if (body.force !== true && !this.isAncestor(current, next)) return this.invalid('Update is not a fast forward');
        this.refs.set(arg, next);
        return this.json(200, { ref: `refs/${arg}`, object: { type: 'commit', sha: next } });
      }
      case 'git.getCommit': {
        const commit = this.commits.get(arg);
        if (commit === undefined) return this.notFound();
        return this.json(200, { sha: arg, tree: { sha: commit.tree }, parents: commit.parents.map((sha) => ({ sha })), message: commit.message, html_url: `${web}/commit/${arg}` });
      }
      case 'git.createCommit': {
        const tree = String(body.tree);
        const parents = (body.parents ?? []) as string[];
        if (!this.trees.has(tree) || parents.some((p) => !this.commits.has(p))) return this.invalid('Tree SHA does not exist');
        const sha = this.putCommit(tree, parents, String(body.message));
        return this.json(201, { sha, tree: { sha: tree }, parents: parents.map((p) => ({ sha: p })), message: body.message, html_url: `${web}/commit/${sha}` });
      }
      case 'git.createBlob': {
        const content = body.encoding === 'base64' ? Buffer.from(String(body.content), 'base64') : Buffer.from(String(body.content), 'utf8');
        return this.json(201, { sha: this.putBlob(content), url: '' });
      }
      case 'git.getBlob': {
        const blob = this.blobs.get(arg);
        if (blob === undefined) return this.notFound();
        return this.json(200, { sha: arg, size: blob.length, encoding: 'base64', content: blob.toString('base64') });
      }
      case 'git.createTree': {
        const base = typeof body.base_tree === 'string' ? body.base_tree : undefined;
        if (base !== undefined && !this.trees.has(base)) return this.invalid('base_tree is not a valid tree');
        const flat = base === undefined ? new Map<string, { mode: string; sha: string }>() : this.flatten(base);
        for (const entry of (body.tree ?? []) as { path: string; mode: string; type: string; sha?: string | null; content?: string }[]) {
          if (entry.sha === null) flat.delete(entry.path);
          else if (entry.content !== undefined) flat.set(entry.path, { mode: entry.mode, sha: this.putBlob(Buffer.from(entry.content, 'utf8')) });
          else if (entry.sha !== undefined && this.blobs.has(entry.sha)) flat.set(entry.path, { mode: entry.mode, sha: entry.sha });
          else return this.invalid('Invalid tree info', [{ message: `tree.sha ${String(entry.sha)} is not a valid blob` }]);
        }
        const sha = this.build(flat);
        return this.json(201, { sha, tree: this.trees.get(sha)!.map((e) => ({ path: e.name, mode: e.mode, type: e.type, sha: e.sha })), truncated: false });
      }
      case 'git.getTree': {
        if (!this.trees.has(arg)) return this.notFound();
        const recursive = request.query.recursive !== undefined;
        const list = (sha: string, prefix: string): object[] =>
          this.trees.get(sha)!.flatMap((e) => [
            { path: `${prefix}${e.name}`, mode: e.mode, type: e.type, sha: e.sha, ...(e.type === 'blob' ? { size: this.blobs.get(e.sha)!.length } : {}) },
            ...(recursive && e.type === 'tree' ? list(e.sha, `${prefix}${e.name}/`) : []),
          ]);
        return this.json(200, { sha: arg, tree: this.truncateTrees ? [] : list(arg, ''), truncated: this.truncateTrees });
      }
      case 'repos.downloadTarballArchive': {
        const head = this.resolveRef(arg);
        if (head === undefined) return this.notFound();
        const token = randomBytes(16).toString('hex');
        this.archiveTokens.add(token);
        return { status: 302, headers: { location: `${this.endpoint}/_codeload/${this.owner}/${this.repo}/legacy.tar.gz/${head}?token=${token}` } };
      }
      case 'pulls.list': {
        const found = this.pulls.filter(
          (p) =>
            (request.query.state === 'all' || p.state === (request.query.state ?? 'open')) &&
            (request.query.head === undefined || `${this.owner}:${p.head}` === request.query.head) &&
            (request.query.base === undefined || p.base === request.query.base),
        );
        return this.json(200, found.map((p) => ({ number: p.number, title: p.title, state: p.state, html_url: p.html_url, head: { ref: p.head }, base: { ref: p.base } })));
      }
      case 'pulls.create': {
        const head = String(body.head);
        const base = String(body.base);
        const headSha = this.refs.get(`heads/${head}`);
        const baseSha = this.refs.get(`heads/${base}`);
        if (headSha === undefined || baseSha === undefined) return this.invalid('Validation Failed', [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
        if (this.pulls.some((p) => p.state === 'open' && p.head === head && p.base === base)) {
          return this.invalid('Validation Failed', [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${this.owner}:${head}.` }]);
        }
        if (this.isAncestor(headSha, baseSha)) return this.invalid('Validation Failed', [{ resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head}` }]);
        const number = this.pulls.length + 1;
        const pull: FakePullRequest = { number, title: String(body.title), body: String(body.body ?? ''), head, base, state: 'open', html_url: `${web}/pull/${number}` };
        this.pulls.push(pull);
        return this.json(201, { number, title: pull.title, body: pull.body, state: 'open', html_url: pull.html_url, head: { ref: head, sha: headSha }, base: { ref: base, sha: baseSha } });
      }
      default:
        return this.notFound();
    }
  }
}
