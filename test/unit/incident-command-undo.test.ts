import { helpText } from '../../lambdas/core/commands/operations';
import { isCommandParseError, parseIncidentCommand, UNDOABLE_ACTIONS } from '../../lambdas/core/commands/parse';
import { RESTRICTED_OPERATIONS } from '../../lambdas/core/commands/responders';

describe('/incident undo', () => {
  it.each(UNDOABLE_ACTIONS)('parses undo %s, case-insensitively', (action) => {
    expect(parseIncidentCommand(`undo ${action}`)).toEqual({ kind: 'undo', action });
    expect(parseIncidentCommand(`  UNDO ${action.toUpperCase()} `)).toEqual({ kind: 'undo', action });
  });

  it('explains what undo expects when the action is missing, unknown or followed by more', () => {
    for (const [text, expected] of [
      ['undo', 'Expected one action to undo (kill_switch, degrade_to_safe_mode, route_to_human_review, rollback).'],
      ['undo safe_mode', 'got `safe_mode`'],
      ['undo kill_switch rollback', 'got `kill_switch rollback`'],
    ] as const) {
      const parsed = parseIncidentCommand(text);
      expect(isCommandParseError(parsed) && parsed.subcommand === 'undo' && parsed.message).toEqual(expect.stringContaining(expected));
      expect(isCommandParseError(parsed) && parsed.message).toEqual(expect.stringContaining('Usage: `/incident undo <kill_switch|degrade_to_safe_mode|route_to_human_review|rollback>`'));
    }
  });

  it('is listed in help, restricted, and rollback / contain no longer say they only record', () => {
    const help = helpText();
    expect(help).toContain('`/incident undo <kill_switch|degrade_to_safe_mode|route_to_human_review|rollback>` — undo an action taken in this incident');
    expect(help).toContain('`/incident rollback [version]` — approve a rollback');
    expect(help).toContain('may run `resolve`, `rollback`, `contain`, `sev` and `undo`, use the Resolve, Approve rollback, Reject rollback and Undo buttons');
    expect(help).not.toContain('not execute');
    expect(RESTRICTED_OPERATIONS).toContain('undo');
  });
});
