/**
 * Blameless-language check for postmortems: finds phrasing that blames
 * people ("human error", "should have", "failed to", "careless", a person
 * named as the cause or the root cause, a person or a role such as "the
 * operator" or "the on-call" as the one who ignored, missed or forgot) and
 * suggests a rewording that describes systems and conditions instead.
 * Fenced code blocks, inline code, HTML comments and the drafter's
 * `✍️ TODO` prompts are not checked (they quote, hide or ask; they do not
 * state).
 *
 * Passive voice is judged by its agent: "the alert was ignored by the
 * on-call" (or "by Dana") still points at a person and is flagged; "the
 * alert was ignored by the router because of a bad label" describes a
 * system and is not; nor is the agentless "the alert was ignored", which
 * states what happened without naming anyone.
 */

/** One finding: where (1-based line and column), what, which rule, and a better way to say it. */
export interface LintFinding {
  readonly line: number;
  readonly column: number;
  readonly phrase: string;
  readonly rule: LintRuleId;
  readonly suggestion: string;
}

/** The rules, by id. */
export type LintRuleId = 'human-error' | 'counterfactual' | 'failed-to' | 'judgement' | 'fault' | 'forgot' | 'person-as-cause';

interface Rule {
  readonly id: LintRuleId;
  readonly pattern: RegExp;
  readonly suggestion: string;
  /** Rejects a match that is not blaming after all (e.g. a system named like a person). */
  readonly accept?: (match: RegExpExecArray) => boolean;
}

/** Marks a prompt left by the drafter for people: never linted. */
export const PROMPT_MARKER = '✍️ TODO';

/**
 * Capitalised words that start sentences or name systems, not people: a
 * match on one of them is not "a person named as the cause".
 */
const NOT_PEOPLE = new Set(
  [
    'a', 'an', 'the', 'this', 'that', 'these', 'those', 'it', 'its', 'which', 'what', 'who', 'nothing', 'something', 'everything', 'one', 'each', 'every', 'our', 'their', 'his', 'her', 'no',
    'alert', 'alarm', 'page', 'deploy', 'deployment', 'release', 'rollback', 'rollout', 'change', 'config', 'configuration', 'update', 'upgrade', 'migration', 'model', 'traffic', 'load',
    'spike', 'bug', 'regression', 'script', 'job', 'cron', 'pipeline', 'build', 'test', 'tests', 'outage', 'incident', 'query', 'cache', 'guardrail', 'prompt', 'prompts', 'filter', 'classifier',
    'canary', 'probe', 'service', 'server', 'network', 'database', 'latency', 'timeout', 'retry', 'flag', 'feature', 'patch', 'commit', 'merge', 'version', 'attack', 'jailbreak', 'input',
    'output', 'request', 'requests', 'response', 'responses', 'dependency', 'provider', 'vendor', 'region', 'disk', 'memory', 'cpu', 'queue', 'worker', 'schema', 'policy', 'runbook',
    'slack', 'firebreak', 'lambda', 'prometheus', 'alertmanager', 'kubernetes', 'grafana', 'terraform', 'docker', 'github', 'gitlab', 'jenkins', 'linux', 'python', 'node', 'java',
    'envoy', 'istio', 'nginx', 'redis', 'postgres', 'kafka', 'openai', 'sagemaker', 'bedrock', 'cloudwatch', 'dynamodb', 'router', 'gateway', 'proxy', 'scheduler', 'loadbalancer',
    'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october',
    'november', 'december', 'yesterday', 'today', 'tonight', 'then', 'later', 'finally', 'also', 'however', 'because', 'when', 'after', 'before', 'there', 'here', 'we', 'they', 'he', 'she',
  ].map((w) => w.toLowerCase()),
);

/** A person's name (one or two capitalised words), an `@handle` or a Slack mention `<@U42>`. */
const PERSON = String.raw`(?:@[\w.-]*\w|<@[A-Z0-9]+(?:\|[^>]*)?>|[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?(?: [A-Z][a-z]+)?)`;
/** Verbs that make the subject the cause of a failure. */
const CAUSE_VERBS = String.raw`(?:caused|causes|broke|breaks|introduced|forgot|missed|ignored|overlooked|neglected|messed up|screwed up|botched|mistakenly|accidentally|carelessly|wrongly)`;
const MISTAKES = String.raw`(?:mistake|mistakes|error|errors|fault|typo|oversight|slip|blunder|negligence|carelessness)`;
/**
 * A person named by role: "the operator", "our on-call engineer", "an SRE".
 * The role must follow the determiner directly, so "the Kubernetes
 * operator" or "the reviewer bot" (systems) do not match.
 */
const ROLE = String.raw`(?:[Tt]he|[Oo]ur|[Aa]n?|[Tt]hat|[Tt]his) (?:on-?call(?: engineer| responder| person)?|operator|engineer|reviewer|approver|responder|developer|SRE|admin(?:istrator)?|incident commander)`;
const IS_ROLE = new RegExp(String.raw`^${ROLE}$`);
/** Verbs of overlooking: the subject is the one who did not act. */
const OVERLOOK_VERBS = String.raw`(?:neglected|ignored|overlooked|messed up|screwed up|forgot|missed|botched)`;
/** Nouns that turn a role into a system: "the operator pod", "the reviewer bot". */
const SYSTEM_NOUNS = String.raw`(?:bot|bots|pod|pods|service|process|job|account|script|controller|tool|queue|role|group|rotation|channel)`;
/** Where a match ends: a word boundary that is not inside a name ("PagerDuty" is not "Pager"). */
const NAME_END = String.raw`(?=[\s,.;:!?)'’]|$)`;

/** True unless the captured "name" (group 1) is a common or system word. */
const namesAPerson = (m: RegExpExecArray): boolean => {
  const name = m[1];
  if (name.startsWith('@') || name.startsWith('<@')) return true;
  return !name.split(/[ -]/).some((word) => NOT_PEOPLE.has(word.replace(/'.*$/, '').toLowerCase()));
};

const DESCRIBE = 'describe the condition or system that allowed it, not the person';

const RULES: readonly Rule[] = [
  {
    id: 'human-error',
    pattern: /\b(?:human|operator|user|pilot|engineer|developer|staff) errors?\b/gi,
    suggestion: `name the gap instead, e.g. "the runbook did not cover this step" or "the tool allowed the change without a check" (${DESCRIBE})`,
  },
  {
    id: 'counterfactual',
    pattern: /\b(?:should(?:n['’]t| not)? have|should['’]ve|ought to have|could easily have)\b/gi,
    suggestion: 'say what happened and what would make it easier next time, e.g. "the alert did not show X; showing X would let responders …"',
  },
  {
    id: 'failed-to',
    pattern: /\bfail(?:ed|s)? to\b/gi,
    suggestion: 'say what happened without judging it: "did not", "was not", or what the system lacked (e.g. "the check did not run because …")',
  },
  {
    id: 'judgement',
    pattern: /\b(?:careless(?:ly|ness)?|negligen(?:t|tly|ce)|sloppy|sloppiness|reckless(?:ly|ness)?|lazy|laziness|incompeten(?:t|ce)|stupid(?:ity)?|foolish(?:ly)?|dumb|irresponsibl[ey]|inattentive|inattention|clueless)\b/gi,
    suggestion: `drop the judgement and state the facts: what was known at the time and why the action made sense then (${DESCRIBE})`,
  },
  {
    id: 'fault',
    pattern: /\b(?:at fault|(?:his|her|their|my|your|our) fault|fault of|to blame|blamed?|blames|blaming|dropped the ball|messed up|screwed up)\b/gi,
    suggestion: `postmortems are blameless: ${DESCRIBE}, e.g. "the process had no second check for …"`,
    // "Nobody is to blame" / "not at fault" say the opposite.
    accept: (m) => !/(?:\b(?:nobody|no one|no|not|never|none)\b|n['’]t)[\w ]{0,12}$/i.test(m.input.slice(0, m.index)),
  },
  {
    id: 'forgot',
    pattern: /\b(?:forgot|forgotten|neglected|didn['’]t bother|did not bother) to\b/gi,
    suggestion: 'describe what made the step easy to miss, e.g. "the checklist did not include …" or "nothing reminded responders to …"',
  },
  {
    id: 'person-as-cause',
    pattern: new RegExp(String.raw`(?<![\w@])(${PERSON})(?:['’]s(?: \w+){1,2})? ${CAUSE_VERBS}\b`, 'g'),
    suggestion: `name the change or system as the cause, not the person, e.g. "the config change to X caused …" (${DESCRIBE})`,
    accept: namesAPerson,
  },
  {
    id: 'person-as-cause',
    // "Erin's error budget dashboard" is not a mistake.
    pattern: new RegExp(String.raw`(?<![\w@])(${PERSON})['’]s (?:\w+ )?${MISTAKES}\b(?! (?:rates?|budgets?|messages?|logs?|codes?|counts?|handling|dashboards?))`, 'g'),
    suggestion: `describe the change and the conditions around it, e.g. "the change to X was deployed without …" (${DESCRIBE})`,
    accept: namesAPerson,
  },
  {
    id: 'person-as-cause',
    pattern: new RegExp(String.raw`\b(?:[Bb]ecause(?: of)?|[Dd]ue to|caused by|broken by|introduced by|(?:[Mm]istake|[Ee]rror|[Ff]ault|[Oo]versight) (?:by|of)) (${PERSON})${NAME_END}`, 'g'),
    suggestion: `make the condition the cause, e.g. "because the deploy had no canary stage" (${DESCRIBE})`,
    accept: namesAPerson,
  },
  {
    id: 'person-as-cause',
    // "The root cause was John." A root cause is a condition; "the root cause was a bad label" does not match (not a name).
    pattern: new RegExp(String.raw`\b[Rr]oot cause (?:was|is|were|has been|lies with|lay with) (${PERSON})${NAME_END}`, 'g'),
    suggestion: `a root cause is a condition, not a person: name what allowed it, e.g. "the root cause was a release process with no guardrail check" (${DESCRIBE})`,
    accept: namesAPerson,
  },
  {
    id: 'person-as-cause',
    // "The operator neglected the alert." "Neglected to" / "forgot to" are left to the forgot rule (one finding each).
    pattern: new RegExp(String.raw`\b${ROLE} (?:\w+ly )?(?:${OVERLOOK_VERBS})\b(?! to\b)`, 'g'),
    suggestion: `say what the responder saw and what made it easy to miss, e.g. "the alert fired among forty others and nothing marked it as urgent" (${DESCRIBE})`,
  },
  {
    id: 'person-as-cause',
    // Passive voice with a person as the agent: "was ignored by the on-call", "was missed by Dana". "Ignored by the router" names a system.
    pattern: new RegExp(String.raw`\b(?:neglected|ignored|overlooked|missed|forgotten|botched|messed up) by (${ROLE}|${PERSON})${NAME_END}(?! ${SYSTEM_NOUNS}\b)`, 'g'),
    suggestion: `describe what the system showed and why it was easy to miss, e.g. "the alert was not acknowledged: it was routed to a muted channel" (${DESCRIBE})`,
    accept: (m) => IS_ROLE.test(m[1]) || namesAPerson(m),
  },
];

/** Lines that are not checked: fenced code blocks and blockquotes that start with a prompt. */
function skippedLines(lines: readonly string[]): Set<number> {
  const skipped = new Set<number>();
  let fence: string | undefined;
  let inPrompt = false;
  lines.forEach((line, i) => {
    const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence !== undefined) {
      skipped.add(i);
      if (opener !== null && opener[1][0] === fence[0] && opener[1].length >= fence.length && line.trim() === opener[1]) fence = undefined;
      return;
    }
    if (opener !== null) {
      fence = opener[1];
      skipped.add(i);
      return;
    }
    const quoted = /^\s{0,3}>/.test(line);
    if (line.includes(PROMPT_MARKER)) {
      skipped.add(i);
      inPrompt = quoted;
      return;
    }
    if (inPrompt && quoted) skipped.add(i);
    else inPrompt = false;
  });
  return skipped;
}

/** The line with inline code spans blanked out (same length, so columns stay right). */
function checkable(line: string): string {
  return line.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, (span) => ' '.repeat(span.length));
}

/** The document with HTML comments (not shown to readers) blanked out, keeping lines and columns. */
const withoutComments = (markdown: string): string => markdown.replace(/<!--[\s\S]*?-->/g, (comment) => comment.replace(/[^\n]/g, ' '));

/**
 * The accepted matches of a rule in a line. After a rejected match the search
 * goes on from the next character, so "Then Alice caused" still finds
 * "Alice caused" once "Then Alice" is rejected as a name.
 */
function matches(rule: Rule, line: string): RegExpExecArray[] {
  const pattern = new RegExp(rule.pattern.source, rule.pattern.flags);
  const found: RegExpExecArray[] = [];
  for (let m = pattern.exec(line); m !== null; m = pattern.exec(line)) {
    if (rule.accept === undefined || rule.accept(m)) found.push(m);
    else pattern.lastIndex = m.index + 1;
    if (m[0] === '') pattern.lastIndex += 1;
  }
  return found;
}

/**
 * Checks a postmortem (Markdown) for blaming language. Returns the findings
 * in document order; an empty array means the document reads blameless.
 *
 * @example
 * lintPostmortem('The outage was human error.')
 * // => [{ line: 1, column: 16, phrase: 'human error', rule: 'human-error', suggestion: 'name the gap instead, …' }]
 */
export function lintPostmortem(markdown: string): LintFinding[] {
  const lines = withoutComments(markdown).split(/\r?\n/);
  const skipped = skippedLines(lines);
  const findings: LintFinding[] = [];
  lines.forEach((raw, i) => {
    if (skipped.has(i)) return;
    const line = checkable(raw);
    for (const rule of RULES) {
      for (const match of matches(rule, line)) {
        findings.push({ line: i + 1, column: match.index + 1, phrase: match[0], rule: rule.id, suggestion: rule.suggestion });
      }
    }
  });
  const seen = new Set<string>();
  return findings
    .sort((a, b) => a.line - b.line || a.column - b.column)
    .filter((f) => {
      const key = `${f.line}:${f.column}:${f.rule}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}
