import { checkRecovery, escalateIncident } from '../../lambdas/core/containment/verify-recovery';
import type { IncidentChannel, Pager, PagerEvent } from '../../lambdas/core/engagement-ports';
import type { IncidentChannelRef } from '../../lambdas/core/incident';
import type { Slo } from '../../lambdas/core/policy/schema';
import { SliSourceError, type SliReading, type SliSource } from '../../lambdas/core/sli/port';
import { loadPolicyFile } from '../../lambdas/adapters/file-policy-source';
import { InMemoryIncidentStore } from '../support/in-memory-ports';
import { makeIncident } from '../support/incidents';
import { ManualClock } from '../support/signals';

/** An SLI source that answers from a script of readings (or errors), one per read. */
class ScriptedSli implements SliSource {
  constructor(private readonly script: (SliReading | Error)[]) {}
  async read(_slo: Slo): Promise<SliReading> {
    const next = this.script.shift();
    if (next === undefined) throw new Error('script exhausted');
    if (next instanceof Error) throw next;
    return next;
  }
}
const good: SliReading = { value: 1, at: '2026-11-21T10:10:00.000Z', withinObjective: true };
const bad: SliReading = { value: 0.9, at: '2026-11-21T10:10:00.000Z', withinObjective: false };

describe('recovery verification', () => {
  const policy = loadPolicyFile('runbooks/slos.yaml');
  let store: InMemoryIncidentStore;
  const clock = new ManualClock(new Date('2026-11-21T10:10:00.000Z'));

  beforeEach(async () => {
    store = new InMemoryIncidentStore();
    const incident = makeIncident();
    await store.create(incident, []);
  });
  const id = makeIncident().id;

  it('marks the incident mitigated after three good readings in a row, and not before', async () => {
    const sli = new ScriptedSli([good, bad, good, good, good]);
    const deps = { store, clock, sli, policy };
    let progress = { consecutiveGood: 0, checks: 0 };
    const decisions: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const check = await checkRecovery(deps, id, progress);
      decisions.push(check.decision);
      progress = check;
    }
    expect(decisions).toEqual(['keep-checking', 'keep-checking', 'keep-checking', 'keep-checking', 'recovered']);
    expect((await store.get(id))!.status).toBe('mitigated');
  });

  it('asks for escalation when the checks run out without recovery', async () => {
    const sli = new ScriptedSli([bad, bad]);
    const check = await checkRecovery({ store, clock, sli, policy }, id, { consecutiveGood: 0, checks: 9 });
    expect(check.decision).toBe('escalate');
  });

  it('stops and says so when the SLI cannot be read for this model at all', async () => {
    const sli = new ScriptedSli([new SliSourceError('demo-model', 'unknown model x', { retryable: false, code: 'unknown-model' })]);
    expect((await checkRecovery({ store, clock, sli, policy }, id, { consecutiveGood: 0, checks: 0 })).decision).toBe('stop');
    expect((await store.timeline(id)).map((e) => e.kind)).toContain('recovery.unverifiable');
  });

  it('lets a transient SLI failure reach the workflow for its retry', async () => {
    const sli = new ScriptedSli([new SliSourceError('prometheus', 'HTTP 503', { retryable: true })]);
    await expect(checkRecovery({ store, clock, sli, policy }, id, { consecutiveGood: 0, checks: 0 })).rejects.toBeInstanceOf(SliSourceError);
  });

  it('escalates by raising the page to critical under the same dedup key and telling the channel', async () => {
    const channelRef: IncidentChannelRef = { id: 'C1', name: 'inc', summaryTs: '1.1' };
    const current = (await store.get(id))!;
    await store.update({ ...current, channel: channelRef, version: current.version + 1 }, []);
    const sent: PagerEvent[] = [];
    const pager: Pager = { send: async (event) => (sent.push(event), { dedupKey: event.dedupKey, status: 'success', message: 'Event processed', attempts: 1 }) };
    const posted: string[] = [];
    const channel = { postToThread: async (_ref: IncidentChannelRef, text: string) => void posted.push(text) } as unknown as IncidentChannel;
    expect(await escalateIncident({ store, clock, pager, channel }, id)).toEqual({ escalated: true });
    expect(sent).toEqual([expect.objectContaining({ action: 'trigger', dedupKey: id, severity: 'critical' })]);
    expect(posted[0]).toContain('Escalated');
    expect((await store.get(id))!.severity).toBe('sev1');
  });
});
