/**
 * What the postmortem drafter takes and gives back: the eval-result schemas,
 * the header links, the names of the free-text fields the sanitize hook sees,
 * {@link DraftInput} and {@link DraftResult}.
 */
import { z } from 'zod';
import type { Incident, TimelineEntry } from '../incident';
import type { Slo } from '../policy/schema';
import type { PostmortemFacts } from './facts';
import type { LintFinding } from './lint';
import type { PostmortemCase } from './postmortem-case';

/** One run of the evals (the adversarial corpus replay) against a model version. */
export const EvalRunSchema = z.object({
  passed: z.number().int().min(0),
  failed: z.number().int().min(0),
  total: z.number().int().min(0),
  version: z.string().min(1),
});
/** Eval results before the incident's fix and after it; either may be missing. */
export const EvalResultsSchema = z.object({ before: EvalRunSchema.optional(), after: EvalRunSchema.optional() });
/** Eval results before and after the fix; see {@link EvalResultsSchema}. */
export type EvalResults = z.infer<typeof EvalResultsSchema>;

/** Links shown in the header. */
export interface PostmortemLinks {
  readonly incident?: string;
  readonly channel?: string;
  readonly dashboard?: string;
}

/** Which kind of free text is being sanitized (so a hook can treat them differently). */
export type SanitizeField = 'title' | 'alert' | 'timeline' | 'resolution' | 'error' | 'excerpt' | 'eval';

/** What the drafter needs. */
export interface DraftInput {
  /** The template text (`runbooks/postmortem-template.md`). */
  readonly template: string;
  readonly incident: Incident;
  readonly timeline: readonly TimelineEntry[];
  /** The incident's SLO; undefined for an unmapped incident. */
  readonly slo?: Slo;
  readonly cases: readonly PostmortemCase[];
  readonly evals?: EvalResults;
  readonly now: Date;
  readonly links?: PostmortemLinks;
  /** Applied to every free-text field before it is written (e.g. a redactor). Default: unchanged. */
  readonly sanitize?: (text: string, field: SanitizeField) => string;
}

/** The draft and what is in it. */
export interface DraftResult {
  readonly markdown: string;
  /** `postmortems/<yyyy>/<incident id>.md` (year the incident opened, UTC). */
  readonly path: string;
  /** Sections written from the record (placeholders of the template that got facts). */
  readonly filled: string[];
  /** Sections with a prompt left for people. A section may be in both. */
  readonly prompts: string[];
  /** The blameless-language check of the draft. */
  readonly lint: LintFinding[];
  readonly facts: PostmortemFacts;
}
