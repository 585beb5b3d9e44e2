import type { Severity } from '../policy/severity';

/** Incident roles a person can be given with `/incident role`. */
export const INCIDENT_ROLES = ['commander', 'scribe', 'comms'] as const;
/** One of {@link INCIDENT_ROLES}. */
export type IncidentRole = (typeof INCIDENT_ROLES)[number];

/** Containment actions `/incident contain` accepts (the `action_on_breach` values of slos.yaml, minus rollback). */
export const CONTAINMENT_ACTIONS = ['kill_switch', 'degrade_to_safe_mode', 'route_to_human_review'] as const;
/** One of {@link CONTAINMENT_ACTIONS}. */
export type ContainmentAction = (typeof CONTAINMENT_ACTIONS)[number];

/** Actions `/incident undo` accepts: every action Firebreak takes on a model (`ModelAction` of `containment/actions.ts`). */
export const UNDOABLE_ACTIONS = [...CONTAINMENT_ACTIONS, 'rollback'] as const;
/** One of {@link UNDOABLE_ACTIONS}. */
export type UndoableAction = (typeof UNDOABLE_ACTIONS)[number];

/** How replies and buttons name the actions (`Undo Kill switch`). */
export const ACTION_LABELS: Readonly<Record<UndoableAction, string>> = {
  kill_switch: 'Kill switch',
  degrade_to_safe_mode: 'Safe mode',
  route_to_human_review: 'Human review',
  rollback: 'Rollback',
};

/** One parsed `/incident` subcommand. */
export type IncidentCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'status' }
  | { readonly kind: 'ack' }
  | { readonly kind: 'sev'; readonly severity: Severity }
  | { readonly kind: 'role'; readonly role: IncidentRole; readonly userId: string }
  | { readonly kind: 'note'; readonly text: string }
  | { readonly kind: 'timeline' }
  | { readonly kind: 'list' }
  | { readonly kind: 'mitigated' }
  | { readonly kind: 'resolve'; readonly reason?: string }
  | { readonly kind: 'rollback'; readonly version?: string }
  | { readonly kind: 'reject_rollback'; readonly reason?: string }
  | { readonly kind: 'contain'; readonly action: ContainmentAction }
  | { readonly kind: 'undo'; readonly action: UndoableAction };

/** The subcommand names, in the order `help` lists them. */
export type IncidentCommandKind = IncidentCommand['kind'];

/** Text that is not a valid `/incident` command: says what was expected. */
export interface CommandParseError {
  readonly kind: 'parse-error';
  /** The subcommand as typed (lower-cased), when there was one. */
  readonly subcommand?: string;
  /** What is wrong and what was expected, ready to show to the person. */
  readonly message: string;
}

/** The words that start a subcommand (`reject_rollback` is typed as `rollback reject`). */
const SUBCOMMANDS: readonly string[] = ['help', 'status', 'ack', 'sev', 'role', 'note', 'timeline', 'list', 'mitigated', 'resolve', 'rollback', 'contain', 'undo'];

/** Usage line of every subcommand, as `help` shows it. */
export const COMMAND_USAGE: Readonly<Record<IncidentCommandKind, string>> = {
  help: '`/incident help` — this list',
  status: '`/incident status` — summary of this channel’s incident',
  ack: '`/incident ack` — acknowledge the incident (stops escalation of the page)',
  sev: '`/incident sev <1-4>` — change the severity',
  role: '`/incident role <commander|scribe|comms> <@user>` — assign a role',
  note: '`/incident note <text>` — add a note to the timeline',
  timeline: '`/incident timeline` — the last 20 timeline entries',
  list: '`/incident list` — active incidents (works in any channel)',
  mitigated: '`/incident mitigated` — mark the incident mitigated',
  resolve: '`/incident resolve [reason]` — resolve the incident',
  rollback: '`/incident rollback [version]` — approve a rollback (to the newest known-good version unless one is named): starts the rollback workflow',
  reject_rollback: '`/incident rollback reject [reason]` — reject the rollback waiting for approval (containment stays; recovery is verified on it)',
  contain: '`/incident contain <kill_switch|degrade_to_safe_mode|route_to_human_review>` — turn a containment switch on for the model now',
  undo: '`/incident undo <kill_switch|degrade_to_safe_mode|route_to_human_review|rollback>` — undo an action taken in this incident',
};

const NO_ARGUMENTS: readonly IncidentCommandKind[] = ['help', 'status', 'ack', 'timeline', 'list', 'mitigated'];

/** A Slack user mention as Slack escapes it (`<@U123ABC>` or `<@U123ABC|name>`), or a bare user id. */
const USER_MENTION = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/;
const USER_ID = /^[UW][A-Z0-9]{2,}$/;

/**
 * True when the value is a `CommandParseError` rather than a command.
 *
 * @example
 * const parsed = parseIncidentCommand(text);
 * if (isCommandParseError(parsed)) return { visibility: 'ephemeral', text: parsed.message };
 */
export function isCommandParseError(value: IncidentCommand | CommandParseError): value is CommandParseError {
  return value.kind === 'parse-error';
}

/**
 * Parses the text of an `/incident` slash command (what follows the command
 * name). Empty text is `help`. Subcommands are case-insensitive; free text
 * (`note`, `resolve` reason) is kept as typed.
 *
 * @example
 * parseIncidentCommand('sev 2')                    // => { kind: 'sev', severity: 'sev2' }
 * parseIncidentCommand('role commander <@U42|ann>') // => { kind: 'role', role: 'commander', userId: 'U42' }
 * parseIncidentCommand('undo kill_switch')           // => { kind: 'undo', action: 'kill_switch' }
 * parseIncidentCommand('sev 7')                    // => { kind: 'parse-error', subcommand: 'sev', message: '…expected a severity from 1 to 4…' }
 */
export function parseIncidentCommand(text: string): IncidentCommand | CommandParseError {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'help' };
  const match = /^(\S+)(?:\s+([\s\S]*))?$/.exec(trimmed);
  const word = (match?.[1] ?? '').toLowerCase();
  const rest = (match?.[2] ?? '').trim();
  const args = rest === '' ? [] : rest.split(/\s+/);

  if (!isKind(word)) {
    return { kind: 'parse-error', message: `Unknown subcommand \`${clip(word)}\`. Expected one of: ${SUBCOMMANDS.join(', ')}. Try \`/incident help\`.` };
  }
  const error = (message: string): CommandParseError => ({ kind: 'parse-error', subcommand: word, message: `${message} Usage: ${COMMAND_USAGE[word]}` });

  if (NO_ARGUMENTS.includes(word)) {
    return args.length === 0 ? ({ kind: word } as IncidentCommand) : error(`\`${word}\` takes no arguments, got \`${clip(rest)}\`.`);
  }
  switch (word) {
    case 'sev': {
      const value = /^(?:sev)?([1-4])$/i.exec(args[0] ?? '');
      if (args.length !== 1 || value === null) return error(`Expected a severity from 1 to 4${args.length === 0 ? '' : `, got \`${clip(rest)}\``}.`);
      return { kind: 'sev', severity: `sev${value[1]}` as Severity };
    }
    case 'role': {
      const role = (args[0] ?? '').toLowerCase();
      if (!(INCIDENT_ROLES as readonly string[]).includes(role)) {
        return error(`Expected a role (commander, scribe or comms)${args.length === 0 ? '' : `, got \`${clip(args[0] ?? '')}\``}.`);
      }
      const who = args[1] ?? '';
      const mention = USER_MENTION.exec(who);
      const userId = mention?.[1] ?? (USER_ID.test(who) ? who : undefined);
      if (args.length !== 2 || userId === undefined) {
        return error(
          `Expected one user mention after the role, like @alice${args.length < 2 ? '' : `, got \`${clip(args.slice(1).join(' '))}\``}. ` +
            '(If mentions arrive as plain names, enable “Escape channels, users, and links sent to your app” on the /incident command.)',
        );
      }
      return { kind: 'role', role: role as IncidentRole, userId };
    }
    case 'note':
      return rest === '' ? error('Expected the text of the note.') : { kind: 'note', text: rest };
    case 'resolve':
      return rest === '' ? { kind: 'resolve' } : { kind: 'resolve', reason: rest };
    case 'rollback': {
      if ((args[0] ?? '').toLowerCase() === 'reject') {
        const reason = rest.slice(args[0]?.length ?? 0).trim();
        return reason === '' ? { kind: 'reject_rollback' } : { kind: 'reject_rollback', reason };
      }
      if (args.length > 1) return error(`Expected at most one model version, got \`${clip(rest)}\`.`);
      const version = args[0];
      if (version !== undefined && !/^[\w.:@/+-]{1,128}$/.test(version)) return error(`\`${clip(version)}\` does not look like a model version.`);
      return version === undefined ? { kind: 'rollback' } : { kind: 'rollback', version };
    }
    case 'contain': {
      const action = (args[0] ?? '').toLowerCase();
      if (args.length !== 1 || !(CONTAINMENT_ACTIONS as readonly string[]).includes(action)) {
        return error(`Expected one containment action (${CONTAINMENT_ACTIONS.join(', ')})${args.length === 0 ? '' : `, got \`${clip(rest)}\``}.`);
      }
      return { kind: 'contain', action: action as ContainmentAction };
    }
    case 'undo': {
      const action = (args[0] ?? '').toLowerCase();
      if (args.length !== 1 || !(UNDOABLE_ACTIONS as readonly string[]).includes(action)) {
        return error(`Expected one action to undo (${UNDOABLE_ACTIONS.join(', ')})${args.length === 0 ? '' : `, got \`${clip(rest)}\``}.`);
      }
      return { kind: 'undo', action: action as UndoableAction };
    }
    default:
      return error('Unsupported subcommand.');
  }
}

function isKind(word: string): word is IncidentCommandKind {
  return SUBCOMMANDS.includes(word);
}

/** Echoed input, kept short and free of backticks so that it cannot break the reply's formatting. */
function clip(value: string): string {
  const clean = value.replace(/`/g, "'");
  return clean.length > 60 ? `${clean.slice(0, 57)}…` : clean;
}
