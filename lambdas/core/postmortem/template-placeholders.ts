/**
 * The postmortem template's placeholders: the `{{name}}`s the drafter fills,
 * the section name each is reported under (in `filled` / `prompts`), how they
 * are found in the template, and the error for one it does not know.
 */
import { FirebreakError } from '../errors';

/** Placeholders and the section names reported in `filled` / `prompts`. */
export const SECTION_NAMES = {
  title: 'Title',
  status: 'Status',
  owner: 'Owner',
  incident: 'Incident',
  severity: 'Severity',
  slo: 'SLO',
  service_model: 'Service and model',
  links: 'Links',
  summary: 'Summary',
  impact: 'Impact',
  detection: 'Detection',
  trigger: 'Trigger',
  contributing_factors: 'Contributing factors',
  containment: 'Containment and resolution',
  timeline: 'Timeline',
  responders: 'Responders',
  went_well: 'What went well',
  went_badly: 'What went badly',
  got_lucky: 'Where we got lucky',
  action_items: 'Action items',
  model_version: 'Model and version',
  guardrails: 'Guardrail and prompt configuration',
  regression_cases: 'Regression cases added',
  evals: 'Eval results before and after',
} as const;
/** A placeholder the drafter fills: a key of {@link SECTION_NAMES}. */
export type Placeholder = keyof typeof SECTION_NAMES;

/** A `{{name}}` placeholder in the template; the name is group 1 (global: for `matchAll` and `replace`). */
export const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;
/** Whether `name` is a placeholder the drafter fills. */
export const isPlaceholder = (name: string): name is Placeholder => Object.prototype.hasOwnProperty.call(SECTION_NAMES, name);

/** The template has placeholders the drafter does not know. */
export class PostmortemTemplateError extends FirebreakError {
  constructor(
    readonly unknown: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`postmortem template: unknown placeholder(s) ${unknown.map((u) => `{{${u}}}`).join(', ')}; expected some of ${Object.keys(SECTION_NAMES).join(', ')}`, options);
  }
}
