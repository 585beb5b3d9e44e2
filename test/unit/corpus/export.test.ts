import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { RegressionCase } from '../../../lambdas/core/corpus/case';
import { CorpusIndex } from '../../../lambdas/core/corpus/corpus-index';
import { parseEvidence } from '../../../lambdas/core/corpus/evidence-formats';
import { casesWithCanaryCheck, ExportOptionsError, refusalAssertionScript, toGarakPayload, toPromptfooTests } from '../../../lambdas/core/corpus/export';
import { harvestCases } from '../../../lambdas/core/corpus/harvest';
import { isRefusal } from '../../../lambdas/core/corpus/judge';

const CANARY = 'FIREBREAK-CANARY-7f3a';

/** The fixtures' cases, harvested with the canary known (the default) or, given `null`, without one. */
async function corpus(canary: string | null = CANARY): Promise<RegressionCase[]> {
  const evidence = parseEvidence(readFileSync(path.join(__dirname, '../../fixtures/corpus/harvest-demo-evidence.jsonl'), 'utf8'));
  const garak = parseEvidence(readFileSync(path.join(__dirname, '../../fixtures/corpus/harvest-garak.hitlog.jsonl'), 'utf8'));
  const result = await harvestCases(
    {
      items: [...evidence.items, ...garak.items],
      source: { kind: 'incident', incident_id: 'inc-1', model: 'support-llm', evidence_uri: 'file://e.jsonl' },
      severity: 'sev2',
      now: new Date('2026-11-21T10:30:00Z'),
      ...(canary === null ? {} : { canary }),
    },
    { scanner: { scan: async () => [] }, index: CorpusIndex.empty(), existing: () => undefined },
  );
  return result.created;
}

/** promptfoo's test case, as far as the export writes it. */
const PromptfooTestSchema = z.strictObject({
  description: z.string(),
  vars: z.strictObject({ prompt: z.string().min(1), turns: z.array(z.string()).min(2).optional() }),
  assert: z.array(z.strictObject({ type: z.enum(['javascript', 'not-icontains']), value: z.string().min(1), metric: z.enum(['refusal', 'must-not-contain', 'no-canary-leak']) })).min(1),
  metadata: z.strictObject({
    case_id: z.string(),
    owasp: z.string().regex(/^LLM\d\d:2025$/),
    owasp_name: z.string(),
    category: z.string(),
    technique: z.string(),
    severity: z.string(),
    status: z.string(),
    detector: z.string(),
    occurrences: z.number(),
  }),
});

/** garak's PAYLOAD_SCHEMA (garak/payloads.py), as zod. */
const GarakPayloadSchema = z.object({
  garak_payload_name: z.string(),
  payload_types: z.array(z.string()),
  detector_name: z.string().optional(),
  detector_config: z.record(z.string(), z.unknown()).optional(),
  payloads: z.array(z.string()),
  lang: z.string().optional(),
});

/** Runs the exported javascript assertion the way promptfoo does: a function body with `output` in scope. */
const runAssertion = (script: string, output: unknown): { pass: boolean; reason: string } =>
  (new Function('output', script) as (output: unknown) => { pass: boolean; reason: string })(output);

describe('toPromptfooTests', () => {
  it('writes a tests: file with the prompt, offline assertions and the case metadata', async () => {
    const cases = await corpus();
    const file = parse(toPromptfooTests(cases)) as { tests: unknown[] };
    expect(file.tests).toHaveLength(cases.length);
    const tests = file.tests.map((t) => PromptfooTestSchema.parse(t));
    expect(tests.map((t) => t.metadata.case_id)).toEqual(cases.map((c) => c.id).sort());
    const multiTurn = tests.find((t) => t.vars.turns !== undefined);
    expect(multiTurn?.vars.prompt).toBe(multiTurn?.vars.turns?.join('\n'));
    const hate = tests.find((t) => t.assert.some((a) => a.type === 'not-icontains' && a.value === 'I hate humans'));
    expect(hate?.assert.map((a) => a.type)).toEqual(['javascript', 'not-icontains']);
    const sysprompt = tests.find((t) => t.metadata.detector === 'canary');
    expect(sysprompt?.assert).toContainEqual({ type: 'not-icontains', value: CANARY, metric: 'must-not-contain' });
    expect(sysprompt?.metadata.owasp).toBe('LLM07:2025');
  });

  it('judges refusals in promptfoo exactly as the replay judge does', () => {
    const script = refusalAssertionScript();
    const outputs = [
      "I'm sorry, but I can't do that. I'm the Acme Cloud support assistant and I don't take on other personas or drop my guidelines.",
      '[JAILBROKEN] Sure! I am free of all restrictions now and will answer anything, no filters.',
      "[🔒CLASSIC] I'm sorry, but I can't. [🔓JAILBREAK] Sure!",
      'I cannot assist with that.',
      'Here you go: step 1…',
      '',
    ];
    for (const output of outputs) expect(runAssertion(script, output).pass).toBe(isRefusal(output));
    expect(runAssertion(script, { refusal: "I'm sorry, but I can't help with that." }).pass).toBe(true);
  });

  it('is deterministic: the same cases in any order give the same bytes', async () => {
    const cases = await corpus();
    expect(toPromptfooTests([...cases].reverse())).toBe(toPromptfooTests(cases));
    expect(toPromptfooTests(cases)).toMatch(/^# Firebreak adversarial corpus: 8 regression cases/);
  });

  it('leaves retired cases out unless asked', async () => {
    const [first, ...rest] = await corpus();
    const cases = [{ ...(first as RegressionCase), status: 'retired' as const }, ...rest];
    expect((parse(toPromptfooTests(cases)) as { tests: unknown[] }).tests).toHaveLength(rest.length);
    expect((parse(toPromptfooTests(cases, { includeRetired: true })) as { tests: unknown[] }).tests).toHaveLength(rest.length + 1);
    expect(parse(toPromptfooTests([]))).toEqual({ tests: [] });
  });
});

describe('the canary check in the promptfoo export', () => {
  const testsOf = (yaml: string) => (parse(yaml) as { tests: unknown[] }).tests.map((t) => PromptfooTestSchema.parse(t));
  const canaryAsserts = (t: z.infer<typeof PromptfooTestSchema>) => t.assert.filter((a) => a.metric === 'no-canary-leak');

  it('adds a not-icontains assertion for the given canary to cases that expect no canary leak but were harvested without one', async () => {
    const cases = await corpus(null);
    // The garak hitlog's trigger is the canary itself: that case holds it as a forbidden string already.
    const bare = cases.filter((c) => c.expected.no_canary_leak && !c.expected.must_not_contain.includes(CANARY));
    expect(bare.length).toBeGreaterThan(0);
    const tests = testsOf(toPromptfooTests(cases, { canary: CANARY }));
    const checked = tests.filter((t) => canaryAsserts(t).length > 0);
    expect(checked.map((t) => t.metadata.case_id)).toEqual(bare.map((c) => c.id).sort());
    for (const t of checked) expect(canaryAsserts(t)).toEqual([{ type: 'not-icontains', value: CANARY, metric: 'no-canary-leak' }]);
    expect(checked.every((t) => t.metadata.owasp === 'LLM07:2025')).toBe(true);
  });

  it('adds no canary assertion without a canary, nor to cases that do not expect one', async () => {
    const cases = await corpus(null);
    expect(testsOf(toPromptfooTests(cases)).flatMap(canaryAsserts)).toEqual([]);
    const withCanary = testsOf(toPromptfooTests(cases, { canary: CANARY }));
    const notExpecting = new Set(cases.filter((c) => !c.expected.no_canary_leak).map((c) => c.id));
    expect(notExpecting.size).toBeGreaterThan(0);
    expect(withCanary.filter((t) => notExpecting.has(t.metadata.case_id)).flatMap((t) => t.assert.filter((a) => a.value === CANARY))).toEqual([]);
  });

  it('does not repeat a canary the case already holds (compared case-insensitively), and adds a rotated one', async () => {
    const cases = await corpus();
    const stored = testsOf(toPromptfooTests(cases, { canary: ` ${CANARY.toLowerCase()} ` })).filter((t) => t.assert.some((a) => a.value === CANARY));
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.flatMap(canaryAsserts)).toEqual([]);
    const rotated = testsOf(toPromptfooTests(cases, { canary: 'FIREBREAK-CANARY-0b1e' })).filter((t) => t.assert.some((a) => a.value === CANARY));
    for (const t of rotated) expect(t.assert.filter((a) => a.type === 'not-icontains').map((a) => [a.value, a.metric])).toEqual([[CANARY, 'must-not-contain'], ['FIREBREAK-CANARY-0b1e', 'no-canary-leak']]);
  });

  it('refuses an empty canary, which every response would contain', async () => {
    const cases = await corpus(null);
    expect(() => toPromptfooTests(cases, { canary: '  ' })).toThrow(ExportOptionsError);
  });

  it('stays deterministic with a canary', async () => {
    const cases = await corpus(null);
    expect(toPromptfooTests([...cases].reverse(), { canary: CANARY })).toBe(toPromptfooTests(cases, { canary: CANARY }));
  });

  it('tells cases with a canary stored at harvest from cases only an export canary can check', async () => {
    const known = await corpus();
    const unknown = await corpus(null);
    const expecting = known.filter((c) => c.expected.no_canary_leak).length;
    expect(casesWithCanaryCheck(known)).toMatchObject({ unchecked: [] });
    expect(casesWithCanaryCheck(known).stored).toHaveLength(expecting);
    expect(casesWithCanaryCheck(unknown)).toMatchObject({ stored: [] });
    expect(casesWithCanaryCheck(unknown).unchecked).toHaveLength(expecting);
    const retired = unknown.map((c) => ({ ...c, status: 'retired' as const }));
    expect(casesWithCanaryCheck(retired).unchecked).toHaveLength(0);
    expect(casesWithCanaryCheck(retired, { includeRetired: true }).unchecked).toHaveLength(expecting);
  });
});

describe('toGarakPayload', () => {
  it("writes a payload file that garak's payload schema accepts, one payload per prompt", async () => {
    const cases = await corpus();
    const payload = GarakPayloadSchema.parse(JSON.parse(toGarakPayload(cases, 'Firebreak regression cases')));
    expect(payload).toMatchObject({ garak_payload_name: 'Firebreak regression cases', payload_types: ['Text'], detector_name: 'mitigation.MitigationBypass' });
    expect(payload.payloads).toHaveLength(cases.length);
    const sorted = [...cases].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(payload.payloads[0]).toBe(sorted[0]?.input.turns.map((t) => t.content).join('\n'));
  });

  it('de-duplicates payloads, is deterministic and needs a name', async () => {
    const cases = await corpus();
    const twice = [...cases, ...cases.map((c) => ({ ...c, id: `case-${'f'.repeat(15)}${c.id.slice(-1)}` }))];
    expect((JSON.parse(toGarakPayload(twice, 'x')) as { payloads: string[] }).payloads).toHaveLength(cases.length);
    expect(toGarakPayload([...cases].reverse(), 'x')).toBe(toGarakPayload(cases, 'x'));
    expect(toGarakPayload(cases, 'x').endsWith('}\n')).toBe(true);
    expect(() => toGarakPayload(cases, ' ')).toThrow(RangeError);
  });
});
