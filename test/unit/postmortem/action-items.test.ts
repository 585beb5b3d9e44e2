import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActionItemsFormatError, parseActionItems } from '../../../lambdas/core/postmortem/action-items';

const fixture = (name: string): string => readFileSync(join(__dirname, '../../fixtures/postmortems', name), 'utf8');

describe('action items of a postmortem', () => {
  it('reads the Action items table: type, description, owner, ticket and status', () => {
    expect(parseActionItems(fixture('clean.md'))).toEqual([
      { type: 'prevent', description: 'Fail the release gate when the corpus has fewer than 100 cases', owner: '@U0ONCALL01', ticket: 'SAFE-12', status: 'open' },
      { type: 'mitigate', description: 'Send adversarial probes in the canary stage', owner: '@U0DRILLRESP', ticket: 'SAFE-13', status: 'open' },
      { type: 'process', description: 'Review the release checklist with the ML team', status: 'done' },
    ]);
  });

  it('finds the columns by name in any order and reads common spellings of types and statuses', () => {
    const markdown = [
      '### Action Items',
      '',
      '| Status | Owner | Action | Kind | Ticket |',
      '| :--- | --- | --- | ---: | --- |',
      '| Done | Erin | Add a canary stage | **Mitigation** | [OPS-1](https://tickets.example.com/OPS-1) |',
      '| ✅ | TBD | Count corpus cases in the gate | `prevent` | n/a |',
      '|  | — | Review paging policy | Process | - |',
      '| in progress | ✍️ TODO(owner): who? | Alert on an empty corpus \\| export | Prevention | SAFE-2 |',
    ].join('\n');
    expect(parseActionItems(markdown)).toEqual([
      { type: 'mitigate', description: 'Add a canary stage', owner: 'Erin', ticket: '[OPS-1](https://tickets.example.com/OPS-1)', status: 'done' },
      { type: 'prevent', description: 'Count corpus cases in the gate', status: 'done' },
      { type: 'process', description: 'Review paging policy', status: 'open' },
      { type: 'prevent', description: 'Alert on an empty corpus | export', ticket: 'SAFE-2', status: 'open' },
    ]);
  });

  it('has none when there is no Action items section, or no table in it', () => {
    expect(parseActionItems('# Postmortem\n\n## Summary\n\nAll good.\n')).toEqual([]);
    expect(parseActionItems('## Action items\n\nNone yet.\n\n## Timeline\n\n| Type | Description |\n|---|---|\n| prevent | not an action item |\n')).toEqual([]);
  });

  it('ignores an empty table and tables in code blocks', () => {
    expect(parseActionItems('## Action items\n\n| Type | Description | Status |\n|---|---|---|\n')).toEqual([]);
    const fenced = '## Action items\n\n```\n| Type | Description |\n|---|---|\n| prevent | quoted |\n```\n';
    expect(parseActionItems(fenced)).toEqual([]);
  });

  it('reads on past subheadings of the section but stops at the next section', () => {
    const markdown = '## Action items\n\n### Open\n\n| Type | Description |\n|---|---|\n| process | Write the runbook |\n\n## AI-specific\n';
    expect(parseActionItems(markdown)).toEqual([{ type: 'process', description: 'Write the runbook', status: 'open' }]);
  });

  it('reports every malformed row with its line', () => {
    const markdown = ['## Action items', '', '| Type | Description | Status |', '|---|---|---|', '| fix | Add a check | open |', '| prevent |  | open |', '| prevent | Alert | maybe |'].join('\n');
    let error: unknown;
    try {
      parseActionItems(markdown);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ActionItemsFormatError);
    expect((error as ActionItemsFormatError).name).toBe('ActionItemsFormatError');
    expect((error as ActionItemsFormatError).issues).toEqual([
      { line: 5, message: 'type "fix": expected mitigate, prevent or process' },
      { line: 6, message: 'expected a description' },
      { line: 7, message: 'status "maybe": expected open or done' },
    ]);
  });

  it('requires Type and Description columns', () => {
    expect(() => parseActionItems('## Action items\n\n| What | Who |\n|---|---|\n| x | y |\n')).toThrow('line 3: expected Type and Description columns, got "what", "who"');
  });
});
