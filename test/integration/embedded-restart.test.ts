import type { Incident } from '../../lambdas/core/incident';
import { alertmanagerWebhook } from '../support/payloads';
import { getJson, post, tempDataDir } from '../support/embedded';
import { eventually, killHard, startChildTarget, type ChildTarget } from '../support/child-target';

describe('firebreak up as a process', () => {
  const running: ChildTarget[] = [];
  afterAll(async () => {
    await Promise.all(running.map(killHard));
  });
  const start = async (dataDir: string, env: Record<string, string> = {}): Promise<ChildTarget> => {
    const target = await startChildTarget(dataDir, env);
    running.push(target);
    return target;
  };
  const incidents = async (url: string): Promise<Incident[]> => (await getJson<{ incidents: Incident[] }>(`${url}/incidents`)).body.incidents;

  it('keeps every incident after kill -9 and a restart on the same data directory', async () => {
    const dataDir = tempDataDir();
    const first = await start(dataDir);
    expect(first.output()).toMatch(/DynamoDB\s+simulated: dynalite/);
    expect(first.output()).toMatch(/Step Functions\s+simulated: aws-local-stepfunctions/);
    const webhook = alertmanagerWebhook([
      { alertname: 'CalibrationErrorHigh', fingerprint: '1111111111111111' },
      { alertname: 'PromptInjectionDetected', fingerprint: '2222222222222222' },
    ]);
    // Two alerts of different SLOs in one group: two incidents.
    const accepted = await post(`${first.url}/alerts/alertmanager`, webhook);
    expect(accepted.status).toBe(202);
    const before = await eventually(async () => {
      const list = await incidents(first.url);
      return list.length === 2 ? list : undefined;
    });
    await killHard(first);

    const second = await start(dataDir);
    const after = await incidents(second.url);
    expect(after.map((i) => i.id).sort()).toEqual(before.map((i) => i.id).sort());
    expect(after.map((i) => i.key.slo).sort()).toEqual(['calibration-ece', 'prompt-injection-never-event']);
  });

  it('requires the bearer token on the alert routes when FIREBREAK_WEBHOOK_TOKEN is set', async () => {
    const target = await start(tempDataDir(), { FIREBREAK_WEBHOOK_TOKEN: 's3cret-token' });
    expect(target.output()).toContain('bearer token required');
    const webhook = alertmanagerWebhook([{ alertname: 'OODRecallLow', fingerprint: '3333333333333333' }]);
    const missing = await post(`${target.url}/alerts/alertmanager`, webhook);
    expect(missing).toEqual({ status: 401, body: expect.objectContaining({ error: 'UnauthorizedError', message: expect.stringContaining('missing Authorization') }) });
    const wrong = await post(`${target.url}/alerts/cloudwatch`, webhook, { authorization: 'Bearer nope' });
    expect(wrong).toEqual({ status: 401, body: expect.objectContaining({ message: 'wrong bearer token' }) });
    const right = await post(`${target.url}/alerts/alertmanager`, webhook, { authorization: 'Bearer s3cret-token' });
    expect(right.status).toBe(202);
    expect(await eventually(async () => ((await incidents(target.url)).length === 1 ? true : undefined))).toBe(true);
  });
});
