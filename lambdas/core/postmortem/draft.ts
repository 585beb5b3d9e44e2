/**
 * Drafts a blameless postmortem from the incident record: fills every
 * section of the template that the facts allow and leaves a clearly marked
 * prompt (`✍️ TODO(owner): …`) for what only people know. Free text from the
 * record (title, alert names, timeline messages, reasons, errors, case
 * excerpts) goes through the `sanitize` hook and is flattened to one escaped
 * line; regression cases appear only as their id and a short redacted excerpt.
 *
 * This module fills the template; the parts live beside it:
 * `postmortem-case.ts` and `draft-types.ts` (what goes in and comes out),
 * `template-placeholders.ts`, `markdown-text.ts` (text safety and formats),
 * `section.ts` and `section-context.ts` (what section builders share) and the
 * `sections-*.ts` builders. Their public API is re-exported here.
 */
import { z } from 'zod';
import { toInputIssues } from '../alerts/zod-issues';
import { InvalidInputError } from '../errors';
import { EvalResultsSchema, type DraftInput, type DraftResult } from './draft-types';
import { postmortemFacts } from './facts';
import { lintPostmortem } from './lint';
import { code, escapeMarkdown, flattener } from './markdown-text';
import { PostmortemCaseSchema } from './postmortem-case';
import type { Section } from './section';
import type { DraftContext } from './section-context';
import { evals, guardrails, modelVersion, regressionCases } from './sections-ai';
import { actionItems, reflections } from './sections-follow-up';
import { header } from './sections-header';
import { containment, responders, timelineSection } from './sections-response';
import { contributingFactors, detection, impact, summary, trigger } from './sections-what-happened';
import { isPlaceholder, PLACEHOLDER, PostmortemTemplateError, SECTION_NAMES, type Placeholder } from './template-placeholders';

export { EvalResultsSchema, EvalRunSchema, type DraftInput, type DraftResult, type EvalResults, type PostmortemLinks, type SanitizeField } from './draft-types';
export { MAX_EXCERPT, PostmortemCaseSchema, postmortemCaseOf, type PostmortemCase, type RegressionCaseLike } from './postmortem-case';
export { REPLAY_COMMAND } from './sections-ai';
export { PostmortemTemplateError } from './template-placeholders';

/** Every placeholder's content. */
function sections(ctx: DraftContext): Record<Placeholder, Section> {
  return {
    ...header(ctx),
    summary: summary(ctx),
    impact: impact(ctx),
    detection: detection(ctx),
    trigger: trigger(ctx),
    contributing_factors: contributingFactors(ctx),
    containment: containment(ctx),
    timeline: timelineSection(ctx),
    responders: responders(ctx),
    ...reflections(),
    action_items: actionItems(ctx),
    model_version: modelVersion(ctx),
    guardrails: guardrails(ctx),
    regression_cases: regressionCases(ctx),
    evals: evals(ctx),
  };
}

function parseInput<T>(schema: z.ZodType<T>, value: unknown, subject: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidInputError(subject, toInputIssues(result.error));
  return result.data;
}

/**
 * Drafts the postmortem of an incident from the template.
 *
 * @throws PostmortemTemplateError when the template has an unknown placeholder
 * @throws InvalidInputError when a case or an eval result is malformed
 *
 * @example
 * const draft = draftPostmortem({ template, incident, timeline, slo, cases: [], now: new Date() });
 * draft.path    // => 'postmortems/2026/inc-20261121-5f2a9c1e.md'
 * draft.prompts // => ['Owner', 'Summary', 'Impact', 'Trigger', …]
 */
export function draftPostmortem(input: DraftInput): DraftResult {
  const cases = parseInput(z.array(PostmortemCaseSchema), input.cases, 'postmortem regression cases');
  const evalResults = input.evals === undefined ? undefined : parseInput(EvalResultsSchema, input.evals, 'postmortem eval results');
  const template = input.template.replace(/<!--[\s\S]*?-->[ \t]*\r?\n?/g, '');
  const unknown = [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((name) => !isPlaceholder(name)))];
  if (unknown.length > 0) throw new PostmortemTemplateError(unknown);

  const facts = postmortemFacts(input.incident, input.timeline, input.slo);
  const flatten = flattener(input.sanitize);
  const ctx: DraftContext = {
    input: { ...input, cases, ...(evalResults === undefined ? {} : { evals: evalResults }) },
    facts,
    clean: (text, field, max) => escapeMarkdown(flatten(text, field, max)),
    quote: (text, field, max) => code(flatten(text, field, max)),
    at: (phase) => facts.phases.find((p) => p.phase === phase)?.at,
  };
  const content = sections(ctx);
  const filled: string[] = [];
  const prompts: string[] = [];
  const note = (list: string[], name: string): void => {
    if (!list.includes(name)) list.push(name);
  };
  const markdown = template
    .replace(PLACEHOLDER, (match: string, name: string, offset: number, whole: string) => {
      const s = content[name as Placeholder];
      if (s.facts.length > 0) note(filled, SECTION_NAMES[name as Placeholder]);
      if (s.prompts.length > 0) note(prompts, SECTION_NAMES[name as Placeholder]);
      const parts = [...s.facts, ...s.prompts];
      // A placeholder alone on its line takes blocks; one inside a line (a table cell) takes one line.
      const lineStart = whole.lastIndexOf('\n', offset - 1) + 1;
      const lineEnd = whole.indexOf('\n', offset + match.length);
      const standalone = whole.slice(lineStart, offset).trim() === '' && whole.slice(offset + match.length, lineEnd < 0 ? undefined : lineEnd).trim() === '';
      return standalone ? parts.join('\n\n') : parts.join(' ').replace(/\s*\n\s*/g, ' ');
    })
    .replace(/^\s+/, '');
  const year = new Date(input.incident.openedAt).getUTCFullYear();
  return { markdown, path: `postmortems/${year}/${input.incident.id}.md`, filled, prompts, lint: lintPostmortem(markdown), facts };
}
