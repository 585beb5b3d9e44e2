import type { RecordsRepository } from '../records/records-repository';
import { CaseIdSchema, casePath, parseCase, type RegressionCase } from './case';
import type { IndexEntry } from './corpus-index';
import { ENCODED_LENGTH } from './minhash';

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

/**
 * The fingerprint of a stored case (id, text hash, MinHash), read without
 * validating the whole record: what the near-duplicate index needs, at a
 * fraction of `parseCase`'s cost for a corpus of 100,000. A file whose
 * fingerprint is malformed throws; the rest of the record is checked when
 * the case itself is read (`readStoredCase`).
 *
 * @throws Error naming the file when the fingerprint is missing or malformed
 */
export function fingerprintOf(text: string, path: string): IndexEntry {
  let json: { id?: unknown; fingerprint?: { text_hash?: unknown; minhash?: unknown } };
  try {
    json = JSON.parse(text) as typeof json;
  } catch (cause) {
    throw new Error(`${path}: not JSON`, { cause });
  }
  const id = json.id;
  const hash = json.fingerprint?.text_hash;
  const minhash = json.fingerprint?.minhash;
  if (typeof id !== 'string' || !CaseIdSchema.safeParse(id).success) throw new Error(`${path}: id is not a case id`);
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash) || !hash.startsWith(id.slice('case-'.length))) throw new Error(`${path}: fingerprint.text_hash does not match the id`);
  if (typeof minhash !== 'string' || minhash.length !== ENCODED_LENGTH) throw new Error(`${path}: fingerprint.minhash is not a ${ENCODED_LENGTH}-character signature`);
  return { id, text_hash: hash, minhash };
}

/**
 * The fingerprints of every stored case, for the near-duplicate index; files
 * whose fingerprint is malformed are reported, not thrown.
 *
 * @example
 * const { entries } = await loadFingerprints(records);
 * const index = CorpusIndex.fromEntries(entries);
 */
export async function loadFingerprints(records: RecordsRepository): Promise<{ readonly entries: IndexEntry[]; readonly invalid: InvalidCaseFile[] }> {
  const paths = (await records.list('corpus')).filter((p) => /^corpus\/[^/]+\.json$/.test(p));
  const entries: IndexEntry[] = [];
  const invalid: InvalidCaseFile[] = [];
  for (const path of paths) {
    const text = await records.read(path);
    if (text === undefined) continue;
    try {
      entries.push(fingerprintOf(text, path));
    } catch (error) {
      invalid.push({ path, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return { entries, invalid };
}

/** One stored case, fully validated, or undefined when there is none with that id. */
export async function readStoredCase(records: RecordsRepository, id: string): Promise<RegressionCase | undefined> {
  const text = await records.read(casePath(id));
  return text === undefined ? undefined : parseCase(text, casePath(id));
}
