/**
 * The AI-specific sections: Model and version, Guardrail and prompt
 * configuration, Regression cases added, and Eval results before and after.
 */
import type { EvalResults } from './draft-types';
import { describeControl } from './facts';
import { code, pct, utc, who } from './markdown-text';
import { MAX_EXCERPT } from './postmortem-case';
import { ask, section, type Section } from './section';
import type { DraftContext } from './section-context';

/**
 * The CLI command that replays the adversarial corpus against a model
 * endpoint (`firebreak corpus replay`, see `bin/firebreak.ts`), as the
 * draft asks for missing eval runs.
 */
export const REPLAY_COMMAND = 'firebreak corpus replay --target URL --model <model>';

/** Model and version: the model, the version the alert named, the active version before and after, rollbacks. */
export function modelVersion(ctx: DraftContext): Section {
  const { incident } = ctx.input;
  const { actions } = ctx.facts;
  const rollbacks = actions.filter((a) => a.action === 'rollback' && a.before.activeVersion !== a.after.activeVersion);
  const lines = [
    `- **Model:** ${code(incident.key.model)} (service ${code(incident.key.service)}).`,
    `- **Version named by the alert:** ${incident.modelVersion === undefined ? 'none (the alert had no `model_version` label)' : ctx.quote(incident.modelVersion, 'alert', 80)}.`,
    actions.length === 0 ? '- **Active version:** no change recorded.' : `- **Active version:** ${code(actions[0].before.activeVersion)} before the first action, ${code(actions[actions.length - 1].after.activeVersion)} after the last.`,
    ...rollbacks.map((a) => `- **Rolled back:** ${code(a.before.activeVersion)} → ${code(a.after.activeVersion)} at ${utc(a.at)} UTC by ${who(a.by)}${a.undoneAt === undefined ? '' : ` (undone ${utc(a.undoneAt)} UTC)`}.`),
  ];
  return section([lines.join('\n')]);
}

/** Guardrail and prompt configuration: the model's control state before and after; the prompt and guardrail versions are asked of people. */
export function guardrails(ctx: DraftContext): Section {
  const { actions } = ctx.facts;
  const facts =
    actions.length === 0
      ? '- No change to the model\'s control state (kill switch, safe mode, human review) was recorded.'
      : [`- **Control state before the first action:** ${describeControl(actions[0].before)}.`, `- **After the last action:** ${describeControl(actions[actions.length - 1].after)} (undos are listed under Containment and resolution).`].join('\n');
  return section([facts], [ask('Which system prompt, guardrail and output-filter versions were in effect? Did any of them change before the breach?')]);
}

/** Regression cases added: id, taxonomy and redacted excerpt of each. */
export function regressionCases(ctx: DraftContext): Section {
  const { cases } = ctx.input;
  if (cases.length === 0) return section([], [ask('No regression cases were harvested. If prompts caused this incident, add them with `firebreak corpus add` and list the case ids here (redacted excerpts only).')]);
  return section([
    [
      '| Case | OWASP LLM Top 10 (2025) | Category | Technique | Excerpt (redacted) |',
      '|---|---|---|---|---|',
      ...cases.map((c) => `| ${ctx.quote(c.id, 'excerpt', 80)} | ${ctx.clean(c.owasp, 'excerpt', 40)} | ${ctx.clean(c.category, 'excerpt', 60)} | ${ctx.clean(c.technique, 'excerpt', 60)} | ${ctx.quote(c.excerpt, 'excerpt', MAX_EXCERPT)} |`),
    ].join('\n'),
  ]);
}

/** Eval results before and after: the runs given, and a prompt to replay the corpus for a missing one. */
export function evals(ctx: DraftContext): Section {
  const { evals: results } = ctx.input;
  const row = (label: string, r: NonNullable<EvalResults['before']>): string =>
    `| ${label} | ${ctx.quote(r.version, 'eval', 80)} | ${r.passed} | ${r.failed} | ${r.total} | ${r.total === 0 ? '—' : pct(r.passed / r.total)} |`;
  const rows = [results?.before === undefined ? undefined : row('before', results.before), results?.after === undefined ? undefined : row('after', results.after)].filter((r): r is string => r !== undefined);
  const missing = [results?.before === undefined ? 'before the fix (the version that breached)' : undefined, results?.after === undefined ? 'after the fix (the version now serving)' : undefined].filter((m) => m !== undefined);
  return section(rows.length === 0 ? [] : [['| Run | Version | Passed | Failed | Total | Pass rate |', '|---|---|---|---|---|---|', ...rows].join('\n')], [
    missing.length === 0 ? undefined : ask(`Replay the adversarial corpus (\`${REPLAY_COMMAND}\`) ${missing.join(' and ')} and record the results.`),
  ]);
}
