import { approvalTimeoutSeconds, recordRollbackApproval, rejectRollback, settleRollbackApproval } from '../../lambdas/core/containment/rollback-approval';
import type { EngagementDeps } from '../../lambdas/core/engagement/deps';
import type { IncidentChannel } from '../../lambdas/core/engagement-ports';
import type { Incident, IncidentChannelRef } from '../../lambdas/core/incident';
import { loadPolicyFile } from '../../lambdas/adapters/file-policy-source';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InMemoryIncidentStore } from '../support/in-memory-ports';
import { makeIncident } from '../support/incidents';
import { ManualClock } from '../support/signals';

const channelRef: IncidentChannelRef = { id: 'C0INC', name: 'inc-support-llm', summaryTs: '1.000' };

/** Records thread posts and summary updates. */
class RecordingChannel implements Pick<IncidentChannel, 'postToThread' | 'updateSummary'> {
  readonly posts: string[] = [];
  readonly summaries: Incident[] = [];
  async postToThread(_channel: IncidentChannelRef, text: string): Promise<void> {
    this.posts.push(text);
  }
  async updateSummary(_channel: IncidentChannelRef, incident: Incident): Promise<void> {
    this.summaries.push(incident);
  }
}

describe('rollback approval', () => {
  const policy = loadPolicyFile('runbooks/slos.yaml');
  const requestedAt = '2026-11-21T10:02:05.000Z';
  let store: InMemoryIncidentStore;
  let channel: RecordingChannel;
  let clock: ManualClock;
  let deps: EngagementDeps;
  const id = makeIncident().id;

  beforeEach(async () => {
    store = new InMemoryIncidentStore();
    channel = new RecordingChannel();
    clock = new ManualClock(new Date('2026-11-21T10:32:05.000Z'));
    await store.create(makeIncident({ key: { slo: 'ttft-p95', service: 'support-bot', model: 'support-llm' }, channel: channelRef, pendingRollback: { requestedAt, requestedBy: 'firebreak' } }), []);
    deps = { store, clock, channel: channel as unknown as IncidentChannel, pager: {} as EngagementDeps['pager'], policy, responders: [] };
  });

  it('expires a request nobody decided: clears it, records rollback.approval_expired and tells the channel', async () => {
    expect(await settleRollbackApproval(deps, id)).toEqual({ outcome: 'expired' });
    const incident = (await store.get(id))!;
    expect(incident.pendingRollback).toBeUndefined();
    expect(incident.rollbackDecision).toEqual({ outcome: 'expired', at: '2026-11-21T10:32:05.000Z', by: 'firebreak' });
    const entry = (await store.timeline(id)).find((e) => e.kind === 'rollback.approval_expired');
    expect(entry?.message).toContain('within 30 min');
    expect(channel.posts).toEqual([expect.stringContaining('rollback request expired')]);
    expect(channel.summaries).toHaveLength(1);
  });

  it('settles twice to the same outcome without a second timeline entry or message', async () => {
    await settleRollbackApproval(deps, id);
    expect(await settleRollbackApproval(deps, id)).toEqual({ outcome: 'expired' });
    expect((await store.timeline(id)).filter((e) => e.kind === 'rollback.approval_expired')).toHaveLength(1);
    expect(channel.posts).toHaveLength(1);
  });

  it('reports an approval recorded before the deadline, leaving the request for the rollback workflow to clear', async () => {
    clock.set('2026-11-21T10:10:00.000Z');
    await recordRollbackApproval(deps, id, 'U0COMMANDER');
    clock.set('2026-11-21T10:32:05.000Z');
    expect(await settleRollbackApproval(deps, id)).toEqual({ outcome: 'approved' });
    expect((await store.get(id))!.pendingRollback).toBeDefined();
    expect(channel.posts).toEqual([]);
  });

  it('reports approved when the approved rollback already ran and cleared the request', async () => {
    clock.set('2026-11-21T10:10:00.000Z');
    const approved = await recordRollbackApproval(deps, id, 'U0COMMANDER');
    await store.update({ ...approved, pendingRollback: undefined, version: approved.version + 1 }, []);
    expect(await settleRollbackApproval(deps, id)).toEqual({ outcome: 'approved' });
  });

  it('rejects the pending rollback with who and why, and settles as rejected', async () => {
    clock.set('2026-11-21T10:05:00.000Z');
    const { rejected, incident } = await rejectRollback(deps, id, 'U0COMMANDER', 'v2 carries the TTFT fix');
    expect(rejected).toBe(true);
    expect(incident.pendingRollback).toBeUndefined();
    expect(incident.rollbackDecision).toEqual({ outcome: 'rejected', at: '2026-11-21T10:05:00.000Z', by: 'U0COMMANDER', reason: 'v2 carries the TTFT fix' });
    const entry = (await store.timeline(id)).find((e) => e.kind === 'rollback.rejected');
    expect(entry).toMatchObject({ actor: 'U0COMMANDER', message: 'Rollback rejected: v2 carries the TTFT fix; containment stays as it is' });
    expect(await settleRollbackApproval(deps, id)).toEqual({ outcome: 'rejected' });
  });

  it('rejects nothing when no rollback waits for approval', async () => {
    await rejectRollback(deps, id, 'U0COMMANDER');
    const second = await rejectRollback(deps, id, 'U0COMMANDER');
    expect(second.rejected).toBe(false);
    expect((await store.timeline(id)).filter((e) => e.kind === 'rollback.rejected')).toHaveLength(1);
  });

  it('is moot once the incident is no longer active', async () => {
    const current = (await store.get(id))!;
    await store.update({ ...current, status: 'resolved', resolvedAt: '2026-11-21T10:20:00.000Z', version: current.version + 1 }, []);
    expect(await settleRollbackApproval(deps, id)).toEqual({ outcome: 'moot' });
    expect((await store.timeline(id)).some((e) => e.kind === 'rollback.approval_expired')).toBe(false);
  });

  it('takes the deadline from the SLO: 30 min by default, its rollback.approval_timeout when set', () => {
    const incident = makeIncident({ key: { slo: 'ttft-p95', service: 'support-bot', model: 'support-llm' } });
    expect(approvalTimeoutSeconds(policy, incident)).toBe(1800);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'firebreak-policy-'));
    const file = path.join(dir, 'slos.yaml');
    const yaml = fs.readFileSync('runbooks/slos.yaml', 'utf8').replace(/requires_approval: true/, 'requires_approval: true\n      approval_timeout: 10m');
    fs.writeFileSync(file, yaml);
    expect(approvalTimeoutSeconds(loadPolicyFile(file), incident)).toBe(600);
  });
});
