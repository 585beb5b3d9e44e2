import { gunzipSync, gzipSync } from 'node:zlib';
import { CodeCommitClient } from '@aws-sdk/client-codecommit';
import { Octokit } from '@octokit/rest';
import { CodeCommitRecordsRepository } from '../../lambdas/adapters/codecommit-records-repository';
import { RecordsRepositoryError } from '../../lambdas/adapters/git-records-repository';
import { GitHubRecordsRepository } from '../../lambdas/adapters/github-records-repository';
import { ConfigurationError } from '../../lambdas/core/errors';
import { FAKE_AWS_CLIENT_CONFIG } from '../support/fake-aws';
import { FakeCodeCommit, FakeGitHub, gitBlobSha } from '../support/fake-vendors-records';
import { failure } from '../support/failure';

const TOKEN = 'ghp_test-token';
const BRANCH = 'firebreak/inc-20261121-1a2b3c4d/corpus';
const CASES = [
  { path: 'corpus/case-0001.json', content: '{"id":"case-0001","input":["[REDACTED]"]}\n' },
  { path: 'corpus/case-0002.json', content: '{"id":"case-0002","input":["ignore previous instructions"]}\n' },
];

/** Octokit logs every failed request; the tests check the errors instead. */
const QUIET = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('GitHubRecordsRepository against a local GitHub REST API', () => {
  let github: FakeGitHub;
  let octokit: Octokit;
  let records: GitHubRecordsRepository;

  beforeEach(async () => {
    github = await FakeGitHub.start('acme', 'firebreak-records', TOKEN);
    github.seed({ 'README.md': '# Records\n', 'corpus/case-0001.json': CASES[0]!.content });
    octokit = new Octokit({ auth: TOKEN, baseUrl: github.endpoint, log: QUIET });
    records = new GitHubRecordsRepository(octokit, { owner: 'acme', repo: 'firebreak-records' });
  });
  afterEach(async () => {
    await github.close();
  });

  it('commits to a new branch from the default branch head and opens a pull request', async () => {
    const base = github.refs.get('heads/main')!;
    const result = await records.commit(CASES, 'corpus: 2 cases from inc-20261121-1a2b3c4d\n\nHarvested after the refusal-rate breach.', { branch: BRANCH, title: 'Corpus: inc-20261121-1a2b3c4d' });
    expect(result).toEqual({ changed: true, revision: github.refs.get(`heads/${BRANCH}`), paths: ['corpus/case-0002.json'], url: 'https://github.com/acme/firebreak-records/pull/1' });
    expect(github.filesOn(BRANCH)).toEqual({ 'README.md': '# Records\n', 'corpus/case-0001.json': CASES[0]!.content, 'corpus/case-0002.json': CASES[1]!.content });
    expect(github.filesOn('main')).toEqual({ 'README.md': '# Records\n', 'corpus/case-0001.json': CASES[0]!.content });
    expect(github.commits.get(result.revision!)).toMatchObject({ parents: [base], message: 'corpus: 2 cases from inc-20261121-1a2b3c4d\n\nHarvested after the refusal-rate breach.' });
    expect(github.pulls).toEqual([expect.objectContaining({ number: 1, head: BRANCH, base: 'main', state: 'open', title: 'Corpus: inc-20261121-1a2b3c4d', body: expect.stringContaining('Harvested after the refusal-rate breach.') })]);
    // Only the changed file became a blob upload.
    expect(github.requestsOf('git.createBlob')).toHaveLength(1);
    // Branch names go into URLs with their slashes as they are.
    expect(github.requestsOf('git.getRef').map((r) => r.path)).toContain(`/repos/acme/firebreak-records/git/ref/heads/${BRANCH}`);
  });

  it('makes no commit when the branch already has the files, and reports its open pull request', async () => {
    const first = await records.commit(CASES, 'corpus: 2 cases', { branch: BRANCH });
    const writes = github.requests.filter((r) => r.method !== 'GET').length;
    const again = await records.commit(CASES, 'corpus: 2 cases', { branch: BRANCH });
    expect(again).toEqual({ changed: false, paths: [], url: first.url });
    expect(github.requests.filter((r) => r.method !== 'GET').length).toBe(writes);
    expect(github.refs.get(`heads/${BRANCH}`)).toBe(first.revision);
    expect(github.pulls).toHaveLength(1);
  });

  it('adds a commit to the branch and reuses its open pull request', async () => {
    const first = await records.commit([CASES[1]!], 'corpus: case 2', { branch: BRANCH });
    const second = await records.commit([{ path: 'corpus/case-0003.json', content: '{"id":"case-0003"}\n' }], 'corpus: case 3', { branch: BRANCH });
    expect(second.changed).toBe(true);
    expect(second.url).toBe(first.url);
    expect(github.commits.get(second.revision!)!.parents).toEqual([first.revision]);
    expect(github.pulls).toHaveLength(1);
  });

  it('makes no commit, branch or pull request when the default branch already has the files', async () => {
    const result = await records.commit([CASES[0]!], 'corpus: case 1', { branch: BRANCH });
    expect(result).toEqual({ changed: false, paths: [] });
    expect(github.refs.has(`heads/${BRANCH}`)).toBe(false);
    expect(github.pulls).toEqual([]);
  });

  it('opens the pull request on the next call when the previous one failed after moving the branch', async () => {
    github.failNext('pulls.create', { status: 502, type: 'BadGateway', message: 'Server Error' });
    const error = (await failure(records.commit(CASES, 'corpus: 2 cases', { branch: BRANCH }))) as RecordsRepositoryError;
    expect(error).toBeInstanceOf(RecordsRepositoryError);
    expect(error.retryable).toBe(true);
    expect(github.pulls).toEqual([]);
    const retried = await records.commit(CASES, 'corpus: 2 cases', { branch: BRANCH });
    expect(retried).toEqual({ changed: false, paths: [], url: 'https://github.com/acme/firebreak-records/pull/1' });
  });

  it('rebuilds the commit on top of a branch that moved while it was committing', async () => {
    await records.commit([CASES[1]!], 'corpus: case 2', { branch: BRANCH });
    let moved = false;
    github.beforeUpdateRef = (branch) => {
      if (moved || branch !== BRANCH) return;
      moved = true;
      github.commitOutOfBand(BRANCH, { 'corpus/case-0009.json': '{"id":"case-0009"}\n' }, 'a person edits the branch');
    };
    const result = await records.commit([{ path: 'corpus/case-0003.json', content: '{"id":"case-0003"}\n' }], 'corpus: case 3', { branch: BRANCH });
    expect(result.changed).toBe(true);
    expect(Object.keys(github.filesOn(BRANCH)).sort()).toEqual(['README.md', 'corpus/case-0001.json', 'corpus/case-0002.json', 'corpus/case-0003.json', 'corpus/case-0009.json']);
    expect(github.requestsOf('git.updateRef')).toHaveLength(2);
  });

  it('commits straight to the default branch when no branch is given', async () => {
    const result = await records.commit([CASES[1]!], 'corpus: case 2');
    expect(result.url).toBe(`https://github.com/acme/firebreak-records/commit/${result.revision}`);
    expect(github.filesOn('main')['corpus/case-0002.json']).toBe(CASES[1]!.content);
    expect(github.pulls).toEqual([]);
  });

  it('does not open a pull request for a branch already merged, and opens a new one for new changes', async () => {
    await records.commit(CASES, 'corpus: 2 cases', { branch: BRANCH });
    github.merge(1);
    expect(await records.commit(CASES, 'corpus: 2 cases', { branch: BRANCH })).toEqual({ changed: false, paths: [] });
    const next = await records.commit([{ path: 'corpus/case-0004.json', content: '4\n' }], 'corpus: case 4', { branch: BRANCH });
    expect(next.url).toBe('https://github.com/acme/firebreak-records/pull/2');
  });

  it('reads and lists files of the default branch', async () => {
    await records.commit(CASES, 'corpus: 2 cases', { branch: BRANCH });
    expect(await records.read('corpus/case-0001.json')).toBe(CASES[0]!.content);
    expect(await records.read('corpus/case-0002.json')).toBeUndefined();
    expect(await records.list('corpus')).toEqual(['corpus/case-0001.json']);
    expect(await records.list('')).toEqual(['README.md', 'corpus/case-0001.json']);
    expect(await records.list('postmortems/')).toEqual([]);
    await expect(records.read('corpus')).rejects.toThrow('corpus is a folder, not a file');
  });

  it('reads a path with special characters, its slashes kept as they are in the URL', async () => {
    await records.commit([{ path: 'reviews/2026 W47 #1?.md', content: '# Week 47\n' }], 'review');
    expect(await records.read('reviews/2026 W47 #1?.md')).toBe('# Week 47\n');
    expect(github.requestsOf('repos.getContent').at(-1)!.path).toBe('/repos/acme/firebreak-records/contents/reviews/2026%20W47%20%231%3F.md');
  });

  it('reads a file too large for the contents API through its blob', async () => {
    github.contentLimitBytes = 10;
    expect(await records.read('corpus/case-0001.json')).toBe(CASES[0]!.content);
    expect(github.requestsOf('git.getBlob').map((r) => r.path)).toEqual([`/repos/acme/firebreak-records/git/blobs/${gitBlobSha(CASES[0]!.content)}`]);
  });

  it('compares files one by one when the tree is too large to read at once', async () => {
    github.truncateTrees = true;
    const result = await records.commit(CASES, 'corpus: 2 cases', { branch: BRANCH });
    expect(result.paths).toEqual(['corpus/case-0002.json']);
    await expect(records.list('corpus')).rejects.toThrow('too many files to list');
  });

  it('reads every file of a folder on the default branch from one tarball download of its head', async () => {
    await records.commit(CASES, 'corpus: 2 cases', { branch: BRANCH });
    const head = github.commitOutOfBand('main', { 'corpus/nested/case-0003.json': '{"id":"case-0003","text":"café — ✓"}\n', 'reviews/2026-W47.md': '# Week 47\n' });
    const before = github.requests.length;
    const all = await records.readAll('corpus');
    // case-0002 is only on the proposed branch, not on main.
    expect([...all]).toEqual([
      ['corpus/case-0001.json', CASES[0]!.content],
      ['corpus/nested/case-0003.json', '{"id":"case-0003","text":"café — ✓"}\n'],
    ]);
    const calls = github.requests.slice(before);
    expect(calls.map((r) => `${r.operation} ${r.path}`)).toEqual([
      'git.getRef /repos/acme/firebreak-records/git/ref/heads/main',
      `repos.downloadTarballArchive /repos/acme/firebreak-records/tarball/${head}`,
      // Octokit followed GitHub's redirect to the archive host, whose token is in the URL.
      `codeload.tarball /_codeload/acme/firebreak-records/legacy.tar.gz/${head}`,
    ]);
    expect(github.archiveTokens.has(calls[2]!.query.token!)).toBe(true);
    expect(await records.readAll('')).toEqual(new Map(Object.entries(github.filesOn('main')).sort(([a], [b]) => (a < b ? -1 : 1))));
  });

  it('reads paths longer than a tar header holds, from the ustar prefix field and from a pax header', async () => {
    const prefixed = `corpus/${'a'.repeat(80)}/${'b'.repeat(60)}.json`;
    const paxed = `corpus/${'c'.repeat(150)}/${'d'.repeat(120)}.json`;
    const head = github.commitOutOfBand('main', { [prefixed]: 'prefix\n', [paxed]: 'pax\n' });
    const tar = gunzipSync(github.archive(head));
    // The archive holds the first path split into prefix and name, the second in a pax `path` record, as git archive writes them.
    expect(tar.includes(`${'b'.repeat(60)}.json\0`)).toBe(true);
    expect(tar.includes(` path=acme-firebreak-records-${head.slice(0, 7)}/${paxed}\n`)).toBe(true);
    expect(Object.fromEntries(await records.readAll('corpus'))).toEqual({ 'corpus/case-0001.json': CASES[0]!.content, [prefixed]: 'prefix\n', [paxed]: 'pax\n' });
  });

  it('reads an empty map for a folder that does not exist, and refuses a bad folder before calling GitHub', async () => {
    expect(await records.readAll('postmortems/')).toEqual(new Map());
    expect([...(await records.readAll('corpus/')).keys()]).toEqual(['corpus/case-0001.json']);
    const requests = github.requests.length;
    await expect(records.readAll('corpus/../..')).rejects.toThrow(RangeError);
    expect(github.requests).toHaveLength(requests);
  });

  it('reports a failed download as retryable, an archive it cannot read and a missing base branch as permanent', async () => {
    github.failNext('repos.downloadTarballArchive', { status: 502, type: 'BadGateway', message: 'Server Error' });
    const failed = (await failure(records.readAll('corpus'))) as RecordsRepositoryError;
    expect([failed.constructor, failed.retryable, failed.message]).toEqual([RecordsRepositoryError, true, expect.stringContaining('download the archive of main')]);

    github.archiveOverride = () => Buffer.from('<html>not an archive</html>');
    const unreadable = (await failure(records.readAll('corpus'))) as RecordsRepositoryError;
    expect([unreadable.retryable, unreadable.message]).toEqual([false, expect.stringContaining('cannot be read')]);

    github.archiveOverride = (sha) => gzipSync(gunzipSync(github.archive(sha)).subarray(0, 1200));
    const truncated = (await failure(records.readAll('corpus'))) as RecordsRepositoryError;
    expect([truncated.retryable, truncated.message]).toEqual([false, expect.stringMatching(/cannot be read: tar archive: the archive ends inside/)]);

    const missing = new GitHubRecordsRepository(octokit, { owner: 'acme', repo: 'firebreak-records', baseBranch: 'trunk' });
    expect((await failure(missing.readAll('corpus'))).message).toContain('base branch trunk does not exist');
  });

  it('reports bad credentials as a permanent error', async () => {
    const wrong = new GitHubRecordsRepository(new Octokit({ auth: 'wrong', baseUrl: github.endpoint, log: QUIET }), { owner: 'acme', repo: 'firebreak-records' });
    const error = (await failure(wrong.read('README.md'))) as RecordsRepositoryError;
    expect(error).toBeInstanceOf(RecordsRepositoryError);
    expect([error.retryable, error.message]).toEqual([false, expect.stringContaining('HTTP 401')]);
  });

  it('reports a repository it cannot see as a permanent error', async () => {
    const missing = new GitHubRecordsRepository(octokit, { owner: 'acme', repo: 'nope' });
    const error = (await failure(missing.list('corpus'))) as RecordsRepositoryError;
    expect([error.retryable, error.message]).toEqual([false, expect.stringContaining('no repository acme/nope')]);
  });

  it('reports a rate limit as retryable', async () => {
    github.failNext('repos.get', { status: 429, type: 'RateLimited', message: 'API rate limit exceeded' });
    const error = (await failure(records.read('README.md'))) as RecordsRepositoryError;
    expect(error.retryable).toBe(true);
  });

  it('refuses bad paths and branch names before calling GitHub', async () => {
    await expect(records.commit([{ path: '../x', content: '' }], 'x', { branch: BRANCH })).rejects.toThrow(RangeError);
    await expect(records.commit(CASES, 'x', { branch: 'bad..branch' })).rejects.toThrow(RangeError);
    expect(() => new GitHubRecordsRepository(octokit, { owner: '', repo: 'r' })).toThrow(ConfigurationError);
    expect(github.requests).toEqual([]);
  });

  it('links a file on the base branch', () => {
    expect(records.link('corpus/case 1.json')).toBe('https://github.com/acme/firebreak-records/blob/HEAD/corpus/case%201.json');
    expect(new GitHubRecordsRepository(octokit, { owner: 'acme', repo: 'r', baseBranch: 'trunk', webUrl: 'https://ghe.example.com/' }).link('a.md')).toBe('https://ghe.example.com/acme/r/blob/trunk/a.md');
  });
});

describe('CodeCommitRecordsRepository against a local CodeCommit API', () => {
  let codecommit: FakeCodeCommit;
  let client: CodeCommitClient;
  let records: CodeCommitRecordsRepository;

  beforeAll(async () => {
    codecommit = await FakeCodeCommit.start();
  });
  afterAll(async () => {
    await codecommit.close();
  });
  beforeEach(() => {
    codecommit.repositories.clear();
    codecommit.requests.length = 0;
    codecommit.beforeCreateCommit = undefined;
    codecommit.createRepository('firebreak-records', { 'README.md': '# Records\n', 'corpus/case-0001.json': CASES[0]!.content });
    client = new CodeCommitClient({ ...FAKE_AWS_CLIENT_CONFIG, endpoint: codecommit.endpoint });
    records = new CodeCommitRecordsRepository(client, { repositoryName: 'firebreak-records', region: 'eu-west-1' });
  });
  afterEach(() => {
    client.destroy();
  });

  it('commits the files in one CreateCommit on a new branch made from the default branch', async () => {
    const base = codecommit.repositories.get('firebreak-records')!.branches.get('main')!;
    const result = await records.commit(CASES, 'corpus: 2 cases', { branch: BRANCH });
    expect(result).toEqual({
      changed: true,
      revision: codecommit.repositories.get('firebreak-records')!.branches.get(BRANCH),
      paths: ['corpus/case-0002.json'],
      url: `https://eu-west-1.console.aws.amazon.com/codesuite/codecommit/repositories/firebreak-records/commit/${result.revision}?region=eu-west-1`,
    });
    expect(codecommit.requestsOf('CreateBranch')[0]!.body).toEqual({ repositoryName: 'firebreak-records', branchName: BRANCH, commitId: base });
    expect(codecommit.requestsOf('CreateCommit')[0]!.body).toMatchObject({
      branchName: BRANCH,
      parentCommitId: base,
      authorName: 'Firebreak',
      email: 'firebreak@localhost',
      commitMessage: 'corpus: 2 cases',
      putFiles: CASES.map((c) => ({ filePath: c.path, fileMode: 'NORMAL', fileContent: Buffer.from(c.content).toString('base64') })),
    });
    expect(codecommit.filesOn('firebreak-records', BRANCH)['corpus/case-0002.json']).toBe(CASES[1]!.content);
    expect(codecommit.filesOn('firebreak-records', 'main')['corpus/case-0002.json']).toBeUndefined();
  });

  it('treats NoChangeException as unchanged', async () => {
    await records.commit(CASES, 'corpus: 2 cases', { branch: BRANCH });
    expect(await records.commit(CASES, 'corpus: 2 cases', { branch: BRANCH })).toEqual({ changed: false, paths: [] });
    expect(codecommit.requestsOf('CreateCommit')).toHaveLength(2);
  });

  it('retries on the new head when the branch moved before CreateCommit', async () => {
    let moved = false;
    codecommit.beforeCreateCommit = (name, branch) => {
      if (moved) return;
      moved = true;
      codecommit.commitOutOfBand(name, branch, { 'corpus/case-0009.json': '9\n' });
    };
    const result = await records.commit([CASES[1]!], 'corpus: case 2');
    expect(result.changed).toBe(true);
    expect(Object.keys(codecommit.filesOn('firebreak-records', 'main')).sort()).toEqual(['README.md', 'corpus/case-0001.json', 'corpus/case-0002.json', 'corpus/case-0009.json']);
    expect(codecommit.requestsOf('CreateCommit')).toHaveLength(2);
  });

  it('gives up retryably when the branch keeps moving', async () => {
    codecommit.beforeCreateCommit = (name, branch) => void codecommit.commitOutOfBand(name, branch, { [`busy-${codecommit.requests.length}.txt`]: 'x' });
    const error = (await failure(records.commit([CASES[1]!], 'corpus: case 2'))) as RecordsRepositoryError;
    expect([error.retryable, error.message]).toEqual([true, expect.stringContaining('kept moving')]);
  });

  it('makes the first commit of an empty repository', async () => {
    codecommit.createRepository('empty-records');
    const empty = new CodeCommitRecordsRepository(client, { repositoryName: 'empty-records', region: 'eu-west-1' });
    const result = await empty.commit([CASES[0]!], 'corpus: first case');
    expect(result.changed).toBe(true);
    expect(codecommit.requestsOf('CreateCommit').at(-1)!.body).not.toHaveProperty('parentCommitId');
    expect(codecommit.filesOn('empty-records', 'main')).toEqual({ 'corpus/case-0001.json': CASES[0]!.content });
  });

  it('reads and lists files of the default branch, recursively', async () => {
    await records.commit([{ path: 'postmortems/2026/inc-1.md', content: '# PM\n' }], 'postmortem');
    expect(await records.read('corpus/case-0001.json')).toBe(CASES[0]!.content);
    expect(await records.read('corpus/missing.json')).toBeUndefined();
    expect(await records.list('')).toEqual(['README.md', 'corpus/case-0001.json', 'postmortems/2026/inc-1.md']);
    expect(await records.list('postmortems')).toEqual(['postmortems/2026/inc-1.md']);
    expect(await records.list('reviews/')).toEqual([]);
  });

  it('reads every file of a folder with one GetFile per file at the head commit, 16 at a time', async () => {
    const files = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`corpus/${i % 2 === 1 ? 'sub/' : ''}case-${String(i + 10).padStart(4, '0')}.json`, `{"id":${i},"text":"café"}\n`]));
    const head = codecommit.commitOutOfBand('firebreak-records', 'main', { ...files, 'reviews/2026-W47.md': '# W47\n' });
    const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
    let inFlight = 0;
    let peak = 0;
    jest.spyOn(client, 'send').mockImplementation((async (command: unknown) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      try {
        return await send(command);
      } finally {
        inFlight -= 1;
      }
    }) as never);

    const all = await records.readAll('corpus');
    const expected = Object.entries({ 'corpus/case-0001.json': CASES[0]!.content, ...files }).sort(([a], [b]) => (a < b ? -1 : 1));
    expect([...all]).toEqual(expected);
    expect(codecommit.requestsOf('GetFile')).toHaveLength(41);
    // Every read is of the head commit, so a branch moving meanwhile cannot mix two commits.
    expect(new Set([...codecommit.requestsOf('GetFile'), ...codecommit.requestsOf('GetFolder')].map((r) => r.body!.commitSpecifier))).toEqual(new Set([head]));
    expect(peak).toBe(16);
  });

  it('reads an empty map for a folder that does not exist and for an empty repository', async () => {
    expect(await records.readAll('reviews/')).toEqual(new Map());
    codecommit.createRepository('empty-records');
    const empty = new CodeCommitRecordsRepository(client, { repositoryName: 'empty-records', region: 'eu-west-1' });
    expect(await empty.readAll('')).toEqual(new Map());
    await expect(records.readAll('/corpus')).rejects.toThrow(RangeError);
  });

  it('reports a failed GetFile with the file it was reading', async () => {
    codecommit.failNext('GetFile', { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    const error = (await failure(records.readAll('corpus'))) as RecordsRepositoryError;
    expect([error.retryable, error.message]).toEqual([true, expect.stringContaining('read corpus/case-0001.json at ')]);
  });

  it('reports a missing repository as a permanent error and throttling as retryable', async () => {
    const missing = new CodeCommitRecordsRepository(client, { repositoryName: 'nope', region: 'eu-west-1' });
    const error = (await failure(missing.read('README.md'))) as RecordsRepositoryError;
    expect([error.retryable, error.message]).toEqual([false, expect.stringContaining('RepositoryDoesNotExistException')]);
    codecommit.failNext('GetFile', { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    const throttled = (await failure(records.read('README.md'))) as RecordsRepositoryError;
    expect(throttled.retryable).toBe(true);
  });

  it('refuses bad options, paths and branch names', async () => {
    expect(() => new CodeCommitRecordsRepository(client, { repositoryName: 'r', region: 'nowhere' })).toThrow(ConfigurationError);
    await expect(records.commit([{ path: 'a//b', content: '' }], 'x')).rejects.toThrow(RangeError);
    await expect(records.commit(CASES, 'x', { branch: 'x.lock' })).rejects.toThrow(RangeError);
  });

  it('links a file in the console', () => {
    expect(records.link('corpus/case-0001.json')).toBe('https://eu-west-1.console.aws.amazon.com/codesuite/codecommit/repositories/firebreak-records/browse/--/corpus/case-0001.json?region=eu-west-1');
  });
});
