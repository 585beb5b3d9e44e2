import type { DynamoDbDocuments, QueryInput } from './dynamodb-documents';
import { IncidentVersionConflictError } from '../core/errors';
import { IncidentSchema, TimelineEntrySchema, isActive, type Incident, type TimelineEntry } from '../core/incident';
import type { AlertRef, CreateIncidentResult, IncidentStore } from '../core/ports';
import { incidentKeyString, type IncidentKey } from '../core/signal';
import { DynamoDbBatchReader } from './dynamodb-batch-reader';
import { isConditionalCheckFailure, storeError } from './dynamodb-errors';

const incidentPk = (id: string): string => `INCIDENT#${id}`;
const keyLockPk = (key: IncidentKey): string => `KEY#${incidentKeyString(key)}`;
const ACTIVE_INDEX_PK = 'ACTIVE_INCIDENT';
const alertPk = (alert: AlertRef): string => `ALERT#${encodeURIComponent(alert.source)}#${encodeURIComponent(alert.identity)}`;

/**
 * `IncidentStore` on one DynamoDB table (single-table design):
 *
 * | item | PK | SK | indexes |
 * |---|---|---|---|
 * | incident (and its opening timeline entries) | `INCIDENT#<id>` | `META` | GSI1 `ACTIVE_INCIDENT` while active; GSI2 `WEEK#<yyyy-Www>` |
 * | key lock | `KEY#<slo>#<service>#<model>` | `ACTIVE` | – |
 * | timeline entry | `INCIDENT#<id>` | `TL#<entry id>` | – |
 * | alert resolved without incident | `ALERT#<source>#<identity>` | `RESOLVED` | – |
 * | incident channel | `CHANNEL#<channel id>` | `INCIDENT` | – |
 *
 * The key lock (a conditional put) guarantees one active incident per key;
 * the incident's `version` guards every change (optimistic locking).
 * Written without transactions, in an order that a crash at any point
 * leaves recoverable: lock → incident with its opening timeline entries
 * (attribute `openingEntries` of the incident item, written with it in one
 * conditional put, so an incident never exists without them); for a change,
 * timeline → incident (an update that keeps `openingEntries`).
 * `timeline` reads the incident's partition once: the opening entries and
 * the `TL#` items, an id seen twice counted once.
 * Single-item reads go through the table's shared {@link DynamoDbBatchReader},
 * so concurrent reads share BatchGetItem calls.
 *
 * @example
 * const store = new DynamoDbIncidentStore(createDocumentClient(), process.env.TABLE_NAME!);
 */
export class DynamoDbIncidentStore implements IncidentStore {
  private readonly reader: DynamoDbBatchReader;

  constructor(
    private readonly db: DynamoDbDocuments,
    private readonly tableName: string,
  ) {
    this.reader = DynamoDbBatchReader.for(db, tableName);
  }

  async get(id: string): Promise<Incident | undefined> {
    const item = await this.call('GetItem', () => this.reader.get({ PK: incidentPk(id), SK: 'META' }));
    return item === undefined ? undefined : IncidentSchema.parse(item.doc);
  }

  async findActiveByKey(key: IncidentKey): Promise<Incident | undefined> {
    const lock = await this.readLock(key);
    if (lock === undefined) return undefined;
    const incident = await this.get(lock);
    return incident !== undefined && isActive(incident) ? incident : undefined;
  }

  async create(incident: Incident, entries: readonly TimelineEntry[]): Promise<CreateIncidentResult> {
    // The opening entries travel inside the incident item: one write less per new incident, and an
    // incident that exists always has them.
    const lockedBy = await this.acquireLock(incident);
    if (lockedBy !== incident.id) {
      const existing = await this.get(lockedBy);
      if (existing !== undefined && isActive(existing)) return { created: false, existing };
      if (existing !== undefined) await this.releaseLock(existing);
      // The lock belongs to an incident that is being created right now, or was stale and is freed: retry.
      throw new IncidentVersionConflictError(incident.id);
    }
    try {
      const item = { ...this.incidentItem(incident), ...(entries.length === 0 ? {} : { openingEntries: entries }) };
      await this.db.put({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' });
      return { created: true, incident };
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw storeError('PutItem', error);
    }
    // Already there: a retry of this very create after a crash; the stored one is the truth.
    return { created: true, incident: (await this.get(incident.id)) ?? incident };
  }

  async update(next: Incident, entries: readonly TimelineEntry[]): Promise<void> {
    await this.appendTimeline(entries);
    const sortKey = `${next.openedAt}#${next.id}`;
    const active = isActive(next);
    try {
      // An update, not a put: the item keeps its opening timeline entries.
      await this.db.update({
        TableName: this.tableName,
        Key: { PK: incidentPk(next.id), SK: 'META' },
        UpdateExpression: `SET #version = :version, #doc = :doc, GSI2PK = :week, GSI2SK = :sortKey${active ? ', GSI1PK = :active, GSI1SK = :sortKey' : ' REMOVE GSI1PK, GSI1SK'}`,
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version', '#doc': 'doc' },
        ExpressionAttributeValues: {
          ':version': next.version,
          ':doc': next,
          ':week': `WEEK#${next.week}`,
          ':sortKey': sortKey,
          ':expected': next.version - 1,
          ...(active ? { ':active': ACTIVE_INDEX_PK } : {}),
        },
      });
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw new IncidentVersionConflictError(next.id, { cause: error });
      throw storeError('PutItem', error);
    }
    if (!isActive(next)) await this.releaseLock(next);
  }

  async appendTimeline(entries: readonly TimelineEntry[]): Promise<void> {
    await Promise.all(
      entries.map(async (entry) => {
        try {
          await this.db.put({
            TableName: this.tableName,
            Item: { PK: incidentPk(entry.incidentId), SK: `TL#${entry.id}`, entry },
            ConditionExpression: 'attribute_not_exists(PK)',
          });
        } catch (error) {
          // An entry with this id exists: the write is a retry, and the timeline stays append-only.
          if (!isConditionalCheckFailure(error)) throw storeError('PutItem', error);
        }
      }),
    );
  }

  async timeline(incidentId: string): Promise<TimelineEntry[]> {
    // The whole partition: the incident item (its opening entries) and the `TL#` entry items.
    const items = await this.queryAll({
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': incidentPk(incidentId) },
      ConsistentRead: true,
    });
    const byId = new Map<string, TimelineEntry>();
    const meta = items.find((item) => item.SK === 'META');
    // The opening entries first: they were written before any entry item could be.
    for (const raw of Array.isArray(meta?.openingEntries) ? (meta.openingEntries as unknown[]) : []) {
      const entry = TimelineEntrySchema.parse(raw);
      if (!byId.has(entry.id)) byId.set(entry.id, entry);
    }
    for (const item of items) {
      if (typeof item.SK !== 'string' || !item.SK.startsWith('TL#')) continue;
      const entry = TimelineEntrySchema.parse(item.entry);
      if (!byId.has(entry.id)) byId.set(entry.id, entry);
    }
    return [...byId.values()].sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
  }

  async listActive(): Promise<Incident[]> {
    const items = await this.queryAll({
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :pk',
      ExpressionAttributeValues: { ':pk': ACTIVE_INDEX_PK },
      ScanIndexForward: false,
    });
    return items.map((item) => IncidentSchema.parse(item.doc));
  }

  async listByWeek(week: string): Promise<Incident[]> {
    const items = await this.queryAll({
      IndexName: 'GSI2',
      KeyConditionExpression: 'GSI2PK = :pk',
      ExpressionAttributeValues: { ':pk': `WEEK#${week}` },
      ScanIndexForward: false,
    });
    return items.map((item) => IncidentSchema.parse(item.doc));
  }

  async noteAlertResolved(alert: AlertRef, endsAt: string, signalId: string): Promise<void> {
    try {
      await this.db.put({
        TableName: this.tableName,
        Item: { PK: alertPk(alert), SK: 'RESOLVED', endsAt, signalId },
        ConditionExpression: 'attribute_not_exists(PK) OR endsAt <= :endsAt',
        ExpressionAttributeValues: { ':endsAt': endsAt },
      });
    } catch (error) {
      // A later resolution of the same alert is recorded already: keep it.
      if (!isConditionalCheckFailure(error)) throw storeError('PutItem', error);
    }
  }

  async alertResolution(alert: AlertRef): Promise<{ endsAt: string; signalId: string } | undefined> {
    const item = await this.call('GetItem', () => this.reader.get({ PK: alertPk(alert), SK: 'RESOLVED' }));
    return item === undefined ? undefined : { endsAt: String(item.endsAt), signalId: String(item.signalId) };
  }

  async linkChannel(channelId: string, incidentId: string): Promise<void> {
    await this.call('PutItem', () => this.db.put({ TableName: this.tableName, Item: { PK: `CHANNEL#${channelId}`, SK: 'INCIDENT', incidentId } }));
  }

  async findByChannel(channelId: string): Promise<Incident | undefined> {
    const item = await this.call('GetItem', () => this.reader.get({ PK: `CHANNEL#${channelId}`, SK: 'INCIDENT' }));
    return item === undefined ? undefined : this.get(String(item.incidentId));
  }

  private incidentItem(incident: Incident): Record<string, unknown> {
    const sortKey = `${incident.openedAt}#${incident.id}`;
    return {
      PK: incidentPk(incident.id),
      SK: 'META',
      version: incident.version,
      doc: incident,
      GSI2PK: `WEEK#${incident.week}`,
      GSI2SK: sortKey,
      ...(isActive(incident) ? { GSI1PK: ACTIVE_INDEX_PK, GSI1SK: sortKey } : {}),
    };
  }

  /** Takes the key lock for the incident; returns the id of the incident that holds it. */
  private async acquireLock(incident: Incident): Promise<string> {
    try {
      await this.db.put({
        TableName: this.tableName,
        Item: { PK: keyLockPk(incident.key), SK: 'ACTIVE', incidentId: incident.id },
        ConditionExpression: 'attribute_not_exists(PK)',
      });
      return incident.id;
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw storeError('PutItem', error);
    }
    const holder = await this.readLock(incident.key);
    // Freed between our put and this read: let the caller retry.
    if (holder === undefined) throw new IncidentVersionConflictError(incident.id);
    return holder;
  }

  private async readLock(key: IncidentKey): Promise<string | undefined> {
    const item = await this.call('GetItem', () => this.reader.get({ PK: keyLockPk(key), SK: 'ACTIVE' }));
    return item?.incidentId as string | undefined;
  }

  private async releaseLock(incident: Incident): Promise<void> {
    try {
      await this.db.delete({
        TableName: this.tableName,
        Key: { PK: keyLockPk(incident.key), SK: 'ACTIVE' },
        ConditionExpression: 'incidentId = :id',
        ExpressionAttributeValues: { ':id': incident.id },
      });
    } catch (error) {
      // Held by a newer incident of the same key (or already gone): nothing of ours to free.
      if (!isConditionalCheckFailure(error)) throw storeError('DeleteItem', error);
    }
  }

  private async queryAll(input: Omit<QueryInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.call('Query', () => this.db.query({ ...input, TableName: this.tableName, ExclusiveStartKey }));
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey !== undefined);
    return items;
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw storeError(operation, error);
    }
  }
}
