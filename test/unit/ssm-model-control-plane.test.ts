import { SSMClient } from '@aws-sdk/client-ssm';
import { ModelControlBackendError } from '../../lambdas/adapters/dynamodb-model-control-plane';
import { InProcessControlWriteLock, SsmModelControlPlane, type ControlWriteLease, type ControlWriteLock } from '../../lambdas/adapters/ssm-model-control-plane';
import { InvalidInputError } from '../../lambdas/core/errors';
import { ControlPlaneConflictError, UnknownModelVersionError, type ModelControlState } from '../../lambdas/core/model-control';
import { FAKE_AWS_CLIENT_CONFIG, FakeSsm } from '../support/fake-aws';
import { ManualClock } from '../support/signals';

const PARAMETER = '/firebreak/models/support-bot/control';

function seedState(overrides: Partial<ModelControlState> = {}): ModelControlState {
  return {
    model: 'support-bot',
    activeVersion: 'v3',
    versions: [
      { version: 'v1', deployedAt: '2026-10-01T09:00:00.000Z', knownGood: true },
      { version: 'v2', deployedAt: '2026-10-15T09:00:00.000Z', knownGood: true },
      { version: 'v3', deployedAt: '2026-11-20T09:00:00.000Z', knownGood: false },
    ],
    killSwitch: false,
    safeMode: false,
    humanReview: false,
    revision: 0,
    updatedAt: '2026-11-20T09:00:00.000Z',
    updatedBy: 'seed',
    ...overrides,
  };
}

/** A lock that hands out one lease and records its use. */
class RecordingLock implements ControlWriteLock {
  readonly events: string[] = [];
  constructor(private readonly expiresAt: Date) {}
  async acquire(model: string): Promise<ControlWriteLease> {
    this.events.push(`acquire ${model}`);
    return { expiresAt: this.expiresAt, release: async () => void this.events.push(`release ${model}`) };
  }
}

describe('SsmModelControlPlane against a local SSM API', () => {
  let ssm: FakeSsm;
  let client: SSMClient;
  let clock: ManualClock;
  let plane: SsmModelControlPlane;

  beforeEach(async () => {
    ssm = await FakeSsm.start();
    client = new SSMClient({ ...FAKE_AWS_CLIENT_CONFIG, endpoint: ssm.endpoint });
    clock = new ManualClock(new Date('2026-11-21T10:03:00.000Z'));
    plane = new SsmModelControlPlane(client, { lock: new InProcessControlWriteLock(), clock });
  });
  afterEach(async () => {
    client.destroy();
    await ssm.close();
  });

  it('creates the parameter when seeding, with PutParameter without Overwrite, and the revision is its version', async () => {
    const result = await plane.seed(seedState());
    expect(result).toEqual({ created: true, state: seedState({ revision: 1 }) });
    const [put] = ssm.requestsOf('PutParameter');
    expect(put!.headers['x-amz-target']).toBe('AmazonSSM.PutParameter');
    expect(put!.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(put!.body).toEqual({ Name: PARAMETER, Value: JSON.stringify(seedState({ revision: 1 })), Type: 'String', Overwrite: false });
  });

  it('keeps the stored document when seeding a model that has one', async () => {
    await plane.seed(seedState());
    const again = await plane.seed(seedState({ activeVersion: 'v1' }));
    expect(again).toEqual({ created: false, state: seedState({ revision: 1 }) });
    expect(ssm.latest(PARAMETER)!.version).toBe(1);
  });

  it('reads the document with GetParameter and takes the revision from the parameter version', async () => {
    ssm.putOutOfBand(PARAMETER, JSON.stringify(seedState({ revision: 0 })));
    ssm.putOutOfBand(PARAMETER, JSON.stringify(seedState({ revision: 0, safeMode: true })));
    expect(await plane.get('support-bot')).toEqual(seedState({ revision: 2, safeMode: true }));
    expect(ssm.requestsOf('GetParameter').map((r) => r.body)).toEqual([{ Name: PARAMETER }]);
  });

  it('returns undefined for a model without a parameter', async () => {
    expect(await plane.get('unknown-model')).toBeUndefined();
  });

  it('uses the configured prefix', async () => {
    const prefixed = new SsmModelControlPlane(client, { lock: new InProcessControlWriteLock(), prefix: '/prod/ml/' });
    await prefixed.seed(seedState());
    expect(ssm.latest('/prod/ml/support-bot/control')).toBeDefined();
    expect(prefixed.parameterName('support-bot')).toBe('/prod/ml/support-bot/control');
  });

  it('rejects a model name that cannot be a parameter path segment', async () => {
    await expect(plane.get('../other')).rejects.toBeInstanceOf(InvalidInputError);
    expect(ssm.requests).toHaveLength(0);
  });

  it('applies a patch with PutParameter Overwrite and reports before and after', async () => {
    await plane.seed(seedState());
    const change = await plane.update('support-bot', 1, { activeVersion: 'v2', killSwitch: true }, 'inc-20261121-5f2a9c1e');
    expect(change.before).toEqual(seedState({ revision: 1 }));
    expect(change.after).toEqual(seedState({ revision: 2, activeVersion: 'v2', killSwitch: true, updatedAt: '2026-11-21T10:03:00.000Z', updatedBy: 'inc-20261121-5f2a9c1e' }));
    const put = ssm.requestsOf('PutParameter')[1]!;
    expect(put.body).toEqual({ Name: PARAMETER, Value: JSON.stringify(change.after), Type: 'String', Overwrite: true });
    expect(await plane.get('support-bot')).toEqual(change.after);
  });

  it('sends the configured tier with every write', async () => {
    const tiered = new SsmModelControlPlane(client, { lock: new InProcessControlWriteLock(), tier: 'Intelligent-Tiering' });
    await tiered.seed(seedState());
    await tiered.update('support-bot', 1, { safeMode: true }, 'inc-1');
    expect(ssm.requestsOf('PutParameter').map((r) => r.body?.Tier)).toEqual(['Intelligent-Tiering', 'Intelligent-Tiering']);
  });

  it('refuses a stale revision with ControlPlaneConflictError and writes nothing', async () => {
    await plane.seed(seedState());
    await plane.update('support-bot', 1, { safeMode: true }, 'inc-1');
    await expect(plane.update('support-bot', 1, { killSwitch: true }, 'inc-2')).rejects.toBeInstanceOf(ControlPlaneConflictError);
    expect(ssm.requestsOf('PutParameter')).toHaveLength(2);
  });

  it('refuses an unknown version with UnknownModelVersionError and writes nothing', async () => {
    await plane.seed(seedState());
    await expect(plane.update('support-bot', 1, { activeVersion: 'v9' }, 'inc-1')).rejects.toBeInstanceOf(UnknownModelVersionError);
    expect(ssm.requestsOf('PutParameter')).toHaveLength(1);
  });

  it('refuses an update of a model without a parameter with ControlPlaneConflictError', async () => {
    await expect(plane.update('support-bot', 1, { safeMode: true }, 'inc-1')).rejects.toBeInstanceOf(ControlPlaneConflictError);
  });

  it('lets exactly one of two concurrent updates from the same revision win', async () => {
    await plane.seed(seedState());
    const results = await Promise.allSettled([
      plane.update('support-bot', 1, { killSwitch: true }, 'inc-1'),
      plane.update('support-bot', 1, { safeMode: true }, 'inc-2'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [lost] = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(lost!.reason).toBeInstanceOf(ControlPlaneConflictError);
    const stored = (await plane.get('support-bot'))!;
    expect(stored.revision).toBe(2);
    expect(stored.killSwitch !== stored.safeMode).toBe(true);
  });

  it('puts back a write that landed between its read and its write, and reports a conflict', async () => {
    await plane.seed(seedState());
    const outOfBand = JSON.stringify(seedState({ revision: 2, humanReview: true, updatedBy: 'console' }));
    ssm.beforePut = (name) => {
      ssm.beforePut = undefined;
      ssm.putOutOfBand(name, outOfBand);
    };
    const error = await plane.update('support-bot', 1, { killSwitch: true }, 'inc-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlPlaneConflictError);
    expect(((error as Error).cause as Error).message).toMatch(/version 2 was written by someone else .* this write \(version 3\); version 2's document was put back as version 4$/);
    expect(ssm.requests.map((r) => [r.operation, r.body?.Name, r.body?.Overwrite])).toEqual([
      ['PutParameter', PARAMETER, false],
      ['GetParameter', PARAMETER, undefined],
      ['PutParameter', PARAMETER, true],
      ['GetParameter', PARAMETER, undefined],
      ['GetParameter', `${PARAMETER}:2`, undefined],
      ['PutParameter', PARAMETER, true],
    ]);
    expect(ssm.latest(PARAMETER)).toEqual({ value: outOfBand, version: 4 });
    expect(await plane.get('support-bot')).toMatchObject({ humanReview: true, killSwitch: false, revision: 4 });
  });

  it('puts nothing back when a still later write has superseded its own', async () => {
    await plane.seed(seedState());
    ssm.beforePut = (name) => {
      ssm.beforePut = undefined;
      ssm.putOutOfBand(name, JSON.stringify(seedState({ humanReview: true })));
    };
    const later = JSON.stringify(seedState({ safeMode: true, updatedBy: 'console' }));
    ssm.afterPut = (name) => {
      ssm.afterPut = undefined;
      ssm.putOutOfBand(name, later);
    };
    const error = await plane.update('support-bot', 1, { killSwitch: true }, 'inc-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlPlaneConflictError);
    expect(((error as Error).cause as Error).message).toMatch(/version 4 has been written since and supersedes it, so nothing was put back$/);
    expect(ssm.latest(PARAMETER)).toEqual({ value: later, version: 4 });
  });

  it('says so when putting back an overwritten write fails', async () => {
    await plane.seed(seedState());
    ssm.beforePut = (name) => {
      ssm.beforePut = undefined;
      ssm.putOutOfBand(name, JSON.stringify(seedState({ humanReview: true })));
      // The next GetParameter is the restore's check of the latest version.
      ssm.failNext('GetParameter', { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    };
    const error = await plane.update('support-bot', 1, { killSwitch: true }, 'inc-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlPlaneConflictError);
    expect(((error as Error).cause as Error).message).toMatch(/putting version 2 back failed: .*Rate exceeded\); the parameter holds this write$/);
    expect(ssm.latest(PARAMETER)!.version).toBe(3);
  });

  it('takes the write lock around the read and the write and releases it after a failure', async () => {
    const lock = new RecordingLock(new Date('2026-11-21T10:03:30.000Z'));
    const locked = new SsmModelControlPlane(client, { lock, clock });
    await locked.seed(seedState());
    ssm.failNext('PutParameter', { status: 500, type: 'InternalServerError', message: 'boom' });
    await expect(locked.update('support-bot', 1, { killSwitch: true }, 'inc-1')).rejects.toMatchObject({ name: 'ModelControlBackendError', retryable: true });
    expect(lock.events).toEqual(['acquire support-bot', 'release support-bot']);
  });

  it('reports a held lock as ControlPlaneConflictError without reading', async () => {
    const lock = new InProcessControlWriteLock();
    const held = await lock.acquire('support-bot');
    const locked = new SsmModelControlPlane(client, { lock });
    await expect(locked.update('support-bot', 1, { killSwitch: true }, 'inc-1')).rejects.toBeInstanceOf(ControlPlaneConflictError);
    expect(ssm.requests).toHaveLength(0);
    await held.release();
  });

  it('does not start a write when the lease is about to run out', async () => {
    const lock = new RecordingLock(new Date('2026-11-21T10:03:05.000Z'));
    const locked = new SsmModelControlPlane(client, { lock, clock, minLeaseRemainingMs: 10_000 });
    await locked.seed(seedState());
    const error = await locked.update('support-bot', 1, { killSwitch: true }, 'inc-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlPlaneConflictError);
    expect(((error as Error).cause as Error).message).toMatch(/5000 ms left/);
    expect(ssm.requestsOf('PutParameter')).toHaveLength(1);
  });

  it('rejects a stored document that is not a control state, naming the parameter and the field', async () => {
    ssm.putOutOfBand(PARAMETER, JSON.stringify({ ...seedState(), killSwitch: 'yes' }));
    const error = await plane.get('support-bot').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelControlBackendError);
    expect(error).toMatchObject({ retryable: false });
    expect((error as Error).message).toContain(`GetParameter ${PARAMETER}`);
    expect((error as Error).message).toContain('killSwitch');
  });

  it('rejects a stored value that is not JSON', async () => {
    ssm.putOutOfBand(PARAMETER, 'kill=true');
    await expect(plane.get('support-bot')).rejects.toThrow(/not JSON/);
  });

  it('rejects a stored document of another model', async () => {
    ssm.putOutOfBand(PARAMETER, JSON.stringify(seedState({ model: 'other-bot' })));
    await expect(plane.get('support-bot')).rejects.toThrow(/for model "other-bot"/);
  });

  it('wraps throttling as a retryable ModelControlBackendError and access denied as a permanent one', async () => {
    ssm.failNext('GetParameter', { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    await expect(plane.get('support-bot')).rejects.toMatchObject({ name: 'ModelControlBackendError', retryable: true, backend: 'SSM', operation: 'GetParameter' });
    ssm.failNext('GetParameter', { status: 400, type: 'AccessDeniedException', message: 'not authorized to perform: ssm:GetParameter' });
    await expect(plane.get('support-bot')).rejects.toMatchObject({ name: 'ModelControlBackendError', retryable: false });
  });
});
