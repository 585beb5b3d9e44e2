import { LambdaClient } from '@aws-sdk/client-lambda';
import { ModelControlBackendError } from '../../lambdas/adapters/dynamodb-model-control-plane';
import { LambdaAliasModelControlPlane, revisionOf } from '../../lambdas/adapters/lambda-alias-model-control-plane';
import { ControlNotSupportedError, ControlPlaneConflictError, UnknownModelVersionError, type ControlPatch } from '../../lambdas/core/model-control';
import { FAKE_AWS_CLIENT_CONFIG, FakeLambda } from '../support/fake-aws';
import { ManualClock } from '../support/signals';

const ALIAS_PATH = '/2015-03-31/functions/support-bot/aliases/live';

describe('LambdaAliasModelControlPlane against a local Lambda API', () => {
  let lambda: FakeLambda;
  let client: LambdaClient;
  let plane: LambdaAliasModelControlPlane;

  beforeEach(async () => {
    lambda = await FakeLambda.start();
    client = new LambdaClient({ ...FAKE_AWS_CLIENT_CONFIG, endpoint: lambda.endpoint });
    plane = new LambdaAliasModelControlPlane(client, { clock: new ManualClock(new Date('2026-11-21T10:03:00.000Z')) });
    lambda.addFunction('support-bot', ['1', '2', '3'], { live: '3' });
  });
  afterEach(async () => {
    client.destroy();
    await lambda.close();
  });

  it('reads the alias and the published versions, oldest first, and derives the revision from the RevisionId', async () => {
    const alias = lambda.alias('support-bot', 'live')!;
    expect(await plane.get('support-bot')).toEqual({
      model: 'support-bot',
      activeVersion: '3',
      versions: [
        { version: '1', deployedAt: '2026-11-02T09:00:00.000Z', knownGood: false },
        { version: '2', deployedAt: '2026-11-03T09:00:00.000Z', knownGood: false },
        { version: '3', deployedAt: '2026-11-04T09:00:00.000Z', knownGood: false },
      ],
      killSwitch: false,
      safeMode: false,
      humanReview: false,
      revision: revisionOf(alias.RevisionId),
      updatedAt: '',
      updatedBy: 'unknown',
    });
    expect(lambda.requests.map((r) => [r.operation, r.method, r.path])).toEqual([
      ['GetAlias', 'GET', ALIAS_PATH],
      ['ListVersionsByFunction', 'GET', '/2015-03-31/functions/support-bot/versions'],
    ]);
    expect(lambda.requests[1]!.query).toEqual({ MaxItems: '50' });
  });

  it('follows NextMarker through every page of versions', async () => {
    lambda.pageSize = 2;
    expect((await plane.get('support-bot'))!.versions.map((v) => v.version)).toEqual(['1', '2', '3']);
    expect(lambda.requestsOf('ListVersionsByFunction').map((r) => r.query.Marker)).toEqual([undefined, '2']);
  });

  it('keeps $LATEST among the versions only when the alias points at it', async () => {
    lambda.addFunction('draft-bot', ['1'], { live: '$LATEST' });
    expect((await plane.get('draft-bot'))!.versions.map((v) => v.version)).toEqual(['1', '$LATEST']);
  });

  it('returns undefined for a function or alias Lambda does not know', async () => {
    expect(await plane.get('no-such-function')).toBeUndefined();
    const other = new LambdaAliasModelControlPlane(client, { alias: 'canary' });
    expect(await other.get('support-bot')).toBeUndefined();
  });

  it('points the alias at the version with UpdateAlias, passing the RevisionId it read', async () => {
    const before = (await plane.get('support-bot'))!;
    const read = lambda.alias('support-bot', 'live')!.RevisionId;
    const change = await plane.update('support-bot', before.revision, { activeVersion: '2' }, 'inc-20261121-5f2a9c1e');
    const [put] = lambda.requestsOf('UpdateAlias');
    expect(put!.method).toBe('PUT');
    expect(put!.path).toBe(ALIAS_PATH);
    expect(put!.body).toEqual({
      FunctionVersion: '2',
      RevisionId: read,
      RoutingConfig: { AdditionalVersionWeights: {} },
      Description: 'Firebreak: inc-20261121-5f2a9c1e at 2026-11-21T10:03:00.000Z',
    });
    const stored = lambda.alias('support-bot', 'live')!;
    expect(change.before).toEqual(before);
    expect(change.after).toEqual({ ...before, activeVersion: '2', revision: revisionOf(stored.RevisionId), updatedAt: '2026-11-21T10:03:00.000Z', updatedBy: 'inc-20261121-5f2a9c1e' });
    expect(await plane.get('support-bot')).toEqual(change.after);
  });

  it('ends weighted routing to another version when it switches the alias', async () => {
    lambda.changeAlias('support-bot', 'live', { RoutingConfig: { AdditionalVersionWeights: { '3': 0.1 } }, FunctionVersion: '2' });
    const before = (await plane.get('support-bot'))!;
    await plane.update('support-bot', before.revision, { activeVersion: '1' }, 'inc-1');
    expect(lambda.alias('support-bot', 'live')).toMatchObject({ FunctionVersion: '1' });
    expect(lambda.alias('support-bot', 'live')!.RoutingConfig).toBeUndefined();
  });

  it('maps PreconditionFailedException (the alias changed after its read) to ControlPlaneConflictError', async () => {
    const before = (await plane.get('support-bot'))!;
    lambda.beforeUpdateAlias = (fn, alias) => {
      lambda.beforeUpdateAlias = undefined;
      lambda.changeAlias(fn, alias, { FunctionVersion: '1' });
    };
    const error = await plane.update('support-bot', before.revision, { activeVersion: '2' }, 'inc-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlPlaneConflictError);
    expect((error as Error).cause).toMatchObject({ name: 'PreconditionFailedException', $metadata: { httpStatusCode: 412 } });
    expect(lambda.alias('support-bot', 'live')!.FunctionVersion).toBe('1');
  });

  it('lets exactly one of two concurrent updates from the same revision win', async () => {
    const { revision } = (await plane.get('support-bot'))!;
    const results = await Promise.allSettled([plane.update('support-bot', revision, { activeVersion: '1' }, 'inc-1'), plane.update('support-bot', revision, { activeVersion: '2' }, 'inc-2')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason).toBeInstanceOf(ControlPlaneConflictError);
  });

  it('refuses a stale revision with ControlPlaneConflictError before any UpdateAlias', async () => {
    const { revision } = (await plane.get('support-bot'))!;
    lambda.changeAlias('support-bot', 'live', { FunctionVersion: '1' });
    await expect(plane.update('support-bot', revision, { activeVersion: '2' }, 'inc-1')).rejects.toBeInstanceOf(ControlPlaneConflictError);
    expect(lambda.requestsOf('UpdateAlias')).toHaveLength(0);
  });

  it('refuses a version that is not published with UnknownModelVersionError', async () => {
    const { revision } = (await plane.get('support-bot'))!;
    await expect(plane.update('support-bot', revision, { activeVersion: '9' }, 'inc-1')).rejects.toBeInstanceOf(UnknownModelVersionError);
    expect(lambda.requestsOf('UpdateAlias')).toHaveLength(0);
  });

  it.each<[string, ControlPatch]>([
    ['a kill switch', { killSwitch: true }],
    ['safe mode', { safeMode: true }],
    ['human review', { humanReview: false }],
    ['a known-good mark', { knownGood: { version: '2', good: true } }],
  ])('refuses %s with ControlNotSupportedError before any call', async (_what, patch) => {
    await expect(plane.update('support-bot', 1, patch, 'inc-1')).rejects.toBeInstanceOf(ControlNotSupportedError);
    expect(lambda.requests).toHaveLength(0);
  });

  it('wraps TooManyRequestsException as a retryable ModelControlBackendError', async () => {
    const { revision } = (await plane.get('support-bot'))!;
    lambda.failNext('UpdateAlias', { status: 429, type: 'TooManyRequestsException', message: 'Rate exceeded' });
    const error = await plane.update('support-bot', revision, { activeVersion: '2' }, 'inc-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelControlBackendError);
    expect(error).toMatchObject({ retryable: true, operation: 'UpdateAlias', backend: 'Lambda alias' });
  });

  it('derives a safe integer revision from a RevisionId', () => {
    const revision = revisionOf('6f3a0c4e-2b8d-4c1e-9d7a-1b2c3d4e5f60');
    expect(Number.isSafeInteger(revision)).toBe(true);
    expect(revisionOf('6f3a0c4e-2b8d-4c1e-9d7a-1b2c3d4e5f60')).toBe(revision);
    expect(revisionOf('6f3a0c4e-2b8d-4c1e-9d7a-1b2c3d4e5f61')).not.toBe(revision);
  });
});
