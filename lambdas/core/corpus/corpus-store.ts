import type { RecordsRepository } from '../records/records-repository';
import { parseCase, type RegressionCase } from './case';

/** A file in `corpus/` that is not a valid case, with what is wrong (never its content). */
export interface InvalidCaseFile {
  readonly path: string;
  readonly message: string;
}

/** The corpus as read from the records repository. */
export interface StoredCorpus {
  /** Valid cases, in path order. */
  readonly cases: readonly RegressionCase[];
  /** Files of `corpus/` that could not be read as cases. */
  readonly invalid: readonly InvalidCaseFile[];
}

/**
 * Reads every case of the records repository (`corpus/*.json`). A file that
 * is not a valid case is reported in `invalid` with the reason, never thrown:
 * one bad file must not stop a harvest, a postmortem or a review.
 *
 * @example
 * const { cases, invalid } = await loadCorpus(records);
 */
export async function loadCorpus(records: RecordsRepository): Promise<StoredCorpus> {
  const paths = (await records.list('corpus')).filter((p) => /^corpus\/[^/]+\.json$/.test(p));
  const cases: RegressionCase[] = [];
  const invalid: InvalidCaseFile[] = [];
  const texts = await Promise.all(paths.map(async (p) => [p, await records.read(p)] as const));
  for (const [path, text] of texts) {
    if (text === undefined) continue; // removed between list and read
    try {
      cases.push(parseCase(text, path));
    } catch (error) {
      invalid.push({ path, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return { cases, invalid };
}

/**
 * The cases harvested for an incident (its id in `source.incident_ids`).
 *
 * @example
 * const mine = casesOfIncident(cases, 'inc-20261121-1a2b3c4d');
 */
export function casesOfIncident(cases: readonly RegressionCase[], incidentId: string): RegressionCase[] {
  return cases.filter((c) => c.source.incident_ids.includes(incidentId));
}
