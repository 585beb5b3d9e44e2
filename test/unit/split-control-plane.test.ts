import { contain, rollBack } from '../../lambdas/core/containment/actions';
import { ControlPlaneConflictError, UnknownModelVersionError } from '../../lambdas/core/model-control';
import { SplitModelControlPlane } from '../../lambdas/core/split-control-plane';
import { controlState, InMemoryIncidentStore, RecordingModelControlPlane } from '../support/in-memory-ports';
import { makeIncident } from '../support/incidents';
import { ManualClock } from '../support/signals';

describe('SplitModelControlPlane (switches in a control document, traffic on the serving backend)', () => {
  const clock = new ManualClock(new Date('2026-11-21T10:05:00.000Z'));
  let document: RecordingModelControlPlane;
  let traffic: RecordingModelControlPlane;
  let plane: SplitModelControlPlane;

  beforeEach(async () => {
    document = new RecordingModelControlPlane(clock);
    traffic = new RecordingModelControlPlane(clock);
    // The document knows the marks; the serving backend knows every version, and marks none good.
    await document.seed(controlState({ revision: 7 }));
    await traffic.seed(controlState({ revision: 1000, versions: controlState().versions.map((v) => ({ ...v, knownGood: false })) }));
    plane = new SplitModelControlPlane(document, traffic);
  });

  it('reads traffic from the serving backend, switches and known-good marks from the document, and the document revision', async () => {
    expect(await plane.get('support-llm')).toMatchObject({
      activeVersion: 'v3',
      revision: 7,
      killSwitch: false,
      versions: [{ version: 'v1', knownGood: true }, { version: 'v2', knownGood: true }, { version: 'v3', knownGood: false }],
    });
    expect(await plane.get('unknown-model')).toBeUndefined();
  });

  it('writes a switch to the document only, conditional on its revision', async () => {
    const change = await plane.update('support-llm', 7, { killSwitch: true }, 'inc-1');
    expect(change.before.killSwitch).toBe(false);
    expect(change.after).toMatchObject({ killSwitch: true, revision: 8, activeVersion: 'v3' });
    expect(traffic.updates).toEqual([]);
    await expect(plane.update('support-llm', 7, { safeMode: true }, 'inc-1')).rejects.toBeInstanceOf(ControlPlaneConflictError);
  });

  it('switches traffic on the serving backend and records the version in the document', async () => {
    const change = await plane.update('support-llm', 7, { activeVersion: 'v2' }, 'inc-1');
    expect(change.after).toMatchObject({ activeVersion: 'v2', revision: 8 });
    expect(traffic.updates.map((u) => u.patch)).toEqual([{ activeVersion: 'v2' }]);
    expect((await document.get('support-llm'))?.activeVersion).toBe('v2');
  });

  it('puts the document back and rethrows when the serving backend refuses the traffic switch', async () => {
    traffic.raceNext('support-llm', { activeVersion: 'v1' }); // someone moved the traffic out of band
    await expect(plane.update('support-llm', 7, { activeVersion: 'v2', safeMode: true }, 'inc-1')).rejects.toBeInstanceOf(ControlPlaneConflictError);
    expect(await document.get('support-llm')).toMatchObject({ activeVersion: 'v3', safeMode: false, revision: 9 });
  });

  it('refuses a version the serving backend does not have, before any write', async () => {
    await expect(plane.update('support-llm', 7, { activeVersion: 'v9' }, 'inc-1')).rejects.toBeInstanceOf(UnknownModelVersionError);
    expect(document.updates).toEqual([]);
  });

  it('lets containment and rollback run on it: kill switch in the document, rollback to the newest known-good version on the backend', async () => {
    const store = new InMemoryIncidentStore();
    const incident = makeIncident({ modelVersion: 'v3' });
    await store.create(incident, []);
    const deps = { store, clock, control: plane };
    expect((await contain(deps, incident.id, 'kill_switch', 'firebreak')).changed).toBe(true);
    expect((await rollBack(deps, incident.id, 'firebreak')).changed).toBe(true);
    expect(await traffic.get('support-llm')).toMatchObject({ activeVersion: 'v2' });
    expect(await document.get('support-llm')).toMatchObject({ killSwitch: true, activeVersion: 'v2' });
  });
});
