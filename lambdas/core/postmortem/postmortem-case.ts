/**
 * A regression case as a postmortem shows it: the schema, the longest excerpt
 * written, and {@link postmortemCaseOf}, which turns a harvested regression
 * case into its id, taxonomy and a short excerpt of its already redacted
 * first turn (never the whole text).
 */
import { z } from 'zod';

/** A regression case as the postmortem shows it: ids and taxonomy, and an excerpt that is already redacted. */
export const PostmortemCaseSchema = z.object({
  id: z.string().min(1),
  owasp: z.string(),
  category: z.string(),
  technique: z.string(),
  /** Already redacted and short; the drafter still cuts it to {@link MAX_EXCERPT} characters. */
  excerpt: z.string(),
});
/** A regression case as the postmortem shows it; see {@link PostmortemCaseSchema}. */
export type PostmortemCase = z.infer<typeof PostmortemCaseSchema>;

/** Longest case excerpt written, in characters. */
export const MAX_EXCERPT = 80;

/** The parts of a regression case (`lambdas/core/corpus/case.ts`) a postmortem shows. */
export interface RegressionCaseLike {
  readonly id: string;
  readonly taxonomy: { readonly owasp: string; readonly category: string; readonly technique: string };
  /** Already redacted. */
  readonly input: { readonly turns: readonly { readonly content: string }[] };
}

/**
 * A regression case as the postmortem shows it: its id, taxonomy and a short
 * excerpt of its first (already redacted) turn, never the whole text.
 *
 * @example
 * postmortemCaseOf(regressionCase) // => { id: 'case-…', owasp: 'LLM01:2025', category: …, technique: …, excerpt: 'Pretend you are …' }
 */
export function postmortemCaseOf(c: RegressionCaseLike): PostmortemCase {
  const turns = c.input.turns;
  const first = (turns[0]?.content ?? '').replace(/\s+/g, ' ').trim();
  const more = turns.length > 1 ? ` (+${turns.length - 1} turn${turns.length === 2 ? '' : 's'})` : '';
  const room = MAX_EXCERPT - more.length;
  return { id: c.id, owasp: c.taxonomy.owasp, category: c.taxonomy.category, technique: c.taxonomy.technique, excerpt: `${first.length > room ? `${first.slice(0, room - 1).trimEnd()}…` : first}${more}` };
}
