import { createDocumentClient } from '../../lambdas/adapters/dynamodb-client';
import { DynamoDbIncidentStore } from '../../lambdas/adapters/dynamodb-incident-store';
import { DynamoDbSignalInbox } from '../../lambdas/adapters/dynamodb-signal-inbox';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IncidentVersionConflictError } from '../../lambdas/core/errors';
import { openIncident } from '../../lambdas/core/incident-lifecycle';
import { confirmIncidentBreach, recordSignal } from '../../lambdas/core/record-signal';
import { ensureTable, LOCAL_AWS, startLocalDynamoDb, type LocalDynamoDb } from '../../local/local-dynamodb';
import { makeSignal, ManualClock } from '../support/signals';
import { tableOf, testTemplate } from '../support/template';

describe('DynamoDbIncidentStore on dynalite', () => {
  let ddb: LocalDynamoDb;
  let store: DynamoDbIncidentStore;
  let inbox: DynamoDbSignalInbox;
  let clock: ManualClock;
  let raw: ReturnType<typeof createDocumentClient>;
  let tableCount = 0;

  beforeAll(async () => {
    ddb = await startLocalDynamoDb();
  });
  afterAll(async () => {
    raw?.destroy();
    await ddb.close();
  });
  beforeEach(async () => {
    // A fresh table per test, created from the synthesized CDK table definition.
    tableCount += 1;
    const tableName = `incidents-${tableCount}`;
    await ensureTable(ddb.endpoint, tableName, tableOf(testTemplate()).properties);
    raw = createDocumentClient(new DynamoDBClient({ ...LOCAL_AWS, endpoint: ddb.endpoint }));
    store = new DynamoDbIncidentStore(raw, tableName);
    inbox = new DynamoDbSignalInbox(raw, tableName);
    clock = new ManualClock(new Date('2026-11-21T10:00:30.000Z'));
  });

  const deps = () => ({ store, inbox, clock });

  it('opens an incident for a firing signal and reads it back with its timeline', async () => {
    const signal = makeSignal();
    const result = await recordSignal(deps(), signal);
    expect(result.outcome).toBe('opened');
    const incident = await store.get(result.incidentId ?? '');
    expect(incident).toMatchObject({ status: 'open', key: signal.key, version: 1, week: '2026-W47', flapHoldUntil: '2026-11-21T10:02:00.000Z' });
    const timeline = await store.timeline(incident!.id);
    expect(timeline.map((e) => e.kind)).toEqual(['incident.opened']);
  });

  it('returns the recorded outcome and changes nothing when the same signal is recorded again', async () => {
    const signal = makeSignal();
    const first = await recordSignal(deps(), signal);
    const again = await recordSignal(deps(), signal);
    expect(again).toEqual(first);
    expect((await store.get(first.incidentId!))!.version).toBe(1);
  });

  it('keeps one active incident per key when different alerts of the key race', async () => {
    const signals = Array.from({ length: 8 }, (_, i) => makeSignal({ identity: `fp-${i}` }));
    const results = await Promise.all(signals.map((s) => recordSignal(deps(), s)));
    const ids = new Set(results.map((r) => r.incidentId));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.outcome === 'opened')).toHaveLength(1);
    const incident = await store.get([...ids][0]!);
    expect(Object.keys(incident!.alerts)).toHaveLength(8);
    expect(incident!.signalCount).toBe(8);
    expect(await store.listActive()).toHaveLength(1);
  });

  it('rejects a change made from a stale version with IncidentVersionConflictError', async () => {
    const { incidentId } = await recordSignal(deps(), makeSignal());
    const current = (await store.get(incidentId!))!;
    await store.update({ ...current, title: 'first writer', version: current.version + 1 }, []);
    await expect(store.update({ ...current, title: 'second writer', version: current.version + 1 }, [])).rejects.toBeInstanceOf(IncidentVersionConflictError);
    expect((await store.get(incidentId!))!.title).toBe('first writer');
  });

  it('marks a breach flapped when it clears within the flap hold before confirmation', async () => {
    const firing = makeSignal();
    const { incidentId } = await recordSignal(deps(), firing);
    clock.set('2026-11-21T10:01:00.000Z');
    const resolved = makeSignal({ status: 'resolved', endsAt: '2026-11-21T10:00:50.000Z' });
    expect((await recordSignal(deps(), resolved)).outcome).toBe('flapped');
    const incident = (await store.get(incidentId!))!;
    expect(incident.status).toBe('flapped');
    expect(await confirmIncidentBreach(deps(), incidentId!)).toEqual({ confirmed: false, status: 'flapped' });
    expect((await store.timeline(incidentId!)).map((e) => e.kind)).toEqual(['incident.opened', 'alert.resolved', 'incident.flapped']);
  });

  it('resolves, not flaps, an incident whose breach was confirmed', async () => {
    const { incidentId } = await recordSignal(deps(), makeSignal());
    clock.set('2026-11-21T10:02:00.000Z');
    expect(await confirmIncidentBreach(deps(), incidentId!)).toEqual({ confirmed: true, status: 'open' });
    clock.set('2026-11-21T10:05:00.000Z');
    const outcome = await recordSignal(deps(), makeSignal({ status: 'resolved', endsAt: '2026-11-21T10:04:00.000Z' }));
    expect(outcome.outcome).toBe('resolved');
    expect((await store.get(incidentId!))!).toMatchObject({ status: 'resolved', resolvedAt: '2026-11-21T10:05:00.000Z' });
  });

  it('keeps the incident open while one of its alerts still fires', async () => {
    const { incidentId } = await recordSignal(deps(), makeSignal({ identity: 'a' }));
    await recordSignal(deps(), makeSignal({ identity: 'b' }));
    const outcome = await recordSignal(deps(), makeSignal({ identity: 'a', status: 'resolved', endsAt: '2026-11-21T10:00:40.000Z' }));
    expect(outcome.outcome).toBe('alert-resolved');
    const incident = (await store.get(incidentId!))!;
    expect(incident.status).toBe('open');
    expect(incident.alerts.a!.status).toBe('resolved');
    expect(incident.alerts.b!.status).toBe('firing');
  });

  it('frees the key when the incident resolves, so the next breach opens a new incident', async () => {
    const first = await recordSignal(deps(), makeSignal());
    await recordSignal(deps(), makeSignal({ status: 'resolved', endsAt: '2026-11-21T10:00:10.000Z' }));
    clock.set('2026-11-21T11:00:00.000Z');
    const next = await recordSignal(deps(), makeSignal({ startsAt: '2026-11-21T10:59:00.000Z' }));
    expect(next.outcome).toBe('opened');
    expect(next.incidentId).not.toBe(first.incidentId);
  });

  it('records a resolved signal for a key without an active incident and opens nothing', async () => {
    const outcome = await recordSignal(deps(), makeSignal({ status: 'resolved', endsAt: '2026-11-21T10:00:10.000Z' }));
    expect(outcome).toEqual({ outcome: 'no-active-incident', incidentId: null, flapHoldUntil: null, confirmed: false });
    expect(await store.listActive()).toEqual([]);
    expect((await inbox.get(makeSignal({ status: 'resolved', endsAt: '2026-11-21T10:00:10.000Z' }).id))!.state).toBe('processed');
  });

  it('does not leave an incident open when the resolution of its alert was delivered before the firing', async () => {
    const resolved = makeSignal({ status: 'resolved', startsAt: '2026-11-21T09:26:31.000Z', endsAt: '2026-11-21T09:58:02.000Z' });
    expect((await recordSignal(deps(), resolved)).outcome).toBe('no-active-incident');
    const late = await recordSignal(deps(), makeSignal({ startsAt: '2026-11-21T09:26:31.000Z' }));
    // Opened and resolved at once: respond goes on as a resolution (postmortem, close), not a breach to confirm.
    expect(late.outcome).toBe('resolved');
    const incident = (await store.get(late.incidentId!))!;
    expect(incident.status).toBe('resolved');
    expect(await store.listActive()).toEqual([]);
  });

  it('keeps the incident and the key consistent when a firing and its resolution race', async () => {
    const firing = makeSignal({ startsAt: '2026-11-21T09:26:31.000Z' });
    const resolved = makeSignal({ status: 'resolved', startsAt: '2026-11-21T09:26:31.000Z', endsAt: '2026-11-21T09:58:02.000Z' });
    await Promise.all([recordSignal(deps(), firing), recordSignal(deps(), resolved)]);
    expect(await store.listActive()).toEqual([]);
  });

  it('ignores a firing signal older than the resolution its incident already recorded', async () => {
    const { incidentId } = await recordSignal(deps(), makeSignal({ identity: 'keeps-open' }));
    await recordSignal(deps(), makeSignal({ identity: 'x', startsAt: '2026-11-21T10:00:05.000Z' }));
    await recordSignal(deps(), makeSignal({ identity: 'x', status: 'resolved', startsAt: '2026-11-21T10:00:05.000Z', endsAt: '2026-11-21T10:00:20.000Z' }));
    const stale = await recordSignal(deps(), makeSignal({ identity: 'x', startsAt: '2026-11-21T10:00:04.000Z' }));
    expect(stale.outcome).toBe('stale');
    expect((await store.get(incidentId!))!.alerts.x!.status).toBe('resolved');
  });

  it('appends a timeline entry once even when the write is retried', async () => {
    const { incidentId } = await recordSignal(deps(), makeSignal());
    const entry = { incidentId: incidentId!, id: 'note-1', at: '2026-11-21T10:03:00.000Z', kind: 'note', actor: 'test', message: 'hello' };
    await store.appendTimeline([entry]);
    await store.appendTimeline([{ ...entry, message: 'changed on retry' }]);
    const notes = (await store.timeline(incidentId!)).filter((e) => e.kind === 'note');
    expect(notes).toEqual([entry]);
  });

  it('keeps the opening entries through later changes and lists an entry id once', async () => {
    const signal = makeSignal();
    const { incidentId } = await recordSignal(deps(), signal);
    const opening = await store.timeline(incidentId!);
    // The same opening entry appended again (a retry) and a change of the incident.
    await store.appendTimeline([{ ...opening[0]!, message: 'changed on retry' }]);
    clock.set('2026-11-21T10:05:00.000Z');
    await confirmIncidentBreach(deps(), incidentId!);
    const timeline = await store.timeline(incidentId!);
    expect(timeline[0]).toEqual(opening[0]);
    expect(timeline.filter((e) => e.id === opening[0]!.id)).toHaveLength(1);
    expect(timeline.map((e) => e.kind)).toEqual(['incident.opened', 'breach.confirmed']);
  });

  it('reads the timeline of an incident stored with its opening entry as an entry item', async () => {
    const signal = makeSignal();
    const { incident, entries } = openIncident(signal, clock.now());
    const tableName = (store as unknown as { tableName: string }).tableName;
    // The layout before opening entries moved into the incident item.
    await raw.put({ TableName: tableName, Item: { PK: `INCIDENT#${incident.id}`, SK: `TL#${entries[0]!.id}`, entry: entries[0] } });
    await raw.put({ TableName: tableName, Item: { PK: `INCIDENT#${incident.id}`, SK: 'META', version: 1, doc: incident, GSI2PK: `WEEK#${incident.week}`, GSI2SK: `${incident.openedAt}#${incident.id}` } });
    expect(await store.timeline(incident.id)).toEqual(entries);
  });

  it('finishes a create that a crash interrupted between the key lock and the incident write', async () => {
    const signal = makeSignal();
    const { incident } = openIncident(signal, clock.now());
    // The crash left only the lock behind.
    await raw.put({ TableName: (store as unknown as { tableName: string }).tableName, Item: { PK: 'KEY#adversarial-refusal-rate#support-bot#support-llm', SK: 'ACTIVE', incidentId: incident.id } });
    const result = await recordSignal(deps(), signal);
    expect(result).toMatchObject({ outcome: 'opened', incidentId: incident.id });
    expect(await store.get(incident.id)).toMatchObject({ status: 'open' });
  });

  it('lists incidents by the ISO week they opened in', async () => {
    await recordSignal(deps(), makeSignal());
    clock.set('2026-11-30T09:00:00.000Z');
    await recordSignal(deps(), makeSignal({ identity: 'other' }, { key: { slo: 'ttft-p95', service: 'support-bot', model: 'support-llm' } }));
    expect((await store.listByWeek('2026-W47')).map((i) => i.key.slo)).toEqual(['adversarial-refusal-rate']);
    expect((await store.listByWeek('2026-W49')).map((i) => i.key.slo)).toEqual(['ttft-p95']);
  });

  it('lists pending signals until they are processed', async () => {
    const signal = makeSignal();
    expect(await inbox.accept(signal, clock.now())).toBe('accepted');
    expect(await inbox.accept(signal, clock.now())).toBe('duplicate');
    expect((await inbox.listPending()).map((r) => r.signal.id)).toEqual([signal.id]);
    await recordSignal(deps(), signal);
    expect(await inbox.listPending()).toEqual([]);
  });
});
