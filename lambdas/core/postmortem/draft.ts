/**
 * Drafts a blameless postmortem from the incident record: fills every
 * section of the template that the facts allow and leaves a clearly marked
 * prompt (`✍️ TODO(owner): …`) for what only people know. Free text from the
 * record (title, alert names, timeline messages, reasons, errors, case
 * excerpts) goes through the `sanitize` hook and is flattened to one escaped
 * line; regression cases appear only as their id and a short redacted excerpt.
 */
import { z } from 'zod';
import { toInputIssues } from '../alerts/zod-issues';
import { FirebreakError, InvalidInputError } from '../errors';
import type { Incident, TimelineEntry } from '../incident';
import { formatDuration, type Slo } from '../policy/schema';
import { describeControl, formatSeconds, isPerson, postmortemFacts, type ActionFact, type Phase, type PostmortemFacts } from './facts';
import { lintPostmortem, PROMPT_MARKER, type LintFinding } from './lint';

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

/** The template has placeholders the drafter does not know. */
export class PostmortemTemplateError extends FirebreakError {
  constructor(
    readonly unknown: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`postmortem template: unknown placeholder(s) ${unknown.map((u) => `{{${u}}}`).join(', ')}; expected some of ${Object.keys(SECTION_NAMES).join(', ')}`, options);
  }
}

/** Placeholders and the section names reported in `filled` / `prompts`. */
const SECTION_NAMES = {
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
type Placeholder = keyof typeof SECTION_NAMES;

/**
 * The CLI command that replays the adversarial corpus against a model
 * endpoint (`firebreak corpus replay`, see `bin/firebreak.ts`), as the
 * draft asks for missing eval runs.
 */
export const REPLAY_COMMAND = 'firebreak corpus replay --target URL --model <model>';

/** Longest case excerpt written, in characters. */
export const MAX_EXCERPT = 80;
const MAX_TEXT = 240;
const MAX_EVENTS = 200;

/** A section's content: facts from the record and prompts for people (Markdown blocks). */
interface Section {
  readonly facts: readonly string[];
  readonly prompts: readonly string[];
}
const section = (facts: readonly (string | undefined)[], prompts: readonly (string | undefined)[] = []): Section => ({
  facts: facts.filter((f): f is string => f !== undefined && f !== ''),
  prompts: prompts.filter((p): p is string => p !== undefined && p !== ''),
});
/** A block prompt: a blockquote that starts with the marker. */
const ask = (text: string, ...more: string[]): string => [`> ${PROMPT_MARKER}(owner): ${text}`, ...more.map((m) => `> ${m}`)].join('\n');
/** An inline prompt, for a table cell. */
const askInline = (text: string): string => `${PROMPT_MARKER}(owner): ${text}`;

// ---------------------------------------------------------------- text safety

type Clean = (text: string, field: SanitizeField, max?: number) => string;

/** Sanitize hook, then one line, Slack markup made plain, cut to `max` characters. */
function flattener(hook: DraftInput['sanitize']): Clean {
  return (text, field, max = MAX_TEXT) => {
    const flat = (hook === undefined ? text : hook(text, field))
      .replace(/<@([A-Z0-9]+)(?:\|[^>]*)?>/g, '@$1')
      .replace(/<#[A-Z0-9]+\|([^>]*)>/g, '#$1')
      .replace(/<(https?:[^|>]+)\|([^>]*)>/g, '$2')
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    return flat.length > max ? `${flat.slice(0, max - 1).trimEnd()}…` : flat;
  };
}

/** Flat text made inert as Markdown: table pipes, HTML, code marks and placeholders escaped. */
const escapeMarkdown = (flat: string): string =>
  flat.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, "'").replace(/\{\{/g, '{ {');

/** A code span (safe inside a table cell): shows the text as it is. */
const code = (text: string): string => `\`${text.replace(/\s+/g, ' ').replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
const who = (actor: string): string => (isPerson(actor) ? code(`@${actor.replace(/^@/, '')}`) : actor);
const utc = (iso: string | undefined): string => (iso === undefined ? '—' : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`);
const pct = (x: number): string => `${Number((x * 100).toPrecision(4))} %`;
const num = (x: number): string => String(Number(x.toPrecision(4)));
const COMPARATOR = { gte: '≥', lte: '≤', eq: '=' } as const;
const safeUrl = (url: string | undefined): string | undefined => (url !== undefined && /^https?:\/\/[^\s()<>]+$/.test(url) ? url : undefined);
const ACTION_WORDS: Record<ActionFact['action'], string> = {
  kill_switch: 'kill switch',
  degrade_to_safe_mode: 'safe mode',
  route_to_human_review: 'human review',
  rollback: 'rollback',
};

// ---------------------------------------------------------------- sections

interface Ctx {
  readonly input: DraftInput;
  readonly facts: PostmortemFacts;
  /** Free text as escaped Markdown. */
  readonly clean: Clean;
  /** Free text as a code span. */
  readonly quote: Clean;
  readonly at: (phase: Phase) => string | undefined;
}

function objective(slo: Slo): string {
  return `${slo.sli.name} ${COMPARATOR[slo.objective.comparator]} ${slo.objective.target}${slo.sli.unit === 'ratio' || slo.sli.unit === 'count' ? '' : ` ${slo.sli.unit}`} over ${formatDuration(slo.window)}`;
}

function openingAlert(ctx: Ctx): { source: string; name: string } | undefined {
  const alerts = Object.values(ctx.input.incident.alerts).sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));
  const first = alerts.find((a) => a.lastSignalId === ctx.input.incident.openedBySignal) ?? alerts[0];
  if (first !== undefined) return { source: first.source, name: first.name };
  const opened = ctx.facts.timeline.find((e) => e.kind === 'incident.opened');
  return opened === undefined ? undefined : { source: opened.actor, name: String(opened.data?.alert ?? 'unknown') };
}

function actionPhrase(a: ActionFact): string {
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

function summary(ctx: Ctx): Section {
  const { incident, slo } = ctx.input;
  const { durations, actions } = ctx.facts;
  const what =
    slo === undefined
      ? `Alert ${ctx.quote(openingAlert(ctx)?.name ?? 'unknown', 'alert', 120)} on ${code(incident.key.service)} (${code(incident.key.model)}) matched no SLO; the default policy applied.`
      : `${code(slo.id)} breached on ${code(incident.key.service)} (${code(incident.key.model)}): ${slo.sli.name} was ${incident.observedValue === undefined ? 'outside its objective' : num(incident.observedValue)} against an objective of ${COMPARATOR[slo.objective.comparator]} ${slo.objective.target}.`;
  const detected = durations.detect === undefined ? '' : ` and was detected ${formatSeconds(durations.detect)} later`;
  const contained =
    actions.length === 0
      ? 'No action was taken on the model.'
      : `Containment began ${formatSeconds(Math.max(0, (Date.parse(actions[0].at) - Date.parse(incident.breachStartedAt)) / 1000))} after the breach began: ${actions.map((a) => `${actionPhrase(a)} (${isPerson(a.by) ? who(a.by) : 'Firebreak'})`).join(', ')}.`;
  const ended = [
    durations.mitigate === undefined ? undefined : `mitigated ${formatSeconds(durations.mitigate)}`,
    durations.resolve === undefined ? undefined : `resolved ${formatSeconds(durations.resolve)}`,
  ].filter((s) => s !== undefined);
  const end = ended.length === 0 ? '' : ` It was ${ended.join(' and ')} after the breach began.`;
  return section(
    [`${what} The breach began at ${utc(incident.breachStartedAt)} UTC${detected}. ${contained}${end}`],
    [ask('Check the facts above and add, in two or three plain sentences, what users saw and why it happened.')],
  );
}

function impact(ctx: Ctx): Section {
  const { incident, slo } = ctx.input;
  const { durations, errorBudget: budget, errorBudgetMissing } = ctx.facts;
  const end = ctx.at('mitigated') !== undefined ? 'mitigated' : 'resolved';
  const lines = [
    durations.impact === undefined
      ? '- **Duration of impact:** not known: the incident was neither mitigated nor resolved when this was drafted.'
      : `- **Duration of impact:** ${formatSeconds(durations.impact)} (breach began ${utc(incident.breachStartedAt)} → ${end} ${utc(ctx.at(end))} UTC).`,
    slo === undefined ? '- **SLO:** none (the alert matched no SLO).' : `- **SLO:** ${code(slo.id)}: ${objective(slo)}, severity ${slo.severity}.`,
    incident.observedValue === undefined ? undefined : `- **Observed value:** ${num(incident.observedValue)} when the alert fired.`,
  ];
  if (budget !== undefined) {
    const amount = budget.estimate === 'lower-bound' ? `at least ${pct(budget.consumed)}` : budget.estimate === 'whole-budget' ? '100 %' : `about ${pct(budget.consumed)}`;
    lines.push(
      `- **Error budget consumed:** ${amount} of one ${formatDuration(budget.windowSeconds)} window's error budget${budget.consumed >= 1 ? ' (exhausted)' : ''}.`,
      `  - Formula: ${budget.formula}.`,
      `  - Budget: ${budget.explanation}.`,
    );
  } else lines.push(`- **Error budget consumed:** not estimated: ${errorBudgetMissing ?? 'no data'}.`);
  return section(
    [lines.filter((l) => l !== undefined).join('\n')],
    [
      ask('Affected traffic, where known: how many requests, conversations or customers, and what they saw.'),
      budget === undefined ? ask('Estimate the error budget consumed from the SLO dashboard and say how.') : undefined,
    ],
  );
}

function detection(ctx: Ctx): Section {
  const { incident, slo } = ctx.input;
  const { durations } = ctx.facts;
  const alert = openingAlert(ctx);
  const page = incident.page;
  const paged = ctx.at('paged');
  const lines = [
    `- **Detected:** ${utc(ctx.at('detected'))} UTC${alert === undefined ? '' : ` by ${ctx.clean(alert.source, 'alert', 40)} alert ${ctx.quote(alert.name, 'alert', 120)}`}${durations.detect === undefined ? '' : `, ${formatSeconds(durations.detect)} after the breach began (as the alert reported its start)`}.`,
    incident.confirmedAt === undefined
      ? incident.status === 'flapped'
        ? `- **Flap hold:** the breach cleared before ${utc(incident.flapHoldUntil)} UTC: nobody was paged.`
        : undefined
      : `- **Confirmed:** ${utc(incident.confirmedAt)} UTC, when the breach outlasted its flap hold (until ${utc(incident.flapHoldUntil)} UTC).`,
    paged !== undefined
      ? `- **Paged:** ${utc(paged)} UTC${page === undefined ? '' : ` (page ${page.status}, ${page.attempts} attempt${page.attempts === 1 ? '' : 's'})`}.`
      : `- **Paged:** no page was recorded${page?.lastError === undefined ? '' : ` (last error: ${ctx.clean(page.lastError, 'error')})`}.`,
    ctx.at('acknowledged') === undefined
      ? '- **Acknowledged:** not recorded.'
      : `- **Acknowledged:** ${utc(ctx.at('acknowledged'))} UTC${durations.acknowledge === undefined ? '' : `, ${formatSeconds(durations.acknowledge)} after the ${paged === undefined ? 'detection' : 'page'}`}.`,
    slo === undefined ? '- **Policy:** the alert matched no SLO; the default policy applied (incident flagged unmapped).' : `- **Policy:** matched SLO ${code(slo.id)}.`,
    safeUrl(slo?.runbook_url) === undefined ? undefined : `- **Runbook:** ${safeUrl(slo?.runbook_url)}`,
  ];
  return section([lines.filter((l) => l !== undefined).join('\n')]);
}

function trigger(ctx: Ctx): Section {
  const { incident } = ctx.input;
  const joined = Object.values(incident.alerts).length;
  const lines = [
    incident.modelVersion === undefined ? undefined : `- The opening alert named model version ${ctx.quote(incident.modelVersion, 'alert', 80)}.`,
    joined > 1 ? `- ${joined} alerts joined this incident (${incident.signalCount} signals).` : undefined,
  ].filter((l) => l !== undefined);
  return section(
    [lines.join('\n')],
    [ask('What change or condition set this off: a model release, a prompt or guardrail change, a new attack pattern, a traffic change? Link the change.')],
  );
}

function contributingFactors(ctx: Ctx): Section {
  const { incident, slo } = ctx.input;
  const first = slo === undefined ? `Why did ${code(incident.key.model)} raise this alert?` : `Why did ${slo.sli.name} leave its objective on ${code(incident.key.model)}${incident.modelVersion === undefined ? '' : ` version ${ctx.quote(incident.modelVersion, 'alert', 80)}`}?`;
  return section(
    [],
    [ask('Ask "why?" until you reach conditions you can change (five whys). Describe systems, signals and decisions, not people.', `1. ${first}`, '2. Why did that happen?', '3. Why was that possible?', '4. Why did nothing catch it earlier?', '5. Why was that condition there?')],
  );
}

const NOTABLE = new Set(['containment.impossible', 'containment.unavailable', 'rollback.requested', 'rollback.approved', 'rollback.impossible', 'recovery.unverifiable', 'incident.escalated', 'page.failed', 'page.rejected', 'channel.invite-failed', 'workflow.start_failed']);

function containment(ctx: Ctx): Section {
  const { incident } = ctx.input;
  const { actions, stillInEffect, timeline } = ctx.facts;
  const blocks: string[] = [];
  if (actions.length > 0) {
    blocks.push(
      [
        '| Time (UTC) | Action | By | Before → after | Undone |',
        '|---|---|---|---|---|',
        ...actions.map(
          (a) =>
            `| ${utc(a.at)} | ${a.action} on ${code(a.model)} | ${who(a.by)} | ${a.changes.length === 0 ? 'no change' : a.changes.join('; ')} (revision ${a.before.revision} → ${a.after.revision}) | ${a.undoneAt === undefined ? '—' : `${utc(a.undoneAt)}${a.undoneBy === undefined ? '' : ` by ${who(a.undoneBy)}`}`} |`,
        ),
      ].join('\n'),
    );
  }
  const checks = timeline.filter((e) => e.kind === 'recovery.check');
  const lines = [
    ...timeline.filter((e) => NOTABLE.has(e.kind)).map((e) => `- ${utc(e.at)} UTC, ${e.kind}: ${ctx.clean(e.message, 'timeline')}`),
    checks.length === 0 ? undefined : `- **Recovery checks:** ${checks.length}, the last at ${utc(checks[checks.length - 1].at)} UTC: ${ctx.clean(checks[checks.length - 1].message, 'timeline')}.`,
    ctx.at('mitigated') === undefined ? undefined : `- **Mitigated:** ${utc(ctx.at('mitigated'))} UTC.`,
    ctx.at('resolved') === undefined
      ? undefined
      : `- **Resolved:** ${utc(ctx.at('resolved'))} UTC${incident.resolution === undefined ? ', when its alerts cleared' : ` by ${who(incident.resolution.via === 'pagerduty' ? `pagerduty:${incident.resolution.by}` : incident.resolution.by)} via ${incident.resolution.via}${incident.resolution.reason === undefined ? '' : `: ${ctx.clean(incident.resolution.reason, 'resolution')}`}`}.`,
    ...stillInEffect.map((a) => `- **Still in effect when drafted:** ${ACTION_WORDS[a.action]} on ${code(a.model)} (turned on ${utc(a.at)} UTC, not undone).`),
  ].filter((l): l is string => l !== undefined);
  if (lines.length > 0) blocks.push(lines.join('\n'));
  return section(blocks, [actions.length === 0 ? ask('No action on the model was recorded. Describe what was done to contain and resolve it, each with its before → after.') : undefined]);
}

function timelineSection(ctx: Ctx): Section {
  const { durations, phases, timeline } = ctx.facts;
  const began = ctx.at('breach began');
  const since = (at: string | undefined): string => (at === undefined || began === undefined ? '—' : formatSeconds(Math.max(0, (Date.parse(at) - Date.parse(began)) / 1000)));
  const d = (s: number | undefined): string => (s === undefined ? 'not reached' : formatSeconds(s));
  // In time order (phases can overlap: containment may start before anyone acknowledges); unrecorded ones last.
  const ordered = [...phases].sort((a, b) => (a.at === undefined ? 1 : 0) - (b.at === undefined ? 1 : 0) || (a.at === undefined || b.at === undefined ? 0 : Date.parse(a.at) - Date.parse(b.at)));
  const phaseTable = ['| Phase | Time (UTC) | Since breach began |', '|---|---|---|', ...ordered.map((p) => `| ${p.phase} | ${p.at === undefined ? 'not recorded' : utc(p.at)} | ${since(p.at)} |`)].join('\n');
  const measured = [
    `Time to detect **${d(durations.detect)}** · time to acknowledge **${d(durations.acknowledge)}** · time to mitigate **${d(durations.mitigate)}** · time to resolve **${d(durations.resolve)}**.`,
    'Measured: detect = breach began → detected; acknowledge = paged (or detected, without a page) → acknowledged; mitigate and resolve = breach began → mitigated / resolved.',
  ].join('\n');
  const shown = timeline.slice(0, MAX_EVENTS);
  const events = [
    '| Time (UTC) | Event | By | Detail |',
    '|---|---|---|---|',
    ...shown.map((e) => `| ${utc(e.at)} | ${ctx.clean(e.kind, 'timeline', 60)} | ${isPerson(e.actor) ? who(e.actor) : ctx.clean(e.actor, 'timeline', 60)} | ${ctx.clean(e.message, 'timeline')} |`),
  ].join('\n');
  const more = timeline.length > shown.length ? `${timeline.length - shown.length} more entries are in the incident record.` : undefined;
  return section([phaseTable, measured, timeline.length === 0 ? 'No timeline entries were recorded.' : events, more]);
}

const ROLE_WORDS = { commander: 'incident commander', scribe: 'scribe', comms: 'communications' } as const;

function responders(ctx: Ctx): Section {
  const people = ctx.facts.responders;
  if (people.length === 0) return section([], [ask('No person appears in the record (Firebreak handled it on its own). Add who looked at it, if anyone did.')]);
  return section([
    [
      '| Responder | Role | First seen (UTC) | Did |',
      '|---|---|---|---|',
      ...people.map((p) => `| ${who(p.id)} | ${p.roles.length === 0 ? 'responder' : p.roles.map((r) => ROLE_WORDS[r]).join(', ')} | ${utc(p.firstSeenAt)} | ${ctx.clean(p.activities.join(', '), 'timeline') || '—'} |`),
    ].join('\n'),
  ]);
}

function actionItems(ctx: Ctx): Section {
  const { incident, cases } = ctx.input;
  const owner = incident.roles?.commander === undefined ? '—' : who(incident.roles.commander);
  const rows = [
    ...ctx.facts.stillInEffect.map((a) => `| mitigate | Restore normal service: undo ${ACTION_WORDS[a.action]} on ${code(a.model)} once it is safe (still on when this was drafted) | ${owner} | — | open |`),
    cases.length === 0 ? undefined : `| prevent | Regression case${cases.length === 1 ? '' : 's'} ${cases.map((c) => ctx.quote(c.id, 'excerpt', 80)).join(', ')} added to the adversarial corpus: the release gate replays ${cases.length === 1 ? 'it' : 'them'} | — | — | done |`,
    incident.mapped ? undefined : `| process | Map alert ${ctx.quote(openingAlert(ctx)?.name ?? 'unknown', 'alert', 120)} to an SLO in runbooks/slos.yaml (it matched none; the default policy applied) | ${owner} | — | open |`,
  ].filter((r): r is string => r !== undefined);
  const table = ['| Type | Description | Owner | Ticket | Status |', '|---|---|---|---|---|', ...rows].join('\n');
  return {
    facts: rows.length === 0 ? [] : [table],
    prompts: [
      ...(rows.length === 0 ? [table] : []),
      ask('Add a row for each contributing factor: type mitigate (less impact next time), prevent (it does not happen again) or process (how we work), with an owner and a ticket.'),
    ],
  };
}

function modelVersion(ctx: Ctx): Section {
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

function guardrails(ctx: Ctx): Section {
  const { actions } = ctx.facts;
  const facts =
    actions.length === 0
      ? '- No change to the model\'s control state (kill switch, safe mode, human review) was recorded.'
      : [`- **Control state before the first action:** ${describeControl(actions[0].before)}.`, `- **After the last action:** ${describeControl(actions[actions.length - 1].after)} (undos are listed under Containment and resolution).`].join('\n');
  return section([facts], [ask('Which system prompt, guardrail and output-filter versions were in effect? Did any of them change before the breach?')]);
}

function regressionCases(ctx: Ctx): Section {
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

function evals(ctx: Ctx): Section {
  const { evals: results } = ctx.input;
  const row = (label: string, r: NonNullable<EvalResults['before']>): string =>
    `| ${label} | ${ctx.quote(r.version, 'eval', 80)} | ${r.passed} | ${r.failed} | ${r.total} | ${r.total === 0 ? '—' : pct(r.passed / r.total)} |`;
  const rows = [results?.before === undefined ? undefined : row('before', results.before), results?.after === undefined ? undefined : row('after', results.after)].filter((r): r is string => r !== undefined);
  const missing = [results?.before === undefined ? 'before the fix (the version that breached)' : undefined, results?.after === undefined ? 'after the fix (the version now serving)' : undefined].filter((m) => m !== undefined);
  return section(rows.length === 0 ? [] : [['| Run | Version | Passed | Failed | Total | Pass rate |', '|---|---|---|---|---|---|', ...rows].join('\n')], [
    missing.length === 0 ? undefined : ask(`Replay the adversarial corpus (\`${REPLAY_COMMAND}\`) ${missing.join(' and ')} and record the results.`),
  ]);
}

function header(ctx: Ctx): Record<'title' | 'status' | 'owner' | 'incident' | 'severity' | 'slo' | 'service_model' | 'links', Section> {
  const { incident, slo, links, now } = ctx.input;
  const incidentUrl = safeUrl(links?.incident);
  const linkList = [
    incident.channel === undefined ? undefined : `Slack ${safeUrl(links?.channel) === undefined ? code(`#${incident.channel.name}`) : `[#${ctx.clean(incident.channel.name, 'title', 80)}](${safeUrl(links?.channel)})`}`,
    safeUrl(slo?.runbook_url) === undefined ? undefined : `[runbook](${safeUrl(slo?.runbook_url)})`,
    safeUrl(links?.dashboard) === undefined ? undefined : `[dashboard](${safeUrl(links?.dashboard)})`,
  ].filter((l) => l !== undefined);
  const commander = incident.roles?.commander;
  return {
    title: section([ctx.clean(incident.title, 'title', 160) || incident.id]),
    status: section([`Draft, written by Firebreak from the incident record at ${utc(now.toISOString())} UTC (incident ${incident.status})`]),
    owner: commander === undefined ? section([], [askInline('who owns this postmortem?')]) : section([`${who(commander)} (incident commander)`]),
    incident: section([incidentUrl === undefined ? code(incident.id) : `[${incident.id}](${incidentUrl})`]),
    severity: section([incident.severity]),
    slo: section([slo === undefined ? 'none: unmapped alert, default policy' : `${code(slo.id)}: ${objective(slo)}`]),
    service_model: section([`${code(incident.key.service)} / ${code(incident.key.model)}`]),
    links: linkList.length === 0 ? section([], [askInline('links to dashboards, tickets, the chat log')]) : section([linkList.join(' · ')]),
  };
}

// ---------------------------------------------------------------- rendering

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;
const isPlaceholder = (name: string): name is Placeholder => Object.prototype.hasOwnProperty.call(SECTION_NAMES, name);

function sections(ctx: Ctx): Record<Placeholder, Section> {
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
    went_well: section([], [ask('What went well? Tooling, signals, decisions and people that helped.')]),
    went_badly: section([], [ask('What went badly? Gaps in signals, tooling, runbooks or process (not people).')]),
    got_lucky: section([], [ask('Where did we get lucky? What could have made it worse, and did not?')]),
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
  const ctx: Ctx = {
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
