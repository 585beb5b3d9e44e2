import { ConfigurationError } from '../errors';
import type { Incident } from '../incident';

/** Who may run the restricted commands: Slack user ids and user-group ids from `FIREBREAK_RESPONDERS`. */
export interface Responders {
  /** User ids (`U…`, or `W…` on Enterprise Grid). */
  readonly users: readonly string[];
  /** User-group ids (`S…`): every member of the group is a responder. */
  readonly groups: readonly string[];
}

/** Members of a chat user group, by group id. */
export type GroupMembers = (groupId: string) => Promise<string[]>;

/**
 * What only responders and the incident commander may do: the `/incident`
 * subcommands `resolve`, `rollback`, `contain`, `undo`, `sev` (and assigning
 * the commander role, see `operations.ts`), and the Resolve / Approve
 * rollback / Reject rollback / Undo buttons (`rollback reject` and the Reject button are `reject_rollback`) (an Undo button is recorded as `undo`).
 */
export const RESTRICTED_OPERATIONS = ['resolve', 'rollback', 'contain', 'undo', 'sev', 'approve_rollback', 'reject_rollback'] as const;

const USER = /^[UW][A-Z0-9]{2,}$/;
const GROUP = /^S[A-Z0-9]{2,}$/;

/**
 * Parses `FIREBREAK_RESPONDERS`: comma-separated Slack user ids (`U…`/`W…`)
 * and user-group ids (`S…`). Blank entries are ignored; an unset or empty
 * variable means nobody but the incident commander may run restricted
 * commands. Anything else throws `ConfigurationError` naming the entry.
 *
 * @example
 * parseResponders('U012AB3CD, S0614TZR7') // => { users: ['U012AB3CD'], groups: ['S0614TZR7'] }
 */
export function parseResponders(value: string | undefined): Responders {
  const users: string[] = [];
  const groups: string[] = [];
  const entries = (value ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of entries) {
    if (USER.test(entry)) users.push(entry);
    else if (GROUP.test(entry)) groups.push(entry);
    else {
      throw new ConfigurationError(
        `FIREBREAK_RESPONDERS: ${JSON.stringify(entry)} is neither a Slack user id (U…/W…) nor a user-group id (S…); expected comma-separated ids such as "U012AB3CD,S0614TZR7"`,
      );
    }
  }
  return { users: [...new Set(users)], groups: [...new Set(groups)] };
}

/**
 * True when the user may run restricted commands on the incident: the
 * incident commander, a configured responder, or a member of a configured
 * user group. Groups are only looked up when the cheaper checks fail; a
 * failing lookup throws (it never silently denies or allows).
 *
 * @example
 * if (!(await isAllowed(userId, incident, responders, (id) => groups.members(id)))) refuse();
 */
export async function isAllowed(userId: string, incident: Incident | undefined, responders: Responders, groupMembers: GroupMembers): Promise<boolean> {
  if (incident?.roles?.commander !== undefined && incident.roles.commander === userId) return true;
  if (responders.users.includes(userId)) return true;
  for (const group of responders.groups) {
    if ((await groupMembers(group)).includes(userId)) return true;
  }
  return false;
}

/**
 * Who may run restricted commands on the incident, as Slack mrkdwn (mentions
 * render as names), for a refusal message.
 *
 * @example
 * describeAllowed(incident, { users: ['U1'], groups: ['S1'] })
 * // => 'the configured responders (<@U1>, members of <!subteam^S1>) and the incident commander (none assigned)'
 */
export function describeAllowed(incident: Incident | undefined, responders: Responders): string {
  const listed = [...responders.users.map((u) => `<@${u}>`), ...responders.groups.map((g) => `members of <!subteam^${g}>`)];
  const commander = incident?.roles?.commander;
  const who = listed.length === 0 ? 'the configured responders (none configured: set FIREBREAK_RESPONDERS)' : `the configured responders (${listed.join(', ')})`;
  return `${who} and the incident commander (${commander === undefined ? 'none assigned' : `<@${commander}>`})`;
}
