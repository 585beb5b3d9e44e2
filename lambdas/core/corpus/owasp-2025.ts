import { z } from 'zod';

/**
 * The OWASP Top 10 for LLM Applications, **2025** edition: the taxonomy of
 * every regression case. Other tools still use the 2023 (v1.1) numbering —
 * garak tags its probes `owasp:llm01` … `owasp:llm10` in it — so tags are
 * mapped here, by name, before they reach a case record.
 *
 * Ids and names as in OWASP's `2_0_vulns/LLM0x_*.md` (2025 edition).
 */

/** The ten 2025 ids, in order. */
export const OWASP_2025_IDS = [
  'LLM01:2025',
  'LLM02:2025',
  'LLM03:2025',
  'LLM04:2025',
  'LLM05:2025',
  'LLM06:2025',
  'LLM07:2025',
  'LLM08:2025',
  'LLM09:2025',
  'LLM10:2025',
] as const;

/**
 * An OWASP LLM Top 10 2025 id.
 *
 * @example
 * OwaspIdSchema.parse('LLM07:2025') // => 'LLM07:2025'
 * OwaspIdSchema.safeParse('LLM07').success // => false
 */
export const OwaspIdSchema = z.enum(OWASP_2025_IDS);

/** An OWASP LLM Top 10 2025 id (`LLM01:2025` … `LLM10:2025`). */
export type OwaspId = z.infer<typeof OwaspIdSchema>;

/**
 * The name of each 2025 id.
 *
 * @example
 * OWASP_2025_NAMES['LLM02:2025'] // => 'Sensitive Information Disclosure'
 */
export const OWASP_2025_NAMES: Readonly<Record<OwaspId, string>> = {
  'LLM01:2025': 'Prompt Injection',
  'LLM02:2025': 'Sensitive Information Disclosure',
  'LLM03:2025': 'Supply Chain',
  'LLM04:2025': 'Data and Model Poisoning',
  'LLM05:2025': 'Improper Output Handling',
  'LLM06:2025': 'Excessive Agency',
  'LLM07:2025': 'System Prompt Leakage',
  'LLM08:2025': 'Vector and Embedding Weaknesses',
  'LLM09:2025': 'Misinformation',
  'LLM10:2025': 'Unbounded Consumption',
};

/** A 2023 (v1.1) id as garak numbers it, `LLM01` … `LLM10`. */
export type Owasp2023Id = 'LLM01' | 'LLM02' | 'LLM03' | 'LLM04' | 'LLM05' | 'LLM06' | 'LLM07' | 'LLM08' | 'LLM09' | 'LLM10';

/** One row of the 2023 → 2025 mapping: the 2023 name and where it went in 2025. */
export interface Owasp2023Entry {
  /** The 2023 (v1.1) name. */
  readonly name: string;
  /** The 2025 id it became, or undefined when the 2025 edition has none. */
  readonly to: OwaspId | undefined;
  /** Why, in a few words. */
  readonly why: string;
}

/**
 * The 2023 (v1.1) list mapped to 2025 by name. Insecure Plugin Design has no
 * 2025 successor of its own (it is spread over Excessive Agency and Improper
 * Output Handling), so it maps to nothing rather than to a guess; Model Theft
 * went into Unbounded Consumption (model extraction via the API).
 *
 * @example
 * OWASP_2023_TO_2025.LLM06.to // => 'LLM02:2025'
 */
export const OWASP_2023_TO_2025: Readonly<Record<Owasp2023Id, Owasp2023Entry>> = {
  LLM01: { name: 'Prompt Injection', to: 'LLM01:2025', why: 'same risk, same number' },
  LLM02: { name: 'Insecure Output Handling', to: 'LLM05:2025', why: 'renamed Improper Output Handling' },
  LLM03: { name: 'Training Data Poisoning', to: 'LLM04:2025', why: 'widened to Data and Model Poisoning' },
  LLM04: { name: 'Model Denial of Service', to: 'LLM10:2025', why: 'widened to Unbounded Consumption' },
  LLM05: { name: 'Supply Chain Vulnerabilities', to: 'LLM03:2025', why: 'renamed Supply Chain' },
  LLM06: { name: 'Sensitive Information Disclosure', to: 'LLM02:2025', why: 'same risk, moved up' },
  LLM07: { name: 'Insecure Plugin Design', to: undefined, why: 'no 2025 entry of its own (spread over LLM06 and LLM05)' },
  LLM08: { name: 'Excessive Agency', to: 'LLM06:2025', why: 'same risk, renumbered' },
  LLM09: { name: 'Overreliance', to: 'LLM09:2025', why: 'reframed as Misinformation' },
  LLM10: { name: 'Model Theft', to: 'LLM10:2025', why: 'model extraction folded into Unbounded Consumption' },
};

const GARAK_2023_TAG = /^owasp:(llm(?:0[1-9]|10))$/i;

/**
 * Maps a garak tag in the 2023 numbering (`owasp:llm01` … `owasp:llm10`,
 * case-insensitive) to its 2025 id. Undefined for other tags and for
 * `owasp:llm07` (Insecure Plugin Design, no 2025 id).
 *
 * @example
 * mapOwasp2023('owasp:llm01') // => 'LLM01:2025'
 * mapOwasp2023('owasp:llm06') // => 'LLM02:2025' (Sensitive Information Disclosure)
 * mapOwasp2023('owasp:llm07') // => undefined
 * mapOwasp2023('avid-effect:security:S0403') // => undefined
 */
export function mapOwasp2023(tag: string): OwaspId | undefined {
  const found = GARAK_2023_TAG.exec(tag.trim());
  if (found === null) return undefined;
  return OWASP_2023_TO_2025[(found[1] as string).toUpperCase() as Owasp2023Id].to;
}

const ID_2025 = /^(?:owasp:)?llm(0[1-9]|10):2025$/i;
const PROMPTFOO_2025_TAG = /^owasp:llm:(0[1-9]|10)$/i;

/**
 * Reads a tag that is already in the 2025 numbering: an id (`LLM02:2025`,
 * `owasp:llm02:2025`) or promptfoo's framework key (`owasp:llm:02`, which
 * promptfoo numbers by the 2025 list). Undefined otherwise — in particular for
 * garak's 2023 tags, which {@link mapOwasp2023} reads.
 *
 * @example
 * parseOwasp2025Tag('owasp:llm:07') // => 'LLM07:2025'
 * parseOwasp2025Tag('owasp:llm07')  // => undefined (2023 numbering)
 */
export function parseOwasp2025Tag(tag: string): OwaspId | undefined {
  const found = ID_2025.exec(tag.trim()) ?? PROMPTFOO_2025_TAG.exec(tag.trim());
  return found === null ? undefined : (`LLM${found[1] as string}:2025` as OwaspId);
}
