import { FirebreakError, IncidentNotFoundError } from '../errors';
import type { ControlSnapshot, Incident, IncidentAction } from '../incident';
import { ControlPlaneConflictError, knownGoodBefore, type ControlPatch, type ModelControlPlane, type ModelControlState } from '../model-control';
import { firebreakEntry, mutateIncident } from '../mutate-incident';
import type { Clock, IncidentStore } from '../ports';

/** The containment switches `action_on_breach` can name (rollback is separate: it may need approval). */
export type ContainmentAction = 'kill_switch' | 'degrade_to_safe_mode' | 'route_to_human_review';

/** Every action Firebreak can take on a model. */
export type ModelAction = ContainmentAction | 'rollback';

/** Ports of the model actions. */
export interface ActionDeps {
  readonly store: IncidentStore;
  readonly clock: Clock;
  readonly control: ModelControlPlane;
}

/** What an action did. */
export interface ActionOutcome {
  /** false when nothing needed changing (already in that state) or the precondition failed. */
  readonly changed: boolean;
  readonly detail: string;
  readonly before?: ControlSnapshot;
  readonly after?: ControlSnapshot;
}

/** The model has no control state: Firebreak cannot act on it. Permanent. */
export class ModelNotControlledError extends FirebreakError {
  constructor(
    readonly model: string,
    options?: { cause?: unknown },
  ) {
    super(`the control plane does not know model ${model}: no action can be taken on it`, options);
  }
}

const PATCH: Record<ContainmentAction, (on: boolean) => ControlPatch> = {
  kill_switch: (on) => ({ killSwitch: on }),
  degrade_to_safe_mode: (on) => ({ safeMode: on }),
  route_to_human_review: (on) => ({ humanReview: on }),
};
const FIELD: Record<ContainmentAction, keyof Pick<ModelControlState, 'killSwitch' | 'safeMode' | 'humanReview'>> = {
  kill_switch: 'killSwitch',
  degrade_to_safe_mode: 'safeMode',
  route_to_human_review: 'humanReview',
};
const LABEL: Record<ModelAction, string> = {
  kill_switch: 'Kill switch',
  degrade_to_safe_mode: 'Safe mode',
  route_to_human_review: 'Human review',
  rollback: 'Rollback',
};

/** The parts of a control state an audit entry keeps. */
export function snapshot(state: ModelControlState): ControlSnapshot {
  return { activeVersion: state.activeVersion, killSwitch: state.killSwitch, safeMode: state.safeMode, humanReview: state.humanReview, revision: state.revision };
}

const describe = (s: ControlSnapshot): string =>
  `version ${s.activeVersion}, kill switch ${s.killSwitch ? 'on' : 'off'}, safe mode ${s.safeMode ? 'on' : 'off'}, human review ${s.humanReview ? 'on' : 'off'}`;

async function controlState(deps: ActionDeps, model: string): Promise<ModelControlState> {
  const state = await deps.control.get(model);
  if (state === undefined) throw new ModelNotControlledError(model);
  return state;
}

/** Changes the control state with a conditional write, re-reading on a lost race. */
async function changeControl(
  deps: ActionDeps,
  model: string,
  decide: (state: ModelControlState) => ControlPatch | undefined,
  by: string,
): Promise<{ before: ModelControlState; after: ModelControlState } | { unchanged: ModelControlState }> {
  for (let attempt = 1; ; attempt += 1) {
    const state = await controlState(deps, model);
    const patch = decide(state);
    if (patch === undefined) return { unchanged: state };
    try {
      return await deps.control.update(model, state.revision, patch, by);
    } catch (error) {
      if (!(error instanceof ControlPlaneConflictError) || attempt >= 5) throw error;
    }
  }
}

async function recordAction(deps: ActionDeps, incident: Incident, record: IncidentAction, message: string): Promise<void> {
  await mutateIncident(deps, incident.id, (current, now) => ({
    changes: { actions: [...(current.actions ?? []).filter((a) => a.id !== record.id || a.undoneAt !== undefined), record] },
    entries: [
      firebreakEntry(current.id, `${current.id}:action:${record.id}:${record.at}`, `action.${record.action}`, message, now, {
        action: record.action,
        by: record.by,
        before: record.before,
        after: record.after,
      }),
    ],
  }));
}

/**
 * Turns a containment switch on for the incident's model, recording who,
 * when and before → after on the timeline and in `incident.actions` (the
 * undo needs it). Already on: nothing changes and that is recorded.
 *
 * @example
 * await contain(deps, incidentId, 'kill_switch', 'firebreak');
 */
export async function contain(deps: ActionDeps, incidentId: string, action: ContainmentAction, by: string): Promise<ActionOutcome> {
  const incident = await deps.store.get(incidentId);
  if (incident === undefined) throw new IncidentNotFoundError(incidentId);
  const model = incident.key.model;
  const result = await changeControl(deps, model, (state) => (state[FIELD[action]] ? undefined : PATCH[action](true)), by);
  const now = deps.clock.now().toISOString();
  if ('unchanged' in result) {
    await deps.store.appendTimeline([
      firebreakEntry(incidentId, `${incidentId}:action:${action}:already:${now}`, `action.${action}`, `${LABEL[action]} was already on for ${model}: nothing changed`, deps.clock.now()),
    ]);
    return { changed: false, detail: `${LABEL[action]} already on`, before: snapshot(result.unchanged), after: snapshot(result.unchanged) };
  }
  const record: IncidentAction = { id: action, action, model, at: now, by, before: snapshot(result.before), after: snapshot(result.after) };
  await recordAction(deps, incident, record, `${LABEL[action]} ON for ${model} by ${by}: ${describe(record.before)} → ${describe(record.after)}`);
  return { changed: true, detail: `${LABEL[action]} on`, before: record.before, after: record.after };
}

/**
 * Rolls the incident's model back to `version`, or to the newest known-good
 * version older than the one that breached. Without such a version, nothing
 * changes and the timeline says why (the workflow escalates).
 *
 * @example
 * const { changed } = await rollBack(deps, incidentId, 'firebreak');
 */
export async function rollBack(deps: ActionDeps, incidentId: string, by: string, version?: string): Promise<ActionOutcome> {
  const incident = await deps.store.get(incidentId);
  if (incident === undefined) throw new IncidentNotFoundError(incidentId);
  const model = incident.key.model;
  let target: string | undefined;
  let why = '';
  const result = await changeControl(
    deps,
    model,
    (state) => {
      const breached = incident.modelVersion ?? state.activeVersion;
      target = version ?? knownGoodBefore(state, breached)?.version;
      if (target === undefined) {
        why = `no version of ${model} older than ${breached} is marked known-good`;
        return undefined;
      }
      if (state.activeVersion === target) {
        why = `${model} already serves ${target}`;
        return undefined;
      }
      return { activeVersion: target };
    },
    by,
  );
  const now = deps.clock.now();
  if ('unchanged' in result) {
    await deps.store.appendTimeline([
      firebreakEntry(incidentId, `${incidentId}:action:rollback:none:${now.toISOString()}`, target === undefined ? 'rollback.impossible' : 'action.rollback', `No rollback: ${why}`, now),
    ]);
    return { changed: false, detail: why };
  }
  const record: IncidentAction = { id: 'rollback', action: 'rollback', model, at: now.toISOString(), by, before: snapshot(result.before), after: snapshot(result.after) };
  await recordAction(deps, incident, record, `Rolled ${model} back by ${by}: ${result.before.activeVersion} → ${result.after.activeVersion}`);
  return { changed: true, detail: `rolled back to ${result.after.activeVersion}`, before: record.before, after: record.after };
}

/**
 * Undoes an action of the incident: switches it off again, or for a
 * rollback, serves the version from before it. Only an action that was
 * taken and not undone yet can be undone.
 *
 * @example
 * await undoAction(deps, incidentId, 'kill_switch', 'U0RESPONDER');
 */
export async function undoAction(deps: ActionDeps, incidentId: string, action: ModelAction, by: string): Promise<ActionOutcome> {
  const incident = await deps.store.get(incidentId);
  if (incident === undefined) throw new IncidentNotFoundError(incidentId);
  const taken = (incident.actions ?? []).find((a) => a.id === action && a.undoneAt === undefined);
  if (taken === undefined) return { changed: false, detail: `${LABEL[action]} was not taken in this incident (or is undone already)` };
  const result = await changeControl(
    deps,
    taken.model,
    (state) => {
      if (action === 'rollback') return state.activeVersion === taken.before.activeVersion ? undefined : { activeVersion: taken.before.activeVersion };
      return state[FIELD[action]] ? PATCH[action](false) : undefined;
    },
    by,
  );
  const now = deps.clock.now();
  const before = 'unchanged' in result ? snapshot(result.unchanged) : snapshot(result.before);
  const after = 'unchanged' in result ? before : snapshot(result.after);
  await mutateIncident(deps, incidentId, (current, at) => ({
    changes: { actions: (current.actions ?? []).map((a) => (a === taken || (a.id === taken.id && a.undoneAt === undefined) ? { ...a, undoneAt: at.toISOString(), undoneBy: by } : a)) },
    entries: [
      firebreakEntry(current.id, `${current.id}:undo:${action}:${now.toISOString()}`, `action.${action}.undone`, `${LABEL[action]} undone by ${by}: ${describe(before)} → ${describe(after)}`, at, { before, after, by }),
    ],
  }));
  return { changed: !('unchanged' in result), detail: `${LABEL[action]} undone`, before, after };
}
