import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ModelControlBackendError } from '../../lambdas/adapters/dynamodb-model-control-plane';
import { SageMakerModelControlPlane } from '../../lambdas/adapters/sagemaker-model-control-plane';
import { ControlNotSupportedError, ControlPlaneConflictError, UnknownModelVersionError, type ControlPatch } from '../../lambdas/core/model-control';
import { FAKE_AWS_CLIENT_CONFIG, FakeSageMaker } from '../support/fake-aws';
import { ManualClock } from '../support/signals';

const CREATED = new Date('2026-11-01T09:00:00.000Z');

describe('SageMakerModelControlPlane against a local SageMaker API', () => {
  let sm: FakeSageMaker;
  let client: SageMakerClient;
  let plane: SageMakerModelControlPlane;

  beforeEach(async () => {
    sm = await FakeSageMaker.start();
    client = new SageMakerClient({ ...FAKE_AWS_CLIENT_CONFIG, endpoint: sm.endpoint });
    plane = new SageMakerModelControlPlane(client, { clock: new ManualClock(new Date('2026-11-21T10:03:00.000Z')) });
    sm.addEndpoint('support-bot', [['v1', 0], ['v2', 0], ['v3', 1]], CREATED);
  });
  afterEach(async () => {
    client.destroy();
    await sm.close();
  });

  it('reads the variants as versions and the variant with weight 1 as the active version', async () => {
    expect(await plane.get('support-bot')).toEqual({
      model: 'support-bot',
      activeVersion: 'v3',
      versions: ['v1', 'v2', 'v3'].map((version) => ({ version, deployedAt: CREATED.toISOString(), knownGood: false })),
      killSwitch: false,
      safeMode: false,
      humanReview: false,
      revision: CREATED.getTime(),
      updatedAt: CREATED.toISOString(),
      updatedBy: 'sagemaker',
    });
    const [describe] = sm.requests;
    expect(describe!.headers['x-amz-target']).toBe('SageMaker.DescribeEndpoint');
    expect(describe!.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(describe!.body).toEqual({ EndpointName: 'support-bot' });
  });

  it('takes the heaviest variant as active during a canary split', async () => {
    sm.addEndpoint('canary-bot', [['v1', 0.9], ['v2', 0.1]]);
    expect((await plane.get('canary-bot'))!.activeVersion).toBe('v1');
  });

  it('returns undefined for an endpoint SageMaker does not know', async () => {
    expect(await plane.get('no-such-endpoint')).toBeUndefined();
  });

  it('maps a model to its endpoint with endpointOf', async () => {
    const mapped = new SageMakerModelControlPlane(client, { endpointOf: (model) => `${model}-prod` });
    sm.addEndpoint('chat-prod', [['v1', 1]]);
    expect((await mapped.get('chat'))!.model).toBe('chat');
    expect(sm.requests.at(-1)!.body).toEqual({ EndpointName: 'chat-prod' });
  });

  it('shifts all traffic to the target variant with UpdateEndpointWeightsAndCapacities', async () => {
    const before = (await plane.get('support-bot'))!;
    const change = await plane.update('support-bot', before.revision, { activeVersion: 'v2' }, 'inc-20261121-5f2a9c1e');
    const update = sm.requestsOf('UpdateEndpointWeightsAndCapacities');
    expect(update).toHaveLength(1);
    expect(update[0]!.headers['x-amz-target']).toBe('SageMaker.UpdateEndpointWeightsAndCapacities');
    expect(update[0]!.body).toEqual({
      EndpointName: 'support-bot',
      DesiredWeightsAndCapacities: [
        { VariantName: 'v1', DesiredWeight: 0 },
        { VariantName: 'v2', DesiredWeight: 1 },
        { VariantName: 'v3', DesiredWeight: 0 },
      ],
    });
    expect(change.before).toEqual(before);
    expect(change.after).toMatchObject({ activeVersion: 'v2', updatedBy: 'inc-20261121-5f2a9c1e', updatedAt: '2026-11-21T10:03:00.000Z' });
    sm.completeUpdate('support-bot', new Date('2026-11-21T10:05:00.000Z'));
    expect(await plane.get('support-bot')).toMatchObject({ activeVersion: 'v2', revision: Date.parse('2026-11-21T10:05:00.000Z') });
  });

  it('refuses while the endpoint is Updating, without sending an update', async () => {
    sm.endpoints.get('support-bot')!.EndpointStatus = 'Updating';
    const error = await plane.update('support-bot', CREATED.getTime(), { activeVersion: 'v2' }, 'inc-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlPlaneConflictError);
    expect(((error as Error).cause as Error).message).toBe('endpoint support-bot is Updating');
    expect(sm.requestsOf('UpdateEndpointWeightsAndCapacities')).toHaveLength(0);
  });

  it('maps SageMaker refusing an in-progress endpoint to ControlPlaneConflictError', async () => {
    sm.failNext('UpdateEndpointWeightsAndCapacities', { status: 400, type: 'ValidationException', message: 'Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/support-bot".' });
    const error = await plane.update('support-bot', CREATED.getTime(), { activeVersion: 'v2' }, 'inc-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlPlaneConflictError);
    expect((error as Error).cause).toMatchObject({ name: 'ValidationException' });
  });

  it('lets exactly one of two concurrent updates win', async () => {
    const results = await Promise.allSettled([
      plane.update('support-bot', CREATED.getTime(), { activeVersion: 'v1' }, 'inc-1'),
      plane.update('support-bot', CREATED.getTime(), { activeVersion: 'v2' }, 'inc-2'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason).toBeInstanceOf(ControlPlaneConflictError);
  });

  it('refuses a stale revision with ControlPlaneConflictError', async () => {
    await expect(plane.update('support-bot', CREATED.getTime() - 1, { activeVersion: 'v2' }, 'inc-1')).rejects.toBeInstanceOf(ControlPlaneConflictError);
    expect(sm.requestsOf('UpdateEndpointWeightsAndCapacities')).toHaveLength(0);
  });

  it('refuses an update of an endpoint that is gone with ControlPlaneConflictError', async () => {
    await expect(plane.update('no-such-endpoint', 1, { activeVersion: 'v2' }, 'inc-1')).rejects.toBeInstanceOf(ControlPlaneConflictError);
  });

  it('refuses a version without a variant with UnknownModelVersionError', async () => {
    await expect(plane.update('support-bot', CREATED.getTime(), { activeVersion: 'v9' }, 'inc-1')).rejects.toBeInstanceOf(UnknownModelVersionError);
    expect(sm.requestsOf('UpdateEndpointWeightsAndCapacities')).toHaveLength(0);
  });

  it.each<[string, ControlPatch]>([
    ['a kill switch', { killSwitch: true }],
    ['safe mode', { safeMode: false }],
    ['human review', { humanReview: true }],
    ['a known-good mark', { knownGood: { version: 'v2', good: true } }],
    ['a version change together with a kill switch', { activeVersion: 'v2', killSwitch: true }],
  ])('refuses %s with ControlNotSupportedError before any call', async (_what, patch) => {
    await expect(plane.update('support-bot', CREATED.getTime(), patch, 'inc-1')).rejects.toBeInstanceOf(ControlNotSupportedError);
    expect(sm.requests).toHaveLength(0);
  });

  it('sends nothing when the target already takes all the traffic', async () => {
    const change = await plane.update('support-bot', CREATED.getTime(), { activeVersion: 'v3' }, 'inc-1');
    expect(change.after).toEqual(change.before);
    expect(sm.requestsOf('UpdateEndpointWeightsAndCapacities')).toHaveLength(0);
  });

  it('ends a canary split even when the target is the heaviest variant', async () => {
    sm.addEndpoint('canary-bot', [['v1', 0.9], ['v2', 0.1]], CREATED);
    await plane.update('canary-bot', CREATED.getTime(), { activeVersion: 'v1' }, 'inc-1');
    expect(sm.requestsOf('UpdateEndpointWeightsAndCapacities')[0]!.body!.DesiredWeightsAndCapacities).toEqual([
      { VariantName: 'v1', DesiredWeight: 1 },
      { VariantName: 'v2', DesiredWeight: 0 },
    ]);
  });

  it('reports a Failed endpoint as a permanent ModelControlBackendError', async () => {
    sm.endpoints.get('support-bot')!.EndpointStatus = 'Failed';
    await expect(plane.update('support-bot', CREATED.getTime(), { activeVersion: 'v2' }, 'inc-1')).rejects.toMatchObject({ name: 'ModelControlBackendError', retryable: false });
  });

  it('wraps throttling as a retryable ModelControlBackendError', async () => {
    sm.failNext('DescribeEndpoint', { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    const error = await plane.get('support-bot').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelControlBackendError);
    expect(error).toMatchObject({ retryable: true, operation: 'DescribeEndpoint' });
  });
});
