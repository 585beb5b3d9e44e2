import { applyControlPatch, knownGoodBefore, ModelControlStateSchema, UnknownModelVersionError, type ModelControlState } from '../../lambdas/core/model-control';

const NOW = new Date('2026-11-21T10:03:00.000Z');

function state(overrides: Partial<ModelControlState> = {}): ModelControlState {
  return {
    model: 'support-bot',
    activeVersion: 'v4',
    versions: [
      { version: 'v1', deployedAt: '2026-09-01T09:00:00.000Z', knownGood: true },
      { version: 'v2', deployedAt: '2026-10-01T09:00:00.000Z', knownGood: true },
      { version: 'v3', deployedAt: '2026-10-15T09:00:00.000Z', knownGood: false },
      { version: 'v4', deployedAt: '2026-11-20T09:00:00.000Z', knownGood: false },
    ],
    killSwitch: false,
    safeMode: false,
    humanReview: false,
    revision: 7,
    updatedAt: '2026-11-20T09:00:00.000Z',
    updatedBy: 'seed',
    ...overrides,
  };
}

describe('applyControlPatch', () => {
  it('sets the fields the patch names, bumps the revision and records who and when', () => {
    const after = applyControlPatch(state(), { activeVersion: 'v2', killSwitch: true, safeMode: true, humanReview: true }, 'inc-20261121-5f2a9c1e', NOW);
    expect(after).toEqual(state({ activeVersion: 'v2', killSwitch: true, safeMode: true, humanReview: true, revision: 8, updatedAt: '2026-11-21T10:03:00.000Z', updatedBy: 'inc-20261121-5f2a9c1e' }));
    expect(ModelControlStateSchema.parse(after)).toEqual(after);
  });

  it('leaves the fields the patch does not name as they are', () => {
    const before = state({ killSwitch: true, safeMode: true });
    const after = applyControlPatch(before, { humanReview: true }, 'U024BE7LH', NOW);
    expect(after).toMatchObject({ activeVersion: 'v4', killSwitch: true, safeMode: true, humanReview: true, versions: before.versions });
  });

  it('turns a switch off when the patch says false', () => {
    expect(applyControlPatch(state({ killSwitch: true }), { killSwitch: false }, 'undo', NOW).killSwitch).toBe(false);
  });

  it('still bumps the revision for an empty patch', () => {
    expect(applyControlPatch(state(), {}, 'noop', NOW)).toEqual(state({ revision: 8, updatedAt: NOW.toISOString(), updatedBy: 'noop' }));
  });

  it('marks and unmarks a version known-good without touching the others', () => {
    const marked = applyControlPatch(state(), { knownGood: { version: 'v3', good: true } }, 'release-gate', NOW);
    expect(marked.versions.map((v) => [v.version, v.knownGood])).toEqual([
      ['v1', true],
      ['v2', true],
      ['v3', true],
      ['v4', false],
    ]);
    const unmarked = applyControlPatch(marked, { knownGood: { version: 'v1', good: false } }, 'release-gate', NOW);
    expect(unmarked.versions.map((v) => v.knownGood)).toEqual([false, true, true, false]);
  });

  it('does not change the state it is given', () => {
    const before = state();
    const copy = structuredClone(before);
    applyControlPatch(before, { activeVersion: 'v1', knownGood: { version: 'v4', good: true } }, 'inc-1', NOW);
    expect(before).toEqual(copy);
  });

  it('throws UnknownModelVersionError for an active version the model does not have', () => {
    const error = (() => {
      try {
        applyControlPatch(state(), { activeVersion: 'v9' }, 'inc-1', NOW);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnknownModelVersionError);
    expect(error).toMatchObject({ name: 'UnknownModelVersionError', model: 'support-bot', version: 'v9', message: 'model support-bot has no version v9' });
  });

  it('throws UnknownModelVersionError for a known-good mark on a version the model does not have', () => {
    expect(() => applyControlPatch(state(), { knownGood: { version: 'v0', good: true } }, 'inc-1', NOW)).toThrow(UnknownModelVersionError);
  });
});

describe('knownGoodBefore', () => {
  it('returns the newest known-good version older than the breached one', () => {
    expect(knownGoodBefore(state(), 'v4')?.version).toBe('v2');
  });

  it('does not count the breached version itself, even when it is marked good', () => {
    const s = state({ versions: state().versions.map((v) => (v.version === 'v2' ? { ...v, knownGood: true } : v)) });
    expect(knownGoodBefore(s, 'v2')?.version).toBe('v1');
  });

  it('ignores known-good versions newer than the breached one', () => {
    const s = state({ versions: state().versions.map((v) => ({ ...v, knownGood: v.version === 'v4' })) });
    expect(knownGoodBefore(s, 'v3')).toBeUndefined();
  });

  it('returns undefined when no older version is known-good', () => {
    expect(knownGoodBefore(state(), 'v1')).toBeUndefined();
    const none = state({ versions: state().versions.map((v) => ({ ...v, knownGood: false })) });
    expect(knownGoodBefore(none, 'v4')).toBeUndefined();
  });

  it('returns undefined for a breached version the model does not have', () => {
    expect(knownGoodBefore(state(), 'v9')).toBeUndefined();
  });
});
