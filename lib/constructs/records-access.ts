import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type Node } from 'constructs';
import { acknowledgeFinding, wildcardResourceFindingId } from '../acknowledge-finding';
import type { FirebreakFunction } from './firebreak-function';

/** Where Firebreak commits `corpus/`, `postmortems/` and `reviews/`, and where it reads evidence. */
export interface RecordsSettings {
  /**
   * The records repository: `github://owner/repo[#branch]` (changes go in
   * as pull requests; the token is kept in a secret this construct creates,
   * `FirebreakGitHubToken`, for the operator to fill) or
   * `codecommit://name[#branch]` (an existing repository). CDK context key
   * `recordsRepo`.
   *
   * @default - a CodeCommit repository `firebreak-records` created by the stack
   */
  readonly recordsRepo?: string;

  /** S3 buckets evidence may be read from (`s3://` URIs). CDK context key `evidenceBuckets`. @default - none */
  readonly evidenceBuckets?: readonly string[];

  /**
   * Log groups a Logs Insights evidence query may read (`logs-insights://`
   * URIs); exact names or prefixes ending in `*`. CDK context key
   * `evidenceLogGroups`. @default - none
   */
  readonly evidenceLogGroups?: readonly string[];
}

/** CDK context key of each {@link RecordsSettings} field. */
export const RECORDS_CONTEXT_KEYS: Readonly<Record<keyof RecordsSettings, string>> = {
  recordsRepo: 'recordsRepo',
  evidenceBuckets: 'evidenceBuckets',
  evidenceLogGroups: 'evidenceLogGroups',
};

/**
 * Reads {@link RecordsSettings} from CDK context (`-c recordsRepo=github://acme/ml-records
 * -c evidenceBuckets=acme-model-logs`).
 *
 * @example
 * const settings = recordsSettingsFromContext(this.node);
 */
export function recordsSettingsFromContext(node: Node): RecordsSettings {
  const list = (key: string): string[] | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    const items = typeof value === 'string' ? value.split(',') : value;
    if (!Array.isArray(items) || !items.every((i) => typeof i === 'string')) throw new Error(`CDK context ${key} must be a list of strings or a comma-separated string`);
    return (items as string[]).map((i) => i.trim()).filter((i) => i !== '');
  };
  const repo: unknown = node.tryGetContext(RECORDS_CONTEXT_KEYS.recordsRepo);
  if (repo !== undefined && typeof repo !== 'string') throw new Error(`CDK context ${RECORDS_CONTEXT_KEYS.recordsRepo} must be a string`);
  return {
    recordsRepo: repo === undefined || repo === '' ? undefined : repo.trim(),
    evidenceBuckets: list(RECORDS_CONTEXT_KEYS.evidenceBuckets),
    evidenceLogGroups: list(RECORDS_CONTEXT_KEYS.evidenceLogGroups),
  };
}

/**
 * The records repository and evidence settings of the functions that harvest
 * regression cases, draft postmortems and write the weekly review: their
 * environment (`FIREBREAK_RECORDS_REPO`, `FIREBREAK_GITHUB_TOKEN_SECRET_ARN`,
 * `FIREBREAK_EVIDENCE_BUCKETS`, `FIREBREAK_EVIDENCE_LOG_GROUPS`) and their IAM
 * permissions, each in a policy of its own per function.
 *
 * @example
 * const records = new RecordsAccess(this, 'Records', { settings: recordsSettingsFromContext(this.node) });
 * records.grant(harvestCases);
 */
export class RecordsAccess extends Construct {
  /** Environment of the functions that use the records repository and the evidence sources. */
  public readonly environment: Readonly<Record<string, string>>;

  /** The GitHub token secret (only with a `github://` repository). */
  public readonly githubToken?: secretsmanager.Secret;

  /** The CodeCommit repository the stack created (only without `recordsRepo`). */
  public readonly repository?: codecommit.Repository;

  private readonly statements: iam.PolicyStatement[] = [];
  private readonly wildcardReasons: string[] = [];

  constructor(scope: Construct, id: string, props: { readonly settings?: RecordsSettings } = {}) {
    super(scope, id);
    const settings = props.settings ?? {};
    const stack = Stack.of(this);
    const env: Record<string, string> = {};
    const spec = settings.recordsRepo;
    const hosted = spec === undefined ? undefined : /^(github|codecommit):\/\/([\w.-]+(?:\/[\w.-]+)?)(?:#([\w./-]+))?$/.exec(spec);
    if (spec !== undefined && hosted === null) {
      throw new Error(`CDK context ${RECORDS_CONTEXT_KEYS.recordsRepo} must be github://owner/repo[#branch] or codecommit://name[#branch] (got "${spec}")`);
    }
    if (hosted?.[1] === 'github') {
      if (!(hosted[2] ?? '').includes('/')) throw new Error(`CDK context ${RECORDS_CONTEXT_KEYS.recordsRepo} must name github://owner/repo (got "${spec}")`);
      this.githubToken = new secretsmanager.Secret(this, 'GitHubToken', {
        description: 'Firebreak: GitHub token (contents and pull requests: write) for the records repository; set its value after deploying',
        removalPolicy: RemovalPolicy.RETAIN,
      });
      acknowledgeFinding(this.githubToken, {
        id: 'AwsSolutions-SMG4',
        reason: 'A GitHub fine-grained token is issued and rotated in GitHub, not by a Lambda rotation function; Firebreak reads it per request, so a rotated value is picked up.',
      });
      env.FIREBREAK_RECORDS_REPO = spec ?? '';
      env.FIREBREAK_GITHUB_TOKEN_SECRET_ARN = this.githubToken.secretArn;
      this.statements.push(new iam.PolicyStatement({ sid: 'ReadGitHubToken', actions: ['secretsmanager:GetSecretValue'], resources: [this.githubToken.secretArn] }));
    } else {
      const name = hosted?.[2];
      if (name === undefined) {
        this.repository = new codecommit.Repository(this, 'Repository', {
          repositoryName: 'firebreak-records',
          description: 'Firebreak records: corpus/ regression cases, postmortems/, reviews/',
        });
        this.repository.applyRemovalPolicy(RemovalPolicy.RETAIN);
      }
      const arn = this.repository?.repositoryArn ?? stack.formatArn({ service: 'codecommit', resource: name ?? '', arnFormat: ArnFormat.NO_RESOURCE_NAME });
      env.FIREBREAK_RECORDS_REPO = this.repository === undefined ? (spec ?? '') : `codecommit://${this.repository.repositoryName}`;
      this.statements.push(
        new iam.PolicyStatement({
          sid: 'CommitRecords',
          actions: ['codecommit:GetRepository', 'codecommit:GetBranch', 'codecommit:CreateBranch', 'codecommit:CreateCommit', 'codecommit:GetFile', 'codecommit:GetFolder'],
          resources: [arn],
        }),
      );
    }
    const buckets = settings.evidenceBuckets ?? [];
    if (buckets.length > 0) {
      env.FIREBREAK_EVIDENCE_BUCKETS = buckets.join(',');
      this.statements.push(
        new iam.PolicyStatement({ sid: 'ListEvidence', actions: ['s3:ListBucket'], resources: buckets.map((b) => `arn:${stack.partition}:s3:::${b}`) }),
        new iam.PolicyStatement({ sid: 'ReadEvidence', actions: ['s3:GetObject'], resources: buckets.map((b) => `arn:${stack.partition}:s3:::${b}/*`) }),
      );
      this.wildcardReasons.push(`Evidence objects are any key of the buckets the operator named (${buckets.join(', ')}); s3:GetObject only.`);
    }
    const groups = settings.evidenceLogGroups ?? [];
    if (groups.length > 0) {
      env.FIREBREAK_EVIDENCE_LOG_GROUPS = groups.join(',');
      this.statements.push(
        new iam.PolicyStatement({
          sid: 'QueryEvidenceLogs',
          actions: ['logs:StartQuery'],
          resources: groups.map((g) => stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `${g}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })),
        }),
        new iam.PolicyStatement({ sid: 'ReadEvidenceQueryResults', actions: ['logs:GetQueryResults', 'logs:StopQuery'], resources: ['*'] }),
      );
      this.wildcardReasons.push(
        'logs:GetQueryResults and logs:StopQuery take a query id, not a resource (no resource-level permissions), so AWS requires "*"; the queries themselves can only be started on the named log groups.',
      );
    }
    this.environment = env;
  }

  /**
   * Lets `fn` commit to the records repository and read evidence: a policy
   * of its own (`<fn>/RecordsPolicy`).
   *
   * @example
   * records.grant(draftPostmortem);
   */
  public grant(fn: FirebreakFunction): iam.Policy {
    const policy = new iam.Policy(fn, 'RecordsPolicy', { roles: [fn.role], statements: this.statements });
    fn.function.node.addDependency(policy);
    if (this.wildcardReasons.length > 0) {
      for (const statement of this.statements) {
        for (const resource of statement.resources) {
          if (resource.includes('*')) acknowledgeFinding(policy, { id: wildcardResourceFindingId(policy, resource), reason: this.wildcardReasons.join(' ') });
        }
      }
    }
    return policy;
  }
}
