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
  [42, 'failed to', 'failed-to'],
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
  ])('flags %p', (sentence, phrase) => {
    expect(lintPostmortem(sentence).map((f) => f.phrase)).toContain(phrase);
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
