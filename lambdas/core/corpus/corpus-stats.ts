import type { RegressionCase } from './case';

/**
 * Corpus statistics for `firebreak corpus stats` and the weekly review
 * (pure). Counts are keyed maps with keys sorted, so the output is stable.
 */

/** Counts of cases by one field. */
export type Counts = Record<string, number>;

/** What {@link corpusStats} reports. */
export interface CorpusStats {
  /** Number of cases. */
  readonly cases: number;
  readonly byStatus: Counts;
  /** By OWASP LLM Top 10 2025 id (`LLM01:2025`, …). */
  readonly byOwasp: Counts;
  readonly byCategory: Counts;
  readonly byTechnique: Counts;
  readonly bySeverity: Counts;
  /** By source kind (`incident`, `import`). */
  readonly bySourceKind: Counts;
  /** By how replay judges (`refusal`, `substring`, `canary`). */
  readonly byDetectorKind: Counts;
  /** Occurrences summed over the cases (how often the prompts were seen). */
  readonly occurrences: number;
  /** Cases linked to an earlier case as near duplicates. */
  readonly nearDupLinks: number;
  /** Distinct incidents that contributed cases. */
  readonly incidents: number;
}

function countBy(cases: readonly RegressionCase[], key: (c: RegressionCase) => string): Counts {
  const counts = new Map<string, number>();
  for (const c of cases) counts.set(key(c), (counts.get(key(c)) ?? 0) + 1);
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Counts the corpus by status, OWASP id, category, technique, severity,
 * source kind and detector kind; sums occurrences; counts near-duplicate
 * links and contributing incidents.
 *
 * @example
 * corpusStats(cases).byOwasp // => { 'LLM01:2025': 12, 'LLM07:2025': 3 }
 */
export function corpusStats(cases: readonly RegressionCase[]): CorpusStats {
  return {
    cases: cases.length,
    byStatus: countBy(cases, (c) => c.status),
    byOwasp: countBy(cases, (c) => c.taxonomy.owasp),
    byCategory: countBy(cases, (c) => c.taxonomy.category),
    byTechnique: countBy(cases, (c) => c.taxonomy.technique),
    bySeverity: countBy(cases, (c) => c.severity),
    bySourceKind: countBy(cases, (c) => c.source.kind),
    byDetectorKind: countBy(cases, (c) => c.detector.kind),
    occurrences: cases.reduce((sum, c) => sum + c.source.occurrences, 0),
    nearDupLinks: cases.filter((c) => c.near_dup_of !== undefined).length,
    incidents: new Set(cases.flatMap((c) => c.source.incident_ids)).size,
  };
}
