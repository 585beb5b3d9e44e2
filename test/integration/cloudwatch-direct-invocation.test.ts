import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EmbeddedTarget } from '../../local/embedded';
import { handler } from '../../lambdas/handlers/cloudwatch-intake';
import { InvalidInputError } from '../../lambdas/core/errors';
import { startTestTarget } from '../support/embedded';

const fixture = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'cloudwatch', name), 'utf8'));

describe('cloudwatch-intake invoked directly, as EventBridge, SNS and alarm actions invoke it on AWS', () => {
  let target: EmbeddedTarget;
  beforeAll(async () => {
    target = await startTestTarget({ waitTimeOverrides: { 'Wait Out The Flap Hold': 0 } });
  });
  afterAll(async () => {
    await target.engine.idle();
    await target.close();
  });

  it('records every record of an SNS Lambda event and opens the incident of its SLO', async () => {
    const receipt = (await handler(fixture('lambda-sns-event-map-dimensions.json'))) as { accepted: { slo: string }[] };
    expect(receipt.accepted.length).toBeGreaterThanOrEqual(1);
    expect(receipt.accepted[0]!.slo).toBe('ttft-p95');
    await target.engine.idle();
    expect((await target.store.listActive()).map((i) => i.key.slo)).toContain('ttft-p95');
  });

  it('returns an EventBridge event of the wrong kind as ignored', async () => {
    expect(await handler(fixture('eventbridge-config-change.json'))).toMatchObject({ accepted: [], ignored: [expect.anything()] });
  });

  it('throws on an event of no known form, so that Lambda retries and dead-letters it', async () => {
    await expect(handler({ unexpected: true })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
