import { isCommandParseError, parseIncidentCommand, type CommandParseError } from '../../lambdas/core/commands/parse';

function parseError(text: string): CommandParseError {
  const parsed = parseIncidentCommand(text);
  if (!isCommandParseError(parsed)) throw new Error(`expected a parse error for ${JSON.stringify(text)}, got ${JSON.stringify(parsed)}`);
  return parsed;
}

describe('parseIncidentCommand', () => {
  it('treats empty and blank text as help', () => {
    expect(parseIncidentCommand('')).toEqual({ kind: 'help' });
    expect(parseIncidentCommand('   \n ')).toEqual({ kind: 'help' });
  });

  it.each(['help', 'status', 'ack', 'timeline', 'list', 'mitigated'] as const)('parses %s, which takes no arguments', (word) => {
    expect(parseIncidentCommand(word)).toEqual({ kind: word });
    expect(parseIncidentCommand(`  ${word.toUpperCase()}  `)).toEqual({ kind: word });
    expect(parseError(`${word} now`)).toMatchObject({ subcommand: word, message: expect.stringContaining(`\`${word}\` takes no arguments, got \`now\``) });
  });

  it('parses sev 1 to 4, with or without the sev prefix', () => {
    expect(parseIncidentCommand('sev 1')).toEqual({ kind: 'sev', severity: 'sev1' });
    expect(parseIncidentCommand('SEV 4')).toEqual({ kind: 'sev', severity: 'sev4' });
    expect(parseIncidentCommand('sev sev2')).toEqual({ kind: 'sev', severity: 'sev2' });
  });

  it('explains what sev expects when the level is missing, out of range or followed by more', () => {
    expect(parseError('sev').message).toContain('Expected a severity from 1 to 4.');
    expect(parseError('sev 5').message).toContain('Expected a severity from 1 to 4, got `5`');
    expect(parseError('sev high').message).toContain('got `high`');
    expect(parseError('sev 2 now').message).toContain('got `2 now`');
    expect(parseError('sev 0').message).toContain('Usage: `/incident sev <1-4>`');
  });

  it('parses role with a Slack-escaped mention, with or without the display name, or a bare user id', () => {
    expect(parseIncidentCommand('role commander <@U012AB3CD>')).toEqual({ kind: 'role', role: 'commander', userId: 'U012AB3CD' });
    expect(parseIncidentCommand('role Scribe <@W0ENTERPRISE|ann.lee>')).toEqual({ kind: 'role', role: 'scribe', userId: 'W0ENTERPRISE' });
    expect(parseIncidentCommand('role comms U0COMMS1')).toEqual({ kind: 'role', role: 'comms', userId: 'U0COMMS1' });
  });

  it('explains what role expects for an unknown role, a missing user or an unescaped name', () => {
    expect(parseError('role').message).toContain('Expected a role (commander, scribe or comms).');
    expect(parseError('role pilot <@U1AB>').message).toContain('got `pilot`');
    expect(parseError('role commander').message).toContain('Expected one user mention after the role');
    expect(parseError('role commander @ann').message).toContain('got `@ann`');
    expect(parseError('role commander @ann').message).toContain('Escape channels, users, and links');
    expect(parseError('role commander <@U1AB> <@U2CD>').message).toContain('got `<@U1AB> <@U2CD>`');
    expect(parseError('role commander <#C0123|general>').message).toContain('Expected one user mention');
  });

  it('keeps the text of a note as typed, over several lines', () => {
    expect(parseIncidentCommand('note Rolled back  by hand\nsee runbook')).toEqual({ kind: 'note', text: 'Rolled back  by hand\nsee runbook' });
    expect(parseIncidentCommand('NOTE Keep Case')).toEqual({ kind: 'note', text: 'Keep Case' });
    expect(parseError('note').message).toContain('Expected the text of the note.');
  });

  it('parses resolve with and without a reason', () => {
    expect(parseIncidentCommand('resolve')).toEqual({ kind: 'resolve' });
    expect(parseIncidentCommand('resolve Fixed by rollback to v41')).toEqual({ kind: 'resolve', reason: 'Fixed by rollback to v41' });
  });

  it('parses rollback with an optional version and rejects more than one or an odd one', () => {
    expect(parseIncidentCommand('rollback')).toEqual({ kind: 'rollback' });
    expect(parseIncidentCommand('rollback support-llm@2026-11-01.3')).toEqual({ kind: 'rollback', version: 'support-llm@2026-11-01.3' });
    expect(parseError('rollback v1 v2').message).toContain('Expected at most one model version, got `v1 v2`');
    expect(parseError('rollback <script>').message).toContain('does not look like a model version');
  });

  it('parses contain with one of the containment actions', () => {
    expect(parseIncidentCommand('contain kill_switch')).toEqual({ kind: 'contain', action: 'kill_switch' });
    expect(parseIncidentCommand('contain DEGRADE_TO_SAFE_MODE')).toEqual({ kind: 'contain', action: 'degrade_to_safe_mode' });
    expect(parseIncidentCommand('contain route_to_human_review')).toEqual({ kind: 'contain', action: 'route_to_human_review' });
    expect(parseError('contain').message).toContain('Expected one containment action (kill_switch, degrade_to_safe_mode, route_to_human_review).');
    expect(parseError('contain rollback').message).toContain('got `rollback`');
  });

  it('names the unknown subcommand and lists the known ones', () => {
    const error = parseError('escalate now');
    expect(error.subcommand).toBeUndefined();
    expect(error.message).toContain('Unknown subcommand `escalate`');
    expect(error.message).toContain('help, status, ack, sev, role, note, timeline, list, mitigated, resolve, rollback, contain');
  });

  it('keeps echoed input short and free of backticks', () => {
    const error = parseError(`sev ${'`x'.repeat(50)}`);
    expect(error.message).not.toContain('`x');
    expect(error.message).toContain('…');
  });
});

describe('parseIncidentCommand: rejecting a rollback', () => {
  it('reads `rollback reject [reason]` as a rejection with its reason', () => {
    expect(parseIncidentCommand('rollback reject')).toEqual({ kind: 'reject_rollback' });
    expect(parseIncidentCommand('rollback REJECT v2 carries the fix')).toEqual({ kind: 'reject_rollback', reason: 'v2 carries the fix' });
  });

  it('does not take reject_rollback as a subcommand of its own', () => {
    expect(parseIncidentCommand('reject_rollback')).toMatchObject({ kind: 'parse-error' });
  });
});
