import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintPostmortem } from '../../../lambdas/core/postmortem/lint';

const fixture = (name: string): string => readFileSync(join(__dirname, '../../fixtures/postmortems', name), 'utf8');

/** Every blaming phrase planted in planted-blame.md: [line, phrase, rule]. */
const PLANTED: [number, string, string][] = [
  [10, 'human error', 'human-error'],
  [11, 'Alice caused', 'person-as-cause'],
  [15, 'should have', 'counterfactual'],
  [16, 'failed to', 'failed-to'],
  [17, 'careless', 'judgement'],
  [18, '@carol broke', 'person-as-cause'],
  [19, "Dave's mistake", 'person-as-cause'],
  [19, 'forgot to', 'forgot'],
  [20, 'because Bob', 'person-as-cause'],
  [21, 'Operator error', 'human-error'],
  [21, 'to blame', 'fault'],
  [22, 'negligent', 'judgement'],
  [23, 'root cause was John', 'person-as-cause'],
  [24, 'The operator neglected', 'person-as-cause'],
  [25, 'due to Frank', 'person-as-cause'],
  [26, 'The reviewer overlooked', 'person-as-cause'],
  [27, 'ignored by the on-call', 'person-as-cause'],
  [50, 'failed to', 'failed-to'],
];

describe('blameless language check', () => {
  it('catches every blaming phrase planted in a document, and nothing else', () => {
    const findings = lintPostmortem(fixture('planted-blame.md'));
    expect(findings.map((f) => [f.line, f.phrase, f.rule])).toEqual(PLANTED);
  });

  it('points each finding at its phrase and suggests a rewording', () => {
    const text = fixture('planted-blame.md');
    const lines = text.split('\n');
    for (const f of lintPostmortem(text)) {
      expect(lines[f.line - 1].slice(f.column - 1, f.column - 1 + f.phrase.length)).toBe(f.phrase);
      expect(f.suggestion.length).toBeGreaterThan(20);
    }
  });

  it('passes a clean, blameless postmortem', () => {
    expect(lintPostmortem(fixture('clean.md'))).toEqual([]);
  });

  it.each([
    'The deploy caused the breach.',
    'The alert caused a page.',
    'The Deploy caused the breach.',
    'PagerDuty caused a duplicate page.',
    "Slack's API broke for ten minutes.",
    'Slack was slow because of an outage.',
    'The rollback happened because Firebreak verified recovery.',
    'Traffic rose on Monday because Monday mornings are busy.',
    'Nobody is to blame: the pipeline allowed it.',
    "We don't assign blame here.",
    "Erin's error budget dashboard showed the burn.",
    'A canary stage would have caught it.',
    "Thanks to Erin's runbook, we knew where to look.",
    'Erin rolled back the model at 10:05.',
    'This is a blameless postmortem.',
    'The root cause was a bad label on the alert rule.',
    'The root cause was PagerDuty rejecting the routing key.',
    'The root cause is Kubernetes evicting the pod.',
    'The canary missed the regression.',
    'The reviewer bot ignored the label.',
    'The on-call rotation missed a handoff.',
    'The Kubernetes operator ignored the CRD.',
    'The alert was ignored by the operator pod.',
    'The alert was ignored by Alertmanager because of a bad label.',
    'The alert was ignored.',
  ])('does not flag %p', (sentence) => {
    expect(lintPostmortem(sentence)).toEqual([]);
  });

  it.each([
    ['Then Alice caused the outage.', 'Alice caused'],
    ['Alice Smith broke the build.', 'Alice Smith broke'],
    ["Bob's config change broke the guardrail.", "Bob's config change broke"],
    ['The outage was caused by Carol.', 'caused by Carol'],
    ['It was a mistake by <@U42>.', 'mistake by <@U42>'],
    ['@dave.k accidentally deleted the flag.', '@dave.k accidentally'],
    ["The reviewer shouldn't have approved it.", "shouldn't have"],
    ["He should've checked the dashboard.", "should've"],
    ['Erin was at fault.', 'at fault'],
    ['The team was sloppy about reviews.', 'sloppy'],
    ['The operator neglected to check the canary.', 'neglected to'],
    ['The root cause was John.', 'root cause was John'],
    ['The root cause is @erin.', 'root cause is @erin'],
    ['Root cause was Alice Smith, who pushed the change.', 'Root cause was Alice Smith'],
    ['The outage was due to John.', 'due to John'],
    ['The operator neglected the alert.', 'The operator neglected'],
    ['The on-call ignored the second page.', 'The on-call ignored'],
    ['Our on-call engineer missed the page.', 'Our on-call engineer missed'],
    ['The engineer simply overlooked the warning.', 'The engineer simply overlooked'],
    ['The reviewer forgot the canary stage.', 'The reviewer forgot'],
    ['The reviewer messed up the rollout.', 'The reviewer messed up'],
    ['Dana missed the page.', 'Dana missed'],
    ['The page was missed by the on-call engineer.', 'missed by the on-call engineer'],
    ['The warning was overlooked by Dana during the deploy.', 'overlooked by Dana'],
  ])('flags %p', (sentence, phrase) => {
    expect(lintPostmortem(sentence).map((f) => f.phrase)).toContain(phrase);
  });

  it('suggests a rewording for a person named as the root cause and for a role that ignored or missed something', () => {
    const [rootCause] = lintPostmortem('The root cause was John.');
    expect(rootCause).toMatchObject({ line: 1, column: 5, rule: 'person-as-cause', suggestion: expect.stringContaining('a root cause is a condition, not a person') });
    const [role] = lintPostmortem('The operator neglected the alert.');
    expect(role).toMatchObject({ line: 1, column: 1, rule: 'person-as-cause', suggestion: expect.stringContaining('what made it easy to miss') });
  });

  it('judges the passive voice by its agent: a system is not blamed, a person or a role is', () => {
    expect(lintPostmortem('The alert was ignored by the router because of a bad label.')).toEqual([]);
    expect(lintPostmortem('The alert was ignored by the on-call because of a bad label.').map((f) => f.phrase)).toEqual(['ignored by the on-call']);
  });

  it('flags "forgot to" / "neglected to" after a role once, as the forgot rule', () => {
    expect(lintPostmortem('The operator forgot to check the canary.').map((f) => [f.phrase, f.rule])).toEqual([['forgot to', 'forgot']]);
  });

  it('skips fenced code blocks (``` and ~~~), inline code and drafter prompts, but checks other quotes', () => {
    const text = [
      '```',
      'human error',
      '```',
      '~~~text',
      'should have',
      '~~~',
      'Quoted: `Alice caused it` in the chat.',
      '> ✍️ TODO(owner): What should have happened?',
      '> 1. Who failed to notice?',
      '',
      '> A plain quote: human error.',
      '| owner | ✍️ TODO(owner): who should have owned it? |',
    ].join('\n');
    expect(lintPostmortem(text).map((f) => [f.line, f.phrase])).toEqual([[11, 'human error']]);
  });

  it('skips HTML comments, even over several lines, and keeps the line numbers after them', () => {
    expect(lintPostmortem('<!--\nhuman error\n-->\nIt was <!-- careless --> fine.\nShould have known.').map((f) => [f.line, f.column, f.phrase])).toEqual([[5, 1, 'Should have']]);
  });

  it('passes the shipped postmortem template', () => {
    expect(lintPostmortem(readFileSync(join(__dirname, '../../../runbooks/postmortem-template.md'), 'utf8'))).toEqual([]);
  });

  it('reads Windows line endings and reports 1-based lines and columns', () => {
    expect(lintPostmortem('Fine.\r\nIt was human error.\r\n').map((f) => [f.line, f.column])).toEqual([[2, 8]]);
  });
});
