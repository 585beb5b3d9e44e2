import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CodeCommitClient } from '@aws-sdk/client-codecommit';
import { S3Client } from '@aws-sdk/client-s3';
import { Octokit } from '@octokit/rest';
import * as path from 'node:path';
import { CloudWatchLogsEvidenceSource } from '../adapters/cloudwatch-logs-evidence-source';
import { CodeCommitRecordsRepository } from '../adapters/codecommit-records-repository';
import { FileEvidenceSource } from '../adapters/file-evidence-source';
import { GitRecordsRepository } from '../adapters/git-records-repository';
import { GitHubRecordsRepository } from '../adapters/github-records-repository';
import { RoutingEvidenceSource } from '../adapters/routing-evidence-source';
import { S3EvidenceSource } from '../adapters/s3-evidence-source';
import { SecretlintSecretScanner } from '../adapters/secretlint-secret-scanner';
import { SecretsManagerToken } from '../adapters/secrets-manager-token';
import type { EvidenceSource } from '../core/corpus/evidence-source';
import type { SecretScanner } from '../core/corpus/secret-scanner';
import { ConfigurationError } from '../core/errors';
import type { RecordsRepository } from '../core/records/records-repository';

/** The records repository, the evidence sources and the secret scanner of this process. */
export interface RecordsRuntime {
  readonly records: RecordsRepository;
  readonly evidence: EvidenceSource;
  readonly scanner: SecretScanner;
}

const NAMES = [
  'FIREBREAK_RECORDS_REPO',
  'FIREBREAK_DATA_DIR',
  'FIREBREAK_GITHUB_TOKEN',
  'FIREBREAK_GITHUB_TOKEN_SECRET_ARN',
  'FIREBREAK_GITHUB_API_URL',
  'FIREBREAK_EVIDENCE_ROOT',
  'FIREBREAK_EVIDENCE_BUCKETS',
  'FIREBREAK_EVIDENCE_LOG_GROUPS',
  'AWS_REGION',
];
let cached: { fingerprint: string; runtime: RecordsRuntime } | undefined;

/**
 * Records and evidence of this process, built from the environment once
 * (rebuilt when it changes, as tests start several targets in one process).
 *
 * - `FIREBREAK_RECORDS_REPO`: a directory (local git, created if missing;
 *   default `$FIREBREAK_DATA_DIR/records`, data dir default `./.firebreak`),
 *   `github://owner/repo[#base-branch]` (token in `FIREBREAK_GITHUB_TOKEN` or
 *   the secret `FIREBREAK_GITHUB_TOKEN_SECRET_ARN`; `FIREBREAK_GITHUB_API_URL`
 *   for GitHub Enterprise) or `codecommit://name[#base-branch]`.
 * - Evidence: `file://` under `FIREBREAK_EVIDENCE_ROOT` (default the data
 *   dir), `s3://` in the buckets of `FIREBREAK_EVIDENCE_BUCKETS`, and
 *   `logs-insights://` over the log groups of `FIREBREAK_EVIDENCE_LOG_GROUPS`
 *   (comma-separated; a scheme without its variable is refused).
 */
export function recordsRuntime(): RecordsRuntime {
  const fingerprint = NAMES.map((n) => process.env[n] ?? '').join('\u0000');
  if (cached?.fingerprint !== fingerprint) cached = { fingerprint, runtime: build() };
  return cached.runtime;
}

function list(name: string): string[] {
  return (process.env[name] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function dataDir(): string {
  return path.resolve(process.env.FIREBREAK_DATA_DIR ?? '.firebreak');
}

/** The records repository named by `FIREBREAK_RECORDS_REPO`. */
export function recordsRepositoryFrom(value: string | undefined): RecordsRepository {
  const spec = (value ?? '').trim();
  const hosted = /^(github|codecommit):\/\/([^#]+)(?:#(.+))?$/.exec(spec);
  if (hosted === null) return new GitRecordsRepository(spec === '' ? path.join(dataDir(), 'records') : path.resolve(spec));
  const [, kind, name, baseBranch] = hosted;
  if (kind === 'codecommit') {
    const region = process.env.AWS_REGION;
    if (!region) throw new ConfigurationError('FIREBREAK_RECORDS_REPO=codecommit://… needs AWS_REGION');
    return new CodeCommitRecordsRepository(new CodeCommitClient({}), { repositoryName: name ?? '', region, ...(baseBranch ? { baseBranch } : {}) });
  }
  const [owner, repo, ...rest] = (name ?? '').split('/');
  if (!owner || !repo || rest.length > 0) throw new ConfigurationError(`FIREBREAK_RECORDS_REPO: expected github://owner/repo, got "${spec}"`);
  const plain = process.env.FIREBREAK_GITHUB_TOKEN;
  const secretArn = process.env.FIREBREAK_GITHUB_TOKEN_SECRET_ARN;
  if (!plain && !secretArn) throw new ConfigurationError('FIREBREAK_RECORDS_REPO=github://… needs FIREBREAK_GITHUB_TOKEN or FIREBREAK_GITHUB_TOKEN_SECRET_ARN');
  const secret = secretArn ? new SecretsManagerToken(secretArn) : undefined;
  const octokit = new Octokit({
    ...(process.env.FIREBREAK_GITHUB_API_URL ? { baseUrl: process.env.FIREBREAK_GITHUB_API_URL } : {}),
    // The token is read per request, so a rotated secret is picked up.
    authStrategy: () => ({
      hook: async (request: (options: object) => Promise<unknown>, options: { headers: Record<string, string> }) => {
        const token = plain || (await secret?.value());
        options.headers.authorization = `token ${token ?? ''}`;
        return request(options);
      },
    }),
  });
  return new GitHubRecordsRepository(octokit, { owner, repo, ...(baseBranch ? { baseBranch } : {}) });
}

function build(): RecordsRuntime {
  const buckets = list('FIREBREAK_EVIDENCE_BUCKETS');
  const logGroups = list('FIREBREAK_EVIDENCE_LOG_GROUPS');
  const evidence = new RoutingEvidenceSource({
    file: new FileEvidenceSource(path.resolve(process.env.FIREBREAK_EVIDENCE_ROOT ?? dataDir())),
    ...(buckets.length === 0 ? {} : { s3: new S3EvidenceSource(new S3Client({}), { allowedBuckets: buckets }) }),
    ...(logGroups.length === 0 ? {} : { logsInsights: new CloudWatchLogsEvidenceSource(new CloudWatchLogsClient({}), { allowedLogGroups: logGroups }) }),
  });
  return { records: recordsRepositoryFrom(process.env.FIREBREAK_RECORDS_REPO), evidence, scanner: new SecretlintSecretScanner() };
}
