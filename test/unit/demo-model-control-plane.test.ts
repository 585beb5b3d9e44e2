import { ControlPlaneConflictError, UnknownModelVersionError } from '../../lambdas/core/model-control';
import { InMemoryModelControlPlane, demoModelControlState } from '../../local/demo-model/in-memory-control-plane';

const clock = { now: () => new Date('2026-11-21T12:00:00.000Z') };
const seeded = () => new InMemoryModelControlPlane([demoModelControlState({ now: new Date('2026-11-21T10:00:00.000Z') })], clock);

describe('InMemoryModelControlPlane', () => {
  it('is seeded with the three demo versions, v1 known-good and active', async () => {
    const state = await seeded().get('support-llm');
    expect(state).toMatchObject({ model: 'support-llm', activeVersion: 'support-llm-v1', killSwitch: false, safeMode: false, humanReview: false, revision: 0, updatedBy: 'seed' });
    expect(state?.versions.map((v) => [v.version, v.knownGood])).toEqual([
      ['support-llm-v1', true],
      ['support-llm-v2', false],
      ['support-llm-v3', false],
    ]);
    expect(state?.versions.map((v) => v.deployedAt)).toEqual([...(state?.versions.map((v) => v.deployedAt) ?? [])].sort());
  });

  it('applies a patch at the expected revision and reports before and after', async () => {
    const plane = seeded();
    const change = await plane.update('support-llm', 0, { activeVersion: 'support-llm-v2', killSwitch: true }, 'inc-20261121-5f2a9c1e');
    expect(change.before).toMatchObject({ activeVersion: 'support-llm-v1', killSwitch: false, revision: 0 });
    expect(change.after).toMatchObject({ activeVersion: 'support-llm-v2', killSwitch: true, revision: 1, updatedBy: 'inc-20261121-5f2a9c1e', updatedAt: '2026-11-21T12:00:00.000Z' });
    expect(await plane.get('support-llm')).toEqual(change.after);
  });

  it('rejects a change made on a stale revision: no lost update', async () => {
    const plane = seeded();
    await plane.update('support-llm', 0, { safeMode: true }, 'responder-a');
    await expect(plane.update('support-llm', 0, { safeMode: false }, 'responder-b')).rejects.toBeInstanceOf(ControlPlaneConflictError);
    expect((await plane.get('support-llm'))?.safeMode).toBe(true);
  });

  it('treats an unknown model as a conflict and an unknown version as UnknownModelVersionError, writing nothing', async () => {
    const plane = seeded();
    await expect(plane.update('other-llm', 0, { killSwitch: true }, 'x')).rejects.toBeInstanceOf(ControlPlaneConflictError);
    await expect(plane.update('support-llm', 0, { activeVersion: 'support-llm-v9' }, 'x')).rejects.toBeInstanceOf(UnknownModelVersionError);
    expect((await plane.get('support-llm'))?.revision).toBe(0);
  });

  it('hands out copies: changing a returned state changes nothing stored', async () => {
    const plane = seeded();
    const state = await plane.get('support-llm');
    if (state === undefined) throw new Error('seeded state missing');
    state.killSwitch = true;
    state.versions[0]!.knownGood = false;
    expect(await plane.get('support-llm')).toMatchObject({ killSwitch: false, versions: [expect.objectContaining({ knownGood: true }), expect.anything(), expect.anything()] });
  });

  it('seeds a model once and keeps later changes', async () => {
    const plane = seeded();
    await plane.update('support-llm', 0, { humanReview: true }, 'x');
    const again = await plane.seed(demoModelControlState());
    expect(again).toMatchObject({ created: false, state: { humanReview: true, revision: 1 } });
    expect(await new InMemoryModelControlPlane().seed(demoModelControlState({ model: 'other-llm' }))).toMatchObject({ created: true });
  });

  it('refuses a seed whose active version is not one of its versions', async () => {
    await expect(new InMemoryModelControlPlane().seed({ ...demoModelControlState(), activeVersion: 'support-llm-v9' })).rejects.toBeInstanceOf(UnknownModelVersionError);
  });
});
