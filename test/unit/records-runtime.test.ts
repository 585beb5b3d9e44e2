import * as os from 'node:os';
import * as path from 'node:path';
import { CodeCommitRecordsRepository } from '../../lambdas/adapters/codecommit-records-repository';
import { GitRecordsRepository } from '../../lambdas/adapters/git-records-repository';
import { GitHubRecordsRepository } from '../../lambdas/adapters/github-records-repository';
import { recordsRepositoryFrom } from '../../lambdas/handlers/records-runtime';

describe('FIREBREAK_RECORDS_REPO', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('is a local git repository for a directory, under the data dir by default', () => {
    const dir = path.join(os.tmpdir(), 'records-spec-test');
    expect(recordsRepositoryFrom(dir)).toBeInstanceOf(GitRecordsRepository);
    process.env.FIREBREAK_DATA_DIR = os.tmpdir();
    const repo = recordsRepositoryFrom(undefined) as GitRecordsRepository;
    expect(repo.dir).toBe(path.join(os.tmpdir(), 'records'));
  });

  it('is GitHub for github://owner/repo with a token, and refuses it without one', () => {
    delete process.env.FIREBREAK_GITHUB_TOKEN;
    delete process.env.FIREBREAK_GITHUB_TOKEN_SECRET_ARN;
    expect(() => recordsRepositoryFrom('github://acme/ml-records')).toThrow('needs FIREBREAK_GITHUB_TOKEN or FIREBREAK_GITHUB_TOKEN_SECRET_ARN');
    process.env.FIREBREAK_GITHUB_TOKEN = 'test-token';
    expect(recordsRepositoryFrom('github://acme/ml-records#main')).toBeInstanceOf(GitHubRecordsRepository);
    expect(() => recordsRepositoryFrom('github://acme')).toThrow('expected github://owner/repo');
  });

  it('is CodeCommit for codecommit://name, which needs AWS_REGION', () => {
    delete process.env.AWS_REGION;
    expect(() => recordsRepositoryFrom('codecommit://firebreak-records')).toThrow('needs AWS_REGION');
    process.env.AWS_REGION = 'eu-west-1';
    expect(recordsRepositoryFrom('codecommit://firebreak-records')).toBeInstanceOf(CodeCommitRecordsRepository);
  });
});
