import type { RecordsRepository } from '../records/records-repository';
import { CaseIdSchema, casePath, CaseRecordError, parseCase, type RegressionCase } from './case';
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

/** The case files of `corpus/` (`corpus/<name>.json`, not in sub-folders), read in one bulk read. */
async function caseFiles(records: RecordsRepository): Promise<[string, string][]> {
  return [...(await records.readAll('corpus'))].filter(([p]) => /^corpus\/[^/]+\.json$/.test(p));
}

/**
 * Reads every case of the records repository (`corpus/*.json`). A file that
 * is not a valid case is reported in `invalid` with the reason, never thrown:
 * one bad file must not stop a harvest, a postmortem or a review. Errors of
 * the repository itself propagate.
 *
 * @example
 * const { cases, invalid } = await loadCorpus(records);
 */
export async function loadCorpus(records: RecordsRepository): Promise<StoredCorpus> {
  const cases: RegressionCase[] = [];
  const invalid: InvalidCaseFile[] = [];
  for (const [path, text] of await caseFiles(records)) {
    try {
      cases.push(parseCase(text, path));
    } catch (error) {
      if (!(error instanceof CaseRecordError)) throw error;
      invalid.push({ path, message: error.message });
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
 * @throws CaseRecordError naming the file and the field at fault when the
 *   text is not JSON (the parse error is its `cause`; the message never
 *   quotes the file, which holds prompt text) or the fingerprint is missing
 *   or malformed
 * @example
 * fingerprintOf(text, 'corpus/case-0123456789abcdef.json') // => { id: 'case-0123456789abcdef', text_hash: '0123…', minhash: '…' }
 */
export function fingerprintOf(text: string, path: string): IndexEntry {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new CaseRecordError(path, [{ path: '', message: 'not JSON' }], { cause });
  }
  const record = typeof json === 'object' && json !== null ? (json as { id?: unknown; fingerprint?: unknown }) : {};
  const fingerprint = typeof record.fingerprint === 'object' && record.fingerprint !== null ? (record.fingerprint as { text_hash?: unknown; minhash?: unknown }) : {};
  const { id } = record;
  const { text_hash: hash, minhash } = fingerprint;
  if (typeof id !== 'string' || !CaseIdSchema.safeParse(id).success) throw new CaseRecordError(path, [{ path: 'id', message: 'is not a case id' }]);
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash) || !hash.startsWith(id.slice('case-'.length))) {
    throw new CaseRecordError(path, [{ path: 'fingerprint.text_hash', message: 'does not match the id' }]);
  }
  if (typeof minhash !== 'string' || minhash.length !== ENCODED_LENGTH) {
    throw new CaseRecordError(path, [{ path: 'fingerprint.minhash', message: `is not a ${ENCODED_LENGTH}-character signature` }]);
  }
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
  const entries: IndexEntry[] = [];
  const invalid: InvalidCaseFile[] = [];
  for (const [path, text] of await caseFiles(records)) {
    try {
      entries.push(fingerprintOf(text, path));
    } catch (error) {
      if (!(error instanceof CaseRecordError)) throw error;
      invalid.push({ path, message: error.message });
    }
  }
  return { entries, invalid };
}

/** One stored case, fully validated, or undefined when there is none with that id. */
export async function readStoredCase(records: RecordsRepository, id: string): Promise<RegressionCase | undefined> {
  const text = await records.read(casePath(id));
  return text === undefined ? undefined : parseCase(text, casePath(id));
}
