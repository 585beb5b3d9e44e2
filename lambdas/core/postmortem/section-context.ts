/**
 * What the section builders share: the {@link DraftContext} they read, and
 * the wording several sections use (SLO objectives and comparators, the
 * opening alert, the actions taken on the model).
 */
import { formatDuration, type Slo } from '../policy/schema';
import type { DraftInput } from './draft-types';
import type { ActionFact, Phase, PostmortemFacts } from './facts';
import { code, type Clean } from './markdown-text';

/** The input, its facts and the text helpers every section builder reads. */
export interface DraftContext {
  readonly input: DraftInput;
  readonly facts: PostmortemFacts;
  /** Free text as escaped Markdown. */
  readonly clean: Clean;
  /** Free text as a code span. */
  readonly quote: Clean;
  readonly at: (phase: Phase) => string | undefined;
}

/** An SLO objective's comparator as a symbol. */
export const COMPARATOR = { gte: '≥', lte: '≤', eq: '=' } as const;
/** An action on the model in a few words (e.g. `kill switch`). */
export const ACTION_WORDS: Record<ActionFact['action'], string> = {
  kill_switch: 'kill switch',
  degrade_to_safe_mode: 'safe mode',
  route_to_human_review: 'human review',
  rollback: 'rollback',
};

/** An SLO's objective in one line: SLI, comparator, target, unit and window. */
export function objective(slo: Slo): string {
  return `${slo.sli.name} ${COMPARATOR[slo.objective.comparator]} ${slo.objective.target}${slo.sli.unit === 'ratio' || slo.sli.unit === 'count' ? '' : ` ${slo.sli.unit}`} over ${formatDuration(slo.window)}`;
}

/** The alert that opened the incident (its source and name), from the alerts or else the timeline. */
export function openingAlert(ctx: DraftContext): { source: string; name: string } | undefined {
  const alerts = Object.values(ctx.input.incident.alerts).sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));
  const first = alerts.find((a) => a.lastSignalId === ctx.input.incident.openedBySignal) ?? alerts[0];
  if (first !== undefined) return { source: first.source, name: first.name };
  const opened = ctx.facts.timeline.find((e) => e.kind === 'incident.opened');
  return opened === undefined ? undefined : { source: opened.actor, name: String(opened.data?.alert ?? 'unknown') };
}

/** What an action did to the model, as a phrase (e.g. "turned the kill switch on"). */
export function actionPhrase(a: ActionFact): string {
  switch (a.action) {
    case 'rollback':
      return `rolled back ${code(a.before.activeVersion)} → ${code(a.after.activeVersion)}`;
    case 'kill_switch':
      return 'turned the kill switch on';
    case 'degrade_to_safe_mode':
      return 'switched to safe mode';
    case 'route_to_human_review':
      return 'routed responses to human review';
  }
}
