import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument, type Document } from 'yaml';
import { clearPolicyFileCache, loadPolicyFile } from '../../lambdas/adapters/file-policy-source';
import { PolicyError } from '../../lambdas/core/errors';
import { DurationSchema, formatDuration, parsePolicy } from '../../lambdas/core/policy';

const SHIPPED = join(__dirname, '../../runbooks/slos.yaml');
const shippedText = readFileSync(SHIPPED, 'utf8');
const FILE = 'runbooks/slos.yaml';

/** The shipped policy with one edit applied, as YAML text. */
function brokenCopy(edit: (doc: Document) => void): string {
  const doc = parseDocument(shippedText);
  edit(doc);
  return doc.toString();
}

function policyErrorOf(run: () => unknown): PolicyError {
  try {
    run();
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw error;
  }
  throw new Error('expected a PolicyError, nothing was thrown');
}

describe('the shipped runbooks/slos.yaml', () => {
  const policy = parsePolicy(shippedText, FILE);

  it('defines the five support-bot SLOs in order, plus a default policy', () => {
    expect(policy.version).toBe(1);
    expect(policy.slos.map((s) => s.id)).toEqual([
      'adversarial-refusal-rate',
      'prompt-injection-never-event',
      'ttft-p95',
      'ood-recall',
      'calibration-ece',
    ]);
    expect(policy.default).toEqual({ severity: 'sev2', flap_hold: 120, action_on_breach: [] });
    expect(new Set(policy.slos.map((s) => `${s.service}/${s.model}`))).toEqual(new Set(['support-bot/support-llm']));
  });

  it('states each objective, window and breach action as specified', () => {
    const byId = Object.fromEntries(policy.slos.map((s) => [s.id, s]));
    expect(byId['adversarial-refusal-rate']).toMatchObject({
      objective: { comparator: 'gte', target: 0.999 },
      window: 3600,
      action_on_breach: ['kill_switch', 'rollback'],
    });
    expect(byId['prompt-injection-never-event']).toMatchObject({ objective: { comparator: 'eq', target: 0 }, flap_hold: 0, action_on_breach: ['kill_switch'] });
    expect(byId['ttft-p95']).toMatchObject({ sli: { kind: 'latency_quantile', quantile: 0.95, unit: 'ms' }, objective: { comparator: 'lte', target: 500 }, window: 3600 });
    expect(byId['ood-recall']).toMatchObject({ objective: { comparator: 'gte', target: 0.9 }, window: 7 * 86_400, action_on_breach: ['degrade_to_safe_mode'] });
    expect(byId['calibration-ece']).toMatchObject({ objective: { comparator: 'lte', target: 0.05 }, window: 86_400, action_on_breach: ['route_to_human_review'] });
  });

  it('is returned frozen so that cached copies cannot be changed', () => {
    expect(Object.isFrozen(policy.slos[0].alerts)).toBe(true);
  });
});

describe('parsePolicy on a broken copy', () => {
  it('reports a wrong type with file, path, expectation and line', () => {
    const text = brokenCopy((d) => d.setIn(['slos', 2, 'objective', 'target'], 'fast'));
    const error = policyErrorOf(() => parsePolicy(text, FILE));
    expect(error.file).toBe(FILE);
    expect(error.issues).toEqual([{ path: 'slos[2].objective.target', message: expect.stringMatching(/^expected a number, got string \(line \d+:\d+\)$/) }]);
    expect(error.message).toContain('runbooks/slos.yaml: slos[2].objective.target: expected a number, got string');
  });

  it('reports an unknown key and suggests the key that was meant', () => {
    const text = brokenCopy((d) => {
      d.deleteIn(['slos', 0, 'flap_hold']);
      d.setIn(['slos', 0, 'flaphold'], '2m');
    });
    const error = policyErrorOf(() => parsePolicy(text, FILE));
    expect(error.issues).toContainEqual({ path: 'slos[0].flaphold', message: expect.stringContaining('unknown key "flaphold"; did you mean "flap_hold"?') });
  });

  it('reports a duplicate SLO id at the second occurrence', () => {
    const text = brokenCopy((d) => d.setIn(['slos', 3, 'id'], 'ttft-p95'));
    const error = policyErrorOf(() => parsePolicy(text, FILE));
    expect(error.issues).toEqual([{ path: 'slos[3].id', message: expect.stringContaining('duplicate id "ttft-p95" (also slos[2])') }]);
  });

  it('reports a bad duration with what a duration looks like', () => {
    const text = brokenCopy((d) => d.setIn(['slos', 1, 'window'], '1 hour'));
    const error = policyErrorOf(() => parsePolicy(text, FILE));
    expect(error.issues).toEqual([{ path: 'slos[1].window', message: expect.stringMatching(/^expected a duration: .*\(e\.g\. 30s, 2m, 1h, 7d\), got "1 hour"/) }]);
  });

  it('reports a YAML syntax error with its line and column', () => {
    const text = shippedText.replace('version: 1', 'version: 1\nslos: [unclosed');
    const error = policyErrorOf(() => parsePolicy(text, FILE));
    expect(error.file).toBe(FILE);
    expect(error.issues[0]).toEqual({ path: expect.stringMatching(/^\d+:\d+$/), message: expect.stringMatching(/^invalid YAML: /) });
  });

  it('reports a duplicated YAML key at its line and column', () => {
    const error = policyErrorOf(() => parsePolicy('version: 1\nversion: 1\n', FILE));
    expect(error.issues).toEqual([{ path: '2:1', message: 'invalid YAML: Map keys must be unique' }]);
  });

  it('reports an empty document', () => {
    const error = policyErrorOf(() => parsePolicy('# nothing yet\n', FILE));
    expect(error.issues).toEqual([{ path: '', message: expect.stringContaining('the document is empty') }]);
  });

  it('reports every problem at once', () => {
    const text = brokenCopy((d) => {
      d.setIn(['slos', 0, 'severity'], 'sev0');
      d.setIn(['slos', 4, 'window'], 7);
    });
    const error = policyErrorOf(() => parsePolicy(text, FILE));
    expect(error.issues.map((i) => i.path)).toEqual(['slos[0].severity', 'slos[4].window']);
  });

  it.each<[string, (d: Document) => void, string, RegExp]>([
    ['an SLO without alert matchers', (d) => d.setIn(['slos', 0, 'alerts'], []), 'slos[0].alerts', /at least one alert matcher/],
    ['a repeated action', (d) => d.setIn(['slos', 3, 'action_on_breach'], ['degrade_to_safe_mode', 'degrade_to_safe_mode']), 'slos[3].action_on_breach', /at most once/],
    ['rollback listed without rollback settings', (d) => d.deleteIn(['slos', 2, 'rollback']), 'slos[2].rollback', /requires_approval/],
    ['rollback settings without rollback listed', (d) => d.setIn(['slos', 3, 'rollback'], { requires_approval: true }), 'slos[3].rollback', /does not list rollback/],
    ['a ratio target above 1', (d) => d.setIn(['slos', 0, 'objective', 'target'], 99.9), 'slos[0].objective.target', /between 0 and 1.*0\.999/],
    ['a latency objective with gte', (d) => d.setIn(['slos', 2, 'objective', 'comparator'], 'gte'), 'slos[2].objective.comparator', /expected lte .*got gte/],
    ['a unit that does not fit the SLI kind', (d) => d.setIn(['slos', 2, 'sli', 'unit'], 'ratio'), 'slos[2].sli.unit', /expected ms or s for kind latency_quantile, got ratio/],
    ['a target that is always met', (d) => d.setIn(['slos', 3, 'objective', 'target'], 0), 'slos[3].objective.target', /always met/],
    ['a fractional count target', (d) => d.setIn(['slos', 1, 'objective', 'target'], 0.5), 'slos[1].objective.target', /whole count/],
    ['an id that is not kebab-case', (d) => d.setIn(['slos', 0, 'id'], 'TTFT_p95'), 'slos[0].id', /kebab-case/],
    ['the reserved id "default"', (d) => d.setIn(['slos', 0, 'id'], 'default'), 'slos[0].id', /reserved/],
    ['an invalid match_re regex', (d) => d.setIn(['slos', 0, 'alerts', 0, 'match_re', 'service'], 'support-('), 'slos[0].alerts[0].match_re.service', /valid regular expression/],
    ['an unknown alert source', (d) => d.setIn(['slos', 0, 'alerts', 0, 'source'], 'prometheus'), 'slos[0].alerts[0].source', /one of "alertmanager", "cloudwatch", got "prometheus"/],
    ['a CloudWatch matcher with both name and pattern', (d) => d.setIn(['slos', 1, 'alerts', 1, 'alarm_arn_pattern'], 'arn:aws:cloudwatch:*'), 'slos[1].alerts[1]', /exactly one/],
    ['a matcher repeated in a later SLO', (d) => d.setIn(['slos', 4, 'alerts', 0, 'match', 'alertname'], 'OODRecallLow'), 'slos[4].alerts[0]', /same matcher as slos\[3\]\.alerts\[0\]/],
    ['an unknown action', (d) => d.setIn(['default', 'action_on_breach'], ['page']), 'default.action_on_breach[0]', /one of "degrade_to_safe_mode"/],
    ['a version other than 1', (d) => d.set('version', 2), 'version', /expected 1, got 2/],
  ])('rejects %s', (_name, edit, path, message) => {
    const error = policyErrorOf(() => parsePolicy(brokenCopy(edit), FILE));
    expect(error.issues).toContainEqual({ path, message: expect.stringMatching(message) });
  });
});

describe('DurationSchema', () => {
  it.each([
    ['0s', 0],
    ['30s', 30],
    ['2m', 120],
    ['1h', 3600],
    ['7d', 604_800],
    ['1w', 604_800],
  ])('parses %s to %i seconds and formats it back', (text, seconds) => {
    expect(DurationSchema.parse(text)).toBe(seconds);
    expect(DurationSchema.parse(formatDuration(seconds))).toBe(seconds);
  });

  it.each(['1 hour', '1.5h', '-1m', '2', '1h30m', ''])('rejects %p', (text) => {
    expect(DurationSchema.safeParse(text).success).toBe(false);
  });
});

describe('loadPolicyFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-policy-'));
  beforeEach(() => clearPolicyFileCache());

  it('reports a missing file by name', () => {
    const missing = join(dir, 'absent.yaml');
    const error = policyErrorOf(() => loadPolicyFile(missing));
    expect(error.file).toBe(missing);
    expect(error.issues).toEqual([{ path: '', message: expect.stringContaining('policy file not found') }]);
  });

  it('returns the cached policy while the file is unchanged', () => {
    const file = join(dir, 'cached.yaml');
    writeFileSync(file, shippedText);
    expect(loadPolicyFile(file)).toBe(loadPolicyFile(file));
  });

  it('re-reads the file after it changes', () => {
    const file = join(dir, 'changing.yaml');
    writeFileSync(file, shippedText);
    utimesSync(file, 1_000, 1_000);
    expect(loadPolicyFile(file).default.severity).toBe('sev2');
    writeFileSync(file, shippedText.replace('severity: sev2\n  flap_hold: 2m', 'severity: sev3\n  flap_hold: 2m'));
    utimesSync(file, 2_000, 2_000);
    expect(loadPolicyFile(file).default.severity).toBe('sev3');
  });

  it('reports a broken file with its path in the issue', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, brokenCopy((d) => d.setIn(['slos', 2, 'objective', 'target'], 'fast')));
    const error = policyErrorOf(() => loadPolicyFile(file));
    expect(error.message).toContain(`${file}: slos[2].objective.target: expected a number, got string`);
  });
});
