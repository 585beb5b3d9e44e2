import type { IncidentChannel } from '../engagement-ports';
import { sloOf } from '../engagement/deps';
import { IncidentNotFoundError } from '../errors';
import type { Incident } from '../incident';
import { firebreakEntry } from '../mutate-incident';
import type { Policy } from '../policy/schema';
import type { Clock, IncidentStore } from '../ports';
import type { RecordsRepository } from '../records/records-repository';
import { casePath, serializeCase, type RegressionCase } from './case';
import { CorpusIndex } from './corpus-index';
import { loadFingerprints, readStoredCase } from './corpus-store';
import { parseEvidence, type EvidenceItem, type SkippedLine } from './evidence-formats';
import { EvidenceUnavailableError, type EvidenceSource } from './evidence-source';
import { harvestCases } from './harvest';
import { harvestAnnouncement } from './announce';
import { redactedExcerpt } from './redact';
import type { SecretScanner } from './secret-scanner';

/** What {@link harvestIncidentCases} needs. */
export interface HarvestIncidentDeps {
  readonly store: IncidentStore;
  readonly clock: Clock;
  readonly policy: Policy;
  readonly records: RecordsRepository;
  readonly evidence: EvidenceSource;
  readonly scanner: SecretScanner;
  /** The incident channel, to post the new case ids (optional: without it, the timeline only). */
  readonly channel?: IncidentChannel;
  /** The canary token planted in the models' system prompts (`FIREBREAK_CANARY`). */
  readonly canary?: string;
  /** Base URL of Firebreak's pages: the commit message links the incident page. */
  readonly publicUrl?: string;
}

/** What a harvest for an incident did. */
export interface IncidentHarvest {
  /** `none` when neither the alert nor the SLO says where evidence is. */
  readonly evidenceUri: string | 'none';
  readonly created: number;
  readonly merged: number;
  readonly nearDuplicates: number;
  readonly skipped: number;
  /** Ids of the cases created or updated for this incident. */
  readonly caseIds: string[];
  /** Whether a commit was made (false when the corpus already had all of it). */
  readonly committed: boolean;
  /** The commit or pull request link, when one was made. */
  readonly link?: string;
}

/** Where the incident's failing prompts are: the alert's `evidence_uri`, else its SLO's evidence setting. */
export function evidenceUriOf(policy: Policy, incident: Incident): string | undefined {
  return incident.evidenceUri ?? sloOf(policy, incident)?.evidence?.uri;
}

/**
 * The evidence items that belong to the incident: when the evidence names
 * models, those of the incident's model; when it has times, those from one
 * SLO window (default 1 h) before the breach began onwards. Items without a
 * model or a time are kept.
 */
export function itemsOfIncident(items: readonly EvidenceItem[], incident: Incident, windowSeconds = 3600): EvidenceItem[] {
  const namesOurs = items.some((i) => i.model === incident.key.model);
  const since = Date.parse(incident.breachStartedAt) - windowSeconds * 1000;
  return items.filter((i) => (!namesOurs || i.model === incident.key.model) && (i.time === undefined || !(Date.parse(i.time) < since)));
}

/** One line per case for people: id, taxonomy and a short redacted excerpt, never the prompt in the clear. */
export function caseLine(c: RegressionCase): string {
  const excerpt = redactedExcerpt(c.input.turns[0]?.content ?? '', 80);
  return `${c.id} ${c.taxonomy.owasp} ${c.taxonomy.category}/${c.taxonomy.technique}: "${excerpt}"`;
}

/**
 * Harvests the failing prompts of an incident into regression cases:
 * fetches the evidence (alert annotation or SLO setting), parses it (bad
 * lines counted and skipped with reasons), redacts, classifies and
 * deduplicates it against the corpus, and commits new and updated cases to
 * `corpus/` of the records repository in one commit whose message links the
 * incident. Records `corpus.harvested` on the timeline (case ids, counts,
 * redaction counts; excerpts redacted) and tells the incident channel.
 * Re-running for the same incident adds nothing: cases already counting the
 * incident are left as they are, and an unchanged corpus makes no commit.
 *
 * @example
 * const { created, caseIds } = await harvestIncidentCases(deps, 'inc-20261121-1a2b3c4d');
 */
export async function harvestIncidentCases(deps: HarvestIncidentDeps, incidentId: string): Promise<IncidentHarvest> {
  const incident = await deps.store.get(incidentId);
  if (incident === undefined) throw new IncidentNotFoundError(incidentId);
  const uri = evidenceUriOf(deps.policy, incident);
  const now = deps.clock.now();
  if (uri === undefined) {
    await deps.store.appendTimeline([
      firebreakEntry(incident.id, `${incident.id}:corpus.no_evidence`, 'corpus.no_evidence', 'No evidence source: the alert has no evidence_uri annotation and the SLO no evidence setting, so no regression cases were harvested', now),
    ]);
    return { evidenceUri: 'none', created: 0, merged: 0, nearDuplicates: 0, skipped: 0, caseIds: [], committed: false };
  }

  let documents;
  try {
    documents = await deps.evidence.fetch(uri);
  } catch (error) {
    // No evidence file yet means no failing prompt was recorded (a latency breach, say): nothing to harvest.
    if (!(error instanceof EvidenceUnavailableError) || error.code !== 'not-found') throw error;
    await deps.store.appendTimeline([
      firebreakEntry(incident.id, `${incident.id}:corpus.no_evidence:${uri}`, 'corpus.no_evidence', `No failing prompts recorded at ${uri} (not found): no regression cases harvested`, now, { evidenceUri: uri }),
    ]);
    return { evidenceUri: uri, created: 0, merged: 0, nearDuplicates: 0, skipped: 0, caseIds: [], committed: false };
  }
  const parsedItems: EvidenceItem[] = [];
  const skipped: SkippedLine[] = [];
  for (const document of documents) {
    const parsed = parseEvidence(document.text, 'auto');
    parsedItems.push(...parsed.items);
    skipped.push(...parsed.skipped);
  }
  const items = itemsOfIncident(parsedItems, incident, sloOf(deps.policy, incident)?.window);

  // The index needs fingerprints only; a stored case is read in full when the harvest meets it.
  const { entries } = await loadFingerprints(deps.records);
  const known = new Set(entries.map((e) => e.id));
  const result = await harvestCases(
    {
      items,
      source: {
        kind: 'incident',
        incident_id: incident.id,
        alert: Object.values(incident.alerts)[0]?.name ?? incident.key.slo,
        slo: incident.key.slo,
        model: incident.key.model,
        ...(incident.modelVersion === undefined ? {} : { model_version: incident.modelVersion }),
        evidence_uri: uri,
      },
      severity: incident.severity,
      now,
      ...(deps.canary === undefined ? {} : { canary: deps.canary }),
    },
    { scanner: deps.scanner, index: CorpusIndex.fromEntries(entries), existing: (id) => (known.has(id) ? readStoredCase(deps.records, id) : undefined) },
  );

  const changed = [...result.created, ...result.updated];
  const caseIds = changed.map((c) => c.id);
  const commit =
    changed.length === 0
      ? undefined
      : await deps.records.commit(
          changed.map((c) => ({ path: casePath(c.id), content: serializeCase(c) })),
          `corpus: ${result.created.length} new, ${result.updated.length} updated regression case(s) from incident ${incident.id}\n\n` +
            `Incident: ${incident.id} (${incident.key.slo}, ${incident.key.service}/${incident.key.model})\n` +
            (deps.publicUrl === undefined ? '' : `Incident page: ${deps.publicUrl.replace(/\/+$/, '')}/incidents/${encodeURIComponent(incident.id)}/page\n`) +
            `Evidence: ${uri}\nCases:\n${changed.map((c) => `- ${caseLine(c)}`).join('\n')}\n`,
          { branch: `firebreak/${incident.id}/corpus`, title: `Regression cases from incident ${incident.id}` },
        );
  const allSkipped = [...skipped, ...result.skipped];
  const redactions = Object.entries(result.redactions).map(([type, n]) => `${type} ${n}`).join(', ');
  const message =
    changed.length === 0
      ? `Harvested ${uri}: no new regression cases (${items.length} failing prompt(s) already in the corpus for this incident, ${allSkipped.length} line(s) skipped)`
      : `Harvested ${uri}: ${result.created.length} new and ${result.updated.length} updated regression case(s), ` +
        `${result.duplicatesMerged} duplicate(s) merged, ${result.nearDuplicatesLinked} near-duplicate(s) linked, ${allSkipped.length} line(s) skipped` +
        (redactions === '' ? '' : `; redacted: ${redactions}`);
  // The entry id changes with the commit, so a later harvest that adds cases is recorded too; a no-op re-run is recorded once.
  await deps.store.appendTimeline([
    firebreakEntry(incident.id, `${incident.id}:corpus.harvested:${commit?.revision ?? 'unchanged'}`, 'corpus.harvested', message, now, {
      evidenceUri: uri,
      caseIds,
      cases: changed.map(caseLine),
      created: result.created.length,
      updated: result.updated.length,
      skipped: allSkipped.slice(0, 20).map((s) => ({ line: s.line, reason: s.reason })),
      redactions: result.redactions,
      ...(commit?.url === undefined ? {} : { link: commit.url }),
    }),
  ]);
  // The channel may be opening at this very moment (a branch beside this one): read the incident again
  // after the timeline entry is written. Opening the channel posts harvests it finds on the timeline, so
  // one of the two sees the other.
  const current = commit?.changed === true && deps.channel !== undefined ? await deps.store.get(incident.id) : undefined;
  if (current?.channel !== undefined && deps.channel !== undefined) {
    await deps.channel.postToThread(current.channel, harvestAnnouncement(changed.map(caseLine), commit?.url));
  }
  return {
    evidenceUri: uri,
    created: result.created.length,
    merged: result.duplicatesMerged,
    nearDuplicates: result.nearDuplicatesLinked,
    skipped: allSkipped.length,
    caseIds,
    committed: commit?.changed === true,
    ...(commit?.url === undefined ? {} : { link: commit.url }),
  };
}
