import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb-client';
import { DynamoDbIncidentStore } from '../../lambdas/adapters/dynamodb-incident-store';
import { DynamoDbModelControlPlane } from '../../lambdas/adapters/dynamodb-model-control-plane';
import { DynamoDbSignalInbox } from '../../lambdas/adapters/dynamodb-signal-inbox';
import { contain, rollBack, undoAction } from '../../lambdas/core/containment/actions';
import { respondToBreach } from '../../lambdas/core/containment/respond-to-breach';
import type { Policy } from '../../lambdas/core/policy/schema';
import { recordSignal } from '../../lambdas/core/record-signal';
import { loadPolicyFile } from '../../lambdas/adapters/file-policy-source';
import { demoModelControlState } from '../../local/demo-model/in-memory-control-plane';
import { ensureTable, LOCAL_AWS, startLocalDynamoDb, type LocalDynamoDb } from '../../local/local-dynamodb';
import { makeSignal, ManualClock } from '../support/signals';
import { tableOf, testTemplate } from '../support/template';

describe('model actions on the DynamoDB control plane', () => {
  let ddb: LocalDynamoDb;
  let store: DynamoDbIncidentStore;
  let inbox: DynamoDbSignalInbox;
  let control: DynamoDbModelControlPlane;
  let clock: ManualClock;
  let db: ReturnType<typeof createDocumentClient>;
  let n = 0;
  const policy: Policy = loadPolicyFile('runbooks/slos.yaml');

  beforeAll(async () => {
    ddb = await startLocalDynamoDb();
  });
  afterAll(async () => {
    db?.destroy();
    await ddb.close();
  });
  beforeEach(async () => {
    n += 1;
    const table = `containment-${n}`;
    await ensureTable(ddb.endpoint, table, tableOf(testTemplate()).properties);
    db = createDocumentClient(new DynamoDBClient({ ...LOCAL_AWS, endpoint: ddb.endpoint }));
    store = new DynamoDbIncidentStore(db, table);
    inbox = new DynamoDbSignalInbox(db, table);
    clock = new ManualClock(new Date('2026-11-21T10:05:00.000Z'));
    control = new DynamoDbModelControlPlane(db, table, clock);
  });
  const deps = () => ({ store, clock, control });

  /** An open incident of `slo` on support-llm, its breach reported against `version`. */
  async function incidentOn(slo: string, version = 'support-llm-v2'): Promise<string> {
    const signal = makeSignal({ labels: { alertname: 'x', service: 'support-bot', model: 'support-llm', model_version: version } }, { key: { slo, service: 'support-bot', model: 'support-llm' }, flapHoldSeconds: 0 });
    const { incidentId } = await recordSignal({ store, inbox, clock }, signal);
    return incidentId!;
  }

  it('turns the kill switch on and records who did it and before → after', async () => {
    await control.seed(demoModelControlState({ activeVersion: 'support-llm-v2' }));
    const id = await incidentOn('prompt-injection-never-event');
    const outcome = await contain(deps(), id, 'kill_switch', 'firebreak');
    expect(outcome).toMatchObject({ changed: true, before: { killSwitch: false }, after: { killSwitch: true } });
    expect((await control.get('support-llm'))!.killSwitch).toBe(true);
    const incident = (await store.get(id))!;
    expect(incident.actions).toEqual([expect.objectContaining({ action: 'kill_switch', by: 'firebreak', before: expect.objectContaining({ killSwitch: false }), after: expect.objectContaining({ killSwitch: true }) })]);
    expect((await store.timeline(id)).map((e) => e.kind)).toContain('action.kill_switch');
  });

  it('changes nothing when the switch is on already, and says so', async () => {
    await control.seed({ ...demoModelControlState(), safeMode: true });
    const id = await incidentOn('ttft-p95');
    expect(await contain(deps(), id, 'degrade_to_safe_mode', 'firebreak')).toMatchObject({ changed: false });
    expect((await control.get('support-llm'))!.revision).toBe(0);
  });

  it('rolls back to the newest known-good version older than the breached one, and undoes it', async () => {
    await control.seed(demoModelControlState({ activeVersion: 'support-llm-v2' }));
    const id = await incidentOn('adversarial-refusal-rate', 'support-llm-v2');
    expect(await rollBack(deps(), id, 'firebreak')).toMatchObject({ changed: true, before: { activeVersion: 'support-llm-v2' }, after: { activeVersion: 'support-llm-v1' } });
    expect((await control.get('support-llm'))!.activeVersion).toBe('support-llm-v1');
    expect(await undoAction(deps(), id, 'rollback', 'U0RESPONDER')).toMatchObject({ changed: true, after: { activeVersion: 'support-llm-v2' } });
    expect((await store.get(id))!.actions![0]).toMatchObject({ undoneBy: 'U0RESPONDER' });
    expect(await undoAction(deps(), id, 'rollback', 'U0RESPONDER')).toMatchObject({ changed: false });
  });

  it('does not roll back when no older version is known-good, and records why', async () => {
    await control.seed(demoModelControlState({ activeVersion: 'support-llm-v1' }));
    const id = await incidentOn('adversarial-refusal-rate', 'support-llm-v1');
    expect(await rollBack(deps(), id, 'firebreak')).toMatchObject({ changed: false, detail: expect.stringContaining('known-good') });
    expect((await store.timeline(id)).map((e) => e.kind)).toContain('rollback.impossible');
  });

  it('takes the SLO actions in order: kill switch, then rollback without approval', async () => {
    await control.seed(demoModelControlState({ activeVersion: 'support-llm-v2' }));
    const id = await incidentOn('adversarial-refusal-rate', 'support-llm-v2');
    const response = await respondToBreach({ ...deps(), policy }, id);
    expect(response.steps.map((s) => [s.action, s.changed])).toEqual([
      ['kill_switch', true],
      ['rollback', true],
    ]);
    expect(await control.get('support-llm')).toMatchObject({ killSwitch: true, activeVersion: 'support-llm-v1' });
  });

  it('asks for approval instead of rolling back when the SLO requires it', async () => {
    await control.seed(demoModelControlState({ activeVersion: 'support-llm-v3' }));
    const id = await incidentOn('ttft-p95', 'support-llm-v3');
    const response = await respondToBreach({ ...deps(), policy }, id);
    expect(response.awaitingApproval).toBe(true);
    expect((await control.get('support-llm'))!.activeVersion).toBe('support-llm-v3');
    expect((await store.get(id))!.pendingRollback).toMatchObject({ requestedBy: 'firebreak' });
  });

  it('records that a model unknown to the control plane cannot be contained', async () => {
    const id = await incidentOn('prompt-injection-never-event');
    const response = await respondToBreach({ ...deps(), policy }, id);
    expect(response.steps).toEqual([expect.objectContaining({ action: 'none', changed: false })]);
    expect((await store.timeline(id)).map((e) => e.kind)).toContain('containment.impossible');
  });
});
