import { controlPlane, modelTargets } from '../../lambdas/handlers/control-plane-runtime';
import { SplitModelControlPlane } from '../../lambdas/core/split-control-plane';
import { SsmModelControlPlane } from '../../lambdas/adapters/ssm-model-control-plane';

describe('control plane selection (FIREBREAK_CONTROL_PLANE)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('maps models to endpoints or functions from FIREBREAK_MODEL_TARGETS, others by their own name', () => {
    const targetOf = modelTargets('support-llm=chat-prod, other=chat-b');
    expect(targetOf('support-llm')).toBe('chat-prod');
    expect(targetOf('other')).toBe('chat-b');
    expect(targetOf('unlisted')).toBe('unlisted');
  });

  it('refuses a malformed FIREBREAK_MODEL_TARGETS pair, naming it', () => {
    expect(() => modelTargets('support-llm')).toThrow('FIREBREAK_MODEL_TARGETS: expected model=endpoint-or-function pairs, got "support-llm"');
  });

  it.each(['sagemaker', 'lambda-alias'])('builds %s as traffic on the serving backend plus the SSM control documents', (kind) => {
    process.env.FIREBREAK_CONTROL_PLANE = kind;
    process.env.TABLE_NAME = `table-${kind}`;
    expect(controlPlane()).toBeInstanceOf(SplitModelControlPlane);
  });

  it('builds ssm as the control documents alone', () => {
    process.env.FIREBREAK_CONTROL_PLANE = 'ssm';
    process.env.TABLE_NAME = 'table-ssm';
    expect(controlPlane()).toBeInstanceOf(SsmModelControlPlane);
  });

  it('refuses an unknown control plane with the ones it knows', () => {
    process.env.FIREBREAK_CONTROL_PLANE = 'kubernetes';
    expect(() => controlPlane()).toThrow('FIREBREAK_CONTROL_PLANE must be one of dynamodb, ssm, sagemaker, lambda-alias (got "kubernetes")');
  });
});
