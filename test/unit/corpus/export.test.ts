import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { RegressionCase } from '../../../lambdas/core/corpus/case';
import { CorpusIndex } from '../../../lambdas/core/corpus/corpus-index';
import { parseEvidence } from '../../../lambdas/core/corpus/evidence-formats';
import { refusalAssertionScript, toGarakPayload, toPromptfooTests } from '../../../lambdas/core/corpus/export';
import { harvestCases } from '../../../lambdas/core/corpus/harvest';
import { isRefusal } from '../../../lambdas/core/corpus/judge';

const CANARY = 'FIREBREAK-CANARY-7f3a';

async function corpus(): Promise<RegressionCase[]> {
  const evidence = parseEvidence(readFileSync(path.join(__dirname, '../../fixtures/corpus/harvest-demo-evidence.jsonl'), 'utf8'));
  const garak = parseEvidence(readFileSync(path.join(__dirname, '../../fixtures/corpus/harvest-garak.hitlog.jsonl'), 'utf8'));
  const result = await harvestCases(
    { items: [...evidence.items, ...garak.items], source: { kind: 'incident', incident_id: 'inc-1', model: 'support-llm', evidence_uri: 'file://e.jsonl' }, severity: 'sev2', now: new Date('2026-11-21T10:30:00Z'), canary: CANARY },
    { scanner: { scan: async () => [] }, index: CorpusIndex.empty(), existing: () => undefined },
  );
  return result.created;
}

/** promptfoo's test case, as far as the export writes it. */
const PromptfooTestSchema = z.strictObject({
  description: z.string(),
  vars: z.strictObject({ prompt: z.string().min(1), turns: z.array(z.string()).min(2).optional() }),
  assert: z.array(z.strictObject({ type: z.enum(['javascript', 'not-icontains']), value: z.string().min(1), metric: z.string() })).min(1),
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
