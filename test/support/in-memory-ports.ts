import { IncidentVersionConflictError } from '../../lambdas/core/errors';
import { isActive, type Incident, type TimelineEntry } from '../../lambdas/core/incident';
import type { ControlChange, ControlPatch, ModelControlPlane, ModelControlState } from '../../lambdas/core/model-control';
import { systemClock, type AlertRef, type Clock, type CreateIncidentResult, type IncidentStore, type LifecycleOrigin, type WorkflowStart, type WorkflowStarter } from '../../lambdas/core/ports';
import { incidentKeyString, type IncidentKey, type Signal } from '../../lambdas/core/signal';
import { InMemoryModelControlPlane as DemoModelControlPlane } from '../../local/demo-model/in-memory-control-plane';

/*
 * Real, in-memory implementations of the ports, with the semantics of the
 * AWS adapters (DynamoDbIncidentStore, StepFunctionsWorkflowStarter,
 * DynamoDbModelControlPlane, the latter through the demo model's in-memory
 * control plane): for tests that exercise the core without DynamoDB or Step
 * Functions. Every method yields to the event loop, so concurrent callers
 * interleave as they would against a service; values are copied in and out, so a caller that
 * mutates what it got cannot change what is stored.
 */

const copy = <T>(value: T): T => structuredClone(value);
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * `IncidentStore` in memory, with DynamoDbIncidentStore's semantics: one
 * active incident per key (a key lock, freed when the incident leaves the
 * active statuses), optimistic locking on `version` (`update` throws
 * `IncidentVersionConflictError` unless the stored version is
 * `next.version - 1`), an append-only timeline where an entry id is written
 * once, entries written before the incident (so a lost race leaves its
 * entries, as the DynamoDB store does), and channel links.
 *
 * @example
 * const store = new InMemoryIncidentStore();
 * await store.create(incident, entries);
 * await store.linkChannel('C0INCIDENT1', incident.id);
 */
export class InMemoryIncidentStore implements IncidentStore {
  private readonly incidents = new Map<string, Incident>();
  private readonly locks = new Map<string, string>();
  private readonly entries = new Map<string, Map<string, TimelineEntry>>();
  private readonly resolvedAlerts = new Map<string, { endsAt: string; signalId: string }>();
  private readonly channels = new Map<string, string>();

  async get(id: string): Promise<Incident | undefined> {
    await tick();
    const incident = this.incidents.get(id);
    return incident === undefined ? undefined : copy(incident);
  }

  async findActiveByKey(key: IncidentKey): Promise<Incident | undefined> {
    await tick();
    const holder = this.locks.get(incidentKeyString(key));
    const incident = holder === undefined ? undefined : this.incidents.get(holder);
    return incident !== undefined && isActive(incident) ? copy(incident) : undefined;
  }

  async create(incident: Incident, entries: readonly TimelineEntry[]): Promise<CreateIncidentResult> {
    await tick();
    const lockKey = incidentKeyString(incident.key);
    const holder = this.locks.get(lockKey);
    if (holder === undefined) this.locks.set(lockKey, incident.id);
    else if (holder !== incident.id) {
      const existing = this.incidents.get(holder);
      if (existing !== undefined && isActive(existing)) return { created: false, existing: copy(existing) };
      if (existing !== undefined) this.locks.delete(lockKey);
      throw new IncidentVersionConflictError(incident.id);
    }
    this.append(entries);
    const stored = this.incidents.get(incident.id);
    if (stored !== undefined) return { created: true, incident: copy(stored) };
    this.incidents.set(incident.id, copy(incident));
    return { created: true, incident: copy(incident) };
  }

  async update(next: Incident, entries: readonly TimelineEntry[]): Promise<void> {
    await tick();
    this.append(entries);
    await tick();
    const stored = this.incidents.get(next.id);
    if (stored === undefined || stored.version !== next.version - 1) throw new IncidentVersionConflictError(next.id);
    this.incidents.set(next.id, copy(next));
    const lockKey = incidentKeyString(next.key);
    if (!isActive(next) && this.locks.get(lockKey) === next.id) this.locks.delete(lockKey);
  }

  async appendTimeline(entries: readonly TimelineEntry[]): Promise<void> {
    await tick();
    this.append(entries);
  }

  async timeline(incidentId: string): Promise<TimelineEntry[]> {
    await tick();
    return [...(this.entries.get(incidentId)?.values() ?? [])].map(copy).sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
  }

  async listActive(): Promise<Incident[]> {
    await tick();
    return this.newestFirst([...this.incidents.values()].filter(isActive));
  }

  async listByWeek(week: string): Promise<Incident[]> {
    await tick();
    return this.newestFirst([...this.incidents.values()].filter((i) => i.week === week));
  }

  async noteAlertResolved(alert: AlertRef, endsAt: string, signalId: string): Promise<void> {
    await tick();
    const key = `${alert.source}\u0000${alert.identity}`;
    const known = this.resolvedAlerts.get(key);
    if (known === undefined || known.endsAt <= endsAt) this.resolvedAlerts.set(key, { endsAt, signalId });
  }

  async alertResolution(alert: AlertRef): Promise<{ endsAt: string; signalId: string } | undefined> {
    await tick();
    const known = this.resolvedAlerts.get(`${alert.source}\u0000${alert.identity}`);
    return known === undefined ? undefined : { ...known };
  }

  async linkChannel(channelId: string, incidentId: string): Promise<void> {
    await tick();
    this.channels.set(channelId, incidentId);
  }

  async findByChannel(channelId: string): Promise<Incident | undefined> {
    await tick();
    const incidentId = this.channels.get(channelId);
    return incidentId === undefined ? undefined : this.get(incidentId);
  }

  private append(entries: readonly TimelineEntry[]): void {
    for (const entry of entries) {
      const timeline = this.entries.get(entry.incidentId) ?? new Map<string, TimelineEntry>();
      this.entries.set(entry.incidentId, timeline);
      // An entry with this id exists: the write is a retry, and the timeline stays append-only.
      if (!timeline.has(entry.id)) timeline.set(entry.id, copy(entry));
    }
  }

  private newestFirst(incidents: Incident[]): Incident[] {
    const sortKey = (i: Incident): string => `${i.openedAt}#${i.id}`;
    return incidents.map(copy).sort((a, b) => sortKey(b).localeCompare(sortKey(a)));
  }
}

/** What `startRollback` is given: who approved it, the version asked for (if any) and the approving request. */
export type RollbackOrigin = LifecycleOrigin & { readonly version?: string; readonly requestId: string };

/** One start request a {@link RecordingWorkflowStarter} received. */
export type RecordedStart =
  | { readonly workflow: 'respond'; readonly name: string; readonly signal: Signal; readonly alreadyStarted: boolean }
  | { readonly workflow: 'resolve' | 'acknowledge'; readonly name: string; readonly origin: LifecycleOrigin; readonly alreadyStarted: boolean }
  | { readonly workflow: 'rollback'; readonly name: string; readonly origin: RollbackOrigin; readonly alreadyStarted: boolean };

/**
 * `WorkflowStarter` that records every start, with StepFunctionsWorkflowStarter's
 * naming: `respond` is named after the signal id, `resolve` and `acknowledge`
 * after the incident (`resolve-<incident id>`), `rollback` after the incident
 * and the approving request (`rollback-<incident id>-<request id>`, the
 * request id cut to its last 40 characters of `[A-Za-z0-9_-]`, others
 * replaced by `_`), and a second start of an existing name is a no-op
 * reported as `alreadyStarted`. `failNext` makes the next start of a
 * workflow fail, as an unreachable Step Functions would.
 *
 * @example
 * const starter = new RecordingWorkflowStarter();
 * await runIncidentCommand({ ...deps, starter }, ctx, { kind: 'ack' });
 * expect(starter.starts('acknowledge')).toHaveLength(1);
 */
export class RecordingWorkflowStarter implements WorkflowStarter {
  private readonly recorded: RecordedStart[] = [];
  private readonly names = new Set<string>();
  private readonly failures = new Map<string, Error>();

  async startRespond(signal: Signal): Promise<WorkflowStart> {
    await tick();
    this.fail('respond');
    const alreadyStarted = this.claim(signal.id);
    this.recorded.push({ workflow: 'respond', name: signal.id, signal: copy(signal), alreadyStarted });
    return { executionId: `respond:${signal.id}`, alreadyStarted };
  }

  startResolve(origin: LifecycleOrigin): Promise<WorkflowStart> {
    return this.start('resolve', origin);
  }

  startAcknowledge(origin: LifecycleOrigin): Promise<WorkflowStart> {
    return this.start('acknowledge', origin);
  }

  async startRollback(origin: RollbackOrigin): Promise<WorkflowStart> {
    await tick();
    this.fail('rollback');
    const name = `rollback-${origin.incidentId}-${origin.requestId.replace(/[^A-Za-z0-9_-]/g, '_').slice(-40)}`;
    const alreadyStarted = this.claim(name);
    this.recorded.push({ workflow: 'rollback', name, origin: { ...origin }, alreadyStarted });
    return { executionId: `rollback:${name}`, alreadyStarted };
  }

  /** Every start so far (of one workflow, when given), in order. */
  starts(workflow?: RecordedStart['workflow']): RecordedStart[] {
    return this.recorded.filter((s) => workflow === undefined || s.workflow === workflow);
  }

  /** Makes the next start of `workflow` throw `error`. */
  failNext(workflow: RecordedStart['workflow'], error: Error): void {
    this.failures.set(workflow, error);
  }

  private async start(workflow: 'resolve' | 'acknowledge', origin: LifecycleOrigin): Promise<WorkflowStart> {
    await tick();
    this.fail(workflow);
    const name = `${workflow}-${origin.incidentId}`;
    const alreadyStarted = this.claim(name);
    this.recorded.push({ workflow, name, origin: { ...origin }, alreadyStarted });
    return { executionId: `${workflow}:${name}`, alreadyStarted };
  }

  private fail(workflow: string): void {
    const error = this.failures.get(workflow);
    if (error === undefined) return;
    this.failures.delete(workflow);
    throw error;
  }

  private claim(name: string): boolean {
    const already = this.names.has(name);
    this.names.add(name);
    return already;
  }
}

/**
 * A model's control state for tests: `support-llm` serving `v3`, with `v1`
 * (known-good), `v2` (known-good) and `v3` (the breached one), every switch
 * off, revision 1.
 *
 * @example
 * await control.seed(controlState({ model: 'demo-chat', activeVersion: 'v2' }));
 */
export function controlState(overrides: Partial<ModelControlState> = {}): ModelControlState {
  return {
    model: 'support-llm',
    activeVersion: 'v3',
    versions: [
      { version: 'v1', deployedAt: '2026-10-01T00:00:00.000Z', knownGood: true },
      { version: 'v2', deployedAt: '2026-11-01T00:00:00.000Z', knownGood: true },
      { version: 'v3', deployedAt: '2026-11-20T00:00:00.000Z', knownGood: false },
    ],
    killSwitch: false,
    safeMode: false,
    humanReview: false,
    revision: 1,
    updatedAt: '2026-11-20T00:00:00.000Z',
    updatedBy: 'seed',
    ...overrides,
  };
}

/**
 * `ModelControlPlane` for tests: the demo model's in-memory control plane
 * (`local/demo-model/in-memory-control-plane.ts`, DynamoDbModelControlPlane's
 * semantics: `update` applies the patch only if the stored revision is still
 * the expected one, else `ControlPlaneConflictError`; an unknown version
 * throws; `seed` stores a state unless the model has one), with every method
 * yielding to the event loop, a record of the writes made through it
 * (`updates`), and faults: `raceNext` makes the next `update` of a model lose
 * to a concurrent writer (whose patch is applied first), `failNext` makes the
 * next `update` throw.
 *
 * @example
 * const control = new RecordingModelControlPlane(clock);
 * await control.seed(controlState());
 * await contain({ store, clock, control }, incidentId, 'kill_switch', 'U1');
 * expect((await control.get('support-llm'))?.killSwitch).toBe(true);
 */
export class RecordingModelControlPlane implements ModelControlPlane {
  /** Every successful write made through this port (not the injected concurrent ones), in order. */
  readonly updates: { readonly model: string; readonly patch: ControlPatch; readonly by: string; readonly revision: number }[] = [];
  private readonly plane: DemoModelControlPlane;
  private readonly races = new Map<string, ControlPatch>();
  private failure: Error | undefined;

  constructor(clock: Clock = systemClock) {
    this.plane = new DemoModelControlPlane([], clock);
  }

  async get(model: string): Promise<ModelControlState | undefined> {
    await tick();
    return this.plane.get(model);
  }

  async update(model: string, expectedRevision: number, patch: ControlPatch, by: string): Promise<ControlChange> {
    await tick();
    if (this.failure !== undefined) {
      const error = this.failure;
      this.failure = undefined;
      throw error;
    }
    const race = this.races.get(model);
    if (race !== undefined) {
      this.races.delete(model);
      const current = await this.plane.get(model);
      if (current !== undefined) await this.plane.update(model, current.revision, race, 'concurrent-writer');
    }
    const change = await this.plane.update(model, expectedRevision, patch, by);
    this.updates.push({ model, patch: { ...patch }, by, revision: change.after.revision });
    return change;
  }

  /** Stores the state unless its model has one; returns what is stored. */
  async seed(state: ModelControlState): Promise<{ created: boolean; state: ModelControlState }> {
    await tick();
    return this.plane.seed(state);
  }

  /** The next `update` of `model` finds that someone else applied `patch` just before it. */
  raceNext(model: string, patch: ControlPatch): void {
    this.races.set(model, patch);
  }

  /** The next `update` throws `error`, as an unreachable backend would. */
  failNext(error: Error): void {
    this.failure = error;
  }
}
