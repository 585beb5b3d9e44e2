/**
 * Text normalisation for the adversarial corpus (pure).
 *
 * Two views of a prompt: the *hash* view decides exact duplicates (and so a
 * case's id), the *shingle* view feeds near-duplicate detection. Both are
 * computed from the redacted text, never from the raw prompt.
 */

/**
 * Zero-width and invisible formatting characters that attackers sprinkle into
 * prompts to dodge exact matching: zero-width space / non-joiner / joiner,
 * word joiner, invisible operators, BOM, soft hyphen, Mongolian vowel separator.
 */
const INVISIBLE = /[\u200B-\u200D\u2060-\u2064\uFEFF\u00AD\u180E]/gu;

/** Anything that is not a letter, a mark, a number, an underscore or whitespace. */
const PUNCTUATION = /[^\p{L}\p{M}\p{N}_\s]/gu;

const WHITESPACE = /\s+/gu;

/**
 * The view used for hashing (exact duplicates, case ids): Unicode NFKC,
 * invisible characters removed, lower case, runs of whitespace collapsed to
 * one space, trimmed.
 *
 * @example
 * normalizeForHash('  Ignore\u200B ALL   previous\ninstructions ') // => 'ignore all previous instructions'
 * normalizeForHash('ｆｕｌｌｗｉｄｔｈ') // => 'fullwidth'
 */
export function normalizeForHash(text: string): string {
  return text.normalize('NFKC').replace(INVISIBLE, '').toLowerCase().replace(WHITESPACE, ' ').trim();
}

/**
 * The view used for shingling (near duplicates): the hash view with
 * punctuation deleted (not replaced by a space, so `don't` and `dont`,
 * `“quoted”` and `"quoted"` shingle alike), whitespace collapsed again.
 *
 * @example
 * normalizeForShingles('Hello, “DAN”! Don\u2019t  stop.') // => 'hello dan dont stop'
 */
export function normalizeForShingles(text: string): string {
  return normalizeForHash(text).replace(PUNCTUATION, '').replace(WHITESPACE, ' ').trim();
}
