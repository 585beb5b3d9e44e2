/**
 * The sections that say what happened: Summary, Impact, Detection, Trigger
 * and Contributing factors (the five whys are left to people).
 */
import { formatDuration } from '../policy/schema';
import { formatSeconds, isPerson } from './facts';
import { code, num, pct, safeUrl, utc, who } from './markdown-text';
import { ask, section, type Section } from './section';
import { actionPhrase, COMPARATOR, objective, openingAlert, type DraftContext } from './section-context';

/** Summary: what breached, when it began, was detected, contained, mitigated and resolved. */
export function summary(ctx: DraftContext): Section {
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

/** Impact: duration, SLO, observed value and the error budget consumed (with its formula). */
export function impact(ctx: DraftContext): Section {
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

/** Detection: detected, confirmed or flap hold, paged, acknowledged, the policy and runbook. */
export function detection(ctx: DraftContext): Section {
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

/** Trigger: what the alerts say (model version, how many joined); the cause is asked of people. */
export function trigger(ctx: DraftContext): Section {
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

/** Contributing factors: a five-whys prompt, starting from the SLI that left its objective. */
export function contributingFactors(ctx: DraftContext): Section {
  const { incident, slo } = ctx.input;
  const first = slo === undefined ? `Why did ${code(incident.key.model)} raise this alert?` : `Why did ${slo.sli.name} leave its objective on ${code(incident.key.model)}${incident.modelVersion === undefined ? '' : ` version ${ctx.quote(incident.modelVersion, 'alert', 80)}`}?`;
  return section(
    [],
    [ask('Ask "why?" until you reach conditions you can change (five whys). Describe systems, signals and decisions, not people.', `1. ${first}`, '2. Why did that happen?', '3. Why was that possible?', '4. Why did nothing catch it earlier?', '5. Why was that condition there?')],
  );
}
