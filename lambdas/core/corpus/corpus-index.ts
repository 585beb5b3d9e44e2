import type { RegressionCase } from './case';
import { decodeSignatureInto, estimateJaccard, MINHASH_PERMUTATIONS } from './minhash';

/**
 * The in-memory index of the corpus used while harvesting: exact duplicates
 * by text hash, near duplicates by MinHash with LSH banding (pure).
 *
 * Signatures live in one `Uint32Array` (512 bytes per case); the LSH table
 * is a chained hash table in typed arrays (one entry per case and band), so
 * 100,000 cases take about 120 MB and no per-case objects. A near-duplicate
 * query looks only at the cases that share at least one band with the
 * signature (never all pairs) and estimates their similarity from the full
 * signatures. With 32 bands of 4 rows a pair at Jaccard 0.7 shares a band
 * with probability 0.9998, at 0.5 with 0.87, at 0.2 with 0.05.
 */

/** Number of LSH bands. */
export const LSH_BANDS = 32;
/** Signature words per band (`LSH_BANDS * LSH_ROWS` = the signature length). */
export const LSH_ROWS = MINHASH_PERMUTATIONS / LSH_BANDS;

/** What the index needs of a case: its id, text hash and signature (encoded, or decoded). */
export interface IndexEntry {
  readonly id: string;
  readonly text_hash: string;
  readonly minhash: string | Uint32Array;
}

/** The most similar indexed case. */
export interface NearMatch {
  readonly id: string;
  /** Estimated Jaccard similarity of the shingle sets, 0..1. */
  readonly similarity: number;
}

const EMPTY = -1;

/** `Math.imul`, looked up once (global lookups are slow in hot loops inside vm contexts such as jest's). */
const imul = Math.imul;

/** Hash of one band of a signature, mixed with the band number. */
function bandKey(signature: Uint32Array, offset: number, band: number): number {
  let h = imul(band + 1, 0x9e3779b1) >>> 0;
  const start = offset + band * LSH_ROWS;
  for (let r = 0; r < LSH_ROWS; r += 1) {
    h ^= signature[start + r] as number;
    h = imul(h, 0x01000193);
    h ^= h >>> 15;
  }
  h = imul(h ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

const nextPowerOfTwo = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(2, n)));

/**
 * Exact and near-duplicate lookup over the corpus. Cases are numbered in the
 * order they are added; ties in similarity go to the earlier one.
 *
 * @example
 * const index = CorpusIndex.fromCases(cases);
 * index.findExact(hash);                  // => 'case-…' or undefined
 * index.findNear(signatureOf(text), 0.73); // => { id: 'case-…', similarity: 0.81 } or undefined
 */
export class CorpusIndex {
  private ids: string[] = [];
  private readonly byHash = new Map<string, number>();
  private readonly byId = new Map<string, number>();
  private signatures: Uint32Array;
  /** Bucket heads of the LSH table (entry numbers, or EMPTY). */
  private heads: Int32Array;
  /** Per entry (case × band): its band key and the next entry of its bucket. */
  private keys: Uint32Array;
  private next: Int32Array;
  /** Query stamps per case, so a query scores each candidate once. */
  private seen: Uint32Array;
  private stamp = 0;

  private constructor(capacity: number) {
    const cases = Math.max(16, capacity);
    this.signatures = new Uint32Array(cases * MINHASH_PERMUTATIONS);
    this.keys = new Uint32Array(cases * LSH_BANDS);
    this.next = new Int32Array(cases * LSH_BANDS);
    this.heads = new Int32Array(nextPowerOfTwo(cases * LSH_BANDS)).fill(EMPTY);
    this.seen = new Uint32Array(cases);
  }

  /** An empty index with room for `capacity` cases before it grows. */
  static empty(capacity = 1024): CorpusIndex {
    return new CorpusIndex(capacity);
  }

  /**
   * An index of (id, text hash, signature) entries, in order.
   *
   * @throws MinhashEncodingError when a signature is malformed
   */
  static fromEntries(entries: Iterable<IndexEntry>): CorpusIndex {
    const list = Array.isArray(entries) ? (entries as readonly IndexEntry[]) : [...entries];
    // Headroom, so a harvest that adds a few cases does not reallocate the whole index.
    const index = new CorpusIndex(Math.ceil(list.length * 1.05) + 1024);
    for (const entry of list) index.addEntry(entry);
    return index;
  }

  /** An index of cases, in order. */
  static fromCases(cases: Iterable<RegressionCase>): CorpusIndex {
    const list = [...cases].map((c) => ({ id: c.id, text_hash: c.fingerprint.text_hash, minhash: c.fingerprint.minhash }));
    return CorpusIndex.fromEntries(list);
  }

  /** Number of indexed cases. */
  get size(): number {
    return this.ids.length;
  }

  /** Whether a case id is indexed. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Adds a case (no-op when its id is already indexed). */
  add(c: RegressionCase): void {
    this.addEntry({ id: c.id, text_hash: c.fingerprint.text_hash, minhash: c.fingerprint.minhash });
  }

  /**
   * Adds an entry (no-op when its id is already indexed).
   *
   * @throws MinhashEncodingError when the signature is malformed
   */
  addEntry(entry: IndexEntry): void {
    if (this.byId.has(entry.id)) return;
    const doc = this.ids.length;
    if (doc >= this.seen.length) this.grow(this.seen.length * 2);
    const offset = doc * MINHASH_PERMUTATIONS;
    if (typeof entry.minhash === 'string') decodeSignatureInto(entry.minhash, this.signatures, offset);
    else {
      if (entry.minhash.length !== MINHASH_PERMUTATIONS) throw new RangeError(`signature of ${entry.id} has ${entry.minhash.length} words, expected ${MINHASH_PERMUTATIONS}`);
      this.signatures.set(entry.minhash, offset);
    }
    this.ids.push(entry.id);
    this.byId.set(entry.id, doc);
    if (!this.byHash.has(entry.text_hash)) this.byHash.set(entry.text_hash, doc);
    this.link(doc);
  }

  /** The id of the case with this text hash, if any. */
  findExact(textHash: string): string | undefined {
    const doc = this.byHash.get(textHash);
    return doc === undefined ? undefined : this.ids[doc];
  }

  /**
   * The most similar indexed case whose estimated similarity is at least
   * `threshold` (ties go to the earlier case), or undefined.
   *
   * @throws RangeError when the threshold is not in (0, 1] or the signature has the wrong length
   */
  findNear(signature: Uint32Array, threshold: number): NearMatch | undefined {
    if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`near-duplicate threshold must be in (0, 1], got ${threshold}`);
    if (signature.length !== MINHASH_PERMUTATIONS) throw new RangeError(`signature has ${signature.length} words, expected ${MINHASH_PERMUTATIONS}`);
    this.stamp = (this.stamp + 1) >>> 0;
    if (this.stamp === 0) {
      this.seen.fill(0);
      this.stamp = 1;
    }
    const mask = this.heads.length - 1;
    let bestDoc = -1;
    let best = -1;
    for (let band = 0; band < LSH_BANDS; band += 1) {
      const key = bandKey(signature, 0, band);
      for (let entry = this.heads[key & mask] as number; entry !== EMPTY; entry = this.next[entry] as number) {
        if (this.keys[entry] !== key || entry % LSH_BANDS !== band) continue;
        const doc = Math.floor(entry / LSH_BANDS);
        if (this.seen[doc] === this.stamp) continue;
        this.seen[doc] = this.stamp;
        const similarity = estimateJaccard(signature, this.signatures.subarray(doc * MINHASH_PERMUTATIONS, (doc + 1) * MINHASH_PERMUTATIONS));
        if (similarity > best || (similarity === best && doc < bestDoc)) {
          best = similarity;
          bestDoc = doc;
        }
      }
    }
    return bestDoc >= 0 && best >= threshold ? { id: this.ids[bestDoc] as string, similarity: best } : undefined;
  }

  /** Puts a case's band entries into the table. */
  private link(doc: number): void {
    const mask = this.heads.length - 1;
    const offset = doc * MINHASH_PERMUTATIONS;
    for (let band = 0; band < LSH_BANDS; band += 1) {
      const entry = doc * LSH_BANDS + band;
      const key = bandKey(this.signatures, offset, band);
      this.keys[entry] = key;
      this.next[entry] = this.heads[key & mask] as number;
      this.heads[key & mask] = entry;
    }
  }

  /** Reallocates for `cases` cases and rebuilds the table. */
  private grow(cases: number): void {
    const signatures = new Uint32Array(cases * MINHASH_PERMUTATIONS);
    signatures.set(this.signatures.subarray(0, this.ids.length * MINHASH_PERMUTATIONS));
    this.signatures = signatures;
    this.keys = new Uint32Array(cases * LSH_BANDS);
    this.next = new Int32Array(cases * LSH_BANDS);
    this.heads = new Int32Array(nextPowerOfTwo(cases * LSH_BANDS)).fill(EMPTY);
    this.seen = new Uint32Array(cases);
    this.stamp = 0;
    for (let doc = 0; doc < this.ids.length; doc += 1) this.link(doc);
  }
}
