/**
 * The sections that look ahead: What went well, What went badly, Where we got
 * lucky (prompts only) and the Action items table.
 */
import { code, who } from './markdown-text';
import { ask, section, type Section } from './section';
import { ACTION_WORDS, openingAlert, type DraftContext } from './section-context';

/** What went well, what went badly, where we got lucky: left to people. */
export function reflections(): Record<'went_well' | 'went_badly' | 'got_lucky', Section> {
  return {
    went_well: section([], [ask('What went well? Tooling, signals, decisions and people that helped.')]),
    went_badly: section([], [ask('What went badly? Gaps in signals, tooling, runbooks or process (not people).')]),
    got_lucky: section([], [ask('Where did we get lucky? What could have made it worse, and did not?')]),
  };
}

/** Action items: undo what is still in effect, the regression cases added, mapping an unmapped alert; a prompt for the rest. */
export function actionItems(ctx: DraftContext): Section {
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
