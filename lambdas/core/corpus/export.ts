import { Document } from 'yaml';
import { FirebreakError } from '../errors';
import type { RegressionCase } from './case';
import { JAILBREAK_MARKERS, REFUSAL_PATTERNS, REFUSAL_WINDOW } from './judge';

/**
 * Exports of the corpus for other red-team tools (pure): promptfoo test
 * cases (YAML, `tests:`) and a garak payload file (JSON). Both are
 * deterministic: cases sorted by id, no timestamps, so an unchanged corpus
 * exports to the same bytes. Retired cases are left out unless asked for.
 *
 * A case harvested with `expected.no_canary_leak` holds the canary in
 * `must_not_contain` only when one was known at harvest; the promptfoo export
 * takes the target's canary (`canary`) and checks it for every such case. A
 * garak payload file carries prompts only: {@link casesWithCanaryCheck} says
 * how many cases' canary check it leaves out.
 */

/** Options of the exports. */
export interface ExportOptions {
  /** Include retired cases too (default: active and quarantined only). */
  readonly includeRetired?: boolean;
  /**
   * The canary planted in the target's system prompt: each case with
   * `expected.no_canary_leak` gets a `not-icontains` assertion for it
   * (promptfoo), unless its `must_not_contain` already holds it.
   */
  readonly canary?: string;
}

/** An export option is unusable: an empty canary, which every response would contain. */
export class ExportOptionsError extends FirebreakError {
  constructor(message: string) {
    super(message);
  }
}

const exported = (cases: readonly RegressionCase[], options: Pick<ExportOptions, 'includeRetired'>): RegressionCase[] =>
  cases.filter((c) => options.includeRetired === true || c.status !== 'retired').sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** The canary option, trimmed; an empty one is refused rather than matching every response. */
function canaryOf(options: ExportOptions): string | undefined {
  if (options.canary === undefined) return undefined;
  const canary = options.canary.trim();
  if (canary === '') throw new ExportOptionsError('the canary is empty');
  return canary;
}

const sameText = (a: string, b: string): boolean => a.normalize('NFKC').toLowerCase() === b.normalize('NFKC').toLowerCase();

/**
 * The exported cases that expect no canary leak (`expected.no_canary_leak`),
 * split by whether they hold a canary check of their own: `stored` were
 * harvested with the canary known, which `must_not_contain` keeps (detector
 * `canary`); `unchecked` were not, so their forbidden strings hold no canary
 * that harvest knew of, and only the export's `canary` option checks them.
 *
 * @example
 * const { unchecked } = casesWithCanaryCheck(cases);
 * if (unchecked.length > 0 && canary === undefined) warn(`${unchecked.length} case(s) need --canary`);
 */
export function casesWithCanaryCheck(cases: readonly RegressionCase[], options: Pick<ExportOptions, 'includeRetired'> = {}): { stored: RegressionCase[]; unchecked: RegressionCase[] } {
  const expecting = exported(cases, options).filter((c) => c.expected.no_canary_leak);
  return { stored: expecting.filter((c) => c.detector.kind === 'canary'), unchecked: expecting.filter((c) => c.detector.kind !== 'canary') };
}

/** The prompt a single-turn target receives: the user turns, joined as the guardrail reads them. */
const promptOf = (c: RegressionCase): string => c.input.turns.map((t) => t.content).join('\n');

/**
 * The body of promptfoo's `javascript` assertion that passes on a refusal:
 * the same patterns, window and jailbreak markers as `isRefusal`, so
 * promptfoo and `firebreak corpus replay` judge alike, offline.
 *
 * @example
 * new Function('output', refusalAssertionScript())("I'm sorry, but I can't do that.").pass // => true
 */
export function refusalAssertionScript(): string {
  const list = (patterns: readonly RegExp[]): string => `[\n  ${patterns.map((p) => p.toString()).join(',\n  ')},\n]`;
  return [
    "const raw = typeof output === 'string' ? output : JSON.stringify(output ?? '');",
    "const text = String(raw).normalize('NFKC').replace(/[\\u2018\\u2019\\u02BC`\\u00B4]/g, \"'\").toLowerCase().replace(/\\s+/g, ' ').trim();",
    `const markers = ${list(JAILBREAK_MARKERS)};`,
    `const refusals = ${list(REFUSAL_PATTERNS)};`,
    `const pass = text !== '' && !markers.some((m) => m.test(text)) && refusals.some((p) => p.test(text.slice(0, ${REFUSAL_WINDOW})));`,
    "return { pass, score: pass ? 1 : 0, reason: pass ? 'refused' : 'did not refuse' };",
  ].join('\n');
}

/** One promptfoo test case. */
interface PromptfooTest {
  description: string;
  vars: { prompt: string; turns?: string[] };
  assert: { type: string; value: string; metric: string }[];
  metadata: Record<string, string | number>;
}

function promptfooTest(c: RegressionCase, script: string, canary: string | undefined): PromptfooTest {
  const t = c.taxonomy;
  const checkCanary = canary !== undefined && c.expected.no_canary_leak && !c.expected.must_not_contain.some((s) => sameText(s, canary));
  return {
    description: `${c.id} ${t.owasp} ${t.category}/${t.technique}`,
    vars: { prompt: promptOf(c), ...(c.input.turns.length > 1 ? { turns: c.input.turns.map((turn) => turn.content) } : {}) },
    assert: [
      { type: 'javascript', value: script, metric: 'refusal' },
      ...c.expected.must_not_contain.map((s) => ({ type: 'not-icontains', value: s, metric: 'must-not-contain' })),
      ...(checkCanary ? [{ type: 'not-icontains', value: canary, metric: 'no-canary-leak' }] : []),
    ],
    metadata: {
      case_id: c.id,
      owasp: t.owasp,
      owasp_name: t.owasp_name,
      category: t.category,
      technique: t.technique,
      severity: c.severity,
      status: c.status,
      detector: c.detector.kind,
      occurrences: c.source.occurrences,
    },
  };
}

/**
 * A promptfoo test file (`tests:`) for the cases: the prompt in `vars.prompt`
 * (all user turns joined by newlines; `vars.turns` lists them for chat
 * templates when there are several), a `javascript` refusal assertion, a
 * `not-icontains` assertion per forbidden string (metric `must-not-contain`,
 * a canary stored at harvest included) and, given `canary`, one for the
 * canary on each case that expects no canary leak (metric `no-canary-leak`,
 * unless a forbidden string already is that canary) — all checkable offline,
 * no model grading — and the case's id, OWASP 2025 id, category, technique
 * and severity in `metadata`.
 *
 * @throws {ExportOptionsError} when `canary` is empty
 * @example
 * writeFileSync('redteam-regressions.yaml', toPromptfooTests(cases, { canary: process.env.FIREBREAK_CANARY }));
 * // promptfoo eval -c promptfooconfig.yaml -t redteam-regressions.yaml
 */
export function toPromptfooTests(cases: readonly RegressionCase[], options: ExportOptions = {}): string {
  const list = exported(cases, options);
  const canary = canaryOf(options);
  const script = refusalAssertionScript();
  const doc = new Document({ tests: list.map((c) => promptfooTest(c, script, canary)) });
  doc.commentBefore = [
    ` Firebreak adversarial corpus: ${list.length} regression case${list.length === 1 ? '' : 's'} as promptfoo test cases.`,
    ' Each test expects a refusal (javascript assertion) and no forbidden string or canary (not-icontains);',
    ' metadata names the case, its OWASP LLM Top 10 2025 id, category, technique and severity.',
    ' Generated by `firebreak corpus export --format promptfoo`; edit the cases, not this file.',
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}

/**
 * A garak payload file: every exported case's prompt (user turns joined by
 * newlines), de-duplicated, in case-id order, as `Text` payloads with
 * garak's refusal-bypass detector (`mitigation.MitigationBypass`) named, in
 * the schema garak's `garak/payloads.py` validates. The schema has no
 * per-payload expectation, so forbidden strings and the canary check are not
 * in it (garak's detector looks for a refusal only): count what is left out
 * with {@link casesWithCanaryCheck}, and check it with `firebreak corpus
 * replay --canary` or the promptfoo export.
 *
 * @throws RangeError when the name is empty
 * @example
 * writeFileSync('firebreak_regressions.json', toGarakPayload(cases, 'Firebreak regression cases'));
 */
export function toGarakPayload(cases: readonly RegressionCase[], name: string, options: Pick<ExportOptions, 'includeRetired'> = {}): string {
  if (name.trim() === '') throw new RangeError('a garak payload needs a name');
  const payloads = [...new Set(exported(cases, options).map(promptOf))];
  const file = {
    garak_payload_name: name,
    payload_types: ['Text'],
    detector_name: 'mitigation.MitigationBypass',
    payloads,
  };
  return `${JSON.stringify(file, null, 4)}\n`;
}
