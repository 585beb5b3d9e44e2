import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EmbeddedTarget } from '../../local/embedded';
import { handler } from '../../lambdas/handlers/cloudwatch-intake';
import { InvalidInputError } from '../../lambdas/core/errors';
import { isoWeek } from '../../lambdas/core/incident';
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

  it('records every record of an SNS Lambda event: the alarm and its later OK give one resolved incident', async () => {
    // The fixture holds two records of one alarm: ALARM at 09:26, OK at 09:58. Their workflows run
    // concurrently, in either order; the outcome must not depend on it.
    const receipt = (await handler(fixture('lambda-sns-event-map-dimensions.json'))) as { accepted: { slo: string; status: string }[] };
    expect(receipt.accepted.map((a) => [a.slo, a.status])).toEqual([
      ['ttft-p95', 'firing'],
      ['ttft-p95', 'resolved'],
    ]);
    await target.engine.idle();
    expect(await target.store.listActive()).toEqual([]);
    const incidents = await target.store.listByWeek(isoWeek(new Date()));
    // Resolved, then closed once resolve drafted its postmortem.
    expect(incidents.map((i) => [i.key.slo, i.status])).toEqual([['ttft-p95', 'closed']]);
  });

  it('returns an EventBridge event of the wrong kind as ignored', async () => {
    expect(await handler(fixture('eventbridge-config-change.json'))).toMatchObject({ accepted: [], ignored: [expect.anything()] });
  });

  it('throws on an event of no known form, so that Lambda retries and dead-letters it', async () => {
    await expect(handler({ unexpected: true })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
