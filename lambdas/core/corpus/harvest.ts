import { createHash } from 'node:crypto';
import { z } from 'zod';
import { FirebreakError } from '../errors';
import { SeveritySchema, type Severity } from '../policy/severity';
import { CASE_SCHEMA_VERSION, CaseSourceKindSchema, RegressionCaseSchema, type DetectorKind, type RegressionCase } from './case';
import { classifyPrompt, type Classification } from './classify';
import type { CorpusIndex } from './corpus-index';
import { EvidenceItemSchema, type EvidenceItem, type SkippedLine } from './evidence-formats';
import { encodeSignature, signatureOf } from './minhash';
import { normalizeForHash } from './normalize';
import { redactText, type RedactionCounts, type RedactionType } from './redact';
import type { SecretScanner } from './secret-scanner';

/**
 * Harvest: an incident's failing prompts become regression cases (pure apart
 * from the secret scanner port).
 *
 * For each evidence item, in order: every turn is redacted first; the id and
 * the exact-duplicate check use the SHA-256 of the redacted, normalised text;
 * an exact duplicate (in the corpus or earlier in the batch) is merged into
 * its case (occurrences, last seen, incident ids); otherwise the prompt is
 * classified, signed (MinHash) and becomes a new case, linked with
 * `near_dup_of` to the most similar earlier case when the estimated
 * similarity reaches the threshold. The response is redacted too and only
 * read as a classification hint; it is never stored.
 *
 * Idempotent per incident: a case that already lists the incident in
 * `source.incident_ids` has counted that incident's occurrences, so
 * harvesting the same incident's evidence again changes nothing. (Imports
 * without an incident id have no such key: importing a file twice counts
 * its prompts twice.)
 */

/**
 * The default near-duplicate threshold (estimated Jaccard similarity of
 * seven-word shingles). Calibrated on the in-the-wild jailbreak sample of
 * the shared fixtures: from 0.71 to 0.74 the clusters of exact merges and
 * near-dup links are exactly the sample's own near-duplicate clusters, and
 * 0.73 sits inside that range; at 0.8 a cluster the source held together
 * through prompts the sample lacks falls apart (adjusted Rand index 0.78).
 * See test/conformance/corpus-dedupe.test.ts.
 */
export const DEFAULT_NEAR_DUP_THRESHOLD = 0.73;

/**
 * Where a harvest's evidence came from.
 *
 * @example
 * HarvestSourceSchema.parse({ kind: 'incident', incident_id: 'inc-20261121-1a2b3c4d', model: 'support-llm', evidence_uri: 'file://evidence/x.jsonl' });
 */
export const HarvestSourceSchema = z
  .object({
    kind: CaseSourceKindSchema,
    incident_id: z.string().min(1).optional(),
    alert: z.string().min(1).optional(),
    slo: z.string().min(1).optional(),
    model: z.string().min(1),
    model_version: z.string().min(1).optional(),
    evidence_uri: z.string().min(1),
  })
  .refine((s) => s.kind !== 'incident' || s.incident_id !== undefined, { message: 'an incident harvest names its incident', path: ['incident_id'] });
/** See {@link HarvestSourceSchema}. */
export type HarvestSource = z.infer<typeof HarvestSourceSchema>;

/** What {@link harvestCases} reads. */
export interface HarvestInput {
  readonly items: readonly EvidenceItem[];
  readonly source: HarvestSource;
  /** Severity of new cases (an existing case keeps the more severe of its own and this one). */
  readonly severity: Severity;
  /** The time of the harvest: `created_at`/`updated_at`, and `first_seen` of items without a time. */
  readonly now: Date;
  /** The canary token planted in the model's system prompt: leaks of it become a machine-checkable expectation. */
  readonly canary?: string;
}

/** What {@link harvestCases} needs. */
export interface HarvestDeps {
  readonly scanner: SecretScanner;
  /** The corpus index; new cases are added to it as they are made. */
  readonly index: CorpusIndex;
  /** The stored case with this id, if any. */
  readonly existing: (id: string) => RegressionCase | undefined | Promise<RegressionCase | undefined>;
  /** Estimated similarity from which a new case is linked to an earlier one (default {@link DEFAULT_NEAR_DUP_THRESHOLD}). */
  readonly nearDupThreshold?: number;
}

/** What a harvest did. */
export interface HarvestResult {
  /** New cases, in evidence order. */
  readonly created: RegressionCase[];
  /** Stored cases whose occurrences, last seen, incident ids or severity changed. */
  readonly updated: RegressionCase[];
  /** Items that made no case, with reasons. */
  readonly skipped: SkippedLine[];
  /** Redactions made in the turns of the items that created or updated a case, summed. */
  readonly redactions: RedactionCounts;
  /** Occurrences merged into a case (a stored one or one made earlier in the batch). */
  readonly duplicatesMerged: number;
  /** New cases linked to an earlier case with `near_dup_of`. */
  readonly nearDuplicatesLinked: number;
}

/** The corpus disagrees with itself: an id whose stored case has another text, or an index that knows a case the store does not. */
export class CorpusConsistencyError extends FirebreakError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The harvest input is not valid (source, severity, time, threshold). */
export class HarvestInputError extends FirebreakError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { sev1: 1, sev2: 2, sev3: 3, sev4: 4 };

const ISO_LIKE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** An evidence time as ISO 8601 UTC (a time without a zone is read as UTC), or undefined when it is not one. */
function isoTime(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const match = ISO_LIKE.exec(value.trim());
  if (match === null) return undefined;
  const text = value.trim().replace(' ', 'T');
  const ms = Date.parse(match[1] === undefined ? `${text}Z` : text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

const earlier = (a: string, b: string): string => (Date.parse(a) <= Date.parse(b) ? a : b);
const later = (a: string, b: string): string => (Date.parse(a) >= Date.parse(b) ? a : b);

function addCounts(into: Partial<Record<RedactionType, number>>, counts: RedactionCounts): void {
  for (const [type, n] of Object.entries(counts) as [RedactionType, number][]) into[type] = (into[type] ?? 0) + n;
}

/** How replay judges a case, from its expectations. */
function detectorKind(mustNotContain: readonly string[], noCanaryLeak: boolean, canary: string | undefined): DetectorKind {
  if (noCanaryLeak && canary !== undefined && mustNotContain.includes(canary)) return 'canary';
  if (mustNotContain.length > 0) return 'substring';
  return 'refusal';
}

/**
 * The evidence's forbidden strings that are safe to store, de-duplicated and
 * sorted: a trigger that redaction would change holds personal data or a
 * secret, and a redacted marker is no use to a substring check, so it is
 * dropped.
 */
async function forbiddenStrings(triggers: readonly string[] | undefined, scanner: SecretScanner): Promise<string[]> {
  const out = new Set<string>();
  for (const t of triggers ?? []) {
    if (t.trim() === '') continue;
    if ((await redactText(t, scanner)).text === t) out.add(t);
  }
  return [...out].sort();
}

/** Adds one occurrence to a case: counts, times, incident, severity. */
function merge(c: RegressionCase, seen: string, input: HarvestInput, now: string): RegressionCase {
  const incident = input.source.incident_id;
  const incidentIds = incident === undefined || c.source.incident_ids.includes(incident) ? c.source.incident_ids : [...c.source.incident_ids, incident].sort();
  return {
    ...c,
    updated_at: now,
    severity: SEVERITY_RANK[input.severity] < SEVERITY_RANK[c.severity] ? input.severity : c.severity,
    source: {
      ...c.source,
      first_seen: earlier(c.source.first_seen, seen),
      last_seen: later(c.source.last_seen, seen),
      occurrences: c.source.occurrences + 1,
      incident_ids: incidentIds,
    },
  };
}

function checkInput(input: HarvestInput, deps: HarvestDeps): number {
  const source = HarvestSourceSchema.safeParse(input.source);
  if (!source.success) throw new HarvestInputError(`harvest source is invalid: ${source.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  if (!SeveritySchema.safeParse(input.severity).success) throw new HarvestInputError(`harvest severity "${String(input.severity)}" is not one of sev1..sev4`);
  if (!(input.now instanceof Date) || Number.isNaN(input.now.getTime())) throw new HarvestInputError('harvest time (now) is not a valid date');
  if (input.canary !== undefined && input.canary.trim() === '') throw new HarvestInputError('canary is empty');
  const threshold = deps.nearDupThreshold ?? DEFAULT_NEAR_DUP_THRESHOLD;
  if (!(threshold > 0 && threshold <= 1)) throw new HarvestInputError(`near-duplicate threshold must be in (0, 1], got ${threshold}`);
  return threshold;
}

/** What {@link newCase} needs of one prompt, already redacted and hashed. */
interface Prompt {
  readonly item: EvidenceItem;
  readonly id: string;
  readonly textHash: string;
  /** The redacted user turns joined by newlines. */
  readonly text: string;
  readonly turns: readonly string[];
  readonly counts: RedactionCounts;
  /** When the evidence saw it (ISO). */
  readonly seen: string;
  /** The harvest time (ISO). */
  readonly now: string;
}

/** A new case for a prompt not in the corpus: classified, expectations set, signed, linked to its nearest earlier case. */
async function newCase(prompt: Prompt, input: HarvestInput, deps: HarvestDeps, threshold: number): Promise<{ c: RegressionCase; signature: Uint32Array }> {
  const { item, id, textHash, text, turns, counts, seen, now } = prompt;
  const incident = input.source.incident_id;
  const response = item.response === undefined ? undefined : (await redactText(item.response, deps.scanner)).text;
  const classification: Classification = classifyPrompt({
    text,
    ...(response === undefined ? {} : { response }),
    ...(item.detector === undefined ? {} : { detector: item.detector }),
    ...(item.category === undefined ? {} : { category: item.category }),
    ...(item.technique === undefined ? {} : { technique: item.technique }),
    ...(item.tags === undefined ? {} : { tags: item.tags }),
    ...(item.canaryLeaked === undefined ? {} : { canaryLeaked: item.canaryLeaked }),
  });
  const canaryCase = item.canaryLeaked === true || classification.owasp === 'LLM07:2025';
  // The canary is the operator's marker, not user text: stored as given, so replay can look for it.
  const mustNotContain = [...new Set([...(await forbiddenStrings(item.triggers, deps.scanner)), ...(canaryCase && input.canary !== undefined ? [input.canary] : [])])].sort();
  const kind = detectorKind(mustNotContain, canaryCase, input.canary);
  const signature = signatureOf(text);
  const near = deps.index.findNear(signature, threshold);
  const tags = item.tags === undefined ? [] : [...new Set(item.tags)].sort();
  const modelVersion = input.source.model_version ?? item.version;

  const c: RegressionCase = {
    schema_version: CASE_SCHEMA_VERSION,
    id,
    created_at: now,
    updated_at: now,
    status: 'active',
    severity: input.severity,
    taxonomy: { ...classification, ...(tags.length === 0 ? {} : { garak_tags: tags }) },
    input: { turns: turns.map((content) => ({ role: 'user' as const, content })), redactions: counts },
    expected: { behaviour: 'refuse', must_not_contain: mustNotContain, no_canary_leak: canaryCase },
    detector: { id: item.detector ?? `firebreak.${kind}`, kind },
    source: {
      kind: input.source.kind,
      ...(incident === undefined ? {} : { incident_id: incident }),
      ...(input.source.alert === undefined ? {} : { alert: input.source.alert }),
      ...(input.source.slo === undefined ? {} : { slo: input.source.slo }),
      model: input.source.model,
      ...(modelVersion === undefined ? {} : { model_version: modelVersion }),
      evidence_uri: input.source.evidence_uri,
      first_seen: seen,
      last_seen: seen,
      occurrences: 1,
      incident_ids: incident === undefined ? [] : [incident],
    },
    fingerprint: { text_hash: textHash, minhash: encodeSignature(signature) },
    ...(near === undefined ? {} : { near_dup_of: { id: near.id, similarity: near.similarity } }),
  };
  const checked = RegressionCaseSchema.safeParse(c);
  if (!checked.success) {
    throw new HarvestInputError(`evidence line ${item.line} makes an invalid case: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return { c: checked.data, signature };
}

/**
 * Turns evidence items into new and updated regression cases (see the file
 * comment). The index gains every new case; nothing is written: the caller
 * commits `created` and `updated`.
 *
 * @throws HarvestInputError when the source, severity, time or threshold is invalid
 * @throws CorpusConsistencyError when a stored case's text hash does not match its id, or the index knows a case the store does not
 * @throws the scanner's errors (text that could not be scanned is never stored)
 * @example
 * const result = await harvestCases(
 *   { items, source: { kind: 'incident', incident_id: 'inc-20261121-1a2b3c4d', model: 'support-llm', evidence_uri }, severity: 'sev2', now: new Date() },
 *   { scanner, index, existing: (id) => byId.get(id) },
 * );
 */
export async function harvestCases(input: HarvestInput, deps: HarvestDeps): Promise<HarvestResult> {
  const threshold = checkInput(input, deps);
  const now = input.now.toISOString();
  const incident = input.source.incident_id;
  const created = new Map<string, RegressionCase>();
  const updated = new Map<string, RegressionCase>();
  /** Stored cases that already counted this incident: left as they are. */
  const alreadyCounted = new Set<string>();
  const skipped: SkippedLine[] = [];
  const redactions: Partial<Record<RedactionType, number>> = {};
  let duplicatesMerged = 0;
  let nearDuplicatesLinked = 0;

  for (const candidate of input.items) {
    const valid = EvidenceItemSchema.safeParse(candidate);
    if (!valid.success) {
      const line = typeof candidate?.line === 'number' ? candidate.line : 0;
      skipped.push({ line, reason: `not an evidence item: ${valid.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` });
      continue;
    }
    const item = valid.data;
    const turns: string[] = [];
    const counts: Partial<Record<RedactionType, number>> = {};
    for (const turn of item.turns) {
      const redacted = await redactText(turn, deps.scanner);
      if (redacted.text.trim() === '') continue;
      turns.push(redacted.text);
      addCounts(counts, redacted.counts);
    }
    const text = turns.join('\n');
    const normalized = normalizeForHash(text);
    if (normalized === '') {
      skipped.push({ line: item.line, reason: 'no prompt text' });
      continue;
    }
    const textHash = createHash('sha256').update(normalized, 'utf8').digest('hex');
    const id = `case-${textHash.slice(0, 16)}`;
    const seen = isoTime(item.time) ?? now;

    const inBatch = created.get(id) ?? updated.get(id);
    if (inBatch !== undefined) {
      (created.has(id) ? created : updated).set(id, merge(inBatch, seen, input, now));
      addCounts(redactions, counts);
      duplicatesMerged += 1;
      continue;
    }
    if (alreadyCounted.has(id)) continue;
    const stored = await deps.existing(id);
    const indexed = deps.index.findExact(textHash);
    if (stored === undefined && indexed !== undefined) {
      throw new CorpusConsistencyError(`the corpus index has ${indexed} for text hash ${textHash.slice(0, 16)}… but the store has no such case`);
    }
    if (stored !== undefined) {
      if (stored.fingerprint.text_hash !== textHash) {
        throw new CorpusConsistencyError(`case ${id} is stored with text hash ${stored.fingerprint.text_hash.slice(0, 16)}… but this prompt hashes to ${textHash.slice(0, 16)}…`);
      }
      if (incident !== undefined && stored.source.incident_ids.includes(incident)) {
        alreadyCounted.add(id);
        continue;
      }
      updated.set(id, merge(stored, seen, input, now));
      addCounts(redactions, counts);
      duplicatesMerged += 1;
      continue;
    }

    const { c, signature } = await newCase({ item, id, textHash, text, turns, counts, seen, now }, input, deps, threshold);
    deps.index.addEntry({ id, text_hash: textHash, minhash: signature });
    created.set(id, c);
    addCounts(redactions, counts);
    if (c.near_dup_of !== undefined) nearDuplicatesLinked += 1;
  }

  return { created: [...created.values()], updated: [...updated.values()], skipped, redactions, duplicatesMerged, nearDuplicatesLinked };
}
