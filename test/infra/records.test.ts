import { synthesizeFirebreak } from '../../lib/synth';
import { actionsOf, TemplateView, type Statement } from './template-view';
import { testTemplate } from '../support/template';

const RECORDS_HANDLERS = ['harvest-cases', 'draft-postmortem', 'weekly-review'] as const;

type NamedStatement = Statement & { readonly Sid?: string };

/** The statements of a handler's `RecordsPolicy`. */
function recordsStatements(view: TemplateView, handler: (typeof RECORDS_HANDLERS)[number]): NamedStatement[] {
  return (view.statementsOfRole(view.roleIdOf(handler)) as NamedStatement[]).filter((s) => /Records|GitHubToken|Evidence/.test(s.Sid ?? ''));
}

function synthesizeWith(context: Record<string, unknown>): { view: TemplateView; nagError: unknown } {
  try {
    return { view: new TemplateView(synthesizeFirebreak({ nag: true, context }).template), nagError: undefined };
  } catch (error) {
    return { view: new TemplateView(synthesizeFirebreak({ context }).template), nagError: error };
  }
}

describe('records repository and evidence on AWS (default: a CodeCommit repository of the stack)', () => {
  const view = new TemplateView(testTemplate());

  test('creates the firebreak-records CodeCommit repository and kept on stack deletion', () => {
    const repos = view.resourcesOfType('AWS::CodeCommit::Repository');
    expect(repos).toHaveLength(1);
    expect(repos[0]?.[1].Properties).toMatchObject({ RepositoryName: 'firebreak-records' });
    expect(repos[0]?.[1].DeletionPolicy).toBe('Retain');
  });

  test.each(RECORDS_HANDLERS)('gives %s the repository and CodeCommit commit and read actions on it only', (handler) => {
    const repoId = view.resourcesOfType('AWS::CodeCommit::Repository')[0]?.[0];
    expect(view.environmentOf(handler).FIREBREAK_RECORDS_REPO).toEqual({ 'Fn::Join': ['', ['codecommit://', { 'Fn::GetAtt': [repoId, 'Name'] }]] });
    const statements = recordsStatements(view, handler);
    expect(statements.map((s) => s.Sid)).toEqual(['CommitRecords']);
    expect([...actionsOf(statements[0] as Statement)].sort()).toEqual(
      ['codecommit:CreateBranch', 'codecommit:CreateCommit', 'codecommit:GetBranch', 'codecommit:GetFile', 'codecommit:GetFolder', 'codecommit:GetRepository'].sort(),
    );
  });
});

describe('records repository and evidence from CDK context', () => {
  test('a github:// repository gets a token secret the functions may read, and no CodeCommit repository; nag-clean', () => {
    const { view, nagError } = synthesizeWith({ recordsRepo: 'github://acme/ml-records', evidenceBuckets: 'acme-model-logs', evidenceLogGroups: '/aws/lambda/support-*' });
    expect(nagError).toBeUndefined();
    expect(view.resourcesOfType('AWS::CodeCommit::Repository')).toHaveLength(0);
    for (const handler of RECORDS_HANDLERS) {
      expect(view.environmentOf(handler)).toMatchObject({
        FIREBREAK_RECORDS_REPO: 'github://acme/ml-records',
        FIREBREAK_EVIDENCE_BUCKETS: 'acme-model-logs',
        FIREBREAK_EVIDENCE_LOG_GROUPS: '/aws/lambda/support-*',
      });
      expect(view.environmentOf(handler)).toHaveProperty('FIREBREAK_GITHUB_TOKEN_SECRET_ARN');
      const sids = recordsStatements(view, handler).map((s) => s.Sid);
      expect(sids).toEqual(['ReadGitHubToken', 'ListEvidence', 'ReadEvidence', 'QueryEvidenceLogs', 'ReadEvidenceQueryResults']);
    }
  });

  test.each([
    [{ recordsRepo: 'https://github.com/acme/x' }, /recordsRepo must be github:\/\/owner\/repo\[#branch\] or codecommit:\/\/name\[#branch\]/],
    [{ recordsRepo: 'github://acme' }, /recordsRepo must name github:\/\/owner\/repo/],
    [{ evidenceBuckets: 42 }, /evidenceBuckets must be a list of strings/],
  ] as const)('fails synthesis with a clear message for %j', (context, message) => {
    expect(() => synthesizeFirebreak({ context })).toThrow(message);
  });
});
